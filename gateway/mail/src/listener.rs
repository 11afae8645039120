//! The SMTP listener behind forwarding addresses: a customer's mail that a business forwards
//! to its channel's receiving address arrives here. The protocol is mailin's; this module owns
//! the socket, STARTTLS (with the operator's certificate), limits line and message sizes, how
//! long a session may last and how many one client address may hold, and answers the end of
//! DATA only once the [`Mailroom`] has stored the mail, so that an accepted mail is never lost.
//! A message being received goes to a spool file, not to memory; it is read back for its
//! delivery, and only a few deliveries run at once, so that many slow senders of large mail
//! hold disk, not memory.

use std::collections::HashMap;
use std::future::Future;
use std::io::{Read, Seek, Write};
use std::net::IpAddr;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use mailin::{Action, Handler, Response, SessionBuilder};
use tokio::io::{
    AsyncBufRead, AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader,
};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
pub use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::rustls::crypto::ring;

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

/// Longest command or data line.
const MAX_LINE: u64 = 64 * 1024;

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

/// The transaction being received, shared between mailin's handler and the socket loop.
#[derive(Default)]
struct Transaction {
    mail_from: String,
    rcpt_to: Vec<String>,
    /// The message so far, from DATA on.
    body: Option<Body>,
    /// Set at the end of DATA, taken by the socket loop.
    complete: Option<Received>,
}

/// A message's body as it comes.
enum Body {
    Spooling(Spool),
    /// Past the size limit, which it names: nothing more is kept.
    TooLarge(usize),
    /// The spool could not be made or written (a full disk), for this reason.
    NotKept(String),
}

/// A transaction at the end of DATA.
struct Received {
    mail_from: String,
    rcpt_to: Vec<String>,
    body: Body,
}

/// Bytes of a message being received held in memory before they go to its spool file.
const SPOOL_BUFFER: usize = 64 * 1024;

/// A message being received, in a file that is removed when it is dropped.
struct Spool {
    file: std::io::BufWriter<tempfile::NamedTempFile>,
    len: usize,
}

impl Spool {
    /// The whole message, read back.
    fn read_back(self) -> std::io::Result<Vec<u8>> {
        let mut file = self.file.into_inner().map_err(|error| error.into_error())?;
        let mut source = Vec::with_capacity(self.len);
        file.rewind()?;
        file.read_to_end(&mut source)?;
        Ok(source)
    }
}

struct Collector {
    transaction: Arc<Mutex<Transaction>>,
    room: Arc<dyn Mailroom>,
    max_bytes: usize,
    spool_dir: PathBuf,
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
        let spool = tempfile::NamedTempFile::new_in(&self.spool_dir);
        self.with(|transaction| {
            *transaction = Transaction {
                mail_from: from.to_string(),
                rcpt_to: to.iter().map(|to| to.to_ascii_lowercase()).collect(),
                ..Transaction::default()
            };
            transaction.body = Some(match spool {
                Ok(file) => Body::Spooling(Spool {
                    file: std::io::BufWriter::with_capacity(SPOOL_BUFFER, file),
                    len: 0,
                }),
                Err(error) => Body::NotKept(error.to_string()),
            });
        });
        mailin::response::OK
    }

    fn data(&mut self, line: &[u8]) -> std::io::Result<()> {
        let max = self.max_bytes;
        self.with(|transaction| {
            let Some(Body::Spooling(spool)) = transaction.body.as_mut() else {
                return;
            };
            if spool.len + line.len() > max {
                transaction.body = Some(Body::TooLarge(max));
            } else if let Err(error) = spool.file.write_all(line) {
                transaction.body = Some(Body::NotKept(error.to_string()));
            } else {
                spool.len += line.len();
            }
        });
        Ok(())
    }

    fn data_end(&mut self) -> Response {
        self.with(|transaction| {
            let taken = std::mem::take(transaction);
            transaction.complete = Some(Received {
                mail_from: taken.mail_from,
                rcpt_to: taken.rcpt_to,
                body: taken.body.unwrap_or(Body::NotKept("no DATA".into())),
            });
        });
        mailin::response::OK
    }
}

