//! IMAP sync: one task per active email channel that has an IMAP server. A task logs in, imports
//! every message above the channel's UID cursor (kept in the store, per UIDVALIDITY), then waits
//! for news with IDLE or a poll and imports again. Failures are recorded as the channel's
//! health and retried with growing waits; a failure only a person can fix (wrong password,
//! missing folder) waits longest, so that the server is not hammered. A lease per mailbox keeps
//! two gateway nodes from syncing the same one: its holder renews it every [`HOLD_EVERY`] while
//! it syncs and stops at once if it finds it lost; the other nodes try every [`HOLD_EVERY`]
//! too, so that a node that died loses its mailboxes within [`LEASE_MS`] and a few seconds.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use sha2::{Digest, Sha256};
use switchboard_mail::imap::{Cursor, Mailbox};
use switchboard_mail::{Account, MailError};
use switchboard_model::{Channel, ChannelKind, Id, now_millis};
use switchboard_store::ChannelRecord;
use tokio::task::AbortHandle;

use crate::ingest::StoredEmail;
use crate::{Fault, Services};

/// How often the set of channels to sync is checked.
const SUPERVISE_EVERY: Duration = Duration::from_secs(3);
/// Longest wait for news in one IDLE or between two polls (also the lease renewal period).
const WAIT_FOR_MAIL: Duration = Duration::from_secs(25);
/// Messages fetched per round trip.
const BATCH: u32 = 200;
/// A mailbox lease outlives a few renewals.
const LEASE_MS: i64 = 15_000;
/// How often the holder renews its lease, and the others try to take it.
const HOLD_EVERY: Duration = Duration::from_secs(5);

/// Why a sync round stopped.
enum SyncError {
    Mail(MailError),
    Store(Fault),
    /// The access token is due for renewal: sign in again (not a failure).
    Renew,
    /// Another node holds the mailbox now (this one was too slow to renew).
    LeaseLost,
}

impl From<MailError> for SyncError {
    fn from(error: MailError) -> Self {
        SyncError::Mail(error)
    }
}

impl From<Fault> for SyncError {
    fn from(error: Fault) -> Self {
        SyncError::Store(error)
    }
}

/// Starts the supervisor that keeps one sync task per mailbox; `holder` names this node.
pub fn spawn(state: Arc<Services>, holder: String) {
    tokio::spawn(async move {
        let mut running: HashMap<Id, (Vec<u8>, AbortHandle)> = HashMap::new();
        loop {
            match wanted(&state).await {
                Ok(wanted) => {
                    running.retain(|id, (fingerprint, task)| {
                        let keep = wanted
                            .get(id)
                            .is_some_and(|(_, _, wanted)| wanted == fingerprint);
                        if !keep {
                            task.abort();
                            state.mail.set_health(*id, None);
                        }
                        keep
                    });
                    for (id, (channel, account, fingerprint)) in wanted {
                        if running.contains_key(&id) {
                            continue;
                        }
                        let task =
                            tokio::spawn(run(state.clone(), channel, account, holder.clone()));
                        running.insert(id, (fingerprint, task.abort_handle()));
                    }
                }
                Err(error) => {
                    tracing::warn!(reason = %error.message, "cannot list the mailboxes to sync")
                }
            }
            tokio::time::sleep(SUPERVISE_EVERY).await;
        }
    });
}

/// The mailboxes that should be synced, with a fingerprint of their settings and secrets: a
/// changed fingerprint restarts the task with the new settings.
async fn wanted(state: &Services) -> Result<HashMap<Id, (Channel, Account, Vec<u8>)>, Fault> {
    let mut wanted = HashMap::new();
    for workspace in state.store.workspaces().await? {
        for channel in state.store.channels(workspace.id).await? {
            if channel.kind != ChannelKind::EMAIL || !channel.active {
                continue;
            }
            let account = match super::account(state, &channel).await? {
                Ok(account) if account.imap.is_some() => account,
                _ => continue,
            };
            let sealed = state
                .store
                .channel_record(workspace.id, channel.id, ChannelRecord::Secrets)
                .await?
                .unwrap_or_default();
            let mut fingerprint = Sha256::new();
            fingerprint.update(channel.settings.to_string());
            fingerprint.update(sealed);
            wanted.insert(
                channel.id,
                (channel, account, fingerprint.finalize().to_vec()),
            );
        }
    }
    Ok(wanted)
}

