//! Reading a mailbox over IMAP. Mail is found by UID above a high-water mark that the caller
//! keeps, within one UIDVALIDITY; it is fetched with `BODY.PEEK[]` so that nothing is marked
//! read; a server with IDLE tells us when new mail arrives, others are polled.

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

/// A logged-in session on the account's folder.
pub struct Mailbox {
    session: Session<Box<dyn Io>>,
    folder: String,
    idle: bool,
    uid_validity: u32,
    uid_next: u32,
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
                greeting(&mut client).await?;
                client
                    .run_command_and_check_ok("STARTTLS", None)
                    .await
                    .map_err(|error| MailError::new(Step::Tls, format!("STARTTLS: {error}")))?;
                trust.wrap(&server.host, client.into_inner()).await?
            }
        };
        let mut client = Client::new(stream);
        if server.security != Security::Starttls {
            greeting(&mut client).await?;
        }
        let login = match &account.auth {
            Auth::Password(password) => client.login(&account.username, password).await,
            Auth::XOAuth2(token) => {
                let response = xoauth2_response(&account.username, token);
                client.authenticate("XOAUTH2", XOAuth2(response)).await
            }
        };
        let mut session = login
            .map_err(|(error, _)| MailError::new(Step::Authentication, server_words(&error)))?;
        let idle = session
            .capabilities()
            .await
            .map_err(protocol)?
            .has_str("IDLE");
        let mut mailbox = Mailbox {
            session,
            folder: account.folder.clone(),
            idle,
            uid_validity: 0,
            uid_next: 0,
        };
        mailbox.select().await?;
        Ok(mailbox)
    }

    /// Selects the folder again, which refreshes UIDVALIDITY and UIDNEXT.
    async fn select(&mut self) -> Result<(), MailError> {
        let selected = self
            .session
            .select(&self.folder)
            .await
            .map_err(|error| match error {
                async_imap::error::Error::No(words) => {
                    MailError::new(Step::Mailbox, format!("{}: {words}", self.folder))
                }
                other => protocol(other),
            })?;
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
        let last = after.saturating_add(limit.max(1));
        let range = if self.uid_next == 0 {
            format!("{first}:*")
        } else {
            format!("{first}:{}", last.min(self.uid_next - 1))
        };
        let mut fetched: Vec<FetchedMail> = self
            .session
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
            ..
        } = self;
        let session = if idle {
            let mut handle = session.idle();
            handle.init().await.map_err(protocol)?;
            let (changed, _stop) = handle.wait_with_timeout(wait);
            changed.await.map_err(protocol)?;
            handle.done().await.map_err(protocol)?
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
        };
        mailbox.select().await?;
        Ok(mailbox)
    }

    /// Whether the server pushes new mail (IDLE) rather than being polled.
    pub fn pushes(&self) -> bool {
        self.idle
    }

    pub async fn logout(mut self) {
        let _ = self.session.logout().await;
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
            words.trim().to_string()
        }
        other => other.to_string(),
    }
}
