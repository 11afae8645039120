//! Reading a mailbox over IMAP. Mail is found by UID above a high-water mark that the caller
//! keeps, within one UIDVALIDITY; it is fetched with `BODY.PEEK[]` so that nothing is marked
//! read; a server with IDLE tells us when new mail arrives, others are polled. Every exchange
//! with the server has a deadline ([`Timeouts`]): a server that goes silent fails the step,
//! naming it, instead of freezing the channel's sync.

use std::time::Duration;

use async_imap::{Authenticator, Client, Session};
use futures_util::TryStreamExt;
use serde::{Deserialize, Serialize};

use crate::account::xoauth2_response;
use crate::connect::{Io, Trust, tcp};
use crate::{Account, Auth, MailError, Security, Step};

/// How far a mailbox has been read: the UIDs above `last_uid` are new, as long as the folder's
/// UIDVALIDITY is still `uid_validity`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cursor {
    pub uid_validity: u32,
    pub last_uid: u32,
}

/// One message as the server stores it.
#[derive(Debug, Clone)]
pub struct FetchedMail {
    pub uid: u32,
    /// The RFC 5322 source.
    pub source: Vec<u8>,
}

/// How long the server may take to answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// The greeting, STARTTLS, login, capabilities, select, IDLE's start and end, logout.
    pub step: Duration,
    /// One batch of messages, bodies included.
    pub fetch: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            step: Duration::from_secs(30),
            fetch: Duration::from_secs(300),
        }
    }
}

/// `work`, failing with `what` named when it takes longer than `limit`.
async fn within<T>(
    limit: Duration,
    what: &str,
    work: impl Future<Output = Result<T, MailError>>,
) -> Result<T, MailError> {
    tokio::time::timeout(limit, work).await.unwrap_or_else(|_| {
        Err(MailError::new(
            Step::Protocol,
            format!(
                "the server did not answer {what} within {} s",
                limit.as_secs_f32()
            ),
        ))
    })
}

/// A logged-in session on the account's folder.
pub struct Mailbox {
    session: Session<Box<dyn Io>>,
    folder: String,
    idle: bool,
    uid_validity: u32,
    uid_next: u32,
    timeouts: Timeouts,
}

impl std::fmt::Debug for Mailbox {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("Mailbox")
            .field("folder", &self.folder)
            .field("uid_validity", &self.uid_validity)
            .field("uid_next", &self.uid_next)
            .finish()
    }
}

struct XOAuth2(String);

impl Authenticator for XOAuth2 {
    type Response = String;
    fn process(&mut self, _challenge: &[u8]) -> String {
        // The one response; a second challenge carries the error, answered with nothing.
        std::mem::take(&mut self.0)
    }
}

fn protocol(error: impl std::fmt::Display) -> MailError {
    MailError::new(Step::Protocol, error)
}

impl Mailbox {
    /// Connects, secures, logs in and selects the account's folder.
    pub async fn open(account: &Account, trust: &Trust) -> Result<Mailbox, MailError> {
        Self::open_with(account, trust, Timeouts::default()).await
    }

    /// The same, with the server's deadlines.
    pub async fn open_with(
        account: &Account,
        trust: &Trust,
        timeouts: Timeouts,
    ) -> Result<Mailbox, MailError> {
        let step = timeouts.step;
        let server = account
            .imap
            .as_ref()
            .ok_or_else(|| MailError::new(Step::Protocol, "the channel has no IMAP server"))?;
        let stream = tcp(&server.host, server.port).await?;
        let stream: Box<dyn Io> = match server.security {
            Security::Tls => trust.wrap(&server.host, stream).await?,
            Security::None => Box::new(stream),
            Security::Starttls => {
                let mut client = Client::new(stream);
                within(step, "with a greeting", greeting(&mut client)).await?;
                within(step, "STARTTLS", async {
                    client
                        .run_command_and_check_ok("STARTTLS", None)
                        .await
                        .map_err(|error| MailError::new(Step::Tls, format!("STARTTLS: {error}")))
                })
                .await?;
                trust.wrap(&server.host, client.into_inner()).await?
            }
        };
        let mut client = Client::new(stream);
        if server.security != Security::Starttls {
            within(step, "with a greeting", greeting(&mut client)).await?;
        }
        let mut session = within(step, "the login", async {
            let login = match &account.auth {
                Auth::Password(password) => client.login(&account.username, password).await,
                Auth::XOAuth2(token) => {
                    let response = xoauth2_response(&account.username, token);
                    client.authenticate("XOAUTH2", XOAuth2(response)).await
                }
            };
            login.map_err(|(error, _)| MailError::new(Step::Authentication, server_words(&error)))
        })
        .await?;
        let idle = within(step, "CAPABILITY", async {
            Ok(session
                .capabilities()
                .await
                .map_err(protocol)?
                .has_str("IDLE"))
        })
        .await?;
        let mut mailbox = Mailbox {
            session,
            folder: account.folder.clone(),
            idle,
            uid_validity: 0,
            uid_next: 0,
            timeouts,
        };
        mailbox.select().await?;
        Ok(mailbox)
    }

