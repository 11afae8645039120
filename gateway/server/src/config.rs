//! The gateway's configuration: one TOML file, then `SWITCHBOARD_`-prefixed environment
//! variables (sections joined by `__`, e.g. `SWITCHBOARD_SERVER__LISTEN=0.0.0.0:8080`).
//! Every key has a default, so an empty file is a working single-node setup.
//! `docs/config.md` documents every key.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::Context;
use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    pub server: ServerConfig,
    pub store: StoreConfig,
    pub http: HttpConfig,
    pub bootstrap: BootstrapConfig,
    pub plugins: PluginsConfig,
    pub mail: MailConfig,
    pub web: WebConfig,
    pub uploads: UploadsConfig,
    pub delivery: DeliveryConfig,
    pub operator: OperatorConfig,
    pub signup: SignupConfig,
    pub system_mail: SystemMailConfig,
    pub log: LogConfig,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SignupConfig {
    /// Whether people may make a workspace themselves at `/signup` (needs `system_mail`).
    pub enabled: bool,
    /// Email domains refused at sign-up (`mailinator.com`, `*.example` for subdomains).
    pub refused_domains: Vec<String>,
    /// The quotas a workspace made by sign-up starts with (the operator changes them later).
    pub quotas: switchboard_model::WorkspaceQuotas,
}

/// The SMTP server the installation's own mail (sign-up links) goes out through.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SystemMailConfig {
    /// Its host; empty: the installation sends no mail of its own.
    pub host: String,
    pub port: u16,
    /// `starttls`, `tls` or `none`.
    pub security: String,
    pub username: String,
    pub password: String,
    /// The sender, such as `Switchboard <no-reply@chat.example.com>`.
    pub from: String,
}

impl Default for SystemMailConfig {
    fn default() -> Self {
        SystemMailConfig {
            host: String::new(),
            port: 587,
            security: "starttls".into(),
            username: String::new(),
            password: String::new(),
            from: String::new(),
        }
    }
}