#[tracing::instrument(name = "mailbox_sync", skip_all, fields(
    workspace_id = channel.workspace_id,
    channel_id = channel.id,
))]
async fn run(state: Arc<Services>, channel: Channel, account: Account, holder: String) {
    let lease = format!("mailbox:{}", channel.id);
    let mut failures = 0u32;
    loop {
        match state.store.acquire_lease(&lease, &holder, LEASE_MS).await {
            Ok(true) => {}
            Ok(false) => {
                tokio::time::sleep(HOLD_EVERY).await;
                continue;
            }
            Err(error) => {
                tracing::warn!(channel_id = channel.id, %error, "cannot take the mailbox lease");
                tokio::time::sleep(HOLD_EVERY).await;
                continue;
            }
        }
        let syncing = async {
            match super::oauth::signed_in(&state, &channel, account.clone()).await {
                Ok(Ok((account, renew_at))) => {
                    session(&state, &channel, &account, renew_at, &mut failures).await
                }
                Ok(Err(error)) => SyncError::Mail(error),
                Err(error) => SyncError::Store(error),
            }
        };
        // The session ends (its connection dropped) as soon as the lease is lost.
        let stopped = tokio::select! {
            stopped = syncing => stopped,
            () = hold_lease(&state, &lease, &holder) => SyncError::LeaseLost,
        };
        let error = match stopped {
            SyncError::Renew => continue,
            SyncError::LeaseLost => {
                tracing::info!(
                    channel_id = channel.id,
                    "another node syncs this mailbox now"
                );
                continue;
            }
            SyncError::Mail(error) => error,
            SyncError::Store(error) => MailError::new(
                switchboard_mail::Step::Protocol,
                format!("the gateway could not store the mail: {}", error.message),
            ),
        };
        if error.step == switchboard_mail::Step::Authentication
            && let Err(store) = super::oauth::forget(&state, &channel).await
        {
            tracing::warn!(channel_id = channel.id, error = %store.message, "cannot drop the refused access token");
        }
        failures += 1;
        let wait = backoff(&error, failures);
        let retry_at = now_millis() + i64::try_from(wait.as_millis()).unwrap_or(i64::MAX);
        state
            .mail
            .record_failure(channel.id, &error, failures, retry_at);
        tracing::warn!(workspace_id = channel.workspace_id, channel_id = channel.id, %error, failures,
            wait_seconds = wait.as_secs(), "mailbox sync failed");
        tokio::time::sleep(wait).await;
    }
}

/// Waits after the `failures`th failure in a row: short for network trouble, long for what
/// needs a person (each doubles, up to a cap).
fn backoff(error: &MailError, failures: u32) -> Duration {
    let (first, cap) = if error.needs_a_fix() {
        (Duration::from_secs(60), Duration::from_secs(3600))
    } else {
        (Duration::from_secs(2), Duration::from_secs(300))
    };
    crate::backoff::doubling(first, failures, cap)
}

/// Renews the mailbox lease every [`HOLD_EVERY`]; returns once it is lost (another node took
/// it, or the store could not renew it before it ran out).
async fn hold_lease(state: &Services, lease: &str, holder: &str) {
    let mut held_since = Instant::now();
    loop {
        tokio::time::sleep(HOLD_EVERY).await;
        match state.store.acquire_lease(lease, holder, LEASE_MS).await {
            Ok(true) => held_since = Instant::now(),
            Ok(false) => return,
            Err(error) => {
                tracing::warn!(%error, "cannot renew the mailbox lease");
                let lapsed =
                    held_since.elapsed().as_millis() >= u128::from(LEASE_MS.unsigned_abs());
                if lapsed {
                    return;
                }
            }
        }
    }
}