    /// Selects the folder again, which refreshes UIDVALIDITY and UIDNEXT.
    async fn select(&mut self) -> Result<(), MailError> {
        let (session, folder) = (&mut self.session, &self.folder);
        let selected = within(self.timeouts.step, "SELECT", async {
            session.select(folder).await.map_err(|error| match error {
                async_imap::error::Error::No(words) => {
                    MailError::new(Step::Mailbox, format!("{folder}: {words}"))
                }
                other => protocol(other),
            })
        })
        .await?;
        self.uid_validity = selected.uid_validity.unwrap_or(0);
        self.uid_next = selected.uid_next.unwrap_or(0);
        Ok(())
    }

    /// The folder's UIDVALIDITY; when it differs from a cursor's, the cursor no longer applies.
    pub fn uid_validity(&self) -> u32 {
        self.uid_validity
    }

    /// Up to `limit` messages above the cursor, oldest first. A cursor from another
    /// UIDVALIDITY starts over from the first message (imports stay idempotent by Message-ID).
    pub async fn fetch_after(
        &mut self,
        cursor: Cursor,
        limit: u32,
    ) -> Result<Vec<FetchedMail>, MailError> {
        let after = if cursor.uid_validity == self.uid_validity {
            cursor.last_uid
        } else {
            0
        };
        let first = after.saturating_add(1);
        if after == u32::MAX || (self.uid_next != 0 && first >= self.uid_next) {
            return Ok(Vec::new());
        }
        let limit = limit.max(1);
        let session = &mut self.session;
        let range = if self.uid_next == 0 {
            // No UIDNEXT: ask which UIDs there are, so that a batch stays `limit` long.
            let mut uids: Vec<u32> = within(self.timeouts.step, "UID SEARCH", async {
                session
                    .uid_search(format!("UID {first}:*"))
                    .await
                    .map_err(protocol)
            })
            .await?
            .into_iter()
            .filter(|uid| *uid > after)
            .collect();
            uids.sort_unstable();
            uids.truncate(limit as usize);
            if uids.is_empty() {
                return Ok(Vec::new());
            }
            uids.iter()
                .map(u32::to_string)
                .collect::<Vec<_>>()
                .join(",")
        } else {
            let last = after.saturating_add(limit);
            format!("{first}:{}", last.min(self.uid_next - 1))
        };
        let mut fetched: Vec<FetchedMail> = within(self.timeouts.fetch, "a FETCH", async {
            session
                .uid_fetch(&range, "(UID BODY.PEEK[])")
                .await
                .map_err(protocol)?
                .map_err(protocol)
                .try_filter_map(|fetch| async move {
                    Ok(match (fetch.uid, fetch.body()) {
                        // `n:*` always answers the highest message, even one below `n`.
                        (Some(uid), Some(body)) if uid > after => Some(FetchedMail {
                            uid,
                            source: body.to_vec(),
                        }),
                        _ => None,
                    })
                })
                .try_collect()
                .await
        })
        .await?;
        fetched.sort_by_key(|mail| mail.uid);
        Ok(fetched)
    }

