//! What went wrong with a mailbox, named by the step that failed, so that "Test connection" and
//! a failing channel can say exactly what to fix.

use serde::Serialize;

/// The step of talking to a mail server that failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
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
}

/// A failure at one step, with the server's own words where it gave any.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{}: {message}", step.describe())]
pub struct MailError {
    pub step: Step,
    pub message: String,
}

impl Step {
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
        )
    }
}