async fn session<S: AsyncRead + AsyncWrite + Unpin>(
    stream: S,
    peer: IpAddr,
    limits: &Limits,
    room: Arc<dyn Mailroom>,
    deliveries: &Semaphore,
) -> std::io::Result<()> {
    let transaction = Arc::new(Mutex::new(Transaction::default()));
    let collector = Collector {
        transaction: transaction.clone(),
        room: room.clone(),
        max_bytes: limits.max_message_bytes,
        spool_dir: limits.spool.clone(),
    };
    let mut builder = SessionBuilder::new(limits.hostname.clone());
    if limits.tls.is_some() {
        builder.enable_start_tls();
    }
    let mut smtp = builder.build(peer, collector);
    let mut conversation = Conversation {
        smtp: &mut smtp,
        transaction: &transaction,
        room: room.as_ref(),
        deliveries,
        idle_timeout: limits.idle_timeout,
    };
    let mut plain = stream;
    plain
        .write_all(&conversation.smtp.greeting().buffer()?)
        .await?;
    let Some(plain) = conversation.serve(plain).await? else {
        return Ok(());
    };
    let Some(acceptor) = &limits.tls else {
        return Ok(());
    };
    let tls = acceptor.accept(plain).await?;
    conversation.smtp.tls_active();
    // mailin offers STARTTLS once: no second upgrade is asked for.
    conversation.serve(tls).await?;
    Ok(())
}

/// The commands of one session, on the plain connection and then, after STARTTLS, on TLS.
struct Conversation<'a, H: Handler> {
    smtp: &'a mut mailin::Session<H>,
    transaction: &'a Mutex<Transaction>,
    room: &'a dyn Mailroom,
    deliveries: &'a Semaphore,
    idle_timeout: Duration,
}

impl<H: Handler> Conversation<'_, H> {
    /// Answers commands on `stream` until the session ends (`None`) or the client asked for
    /// STARTTLS and was told to go ahead (the stream, for the handshake).
    async fn serve<S: AsyncRead + AsyncWrite + Unpin>(
        &mut self,
        stream: S,
    ) -> std::io::Result<Option<S>> {
        let (reader, mut writer) = tokio::io::split(stream);
        let mut reader = BufReader::new(reader);
        let mut line = Vec::with_capacity(1024);
        loop {
            line.clear();
            let read = read_line(&mut reader, &mut line);
            let Ok(read) = tokio::time::timeout(self.idle_timeout, read).await else {
                writer.write_all(b"421 4.4.2 idle for too long\r\n").await?;
                return Ok(None);
            };
            if read? == 0 {
                return Ok(None);
            }
            if !line.ends_with(b"\n") {
                writer.write_all(b"500 5.5.2 line too long\r\n").await?;
                return Ok(None);
            }
            let mut response = self.smtp.process(&line);
            let complete = self
                .transaction
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .complete
                .take();
            if let Some(received) = complete {
                response = self.deliver(received).await;
            }
            if response.action != Action::NoReply {
                writer.write_all(&response.buffer()?).await?;
            }
            match response.action {
                Action::Reply | Action::NoReply => {}
                Action::Close => return Ok(None),
                Action::UpgradeTls => {
                    // Commands sent before the handshake would count as sent over TLS
                    // (a known injection): a client that sent any is not served further.
                    if !reader.buffer().is_empty() {
                        return Ok(None);
                    }
                    return Ok(Some(reader.into_inner().unsplit(writer)));
                }
            }
        }
    }

    /// Hands a received mail to the mailroom (a few at once) and says how it went.
    async fn deliver(&self, received: Received) -> Response {
        let spool = match received.body {
            Body::Spooling(spool) => spool,
            Body::TooLarge(max) => {
                return Response::custom(
                    552,
                    format!("5.3.4 the message is larger than {max} bytes"),
                );
            }
            Body::NotKept(reason) => {
                tracing::warn!(%reason, "a forwarded mail could not be spooled");
                return Response::custom(452, "4.3.1 no room to take the message now".into());
            }
        };
        let Ok(_delivering) = self.deliveries.acquire().await else {
            return Response::custom(451, "4.3.0 the listener is stopping".into());
        };
        let source = match tokio::task::spawn_blocking(move || spool.read_back()).await {
            Ok(Ok(source)) => source,
            Ok(Err(error)) => {
                tracing::warn!(%error, "a spooled mail could not be read back");
                return Response::custom(452, "4.3.1 no room to take the message now".into());
            }
            Err(_) => return Response::custom(451, "4.3.0 try again later".into()),
        };
        let mail = ReceivedMail {
            mail_from: received.mail_from,
            rcpt_to: received.rcpt_to,
            source,
        };
        match self.room.deliver(mail).await {
            Ok(()) => Response::custom(250, "2.0.0 accepted".into()),
            Err(Refusal::Later(reason)) => Response::custom(451, format!("4.3.0 {reason}")),
            Err(Refusal::Never(reason)) => Response::custom(550, format!("5.1.1 {reason}")),
        }
    }
}

/// Entry points for `cargo xtask fuzz` (built only with `--cfg fuzzing`).
#[cfg(fuzzing)]
pub mod fuzzing {
    use super::*;

    /// Takes every mail.
    struct TakesAll;

