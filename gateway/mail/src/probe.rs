//! "Test connection": tries the account's IMAP and SMTP servers the way the gateway will use
//! them and says, for each, what worked or which step failed.

use serde::Serialize;

use crate::connect::tcp;
use crate::imap::Mailbox;
use crate::smtp::Sender;
use crate::{Account, MailError, Step, Trust};

/// How one server did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum Outcome {
    /// Logged in (and for IMAP, opened the folder).
    Ok {
        detail: String,
    },
    Failed {
        step: Step,
        message: String,
    },
    /// The account has no such server.
    NotConfigured,
}

/// What "Test connection" found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Report {
    pub imap: Outcome,
    pub smtp: Outcome,
}

impl Report {
    pub fn ok(&self) -> bool {
        [&self.imap, &self.smtp]
            .iter()
            .all(|outcome| !matches!(outcome, Outcome::Failed { .. }))
    }
}

fn failed(error: MailError) -> Outcome {
    Outcome::Failed {
        step: error.step,
        message: error.message,
    }
}

/// Checks both servers.
pub async fn check(account: &Account, trust: &Trust) -> Report {
    let imap = match &account.imap {
        None => Outcome::NotConfigured,
        Some(_) => match Mailbox::open(account, trust).await {
            Ok(mailbox) => {
                let detail = format!(
                    "logged in and opened {} ({})",
                    account.folder,
                    if mailbox.pushes() {
                        "new mail is pushed with IDLE"
                    } else {
                        "new mail is polled"
                    }
                );
                mailbox.logout().await;
                Outcome::Ok { detail }
            }
            Err(error) => failed(error),
        },
    };
    let smtp = match &account.smtp {
        None => Outcome::NotConfigured,
        Some(server) => match check_smtp(account, trust, &server.host, server.port).await {
            Ok(()) => Outcome::Ok {
                detail: "connected and logged in".into(),
            },
            Err(error) => failed(error),
        },
    };
    Report { imap, smtp }
}

async fn check_smtp(
    account: &Account,
    trust: &Trust,
    host: &str,
    port: u16,
) -> Result<(), MailError> {
    // lettre reports name and connection failures alike; look first, to name the step.
    drop(tcp(host, port).await?);
    Sender::new(account, trust)?.check().await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Auth, Security, Server};

    fn account(host: &str, port: u16) -> Account {
        let server = Server {
            host: host.into(),
            port,
            security: Security::None,
        };
        Account {
            imap: Some(server.clone()),
            smtp: Some(server),
            username: "someone".into(),
            auth: Auth::Password("secret".into()),
            folder: "INBOX".into(),
        }
    }

    #[tokio::test]
    async fn an_unknown_host_is_a_dns_failure() {
        let report = check(
            &account("no-such-host.invalid", 993),
            &Trust::new(Vec::new()).expect("system roots"),
        )
        .await;
        assert!(
            matches!(
                report.imap,
                Outcome::Failed {
                    step: Step::Dns,
                    ..
                }
            ),
            "{report:?}"
        );
        assert!(
            matches!(
                report.smtp,
                Outcome::Failed {
                    step: Step::Dns,
                    ..
                }
            ),
            "{report:?}"
        );
        assert!(!report.ok());
    }

    #[tokio::test]
    async fn a_closed_port_is_a_tcp_failure() {
        let port = {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
            listener.local_addr().expect("bound").port()
        };
        let report = check(
            &account("127.0.0.1", port),
            &Trust::new(Vec::new()).expect("system roots"),
        )
        .await;
        assert!(
            matches!(
                report.imap,
                Outcome::Failed {
                    step: Step::Tcp,
                    ..
                }
            ),
            "{report:?}"
        );
        assert!(
            matches!(
                report.smtp,
                Outcome::Failed {
                    step: Step::Tcp,
                    ..
                }
            ),
            "{report:?}"
        );
    }
}
