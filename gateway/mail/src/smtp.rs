//! Sending through a mailbox's SMTP server with lettre: implicit TLS, STARTTLS or plain, with a
//! password (PLAIN or LOGIN) or an OAuth token (XOAUTH2). The message is sent exactly as the
//! email adapter built it.

use std::time::Duration;

use lettre::address::Envelope;
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{Address, AsyncSmtpTransport, AsyncTransport, Tokio1Executor};

use crate::{Account, Auth, MailError, Security, Step, Trust};

/// How long one SMTP exchange may take.
const TIMEOUT: Duration = Duration::from_secs(60);

/// An SMTP client for one account.
pub struct Sender {
    transport: AsyncSmtpTransport<Tokio1Executor>,
}

impl std::fmt::Debug for Sender {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("Sender")
    }
}

impl Sender {
    pub fn new(account: &Account, trust: &Trust) -> Result<Sender, MailError> {
        let server = account
            .smtp
            .as_ref()
            .ok_or_else(|| MailError::new(Step::Protocol, "the channel has no SMTP server"))?;
        let tls_parameters = || {
            let mut builder = TlsParameters::builder(server.host.clone());
            for pem in &trust.extra_pem {
                let certificate =
                    Certificate::from_pem(pem).map_err(|error| MailError::new(Step::Tls, error))?;
                builder = builder.add_root_certificate(certificate);
            }
            builder
                .build_rustls()
                .map_err(|error| MailError::new(Step::Tls, error))
        };
        let tls = match server.security {
            Security::Tls => Tls::Wrapper(tls_parameters()?),
            Security::Starttls => Tls::Required(tls_parameters()?),
            Security::None => Tls::None,
        };
        let (secret, mechanisms) = match &account.auth {
            Auth::Password(password) => (password, vec![Mechanism::Plain, Mechanism::Login]),
            Auth::XOAuth2(token) => (token, vec![Mechanism::Xoauth2]),
        };
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&server.host)
            .port(server.port)
            .tls(tls)
            .timeout(Some(TIMEOUT));
        if !account.username.is_empty() {
            builder = builder
                .credentials(Credentials::new(account.username.clone(), secret.clone()))
                .authentication(mechanisms);
        }
        Ok(Sender {
            transport: builder.build(),
        })
    }

    /// Sends `mime` from `mail_from` to `rcpt_to`; answers the server's acceptance line.
    pub async fn send(
        &self,
        mail_from: &str,
        rcpt_to: &[String],
        mime: &[u8],
    ) -> Result<String, MailError> {
        let address = |text: &str| {
            text.parse::<Address>().map_err(|error| {
                MailError::new(
                    Step::Rejected { permanent: true },
                    format!("`{text}` is not an email address: {error}"),
                )
            })
        };
        let recipients = rcpt_to
            .iter()
            .map(|to| address(to))
            .collect::<Result<Vec<_>, _>>()?;
        let envelope = Envelope::new(Some(address(mail_from)?), recipients)
            .map_err(|error| MailError::new(Step::Rejected { permanent: true }, error))?;
        let response = self
            .transport
            .send_raw(&envelope, mime)
            .await
            .map_err(classify)?;
        Ok(format!(
            "{} {}",
            response.code(),
            response.message().collect::<Vec<_>>().join(" ")
        ))
    }

    /// Connects and logs in without sending anything.
    pub async fn check(&self) -> Result<(), MailError> {
        match self.transport.test_connection().await {
            Ok(true) => Ok(()),
            Ok(false) => Err(MailError::new(
                Step::Protocol,
                "the server did not answer NOOP",
            )),
            Err(error) => Err(classify(error)),
        }
    }
}

/// Names the step an SMTP failure happened at.
fn classify(error: lettre::transport::smtp::Error) -> MailError {
    let words = error.to_string();
    let step = match error.status() {
        // 530 authentication required, 534 mechanism too weak, 535 credentials invalid.
        Some(code) if code.to_string().starts_with("53") => Step::Authentication,
        Some(_) if error.is_permanent() => Step::Rejected { permanent: true },
        Some(_) => Step::Rejected { permanent: false },
        None if error.is_tls() => Step::Tls,
        // The client gave up on its own, e.g. the server offers no login mechanism it knows.
        None if error.is_client() => Step::Protocol,
        None => Step::Tcp,
    };
    MailError::new(step, words)
}