/// One connection: import, wait, import... until something fails.
async fn session(
    state: &Services,
    channel: &Channel,
    account: &Account,
    renew_at: Option<Instant>,
    failures: &mut u32,
) -> SyncError {
    let mut mailbox = match Mailbox::open(account, &state.mail.trust).await {
        Ok(mailbox) => mailbox,
        Err(error) => return error.into(),
    };
    *failures = 0;
    state.mail.record_ok(channel.id);
    loop {
        if let Err(error) = import_new(state, channel, &mut mailbox).await {
            return error;
        }
        let wait = renew_at.map_or(WAIT_FOR_MAIL, |at| {
            WAIT_FOR_MAIL
                .min(at.saturating_duration_since(Instant::now()))
                .max(Duration::from_secs(1))
        });
        mailbox = match mailbox.wait_for_mail(wait).await {
            Ok(mailbox) => mailbox,
            Err(error) => return error.into(),
        };
        // A new sign-in before the token expires; the folder is read again as it starts.
        if renew_at.is_some_and(|at| Instant::now() >= at) {
            return SyncError::Renew;
        }
    }
}

/// Imports everything above the cursor, a batch at a time, moving the cursor after each batch.
async fn import_new(
    state: &Services,
    channel: &Channel,
    mailbox: &mut Mailbox,
) -> Result<(), SyncError> {
    loop {
        let mut cursor = load_cursor(state, channel).await?;
        let batch = mailbox.fetch_after(cursor, BATCH).await?;
        if cursor.uid_validity != mailbox.uid_validity() {
            tracing::info!(
                channel_id = channel.id,
                "the folder's UIDVALIDITY changed; reading it again (imports stay deduplicated)"
            );
            cursor = Cursor {
                uid_validity: mailbox.uid_validity(),
                last_uid: 0,
            };
        }
        let Some(last) = batch.last().map(|mail| mail.uid) else {
            return save_cursor(state, channel, cursor).await;
        };
        let emails = batch
            .into_iter()
            .map(|mail| StoredEmail {
                mail_from: String::new(),
                rcpt_to: Vec::new(),
                source_base64: STANDARD.encode(&mail.source),
            })
            .collect();
        super::take_in_all(state, channel, emails).await?;
        cursor.last_uid = last;
        save_cursor(state, channel, cursor).await?;
    }
}

async fn load_cursor(state: &Services, channel: &Channel) -> Result<Cursor, SyncError> {
    let saved = state
        .store
        .channel_record(
            channel.workspace_id,
            channel.id,
            ChannelRecord::TransportCursor,
        )
        .await
        .map_err(Fault::from)?;
    Ok(saved
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .unwrap_or_default())
}

async fn save_cursor(state: &Services, channel: &Channel, cursor: Cursor) -> Result<(), SyncError> {
    let bytes = serde_json::to_vec(&cursor).map_err(|error| Fault::internal(error.to_string()))?;
    state
        .store
        .put_channel_record(
            channel.workspace_id,
            channel.id,
            ChannelRecord::TransportCursor,
            bytes,
        )
        .await
        .map_err(Fault::from)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use switchboard_mail::Step;

    #[test]
    fn failures_that_need_a_person_wait_longer_and_the_waits_are_capped() {
        let network = MailError::new(Step::Tcp, "refused");
        let password = MailError::new(Step::Authentication, "no");
        assert_eq!(backoff(&network, 1), Duration::from_secs(2));
        assert_eq!(backoff(&network, 3), Duration::from_secs(8));
        assert_eq!(backoff(&network, 40), Duration::from_secs(300));
        assert_eq!(backoff(&password, 1), Duration::from_secs(60));
        assert_eq!(backoff(&password, 40), Duration::from_secs(3600));
    }
}