    impl Mailroom for TakesAll {
        fn accepts(&self, rcpt: &str) -> bool {
            !rcpt.contains("nobody")
        }
        fn deliver(
            &self,
            _mail: ReceivedMail,
        ) -> Pin<Box<dyn Future<Output = Result<(), Refusal>> + Send + '_>> {
            Box::pin(async { Ok(()) })
        }
    }

    static RUNTIME: std::sync::LazyLock<tokio::runtime::Runtime> = std::sync::LazyLock::new(|| {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime for the fuzzer")
    });

    /// One SMTP session whose client sends `bytes` and then closes its side: whatever it
    /// sends, the session ends, and nothing panics.
    pub fn session(bytes: &[u8]) {
        let spool =
            std::env::temp_dir().join(format!("switchboard-fuzz-spool-{}", std::process::id()));
        std::fs::create_dir_all(&spool).expect("a spool folder");
        let limits = Limits::new("mx.fuzz".into(), 64 * 1024, spool);
        let deliveries = Semaphore::new(1);
        RUNTIME.block_on(async {
            let (mut client, server) = tokio::io::duplex(1 << 16);
            let room: Arc<dyn Mailroom> = Arc::new(TakesAll);
            let serving = super::session(
                server,
                IpAddr::from([127, 0, 0, 1]),
                &limits,
                room,
                &deliveries,
            );
            let talking = async {
                let _ = client.write_all(bytes).await;
                let _ = client.shutdown().await;
                let mut answers = Vec::new();
                let _ = client.read_to_end(&mut answers).await;
            };
            let both = async { tokio::join!(serving, talking) };
            let _ = tokio::time::timeout(Duration::from_secs(5), both).await;
        });
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
    use std::net::SocketAddr;

    use tokio::net::TcpStream;

    use super::*;

    /// Takes every mail, keeping what it was handed.
    #[derive(Default)]
    struct TakesAll {
        delivered: Mutex<Vec<ReceivedMail>>,
    }

    impl Mailroom for TakesAll {
        fn accepts(&self, _rcpt: &str) -> bool {
            true
        }
        fn deliver(
            &self,
            mail: ReceivedMail,
        ) -> Pin<Box<dyn Future<Output = Result<(), Refusal>> + Send + '_>> {
            self.delivered.lock().expect("lock").push(mail);
            Box::pin(async { Ok(()) })
        }
    }

    fn limits(spool: &std::path::Path) -> Limits {
        Limits::new("mx.test".into(), 1 << 20, spool.to_path_buf())
    }

    async fn listening(limits: Limits) -> SocketAddr {
        listening_into(limits, Arc::default()).await
    }

    async fn listening_into(limits: Limits, room: Arc<TakesAll>) -> SocketAddr {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let address = listener.local_addr().expect("address");
        tokio::spawn(serve(listener, limits, room));
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
        let spool = tempfile::tempdir().expect("spool");
        let address = listening(Limits {
            max_sessions_per_client: 2,
            ..limits(spool.path())
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
    async fn a_client_that_goes_silent_is_let_go() {
        let spool = tempfile::tempdir().expect("spool");
        let address = listening(Limits {
            idle_timeout: Duration::from_millis(300),
            ..limits(spool.path())
        })
        .await;
        let mut stream = TcpStream::connect(address).await.expect("connect");
        let (reader, _writer) = stream.split();
        let mut reader = BufReader::new(reader);
        let mut greeting = String::new();
        reader.read_line(&mut greeting).await.expect("greeting");
        assert!(greeting.starts_with("220"), "{greeting}");
        let mut goodbye = String::new();
        tokio::time::timeout(Duration::from_secs(5), reader.read_line(&mut goodbye))
            .await
            .expect("told before five seconds")
            .expect("read");
        assert!(goodbye.starts_with("421 4.4.2"), "{goodbye}");
    }

    #[tokio::test]
    async fn a_client_beyond_the_sessions_served_at_once_is_greeted_when_a_slot_frees() {
        let spool = tempfile::tempdir().expect("spool");
        let address = listening(Limits {
            max_sessions: 1,
            ..limits(spool.path())
        })
        .await;
        let mut first = TcpStream::connect(address).await.expect("connect");
        assert!(first_line(&mut first).await.starts_with("220"));
        let mut second = TcpStream::connect(address).await.expect("connect");
        let mut line = Vec::new();
        let early = tokio::time::timeout(
            Duration::from_millis(500),
            BufReader::new(&mut second).read_until(b'\n', &mut line),
        )
        .await;
        assert!(early.is_err(), "greeted while the only slot was taken");
        drop(first);
        assert!(first_line(&mut second).await.starts_with("220"));
    }

    #[tokio::test]
    async fn a_busy_session_still_ends_at_its_deadline() {
        let spool = tempfile::tempdir().expect("spool");
        let address = listening(Limits {
            session_deadline: Duration::from_millis(500),
            ..limits(spool.path())
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

    /// Sends `command` and reads the whole reply (its last line has a space after the code).
    async fn answer(
        reader: &mut BufReader<tokio::net::tcp::OwnedReadHalf>,
        writer: &mut tokio::net::tcp::OwnedWriteHalf,
        command: &[u8],
    ) -> String {
        writer.write_all(command).await.expect("send");
        let mut text = String::new();
        loop {
            let mut line = String::new();
            tokio::time::timeout(Duration::from_secs(5), reader.read_line(&mut line))
                .await
                .expect("an answer in time")
                .expect("read");
            text.push_str(&line);
            if line.as_bytes().get(3) != Some(&b'-') {
                return text;
            }
        }
    }

    #[tokio::test]
    async fn a_message_being_received_is_in_the_spool_and_gone_once_stored() {
        let spool = tempfile::tempdir().expect("spool");
        let room = Arc::<TakesAll>::default();
        let address = listening_into(limits(spool.path()), room.clone()).await;
        let stream = TcpStream::connect(address).await.expect("connect");
        let (reader, mut writer) = stream.into_split();
        let mut reader = BufReader::new(reader);
        assert!(
            answer(&mut reader, &mut writer, b"")
                .await
                .starts_with("220")
        );
        assert!(
            answer(&mut reader, &mut writer, b"EHLO relay.test\r\n")
                .await
                .starts_with("250")
        );
        assert!(
            answer(&mut reader, &mut writer, b"MAIL FROM:<ana@example.com>\r\n")
                .await
                .starts_with("250")
        );
        assert!(
            answer(
                &mut reader,
                &mut writer,
                b"RCPT TO:<ventas@forward.test>\r\n"
            )
            .await
            .starts_with("250")
        );
        assert!(
            answer(&mut reader, &mut writer, b"DATA\r\n")
                .await
                .starts_with("354")
        );
        let body = "Subject: Pedido\r\n\r\n".to_string() + &"Quiero 40 cajas.\r\n".repeat(20_000);
        writer.write_all(body.as_bytes()).await.expect("body");
        writer.flush().await.expect("flush");
        let spooled = || {
            std::fs::read_dir(spool.path())
                .expect("spool folder")
                .map(|entry| entry.expect("entry").metadata().expect("size").len())
                .collect::<Vec<_>>()
        };
        // All but the last buffer's worth is on disk before the message ends.
        let most = (body.len() - SPOOL_BUFFER) as u64;
        let mut seen = Vec::new();
        for _ in 0..100 {
            seen = spooled();
            if seen.iter().sum::<u64>() >= most {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert_eq!(seen.len(), 1, "one spool file: {seen:?}");
        assert!(seen[0] >= most, "{seen:?} of {} bytes", body.len());
        assert!(room.delivered.lock().expect("lock").is_empty());
        assert!(
            answer(&mut reader, &mut writer, b".\r\n")
                .await
                .starts_with("250 2.0.0")
        );
        assert_eq!(
            spooled(),
            Vec::<u64>::new(),
            "a stored message leaves no spool file"
        );
        let delivered = room.delivered.lock().expect("lock");
        assert_eq!(delivered.len(), 1);
        assert_eq!(delivered[0].source, body.as_bytes());
    }

    #[tokio::test]
    async fn a_message_over_the_limit_is_refused_and_leaves_no_spool_file() {
        let spool = tempfile::tempdir().expect("spool");
        let room = Arc::<TakesAll>::default();
        let address = listening_into(
            Limits::new("mx.test".into(), 1024, spool.path().to_path_buf()),
            room.clone(),
        )
        .await;
        let stream = TcpStream::connect(address).await.expect("connect");
        let (reader, mut writer) = stream.into_split();
        let mut reader = BufReader::new(reader);
        assert!(
            answer(&mut reader, &mut writer, b"")
                .await
                .starts_with("220")
        );
        for command in [
            &b"EHLO relay.test\r\n"[..],
            b"MAIL FROM:<ana@example.com>\r\n",
            b"RCPT TO:<ventas@forward.test>\r\n",
        ] {
            assert!(
                answer(&mut reader, &mut writer, command)
                    .await
                    .starts_with("250")
            );
        }
        assert!(
            answer(&mut reader, &mut writer, b"DATA\r\n")
                .await
                .starts_with("354")
        );
        writer
            .write_all(b"Subject: Pedido\r\n\r\n")
            .await
            .expect("headers");
        writer
            .write_all("x".repeat(3000).as_bytes())
            .await
            .expect("body");
        let refusal = answer(&mut reader, &mut writer, b"\r\n.\r\n").await;
        assert!(refusal.starts_with("552 5.3.4"), "{refusal}");
        assert!(room.delivered.lock().expect("lock").is_empty());
        let left: Vec<_> = std::fs::read_dir(spool.path()).expect("spool").collect();
        assert!(left.is_empty(), "{left:?}");
    }
}
