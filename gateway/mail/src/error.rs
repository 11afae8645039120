//! What went wrong with a mailbox, named by the step that failed, so that "Test connection" and
//! a failing channel can say exactly what to fix.

use serde::Serialize;

/// The step of talking to a mail server that failed; in JSON, its [`Step::name`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// The channel's settings are incomplete or contradict each other.
    Settings,
    /// The host name does not resolve.
    Dns,
    /// Nothing answers on that host and port, or the connection broke.
    Tcp,
    /// The TLS handshake failed (a wrong port for the security chosen, a bad certificate).
    Tls,
    /// The server refused the user name and password or token.
    Authentication,
    /// The folder to sync does not exist.
    Mailbox,
    /// The server answered something the protocol does not allow.
    Protocol,
    /// The SMTP server refused the message; `permanent` tells whether retrying can help.
    Rejected { permanent: bool },
    /// The OAuth token endpoint did not renew the access token; `permanent` when it refused
    /// (a revoked grant, a wrong client), not when it could not be reached.
    Token { permanent: bool },
}

/// A failure at one step, with the server's own words where it gave any.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{}: {message}", step.describe())]
pub struct MailError {
    pub step: Step,
    pub message: String,
}

impl Serialize for Step {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

impl Step {
    /// The step's name in the API: `settings`, `token`, `dns`, `tcp`, `tls`, `authentication`,
    /// `mailbox`, `protocol` or `rejected`.
    pub fn name(self) -> &'static str {
        match self {
            Step::Settings => "settings",
            Step::Dns => "dns",
            Step::Tcp => "tcp",
            Step::Tls => "tls",
            Step::Authentication => "authentication",
            Step::Mailbox => "mailbox",
            Step::Protocol => "protocol",
            Step::Rejected { .. } => "rejected",
            Step::Token { .. } => "token",
        }
    }

    fn describe(self) -> &'static str {
        match self {
            Step::Settings => "the mailbox settings are incomplete",
            Step::Dns => "the server name does not resolve",
            Step::Tcp => "cannot connect",
            Step::Tls => "the secure connection failed",
            Step::Authentication => "the server refused the credentials",
            Step::Mailbox => "the mailbox folder is missing",
            Step::Protocol => "the server answered unexpectedly",
            Step::Rejected { permanent: true } => "the server refused the message",
            Step::Rejected { permanent: false } => "the server deferred the message",
            Step::Token { permanent: true } => {
                "the OAuth token endpoint refused to renew the access token"
            }
            Step::Token { permanent: false } => {
                "the OAuth token endpoint could not renew the access token"
            }
        }
    }
}

impl MailError {
    pub fn new(step: Step, message: impl std::fmt::Display) -> MailError {
        MailError {
            step,
            message: message.to_string(),
        }
    }

    /// Retrying the same thing cannot help until someone changes a setting or the message.
    pub fn needs_a_fix(&self) -> bool {
        matches!(
            self.step,
            Step::Settings
                | Step::Authentication
                | Step::Mailbox
                | Step::Rejected { permanent: true }
                | Step::Token { permanent: true }
        )
    }
}
