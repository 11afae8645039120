//! The SMTP listener behind forwarding addresses: a customer's mail that a business forwards
//! to its channel's receiving address arrives here. The protocol is mailin's; this module owns
//! the socket, STARTTLS (with the operator's certificate), limits line and message sizes, how
//! long a session may last and how many one client address may hold, and answers the end of
//! DATA only once the [`Mailroom`] has stored the mail, so that an accepted mail is never lost.
//! A message being received goes to a spool file, not to memory; it is read back for its
//! delivery, and only a few deliveries run at once, so that many slow senders of large mail
//! hold disk, not memory.

#[cfg(fuzzing)]
pub mod fuzzing;
mod session;
#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::future::Future;
use std::net::IpAddr;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::AsyncWriteExt;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
pub use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::rustls::crypto::ring;

use session::session;

/// A mail as the listener received it.
#[derive(Debug, Clone)]
pub struct ReceivedMail {
    pub mail_from: String,
    pub rcpt_to: Vec<String>,
    pub source: Vec<u8>,
}

/// Why a mail was not taken.
#[derive(Debug, Clone)]
pub enum Refusal {
    /// Try again later (`451`): the store is busy, a plugin is being replaced.
    Later(String),
    /// Never (`550`): the channel is gone or inactive.
    Never(String),
}

/// Where received mail goes: the gateway checks recipients and stores mail.
pub trait Mailroom: Send + Sync + 'static {
    /// Whether `rcpt` is a receiving address this gateway serves.
    fn accepts(&self, rcpt: &str) -> bool;
    /// Stores the mail; the SMTP client is told it was accepted only after this returns `Ok`.
    fn deliver(
        &self,
        mail: ReceivedMail,
    ) -> Pin<Box<dyn Future<Output = Result<(), Refusal>> + Send + '_>>;
}

/// Limits of the listener.
#[derive(Clone)]
pub struct Limits {
    /// The name in the greeting.
    pub hostname: String,
    /// The largest message accepted, in bytes.
    pub max_message_bytes: usize,
    /// Sessions served at once; more wait for a free slot (and their greeting with it).
    pub max_sessions: usize,
    /// Sessions one client address may hold at once; more are turned away with `421`.
    pub max_sessions_per_client: usize,
    /// The longest a session may last, however busy the client keeps it.
    pub session_deadline: Duration,
    /// How long a client may stay silent before it is told `421` and let go.
    pub idle_timeout: Duration,
    /// Where messages being received are written.
    pub spool: PathBuf,
    /// Received messages read back into memory and handed to the [`Mailroom`] at once; the end
    /// of DATA of more waits.
    pub max_deliveries: usize,
    /// STARTTLS with this certificate; `None` offers no STARTTLS.
    pub tls: Option<TlsAcceptor>,
}

impl Limits {
    /// The listener's usual limits, with this greeting name and message size, spooling into
    /// `spool`.
    pub fn new(hostname: String, max_message_bytes: usize, spool: PathBuf) -> Limits {
        Limits {
            hostname,
            max_message_bytes,
            max_sessions: 100,
            max_sessions_per_client: 10,
            session_deadline: Duration::from_secs(30 * 60),
            idle_timeout: Duration::from_secs(5 * 60),
            spool,
            max_deliveries: 4,
            tls: None,
        }
    }
}

/// STARTTLS settings from a certificate chain and its private key, both PEM; the error names
/// what cannot be used.
pub fn tls_acceptor(chain_pem: &[u8], key_pem: &[u8]) -> Result<TlsAcceptor, String> {
    let chain = rustls_pemfile::certs(&mut &chain_pem[..])
        .collect::<Result<Vec<_>, _>>()
        .map_err(|error| format!("the certificate cannot be read: {error}"))?;
    if chain.is_empty() {
        return Err("the certificate file holds no certificate".into());
    }
    let key = rustls_pemfile::private_key(&mut &key_pem[..])
        .map_err(|error| format!("the private key cannot be read: {error}"))?
        .ok_or("the key file holds no private key")?;
    let config = ServerConfig::builder_with_provider(Arc::new(ring::default_provider()))
        .with_safe_default_protocol_versions()
        .map_err(|error| error.to_string())?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|error| format!("the certificate and key cannot be used together: {error}"))?;
    Ok(TlsAcceptor::from(Arc::new(config)))
}

/// Serves SMTP on `listener` until the task is dropped.
pub async fn serve(listener: TcpListener, limits: Limits, room: Arc<dyn Mailroom>) {
    let slots = Arc::new(Semaphore::new(limits.max_sessions.max(1)));
    let deliveries = Arc::new(Semaphore::new(limits.max_deliveries.max(1)));
    let limits = Arc::new(limits);
    let per_client: Arc<Mutex<HashMap<IpAddr, usize>>> = Arc::default();
    loop {
        let (stream, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(error) => {
                tracing::warn!(%error, "the SMTP listener could not accept a connection");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let Some(client) =
            ClientSession::enter(&per_client, peer.ip(), limits.max_sessions_per_client)
        else {
            tokio::spawn(async move {
                let mut stream = stream;
                let _ = stream
                    .write_all(b"421 4.7.0 too many connections from your address\r\n")
                    .await;
            });
            continue;
        };
        let Ok(slot) = slots.clone().acquire_owned().await else {
            return;
        };
        let (limits, room, deliveries) = (limits.clone(), room.clone(), deliveries.clone());
        tokio::spawn(async move {
            let deadline = limits.session_deadline;
            let session = session(stream, peer.ip(), &limits, room, &deliveries);
            match tokio::time::timeout(deadline, session).await {
                Ok(Err(error)) => {
                    tracing::debug!(%peer, %error, "an SMTP session ended with an error");
                }
                Ok(Ok(())) => {}
                // The socket went with the session; the client sees it closed.
                Err(_) => {
                    tracing::info!(%peer, "an SMTP session reached its deadline and was closed")
                }
            }
            drop((slot, client));
        });
    }
}

/// One of a client address's sessions, counted while it lives.
struct ClientSession {
    counts: Arc<Mutex<HashMap<IpAddr, usize>>>,
    address: IpAddr,
}

impl ClientSession {
    /// Counts a new session of `address`, unless it already holds `max`.
    fn enter(
        counts: &Arc<Mutex<HashMap<IpAddr, usize>>>,
        address: IpAddr,
        max: usize,
    ) -> Option<ClientSession> {
        let mut held = counts
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let count = held.entry(address).or_insert(0);
        if *count >= max.max(1) {
            return None;
        }
        *count += 1;
        Some(ClientSession {
            counts: counts.clone(),
            address,
        })
    }
}

impl Drop for ClientSession {
    fn drop(&mut self) {
        let mut held = self
            .counts
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(count) = held.get_mut(&self.address) {
            *count -= 1;
            if *count == 0 {
                held.remove(&self.address);
            }
        }
    }
}
