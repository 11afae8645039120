//! The mail sections: the SMTP listener that takes forwarded mail (with its STARTTLS
//! certificate) and the server the installation's own mail goes out through; each turns its
//! keys into the mail crate's settings, naming a key it cannot use.

use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::{Deserialize, Serialize};

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
    pub(super) fn system_mail(
        &self,
    ) -> anyhow::Result<Option<switchboard_services::system_mail::SystemMail>> {
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