    /// Waits until the server reports a change (IDLE) or `wait` has passed, then selects the
    /// folder again so that new UIDs are known.
    pub async fn wait_for_mail(self, wait: Duration) -> Result<Mailbox, MailError> {
        let Mailbox {
            session,
            folder,
            idle,
            timeouts,
            ..
        } = self;
        let session = if idle {
            let mut handle = session.idle();
            within(timeouts.step, "IDLE", async {
                handle.init().await.map_err(protocol)
            })
            .await?;
            // The server may stay quiet for `wait`, and a little more to say so.
            let (changed, _stop) = handle.wait_with_timeout(wait);
            within(wait + timeouts.step, "during IDLE", async {
                changed.await.map_err(protocol)
            })
            .await?;
            within(timeouts.step, "the end of IDLE", async {
                handle.done().await.map_err(protocol)
            })
            .await?
        } else {
            tokio::time::sleep(wait).await;
            session
        };
        let mut mailbox = Mailbox {
            session,
            folder,
            idle,
            uid_validity: 0,
            uid_next: 0,
            timeouts,
        };
        mailbox.select().await?;
        Ok(mailbox)
    }

    /// Whether the server pushes new mail (IDLE) rather than being polled.
    pub fn pushes(&self) -> bool {
        self.idle
    }

    pub async fn logout(mut self) {
        let _ = tokio::time::timeout(self.timeouts.step, self.session.logout()).await;
    }
}

async fn greeting(client: &mut Client<impl Io>) -> Result<(), MailError> {
    match client.read_response().await {
        Ok(Some(_)) => Ok(()),
        Ok(None) => Err(MailError::new(
            Step::Protocol,
            "the server closed the connection before greeting",
        )),
        Err(error) => Err(MailError::new(Step::Tcp, error)),
    }
}

/// The server's own words from a refusal.
fn server_words(error: &async_imap::error::Error) -> String {
    match error {
        async_imap::error::Error::No(words) | async_imap::error::Error::Bad(words) => {
            said_text(words)
        }
        other => other.to_string(),
    }
}

