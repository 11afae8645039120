//! The SMTP listener behind forwarding addresses: a customer's mail that a business forwards
//! to its channel's receiving address arrives here. The protocol is mailin's; this module owns
//! the socket, limits line and message sizes, how long a session may last and how many one
//! client address may hold, and answers the end of DATA only once the [`Mailroom`] has stored
//! the mail, so that an accepted mail is never lost.

use std::collections::HashMap;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use mailin::{Action, Handler, Response, SessionBuilder};
use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;

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
#[derive(Debug, Clone)]
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
}

impl Limits {
    /// The listener's usual limits, with this greeting name and message size.
    pub fn new(hostname: String, max_message_bytes: usize) -> Limits {
        Limits {
            hostname,
            max_message_bytes,
            max_sessions: 100,
            max_sessions_per_client: 10,
            session_deadline: Duration::from_secs(30 * 60),
        }
    }
}

/// Longest command or data line.
const MAX_LINE: u64 = 64 * 1024;
/// How long a client may stay silent.
const IDLE_TIMEOUT: Duration = Duration::from_secs(300);

/// Serves SMTP on `listener` until the task is dropped.
pub async fn serve(listener: TcpListener, limits: Limits, room: Arc<dyn Mailroom>) {
    let slots = Arc::new(Semaphore::new(limits.max_sessions.max(1)));
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
        let (limits, room) = (limits.clone(), room.clone());
        tokio::spawn(async move {
            let deadline = limits.session_deadline;
            match tokio::time::timeout(deadline, session(stream, peer, &limits, room)).await {
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

/// The transaction being received, shared between mailin's handler and the socket loop.
#[derive(Default)]
struct Transaction {
    mail_from: String,
    rcpt_to: Vec<String>,
    source: Vec<u8>,
    too_large: bool,
    /// Set at the end of DATA, taken by the socket loop.
    complete: Option<Result<ReceivedMail, usize>>,
}

struct Collector {
    transaction: Arc<Mutex<Transaction>>,
    room: Arc<dyn Mailroom>,
    max_bytes: usize,
}

impl Collector {
    fn with<T>(&self, change: impl FnOnce(&mut Transaction) -> T) -> T {
        let mut transaction = self
            .transaction
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        change(&mut transaction)
    }
}

impl Handler for Collector {
    fn rcpt(&mut self, to: &str) -> Response {
        if self.room.accepts(&to.to_ascii_lowercase()) {
            mailin::response::OK
        } else {
            Response::custom(550, format!("5.1.1 <{to}>: no such receiving address"))
        }
    }

    fn data_start(&mut self, _domain: &str, from: &str, _is8bit: bool, to: &[String]) -> Response {
        self.with(|transaction| {
            *transaction = Transaction {
                mail_from: from.to_string(),
                rcpt_to: to.iter().map(|to| to.to_ascii_lowercase()).collect(),
                ..Transaction::default()
            };
        });
        mailin::response::OK
    }

    fn data(&mut self, line: &[u8]) -> std::io::Result<()> {
        let max = self.max_bytes;
        self.with(|transaction| {
            if transaction.source.len() + line.len() > max {
                transaction.too_large = true;
            } else if !transaction.too_large {
                transaction.source.extend_from_slice(line);
            }
        });
        Ok(())
    }

    fn data_end(&mut self) -> Response {
        let max = self.max_bytes;
        self.with(|transaction| {
            let taken = std::mem::take(transaction);
            transaction.complete = Some(if taken.too_large {
                Err(max)
            } else {
                Ok(ReceivedMail {
                    mail_from: taken.mail_from,
                    rcpt_to: taken.rcpt_to,
                    source: taken.source,
                })
            });
        });
        mailin::response::OK
    }
}

async fn session(
    stream: TcpStream,
    peer: SocketAddr,
    limits: &Limits,
    room: Arc<dyn Mailroom>,
) -> std::io::Result<()> {
    let transaction = Arc::new(Mutex::new(Transaction::default()));
    let collector = Collector {
        transaction: transaction.clone(),
        room: room.clone(),
        max_bytes: limits.max_message_bytes,
    };
    let mut smtp = SessionBuilder::new(limits.hostname.clone()).build(peer.ip(), collector);
    let (reader, mut writer) = stream.into_split();
    let mut reader = BufReader::new(reader);
    writer.write_all(&smtp.greeting().buffer()?).await?;
    let mut line = Vec::with_capacity(1024);
    loop {
        line.clear();
        let read = read_line(&mut reader, &mut line);
        let Ok(read) = tokio::time::timeout(IDLE_TIMEOUT, read).await else {
            writer.write_all(b"421 4.4.2 idle for too long\r\n").await?;
            return Ok(());
        };
        if read? == 0 {
            return Ok(());
        }
        if !line.ends_with(b"\n") {
            writer.write_all(b"500 5.5.2 line too long\r\n").await?;
            return Ok(());
        }
        let mut response = smtp.process(&line);
        let complete = transaction
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .complete
            .take();
        match complete {
            Some(Err(max)) => {
                response =
                    Response::custom(552, format!("5.3.4 the message is larger than {max} bytes"));
            }
            Some(Ok(mail)) => {
                response = match room.deliver(mail).await {
                    Ok(()) => Response::custom(250, "2.0.0 accepted".into()),
                    Err(Refusal::Later(reason)) => Response::custom(451, format!("4.3.0 {reason}")),
                    Err(Refusal::Never(reason)) => Response::custom(550, format!("5.1.1 {reason}")),
                };
            }
            None => {}
        }
        match response.action {
            Action::NoReply => {}
            Action::Close => {
                writer.write_all(&response.buffer()?).await?;
                return Ok(());
            }
            // STARTTLS is not offered, so an upgrade is never asked for.
            Action::Reply | Action::UpgradeTls => writer.write_all(&response.buffer()?).await?,
        }
    }
}

/// Reads one line, at most [`MAX_LINE`] bytes; a line without its end is longer than that.
async fn read_line(
    reader: &mut (impl AsyncBufRead + Unpin),
    line: &mut Vec<u8>,
) -> std::io::Result<usize> {
    reader.take(MAX_LINE).read_until(b'\n', line).await
}

#[cfg(test)]
mod tests {
    use super::*;

    struct TakesAll;

    impl Mailroom for TakesAll {
        fn accepts(&self, _rcpt: &str) -> bool {
            true
        }
        fn deliver(
            &self,
            _mail: ReceivedMail,
        ) -> Pin<Box<dyn Future<Output = Result<(), Refusal>> + Send + '_>> {
            Box::pin(async { Ok(()) })
        }
    }

    async fn listening(limits: Limits) -> SocketAddr {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let address = listener.local_addr().expect("address");
        tokio::spawn(serve(listener, limits, Arc::new(TakesAll)));
        address
    }

    async fn first_line(stream: &mut TcpStream) -> String {
        let mut line = Vec::new();
        let mut reader = BufReader::new(stream);
        tokio::time::timeout(Duration::from_secs(5), reader.read_until(b'\n', &mut line))
            .await
            .expect("an answer in time")
            .expect("read");
        String::from_utf8_lossy(&line).into_owned()
    }

    #[tokio::test]
    async fn one_address_holds_only_a_few_sessions() {
        let address = listening(Limits {
            max_sessions_per_client: 2,
            ..Limits::new("mx.test".into(), 1 << 20)
        })
        .await;
        let mut held = Vec::new();
        for _ in 0..2 {
            let mut stream = TcpStream::connect(address).await.expect("connect");
            assert!(first_line(&mut stream).await.starts_with("220"));
            held.push(stream);
        }
        let mut third = TcpStream::connect(address).await.expect("connect");
        let refused = first_line(&mut third).await;
        assert!(refused.starts_with("421 4.7.0"), "{refused}");
        // One ends: the next is served.
        drop(held.pop());
        tokio::time::sleep(Duration::from_millis(100)).await;
        let mut again = TcpStream::connect(address).await.expect("connect");
        assert!(first_line(&mut again).await.starts_with("220"));
    }

    #[tokio::test]
    async fn a_busy_session_still_ends_at_its_deadline() {
        let address = listening(Limits {
            session_deadline: Duration::from_millis(500),
            ..Limits::new("mx.test".into(), 1 << 20)
        })
        .await;
        let mut stream = TcpStream::connect(address).await.expect("connect");
        assert!(first_line(&mut stream).await.starts_with("220"));
        let (reader, mut writer) = stream.into_split();
        let mut reader = BufReader::new(reader);
        let mut closed = false;
        for _ in 0..40 {
            if writer.write_all(b"NOOP\r\n").await.is_err() {
                closed = true;
                break;
            }
            let mut line = Vec::new();
            match tokio::time::timeout(Duration::from_secs(2), reader.read_until(b'\n', &mut line))
                .await
            {
                Ok(Ok(0)) | Ok(Err(_)) => {
                    closed = true;
                    break;
                }
                Ok(Ok(_)) => {}
                Err(_) => panic!("the server went silent instead of closing"),
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert!(closed, "a session kept busy outlived its deadline");
    }
}
