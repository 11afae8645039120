//! The other sections of the configuration file: each key with its default, and the checks
//! and settings a section makes of its own keys for the crate that uses them.

use std::net::SocketAddr;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

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

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OperatorConfig {
    /// The bearer token of the installation's operator, who makes, lists, suspends and
    /// resumes workspaces (`/api/v1/operator`, and `switchboard workspace` while the gateway
    /// runs). Empty: no operator routes.
    pub token: String,
}

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

/// The bus between gateway nodes.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BusConfig {
    /// The NATS server that tells nodes of each other's commits and carries presence signals
    /// (`nats://host:4222`), with `store.backend = "postgres"`. Empty: each node reads the
    /// others' events from the database at its next look (within 200 ms), and presence
    /// signals stay on the node they were made on.
    pub url: String,
}

impl BusConfig {
    /// Refuses a bus without the shared store it needs, or that is not a NATS URL.
    pub fn check(&self, store: &StoreConfig) -> anyhow::Result<()> {
        if self.url.is_empty() {
            return Ok(());
        }
        anyhow::ensure!(
            store.backend == StoreBackend::Postgres,
            "bus.url needs store.backend = \"postgres\": the nodes it links share that database"
        );
        anyhow::ensure!(
            self.url.starts_with("nats://"),
            "bus.url must be a NATS URL (nats://host:4222)"
        );
        Ok(())
    }
}

/// Where the store keeps its records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StoreBackend {
    Sled,
    Postgres,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StoreConfig {
    /// `sled`, the embedded store (one node), or `postgres`: any number of nodes sharing the
    /// database at `url`.
    pub backend: StoreBackend,
    /// The PostgreSQL database, for `backend = "postgres"`:
    /// `postgres://user:password@host:5432/switchboard`.
    pub url: String,
    /// Folder of the embedded sled store (its files' bytes in `files` inside); created when
    /// missing.
    pub path: PathBuf,
    /// For `backend = "postgres"`: a folder every node mounts, to keep files' bytes in rather
    /// than in the database. Empty (the default): in the database.
    pub files_path: PathBuf,
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

impl StoreConfig {
    /// The folder PostgreSQL nodes keep files' bytes in, if not the database.
    pub fn files_folder(&self) -> Option<&std::path::Path> {
        (!self.files_path.as_os_str().is_empty()).then_some(self.files_path.as_path())
    }

    /// Refuses a PostgreSQL store without a URL it can use, naming the key.
    pub fn check(&self) -> anyhow::Result<()> {
        if self.backend == StoreBackend::Postgres {
            anyhow::ensure!(
                switchboard_store::is_postgres_url(&self.url),
                "store.url must be a PostgreSQL URL (postgres://user:password@host:5432/database) when store.backend is \"postgres\""
            );
            if let Some(folder) = self.files_folder() {
                // An unmounted share would be an empty local folder that no other node reads.
                anyhow::ensure!(
                    folder.is_dir(),
                    "store.files_path {} is not a folder: mount the volume the nodes share there first",
                    folder.display()
                );
            }
        } else {
            anyhow::ensure!(
                self.files_path.as_os_str().is_empty(),
                "store.files_path is for store.backend = \"postgres\": the embedded store keeps its files in its own folder (store.path)"
            );
        }
        Ok(())
    }
}

impl Default for StoreConfig {
    fn default() -> Self {
        StoreConfig {
            backend: StoreBackend::Sled,
            url: String::new(),
            path: PathBuf::from("data/store"),
            files_path: PathBuf::new(),
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
    /// Empty: a random password is generated, printed once and saved beside the store; the
    /// admin chooses their own at their first sign-in.
    pub admin_password: String,
    /// The console walks the first admin through the first run (the workspace's name, time
    /// zone and languages, a first channel); `false` marks the workspace set up already.
    pub first_run: bool,
}

impl Default for BootstrapConfig {
    fn default() -> Self {
        BootstrapConfig {
            enabled: true,
            workspace_name: "Demo".to_string(),
            admin_email: "admin@example.com".to_string(),
            admin_password: String::new(),
            first_run: true,
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
