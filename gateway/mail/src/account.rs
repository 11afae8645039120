//! How to reach a mailbox: its IMAP and SMTP servers, their security, and the credentials, with
//! presets that fill the servers for the common providers.

use serde::{Deserialize, Serialize};

/// How a connection is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Security {
    /// TLS from the first byte (IMAPS on 993, SMTPS on 465).
    Tls,
    /// Plain first, upgraded with STARTTLS before logging in (IMAP 143, SMTP 587).
    Starttls,
    /// No encryption: only for servers on a trusted network.
    None,
}

/// One server of a mailbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Server {
    pub host: String,
    pub port: u16,
    pub security: Security,
}

impl Server {
    fn new(host: &str, port: u16, security: Security) -> Server {
        Server {
            host: host.to_string(),
            port,
            security,
        }
    }
}

/// How the gateway proves it may use the mailbox.
#[derive(Clone, PartialEq, Eq)]
pub enum Auth {
    /// A password or an app password.
    Password(String),
    /// An OAuth 2.0 access token (Gmail, Office 365), sent with SASL XOAUTH2.
    XOAuth2(String),
}

impl std::fmt::Debug for Auth {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Secrets never reach a log line.
        formatter.write_str(match self {
            Auth::Password(_) => "Password(<hidden>)",
            Auth::XOAuth2(_) => "XOAuth2(<hidden>)",
        })
    }
}

/// Everything needed to receive and send a mailbox's mail.
#[derive(Debug, Clone)]
pub struct Account {
    /// Where mail is read from; `None` for a channel that only receives forwarded mail.
    pub imap: Option<Server>,
    /// Where replies are sent through.
    pub smtp: Option<Server>,
    pub username: String,
    pub auth: Auth,
    /// The folder that is synced, `INBOX` unless set.
    pub folder: String,
}

/// A mail provider whose servers are known.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Provider {
    Gmail,
    /// Outlook.com and Microsoft 365 (Office 365).
    Outlook,
    Yahoo,
    Icloud,
    /// Any other provider: the servers are entered by hand.
    Other,
}

impl Provider {
    /// The provider's IMAP and SMTP servers, as its own help pages give them.
    pub fn servers(self) -> Option<(Server, Server)> {
        use Security::{Starttls, Tls};
        Some(match self {
            Provider::Gmail => (
                Server::new("imap.gmail.com", 993, Tls),
                Server::new("smtp.gmail.com", 587, Starttls),
            ),
            Provider::Outlook => (
                Server::new("outlook.office365.com", 993, Tls),
                Server::new("smtp.office365.com", 587, Starttls),
            ),
            Provider::Yahoo => (
                Server::new("imap.mail.yahoo.com", 993, Tls),
                Server::new("smtp.mail.yahoo.com", 465, Tls),
            ),
            Provider::Icloud => (
                Server::new("imap.mail.me.com", 993, Tls),
                Server::new("smtp.mail.me.com", 587, Starttls),
            ),
            Provider::Other => return None,
        })
    }

    /// Every provider, in the order a settings form lists them.
    pub const ALL: [Provider; 5] = [
        Provider::Gmail,
        Provider::Outlook,
        Provider::Yahoo,
        Provider::Icloud,
        Provider::Other,
    ];
}

/// The SASL XOAUTH2 initial response (before base64): user and bearer token.
pub(crate) fn xoauth2_response(username: &str, token: &str) -> String {
    format!("user={username}\x01auth=Bearer {token}\x01\x01")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_fill_both_servers_except_other() {
        for provider in Provider::ALL {
            let servers = provider.servers();
            assert_eq!(
                servers.is_none(),
                provider == Provider::Other,
                "{provider:?}"
            );
            if let Some((imap, smtp)) = servers {
                assert_eq!((imap.port, imap.security), (993, Security::Tls));
                assert!(smtp.host.starts_with("smtp."), "{provider:?}");
            }
        }
    }

    #[test]
    fn secrets_are_hidden_from_debug_output() {
        let auth = Auth::Password("hunter2".into());
        assert!(!format!("{auth:?}").contains("hunter2"));
    }
}
