//! The gateway's configuration: one TOML file, then `SWITCHBOARD_`-prefixed environment
//! variables (sections joined by `__`, e.g. `SWITCHBOARD_SERVER__LISTEN=0.0.0.0:8080`).
//! Every key has a default, so an empty file is a working single-node setup.
//! `docs/config.md` documents every key.

mod mail;
mod sections;
#[cfg(test)]
#[allow(clippy::result_large_err)] // figment's test jail returns its own large error
mod tests;

use std::path::{Path, PathBuf};

use anyhow::Context;
use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};

pub use mail::MailConfig;
use mail::SystemMailConfig;
pub use sections::{BootstrapConfig, BusConfig, LogConfig, LogFormat, StoreBackend, StoreConfig};
use sections::{
    DeliveryConfig, HttpConfig, OperatorConfig, PluginsConfig, ServerConfig, SignupConfig,
    UploadsConfig, WebConfig,
};

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    pub server: ServerConfig,
    pub store: StoreConfig,
    pub bus: BusConfig,
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

/// The shortest operator token taken: it opens every workspace's door.
const MIN_OPERATOR_TOKEN_CHARS: usize = 24;

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
        config.store.check()?;
        config.bus.check(&config.store)?;
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