impl SystemMailConfig {
    /// The mail settings, if a host is set; a value that cannot be used is named.
    fn system_mail(&self) -> anyhow::Result<Option<switchboard_services::system_mail::SystemMail>> {
        if self.host.trim().is_empty() {
            return Ok(None);
        }
        let security = match self.security.as_str() {
            "starttls" => switchboard_mail::Security::Starttls,
            "tls" => switchboard_mail::Security::Tls,
            "none" => switchboard_mail::Security::None,
            other => {
                anyhow::bail!("system_mail.security: {other:?} is none of starttls, tls or none")
            }
        };
        anyhow::ensure!(
            self.from.contains('@'),
            "system_mail.from: set the sender, such as `Switchboard <no-reply@chat.example.com>`"
        );
        Ok(Some(switchboard_services::system_mail::SystemMail {
            account: switchboard_mail::Account {
                imap: None,
                smtp: Some(switchboard_mail::Server {
                    host: self.host.trim().to_string(),
                    port: self.port,
                    security,
                }),
                username: self.username.clone(),
                auth: switchboard_mail::Auth::Password(self.password.clone()),
                folder: String::new(),
            },
            from: self.from.clone(),
        }))
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OperatorConfig {
    /// The bearer token of the installation's operator, who makes, lists, suspends and
    /// resumes workspaces (`/api/v1/operator`, and `switchboard workspace` while the gateway
    /// runs). Empty: no operator routes.
    pub token: String,
}

/// The shortest operator token taken: it opens every workspace's door.
const MIN_OPERATOR_TOKEN_CHARS: usize = 24;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DeliveryConfig {
    /// Seconds the first retry of a reply waits when its provider failed (each further one
    /// waits twice as long, at most an hour).
    pub first_retry_seconds: u64,
}

impl Default for DeliveryConfig {
    fn default() -> Self {
        DeliveryConfig {
            first_retry_seconds: switchboard_services::ServicesConfig::default()
                .first_retry
                .as_secs(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct UploadsConfig {
    /// MiB of files one chat visitor may upload a day.
    pub visitor_mib_per_day: u64,
    /// MiB of files all chat visitors of one workspace may upload a day.
    pub workspace_mib_per_day: u64,
    /// Hours an uploaded file that no message names is kept before it is removed.
    pub unattached_hours: u32,
}

impl Default for UploadsConfig {
    fn default() -> Self {
        let limits = switchboard_services::UploadLimits::default();
        UploadsConfig {
            visitor_mib_per_day: limits.visitor_bytes_per_day >> 20,
            workspace_mib_per_day: limits.workspace_bytes_per_day >> 20,
            unattached_hours: 24,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WebConfig {
    /// The `www/` folder: the widget's loader, demo pages and install guides.
    pub www: PathBuf,
    /// The chat app as Trunk built it.
    pub widget: PathBuf,
    /// The agent console as Trunk built it.
    pub console: PathBuf,
    /// Serve the demo shop pages under `/demo/`; `cargo xtask run` turns them on.
    pub demo_pages: bool,
}

impl Default for WebConfig {
    fn default() -> Self {
        WebConfig {
            www: PathBuf::from("www"),
            widget: PathBuf::from("target/widget-dist"),
            console: PathBuf::from("target/console-dist"),
            demo_pages: false,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MailConfig {
    /// Address of the SMTP listener that takes mail forwarded to channels' receiving
    /// addresses; empty turns it off.
    pub listen: String,
    /// The domain of forwarding addresses (`{workspace}.{channel}.{tag}@DOMAIN`); its MX record
    /// must point at the listener.
    pub forwarding_domain: String,
    /// The name the listener greets with.
    pub hostname: String,
    /// Largest forwarded message accepted, in bytes.
    pub max_message_bytes: usize,
    /// Extra certificate authorities (PEM files) trusted for IMAP and SMTP, besides the system's.
    pub ca_files: Vec<PathBuf>,
    /// The listener's certificate chain (PEM) for STARTTLS; empty offers no STARTTLS.
    pub tls_certificate: PathBuf,
    /// The private key (PEM) of `tls_certificate`.
    pub tls_key: PathBuf,
    /// Folder where messages being received are written until they are stored.
    pub spool: PathBuf,
}

impl Default for MailConfig {
    fn default() -> Self {
        MailConfig {
            listen: "127.0.0.1:2525".into(),
            forwarding_domain: "localhost".into(),
            hostname: "localhost".into(),
            max_message_bytes: 50 * 1024 * 1024,
            ca_files: Vec::new(),
            tls_certificate: PathBuf::new(),
            tls_key: PathBuf::new(),
            spool: PathBuf::from("data/mail-spool"),
        }
    }
}

impl MailConfig {
    /// The listener's STARTTLS settings, `None` when no certificate is set; fails naming the
    /// key whose file is missing or cannot be used.
    pub fn tls(&self) -> anyhow::Result<Option<switchboard_mail::listener::TlsAcceptor>> {
        let (certificate, key) = (&self.tls_certificate, &self.tls_key);
        match (
            certificate.as_os_str().is_empty(),
            key.as_os_str().is_empty(),
        ) {
            (true, true) => return Ok(None),
            (false, true) => {
                anyhow::bail!("mail.tls_key: set it to the private key of mail.tls_certificate")
            }
            (true, false) => {
                anyhow::bail!("mail.tls_certificate: set it to the certificate of mail.tls_key")
            }
            (false, false) => {}
        }
        let read = |key_name: &str, path: &Path| {
            std::fs::read(path)
                .with_context(|| format!("{key_name}: cannot read {}", path.display()))
        };
        let acceptor = switchboard_mail::listener::tls_acceptor(
            &read("mail.tls_certificate", certificate)?,
            &read("mail.tls_key", key)?,
        )
        .map_err(|reason| anyhow::anyhow!("mail.tls_certificate and mail.tls_key: {reason}"))?;
        Ok(Some(acceptor))
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PluginsConfig {
    /// Watched folder: `<folder>/<workspace id>/<name>.wasm` with `<name>.toml` installs itself.
    pub folder: PathBuf,
    /// How often the folder is looked at, in seconds.
    pub scan_seconds: u64,
    /// Where compiled plugin code is cached.
    pub cache: PathBuf,
    /// The most compiled code the cache keeps, in MiB; the code used least recently goes first.
    pub cache_max_mib: u64,
    /// Let plugins' requests use plain `http://` (otherwise https only).
    pub fetch_allow_http: bool,
    /// Loopback, private, link-local or metadata networks plugins may reach all the same
    /// (addresses or CIDR blocks); none by default.
    pub fetch_private_networks: Vec<String>,
    /// The largest memory budget a plugin's manifest may ask for, in MiB (at most 1024).
    pub max_memory_mib: u32,
    /// The longest time budget a manifest may ask for, per call, in milliseconds.
    pub max_time_ms: u32,
    /// The largest output budget a manifest may ask for, per call, in KiB.
    pub max_output_kib: u32,
}

impl Default for PluginsConfig {
    fn default() -> Self {
        let ceilings = switchboard_plugins::Ceilings::default();
        PluginsConfig {
            folder: PathBuf::from("data/plugins"),
            scan_seconds: 5,
            cache: PathBuf::from("data/plugin-cache"),
            cache_max_mib: 1024,
            fetch_allow_http: false,
            fetch_private_networks: Vec::new(),
            max_memory_mib: ceilings.memory_mib,
            max_time_ms: ceilings.time_ms,
            max_output_kib: ceilings.output_kib,
        }
    }
}

impl PluginsConfig {
    /// What plugins' requests may reach; fails on a network that cannot be read, naming it.
    pub fn fetch_policy(&self) -> anyhow::Result<switchboard_services::FetchPolicy> {
        Ok(switchboard_services::FetchPolicy {
            allow_http: self.fetch_allow_http,
            private_networks: networks(
                "plugins.fetch_private_networks",
                &self.fetch_private_networks,
            )?,
        })
    }

    /// The budget ceilings; fails on one the runtime cannot give, naming its key.
    pub fn ceilings(&self) -> anyhow::Result<switchboard_plugins::Ceilings> {
        let most = switchboard_plugins::Ceilings::default().memory_mib;
        anyhow::ensure!(
            (1..=most).contains(&self.max_memory_mib),
            "plugins.max_memory_mib must be 1 to {most}, not {}",
            self.max_memory_mib
        );
        anyhow::ensure!(self.max_time_ms > 0, "plugins.max_time_ms must be above 0");
        anyhow::ensure!(
            self.max_output_kib > 0,
            "plugins.max_output_kib must be above 0"
        );
        Ok(switchboard_plugins::Ceilings {
            memory_mib: self.max_memory_mib,
            time_ms: self.max_time_ms,
            output_kib: self.max_output_kib,
        })
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServerConfig {
    /// Address and port the HTTP server listens on.
    pub listen: SocketAddr,
    /// The URL people reach the gateway at, used in printed links.
    pub public_url: String,
    /// Threads that run connections and live feeds; 0 is one per CPU core and one more.
    pub workers: usize,
    /// Reverse proxies (addresses or CIDR blocks) whose `Forwarded` / `X-Forwarded-For`
    /// headers name the client; requests from anywhere else are counted by their own address.
    pub trusted_proxies: Vec<String>,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            public_url: String::new(),
            workers: 0,
            trusted_proxies: Vec::new(),
        }
    }
}

impl ServerConfig {
    /// The trusted proxies as networks; a bare address is a network of one.
    pub fn trusted_networks(&self) -> anyhow::Result<Vec<ipnet::IpNet>> {
        networks("server.trusted_proxies", &self.trusted_proxies)
    }

    /// The worker threads to start. One more than the cores: the sends of a big fan-out run
    /// the kernel's TCP work on the worker threads, and the store's threads take a core from
    /// them now and then; a spare worker takes over the shards queued behind a worker that lost
    /// its core, instead of leaving them to wait (docs/performance.md, "Event fan-out").
    pub fn worker_threads(&self) -> usize {
        match self.workers {
            0 => std::thread::available_parallelism().map_or(1, usize::from) + 1,
            chosen => chosen,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StoreConfig {
    /// Folder of the embedded sled store; created when missing.
    pub path: PathBuf,
    /// How many events a slow WebSocket may fall behind before it re-reads them from the store.
    pub bus_capacity: usize,
    /// The key that seals channel secrets; created on first start. Back it up apart from the store.
    pub secret_key: PathBuf,
    /// Room for each channel's dead letters, in MiB; the oldest go first.
    pub dead_letter_mib_per_channel: u64,
    /// Days a dead letter is kept.
    pub dead_letter_days: u32,
    /// MiB kept free on the store's disk: files are refused under it, every write under half.
    pub min_free_mib: u64,
}

impl Default for StoreConfig {
    fn default() -> Self {
        StoreConfig {
            path: PathBuf::from("data/store"),
            bus_capacity: 4096,
            secret_key: PathBuf::from("data/secret.key"),
            dead_letter_mib_per_channel: 256,
            dead_letter_days: 30,
            min_free_mib: 512,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HttpConfig {
    /// Largest request body accepted, in bytes.
    pub max_body_bytes: usize,
    /// How long a console login lasts, in hours.
    pub session_hours: u32,
    /// Mark the session cookie `Secure`; turn on when the gateway is reached over HTTPS.
    pub secure_cookies: bool,
    /// Largest attachment accepted, in bytes.
    pub max_attachment_bytes: usize,
}

impl Default for HttpConfig {
    fn default() -> Self {
        let api = switchboard_api::ApiConfig::default();
        HttpConfig {
            max_body_bytes: api.max_body_bytes,
            session_hours: api.session_hours,
            secure_cookies: api.secure_cookies,
            max_attachment_bytes: switchboard_services::ServicesConfig::default()
                .max_attachment_bytes,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BootstrapConfig {
    /// On an empty store, create a workspace with an admin and a demo API channel.
    pub enabled: bool,
    pub workspace_name: String,
    pub admin_email: String,
    /// Empty: a random password is generated, printed once and saved beside the store.
    pub admin_password: String,
}

impl Default for BootstrapConfig {
    fn default() -> Self {
        BootstrapConfig {
            enabled: true,
            workspace_name: "Demo".to_string(),
            admin_email: "admin@example.com".to_string(),
            admin_password: String::new(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LogConfig {
    /// A `RUST_LOG`-style filter; `RUST_LOG` itself wins when set.
    pub filter: String,
    /// `text` for people, `json` for log collectors.
    pub format: LogFormat,
}

impl Default for LogConfig {
    fn default() -> Self {
        LogConfig {
            filter: "info".to_string(),
            format: LogFormat::Text,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LogFormat {
    Text,
    Json,
}

/// Addresses or CIDR blocks from the key `key`; a bare address is a network of one.
fn networks(key: &str, entries: &[String]) -> anyhow::Result<Vec<ipnet::IpNet>> {
    entries
        .iter()
        .map(|entry| {
            let entry = entry.trim();
            entry
                .parse::<ipnet::IpNet>()
                .or_else(|_| entry.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                .map_err(|_| {
                    anyhow::anyhow!(
                        "{key}: {entry:?} is not an IP address or a CIDR block such as 10.0.0.0/8"
                    )
                })
        })
        .collect()
}

impl Config {
    /// Reads `file` (when given, it must exist) and the environment over the defaults.
    pub fn load(file: Option<&Path>) -> anyhow::Result<Config> {
        let mut figment = Figment::from(Serialized::defaults(Config::default()));
        if let Some(file) = file {
            anyhow::ensure!(
                file.exists(),
                "the configuration file {} does not exist",
                file.display()
            );
            figment = figment.merge(Toml::file(file));
        }
        let mut config: Config = figment
            .merge(Env::prefixed("SWITCHBOARD_").split("__"))
            .extract()
            .context("the configuration is not valid")?;
        if config.server.public_url.is_empty() {
            config.server.public_url = format!("http://{}", config.server.listen);
        }
        config.api()?;
        config.plugins.ceilings()?;
        config.plugins.fetch_policy()?;
        config.mail.tls()?;
        if let Some((field, problem)) = config.signup.quotas.problem() {
            anyhow::bail!("signup.quotas.{field}: {problem}");
        }
        let system_mail = config.system_mail.system_mail()?;
        anyhow::ensure!(
            !config.signup.enabled || system_mail.is_some(),
            "signup.enabled needs system_mail.host and system_mail.from: sign-up links go out by email"
        );
        Ok(config)
    }

    /// The folder above the store, which holds the node's name and the first admin's password.
    pub fn data_dir(&self) -> PathBuf {
        self.store
            .path
            .parent()
            .unwrap_or(&self.store.path)
            .to_path_buf()
    }

    /// Where a generated first admin password is saved until that admin first logs in.
    pub fn first_password_file(&self) -> PathBuf {
        self.data_dir().join("first-admin-password.txt")
    }

    /// The services' settings, with `public_url` as the address people reach the gateway at.
    pub fn services(&self, public_url: String) -> switchboard_services::ServicesConfig {
        switchboard_services::ServicesConfig {
            max_attachment_bytes: self.http.max_attachment_bytes,
            dead_letters: switchboard_store::DeadLetterLimits {
                max_bytes_per_channel: self
                    .store
                    .dead_letter_mib_per_channel
                    .saturating_mul(1 << 20),
                max_age_ms: i64::from(self.store.dead_letter_days) * 24 * 3_600_000,
            },
            uploads: switchboard_services::UploadLimits {
                visitor_bytes_per_day: self.uploads.visitor_mib_per_day.saturating_mul(1 << 20),
                workspace_bytes_per_day: self.uploads.workspace_mib_per_day.saturating_mul(1 << 20),
            },
            public_url,
            first_retry: std::time::Duration::from_secs(self.delivery.first_retry_seconds.max(1)),
            plugins_folder: Some(self.plugins.folder.clone()),
            signup: switchboard_services::signup::SignupSettings {
                enabled: self.signup.enabled,
                refused_domains: self.signup.refused_domains.clone(),
                quotas: self.signup.quotas,
            },
            // Checked when the configuration was loaded.
            system_mail: self.system_mail.system_mail().ok().flatten(),
        }
    }

    /// The operator's token, if one is set; a short one is refused, naming the key.
    pub fn operator_token(&self) -> anyhow::Result<Option<String>> {
        let token = self.operator.token.trim();
        if token.is_empty() {
            return Ok(None);
        }
        anyhow::ensure!(
            token.chars().count() >= MIN_OPERATOR_TOKEN_CHARS,
            "operator.token must have at least {MIN_OPERATOR_TOKEN_CHARS} characters: it opens every workspace"
        );
        Ok(Some(token.to_string()))
    }

    /// The API's settings; fails on a value that cannot be used, naming its key.
    pub fn api(&self) -> anyhow::Result<switchboard_api::ApiConfig> {
        Ok(switchboard_api::ApiConfig {
            session_hours: self.http.session_hours,
            max_body_bytes: self.http.max_body_bytes,
            // A browser reaching the gateway over HTTPS must never send its session in clear.
            secure_cookies: self.http.secure_cookies
                || self.server.public_url.starts_with("https://"),
            web: switchboard_api::WebRoot {
                www: self.web.www.clone(),
                widget: self.web.widget.clone(),
                console: self.web.console.clone(),
                demo_pages: self.web.demo_pages,
            },
            trusted_proxies: self.server.trusted_networks()?,
            operator_token: self.operator_token()?,
            first_password: self
                .bootstrap
                .enabled
                .then(|| switchboard_api::FirstPassword {
                    email: self.bootstrap.admin_email.clone(),
                    file: self.first_password_file(),
                }),
        })
    }
}

#[cfg(test)]
#[allow(clippy::result_large_err)] // figment's test jail returns its own large error
mod tests {
    use super::*;

    #[test]
    fn file_and_environment_override_defaults() {
        figment::Jail::expect_with(|jail| {
            jail.create_file(
                "gateway.toml",
                "[server]\nlisten = \"127.0.0.1:9000\"\n[http]\nsession_hours = 2\n",
            )?;
            jail.set_env("SWITCHBOARD_HTTP__SESSION_HOURS", "3");
            let config =
                Config::load(Some(Path::new("gateway.toml"))).map_err(|error| error.to_string())?;
            assert_eq!(config.server.listen.port(), 9000);
            assert_eq!(config.http.session_hours, 3);
            assert_eq!(config.server.public_url, "http://127.0.0.1:9000");
            assert_eq!(config.store.path, PathBuf::from("data/store"));
            Ok(())
        });
    }

    #[test]
    fn sign_up_without_the_installations_mail_is_refused_naming_both() {
        figment::Jail::expect_with(|jail| {
            jail.create_file("gateway.toml", "[signup]\nenabled = true\n")?;
            let error = Config::load(Some(Path::new("gateway.toml"))).expect_err("no mail");
            for key in ["signup.enabled", "system_mail.host"] {
                assert!(error.to_string().contains(key), "{error:#}");
            }
            jail.create_file(
                "gateway.toml",
                "[signup]\nenabled = true\n[system_mail]\nhost = \"smtp.example.com\"\nfrom = \"Switchboard <no-reply@example.com>\"\nsecurity = \"ssl\"\n",
            )?;
            let error = Config::load(Some(Path::new("gateway.toml"))).expect_err("a bad security");
            assert!(
                error.to_string().contains("system_mail.security"),
                "{error:#}"
            );
            Ok(())
        });
    }

    #[test]
    fn a_short_operator_token_is_refused_naming_its_key() {
        let mut config = Config::default();
        config.operator.token = "short".into();
        let error = config.api().expect_err("too short");
        assert!(error.to_string().contains("operator.token"), "{error:#}");
        config.operator.token = "  a token of twenty-four characters  ".into();
        assert_eq!(
            config.api().expect("long enough").operator_token.as_deref(),
            Some("a token of twenty-four characters")
        );
    }

    #[test]
    fn the_example_file_lists_the_defaults() {
        let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../switchboard.example.toml");
        let text = std::fs::read_to_string(&example).expect("the example configuration");
        let parsed: Config = toml::from_str(&text).expect("the example parses");
        let as_toml = |config: &Config| toml::to_string(config).expect("serializable");
        assert_eq!(as_toml(&parsed), as_toml(&Config::default()));
    }

    #[test]
    fn a_listener_certificate_without_its_key_or_that_cannot_be_read_is_named() {
        figment::Jail::expect_with(|jail| {
            jail.create_file("gateway.toml", "[mail]\ntls_certificate = \"cert.pem\"\n")?;
            let error = Config::load(Some(Path::new("gateway.toml")))
                .expect_err("a certificate without its key");
            assert!(error.to_string().contains("mail.tls_key"), "{error:#}");
            jail.create_file(
                "gateway.toml",
                "[mail]\ntls_certificate = \"cert.pem\"\ntls_key = \"key.pem\"\n",
            )?;
            jail.create_file("cert.pem", "not a certificate")?;
            jail.create_file("key.pem", "not a key")?;
            let error = Config::load(Some(Path::new("gateway.toml")))
                .expect_err("files that hold no certificate");
            assert!(
                format!("{error:#}").contains("mail.tls_certificate and mail.tls_key: the certificate file holds no certificate"),
                "{error:#}"
            );
            Ok(())
        });
    }

    #[test]
    fn trusted_proxies_take_addresses_and_blocks_and_name_a_bad_entry() {
        figment::Jail::expect_with(|jail| {
            jail.create_file(
                "gateway.toml",
                "[server]\ntrusted_proxies = [\"10.0.0.0/8\", \"::1\"]\n",
            )?;
            let config =
                Config::load(Some(Path::new("gateway.toml"))).map_err(|error| error.to_string())?;
            let networks = config
                .server
                .trusted_networks()
                .map_err(|error| error.to_string())?;
            assert_eq!(networks.len(), 2);
            jail.create_file(
                "bad.toml",
                "[server]\ntrusted_proxies = [\"10.0.0.0/33\"]\n",
            )?;
            let error = Config::load(Some(Path::new("bad.toml"))).expect_err("not a block");
            assert!(format!("{error:#}").contains("10.0.0.0/33"), "{error:#}");
            Ok(())
        });
    }

    #[test]
    fn sessions_are_secure_cookies_behind_an_https_address() {
        figment::Jail::expect_with(|jail| {
            jail.set_env(
                "SWITCHBOARD_SERVER__PUBLIC_URL",
                "https://support.example.com",
            );
            let config = Config::load(None).map_err(|error| error.to_string())?;
            assert!(
                config
                    .api()
                    .map_err(|error| error.to_string())?
                    .secure_cookies
            );
            jail.set_env("SWITCHBOARD_SERVER__PUBLIC_URL", "http://127.0.0.1:8080");
            let config = Config::load(None).map_err(|error| error.to_string())?;
            assert!(
                !config
                    .api()
                    .map_err(|error| error.to_string())?
                    .secure_cookies
            );
            Ok(())
        });
    }

    #[test]
    fn unknown_keys_are_named() {
        figment::Jail::expect_with(|jail| {
            jail.create_file("gateway.toml", "[http]\nmax_body = 5\n")?;
            let error = Config::load(Some(Path::new("gateway.toml")))
                .expect_err("an unknown key must fail");
            assert!(format!("{error:#}").contains("max_body"), "{error:#}");
            Ok(())
        });
    }
}
