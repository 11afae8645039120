//! The installation's own mail (`system_mail`), for what no workspace sends: sign-up links and
//! password resets. It
//! goes through the SMTP server the operator configured, with the same client as mailboxes'.

use lettre::message::Mailbox;
use lettre::message::header::ContentType;
use switchboard_mail::smtp::Sender;
use switchboard_mail::{Account, Trust};

use crate::{Fault, FaultKind, ServiceResult, Services};

/// Where the installation's mail goes out, and from whom.
#[derive(Debug, Clone)]
pub struct SystemMail {
    /// Its `smtp` server and credentials (no IMAP).
    pub account: Account,
    /// `Switchboard <no-reply@chat.example.com>`
    pub from: String,
}

/// Sends a plain-text email to `to`.
pub async fn send(state: &Services, to: &str, subject: &str, text: &str) -> ServiceResult<()> {
    let Some(mail) = &state.config.system_mail else {
        return Err(Fault::new(
            FaultKind::Internal,
            "no_system_mail",
            "this installation sends no mail of its own: the operator sets `system_mail`",
        ));
    };
    send_with(mail, &state.mail.trust, to, subject, text).await
}

/// Sends a plain-text email to `to` through `mail`, trusting the certificates `trust` does.
pub async fn send_with(
    mail: &SystemMail,
    trust: &Trust,
    to: &str,
    subject: &str,
    text: &str,
) -> ServiceResult<()> {
    let invalid = |what: &str, error: String| {
        Fault::new(
            FaultKind::Invalid,
            "invalid_address",
            format!("{what}: {error}"),
        )
    };
    let from: Mailbox = mail
        .from
        .parse()
        .map_err(|error: lettre::address::AddressError| {
            invalid("system_mail.from", error.to_string())
        })?;
    let recipient: Mailbox = to
        .parse()
        .map_err(|error: lettre::address::AddressError| invalid(to, error.to_string()))?;
    let message = lettre::Message::builder()
        .from(from.clone())
        .to(recipient)
        .subject(subject)
        .header(ContentType::TEXT_PLAIN)
        .body(text.to_string())
        .map_err(|error| Fault::internal(format!("writing the email: {error}")))?;
    let sender = Sender::new(&mail.account, trust).map_err(|error| {
        Fault::new(FaultKind::Provider, "system_mail_failed", error.to_string())
    })?;
    sender
        .send(from.email.as_ref(), &[to.to_string()], &message.formatted())
        .await
        .map_err(|error| {
            Fault::new(FaultKind::Provider, "system_mail_failed", error.to_string())
        })?;
    Ok(())
}
