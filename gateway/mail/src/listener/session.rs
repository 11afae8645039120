//! One SMTP session, from the greeting to the end: mailin's handler collects the transaction,
//! spooling the message to a file as it comes, and the socket loop answers each command (with
//! an idle timeout and a line limit), upgrades to TLS on STARTTLS and, at the end of DATA, hands
//! the mail to the [`Mailroom`] before it answers.

use std::io::{Read, Seek, Write};
use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use mailin::{Action, Handler, Response, SessionBuilder};
use tokio::io::{
    AsyncBufRead, AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader,
};
use tokio::sync::Semaphore;

use super::{Limits, Mailroom, ReceivedMail, Refusal};

/// Longest command or data line.
const MAX_LINE: u64 = 64 * 1024;

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
pub(super) const SPOOL_BUFFER: usize = 64 * 1024;

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

pub(super) async fn session<S: AsyncRead + AsyncWrite + Unpin>(
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

/// Reads one line, at most [`MAX_LINE`] bytes; a line without its end is longer than that.
async fn read_line(
    reader: &mut (impl AsyncBufRead + Unpin),
    line: &mut Vec<u8>,
) -> std::io::Result<usize> {
    reader.take(MAX_LINE).read_until(b'\n', line).await
}