/// The server's own text in a refusal as the IMAP client words it (`code: None, info:
/// Some("[AUTHENTICATIONFAILED] Authentication failed.")`), else the words as they are.
fn said_text(words: &str) -> String {
    words
        .split_once("info: Some(\"")
        .and_then(|(_, rest)| rest.rsplit_once("\")"))
        .map_or(words, |(said, _)| said)
        .trim()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Security, Server};

    #[test]
    fn a_refusal_keeps_the_servers_own_words() {
        assert_eq!(
            said_text(r#"code: None, info: Some("[AUTHENTICATIONFAILED] Authentication failed.")"#),
            "[AUTHENTICATIONFAILED] Authentication failed."
        );
        assert_eq!(said_text(" Mailbox is locked "), "Mailbox is locked");
    }

    /// A server that accepts connections, says `greeting` if given, then never a word more.
    async fn silent_server(greeting: Option<&'static [u8]>) -> u16 {
        use tokio::io::AsyncWriteExt;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let port = listener.local_addr().expect("address").port();
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                tokio::spawn(async move {
                    if let Some(greeting) = greeting {
                        let _ = socket.write_all(greeting).await;
                    }
                    tokio::time::sleep(Duration::from_secs(60)).await;
                    drop(socket);
                });
            }
        });
        port
    }

    fn account(port: u16) -> Account {
        Account {
            imap: Some(Server {
                host: "127.0.0.1".into(),
                port,
                security: Security::None,
            }),
            smtp: None,
            username: "ana@example.com".into(),
            auth: Auth::Password("app password".into()),
            folder: "INBOX".into(),
        }
    }

    /// A server that does not say its UIDNEXT when the folder is selected, holding messages
    /// with UIDs 4, 9 and 12 (and UIDVALIDITY 7); answers the commands it was sent.
    async fn server_without_uidnext() -> (u16, std::sync::Arc<std::sync::Mutex<Vec<String>>>) {
        use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let port = listener.local_addr().expect("address").port();
        let heard = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let log = heard.clone();
        tokio::spawn(async move {
            let Ok((socket, _)) = listener.accept().await else {
                return;
            };
            let (reader, mut writer) = socket.into_split();
            let mut lines = BufReader::new(reader).lines();
            let _ = writer.write_all(b"* OK IMAP4rev1 ready\r\n").await;
            while let Ok(Some(line)) = lines.next_line().await {
                let (tag, command) = line.split_once(' ').unwrap_or((&line, ""));
                log.lock().expect("log").push(command.to_string());
                let upper = command.to_ascii_uppercase();
                let answer = if upper.starts_with("CAPABILITY") {
                    "* CAPABILITY IMAP4rev1\r\n".to_string()
                } else if upper.starts_with("SELECT") {
                    "* 3 EXISTS\r\n* OK [UIDVALIDITY 7] UIDs valid\r\n".to_string()
                } else if upper.starts_with("UID SEARCH") {
                    "* SEARCH 4 9 12\r\n".to_string()
                } else if let Some(range) = upper.strip_prefix("UID FETCH ") {
                    let uids = range.split(' ').next().unwrap_or_default();
                    uids.split(',')
                        .filter_map(|uid| uid.parse::<u32>().ok())
                        .map(|uid| {
                            let body = format!("Subject: mail {uid}\r\n\r\nHola\r\n");
                            format!(
                                "* {uid} FETCH (UID {uid} BODY[] {{{}}}\r\n{body})\r\n",
                                body.len()
                            )
                        })
                        .collect()
                } else if upper.starts_with("LOGOUT") {
                    "* BYE\r\n".to_string()
                } else {
                    String::new()
                };
                let done = format!("{answer}{tag} OK done\r\n");
                if writer.write_all(done.as_bytes()).await.is_err() {
                    return;
                }
            }
        });
        (port, heard)
    }

    #[tokio::test]
    async fn a_server_without_uidnext_is_read_in_batches_of_the_uids_it_lists() {
        let (port, heard) = server_without_uidnext().await;
        let trust = Trust::new(Vec::new()).expect("trust");
        let mut mailbox = Mailbox::open_with(&account(port), &trust, Timeouts::default())
            .await
            .expect("open");
        let cursor = |last_uid| Cursor {
            uid_validity: 7,
            last_uid,
        };
        let first = mailbox.fetch_after(cursor(4), 1).await.expect("a batch");
        assert_eq!(first.iter().map(|mail| mail.uid).collect::<Vec<_>>(), [9]);
        assert!(String::from_utf8_lossy(&first[0].source).contains("mail 9"));
        let rest = mailbox.fetch_after(cursor(9), 10).await.expect("a batch");
        assert_eq!(rest.iter().map(|mail| mail.uid).collect::<Vec<_>>(), [12]);
        assert!(
            mailbox
                .fetch_after(cursor(12), 10)
                .await
                .expect("a batch")
                .is_empty()
        );
        let heard = heard.lock().expect("log").clone();
        assert!(
            heard.iter().any(|command| command == "UID SEARCH UID 5:*"),
            "{heard:?}"
        );
        assert!(
            heard
                .iter()
                .any(|command| command.starts_with("UID FETCH 9 ")),
            "one UID, not a range past UIDNEXT: {heard:?}"
        );
    }

    #[tokio::test]
    async fn a_server_that_goes_silent_fails_the_step_it_went_silent_at() {
        let timeouts = Timeouts {
            step: Duration::from_millis(300),
            fetch: Duration::from_millis(300),
        };
        let trust = Trust::new(Vec::new()).expect("trust");
        for (greeting, step) in [
            (None, "with a greeting"),
            (Some(&b"* OK IMAP4rev1 ready\r\n"[..]), "the login"),
        ] {
            let port = silent_server(greeting).await;
            let opened = tokio::time::timeout(
                Duration::from_secs(10),
                Mailbox::open_with(&account(port), &trust, timeouts),
            )
            .await
            .expect("opening a silent server came to an end");
            let Err(error) = opened else {
                panic!("a silent server was opened");
            };
            assert!(error.message.contains(step), "{error}");
            assert!(error.message.contains("0.3 s"), "{error}");
        }
    }
}
