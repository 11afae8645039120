//! Opening connections to mail servers: name lookup, TCP and TLS, each failing with its own
//! [`Step`], and the certificates the gateway trusts.

use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::rustls::pki_types::{CertificateDer, ServerName};
use tokio_rustls::rustls::{ClientConfig, RootCertStore, crypto::ring};

use crate::{MailError, Step};

/// How long a connection attempt or a TLS handshake may take.
pub(crate) const CONNECT_TIMEOUT: Duration = Duration::from_secs(20);

/// A byte stream to a mail server, plain or TLS.
pub(crate) trait Io: AsyncRead + AsyncWrite + Unpin + Send + std::fmt::Debug {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send + std::fmt::Debug> Io for T {}

/// The certificate authorities the gateway trusts for IMAP and SMTP: the system's, plus any
/// extra ones configured (a company's own CA, or a test's).
#[derive(Clone)]
pub struct Trust {
    connector: TlsConnector,
    /// The extra CAs as PEM, for the SMTP client which builds its own TLS settings.
    pub(crate) extra_pem: Vec<Vec<u8>>,
}

impl std::fmt::Debug for Trust {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("Trust")
            .field("extra_cas", &self.extra_pem.len())
            .finish()
    }
}

impl Trust {
    /// The system's roots plus the CAs in `extra_pem` (PEM files' contents).
    pub fn new(extra_pem: Vec<Vec<u8>>) -> Result<Trust, String> {
        let mut roots = RootCertStore::empty();
        for certificate in rustls_native_certs::load_native_certs().certs {
            // A system store can hold certificates rustls cannot use; skip those.
            let _ = roots.add(certificate);
        }
        for pem in &extra_pem {
            for certificate in rustls_pemfile::certs(&mut pem.as_slice()) {
                let certificate: CertificateDer<'static> = certificate
                    .map_err(|error| format!("a CA certificate cannot be read: {error}"))?;
                roots
                    .add(certificate)
                    .map_err(|error| format!("a CA certificate is not usable: {error}"))?;
            }
        }
        let config = ClientConfig::builder_with_provider(Arc::new(ring::default_provider()))
            .with_safe_default_protocol_versions()
            .map_err(|error| error.to_string())?
            .with_root_certificates(roots)
            .with_no_client_auth();
        Ok(Trust {
            connector: TlsConnector::from(Arc::new(config)),
            extra_pem,
        })
    }

    /// Wraps a connected stream in TLS, checking the certificate against `host`.
    pub(crate) async fn wrap(
        &self,
        host: &str,
        stream: TcpStream,
    ) -> Result<Box<dyn Io>, MailError> {
        let name = ServerName::try_from(host.to_string())
            .map_err(|error| MailError::new(Step::Tls, format!("{host}: {error}")))?;
        let handshake = self.connector.connect(name, stream);
        match tokio::time::timeout(CONNECT_TIMEOUT, handshake).await {
            Ok(Ok(stream)) => Ok(Box::new(stream)),
            Ok(Err(error)) => Err(MailError::new(Step::Tls, error)),
            Err(_) => Err(MailError::new(Step::Tls, "the TLS handshake timed out")),
        }
    }
}

/// Resolves `host` and connects to the first address that answers.
pub(crate) async fn tcp(host: &str, port: u16) -> Result<TcpStream, MailError> {
    let addresses: Vec<_> = tokio::net::lookup_host((host, port))
        .await
        .map_err(|error| MailError::new(Step::Dns, format!("{host}: {error}")))?
        .collect();
    if addresses.is_empty() {
        return Err(MailError::new(Step::Dns, format!("{host} has no address")));
    }
    let mut last = None;
    for address in addresses {
        match tokio::time::timeout(CONNECT_TIMEOUT, TcpStream::connect(address)).await {
            Ok(Ok(stream)) => return Ok(stream),
            Ok(Err(error)) => last = Some(format!("{host}:{port}: {error}")),
            Err(_) => last = Some(format!("{host}:{port}: timed out")),
        }
    }
    Err(MailError::new(Step::Tcp, last.unwrap_or_default()))
}
