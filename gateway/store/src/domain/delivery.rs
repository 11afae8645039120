//! The outbox, dead letters and leases: the records that keep work from being lost. Here, the
//! outbox (replies on their way, retries, a reply's delivery status) and each workspace's count
//! of messages sent today; providers' reports, dead letters and leases in the modules below.

mod dead_letters;
mod leases;
mod reports;

use serde::{Deserialize, Serialize};
use switchboard_model::{DeliveryStatus, EventKind, Id, Message};

pub(super) use self::dead_letters::DeadUsage;
pub use self::dead_letters::{
    dead_letter, delete_dead_letter, expire_dead_letters, index_dead_letters, put_dead_letter,
    record_replay,
};
pub use self::leases::{acquire_lease, release_leases};
pub use self::reports::{fail_our_email, note_provider_ids, report_delivery};
use super::conversations;
use crate::engine::txn::{Read, Scan, Txn};
use crate::keys::{self, key};
use crate::{OutboxItem, StoreError, StoreResult};

/// A channel's outbox items that are due at `now` (neither waiting nor leased), in order, at
/// most `limit` of them and at most one of each conversation: a conversation's replies go out in
/// the order they were written, so a reply stays queued while an earlier one of its conversation
/// is being sent, waits out a failure, or is handed out in this batch. An earlier reply that
/// never failed and waits by design (a website chat's reply waiting for the newest, which emails
/// them all; a daily send limit) holds none back.
pub fn due_items(
    read: &impl Scan,
    channel_id: Id,
    now: i64,
    limit: usize,
) -> StoreResult<Vec<(Vec<u8>, OutboxItem)>> {
    let mut due = Vec::new();
    if limit == 0 {
        return Ok(due);
    }
    let mut held_back = std::collections::HashSet::new();
    read.walk_prefix(&key(keys::OUTBOX, &[channel_id]), &mut |item_key, value| {
        let item: OutboxItem = serde_json::from_slice(value)?;
        if held_back.contains(&item.conversation_id) {
            return Ok(true);
        }
        let being_sent = item.lease_until > now;
        let waiting = item.not_before > now;
        // A wait gives its attempt back (see the outbox's outcomes), so a reply that waits
        // having never failed has none; one that failed before still holds the rest back.
        let waiting_out_a_failure = waiting && item.attempts > 0;
        if being_sent || waiting_out_a_failure || !waiting {
            held_back.insert(item.conversation_id);
        }
        if !being_sent && !waiting {
            due.push((item_key.to_vec(), item));
        }
        Ok(due.len() < limit)
    })?;
    Ok(due)
}

pub fn claim_outbox(
    txn: &mut Txn,
    channel_id: Id,
    holder: &str,
    lease_ms: i64,
    limit: usize,
) -> StoreResult<Vec<OutboxItem>> {
    let now = txn.now;
    let mut claimed = Vec::new();
    for (item_key, mut item) in due_items(txn, channel_id, now, limit)? {
        item.lease_holder = Some(holder.to_string());
        item.lease_until = now.saturating_add(lease_ms);
        item.attempts += 1;
        txn.put_json(item_key, &item)?;
        claimed.push(item);
    }
    Ok(claimed)
}

/// Makes the replies of a conversation that wait in the outbox (not leased) due now: what they
/// waited for happened.
pub fn due_now(txn: &mut Txn, channel_id: Id, conversation_id: Id) -> StoreResult<()> {
    for (item_key, value) in Scan::scan_prefix(txn, &key(keys::OUTBOX, &[channel_id]))? {
        let mut item: OutboxItem = serde_json::from_slice(&value)?;
        if item.conversation_id == conversation_id
            && item.not_before > txn.now
            && item.lease_until <= txn.now
        {
            item.not_before = txn.now;
            txn.put_json(item_key, &item)?;
        }
    }
    Ok(())
}

/// Gives `message` its new delivery `status`, kept and announced to live clients.
fn set_delivery(
    txn: &mut Txn,
    mut message: Message,
    status: DeliveryStatus,
) -> StoreResult<Message> {
    txn.put_json(
        key(keys::DELIVERY, &[message.workspace_id, message.id]),
        &status,
    )?;
    txn.emit(
        message.workspace_id,
        EventKind::DeliveryUpdated {
            conversation_id: message.conversation_id,
            message_id: message.id,
            status: status.clone(),
        },
    )?;
    message.delivery = Some(status);
    Ok(message)
}

/// A workspace's messages to contacts on one day (UTC).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
struct SentOnDay {
    day: i64,
    messages: u64,
}

const DAY_MS: i64 = 86_400_000;

/// How many messages to contacts the workspace queued today (UTC).
pub fn sent_today(read: &impl Read, workspace_id: Id, now: i64) -> StoreResult<u64> {
    let sent: SentOnDay = read
        .get_json(&key(keys::SENT_BY_WORKSPACE, &[workspace_id]))?
        .unwrap_or_default();
    Ok(if sent.day == now.div_euclid(DAY_MS) {
        sent.messages
    } else {
        0
    })
}

/// Counts one more message to a contact today (a new one, not one sent again).
pub fn count_sent(txn: &mut Txn, workspace_id: Id) -> StoreResult<()> {
    let sent = SentOnDay {
        day: txn.now.div_euclid(DAY_MS),
        messages: sent_today(txn, workspace_id, txn.now)? + 1,
    };
    txn.put_json(key(keys::SENT_BY_WORKSPACE, &[workspace_id]), &sent)
}

/// Puts `message` in its channel's outbox, due now.
pub fn enqueue(txn: &mut Txn, channel_id: Id, message: &Message) -> StoreResult<()> {
    let item = OutboxItem {
        workspace_id: message.workspace_id,
        channel_id,
        conversation_id: message.conversation_id,
        message_id: message.id,
        attempts: 0,
        not_before: txn.now,
        lease_holder: None,
        lease_until: 0,
    };
    txn.put_json(key(keys::OUTBOX, &[channel_id, message.id]), &item)
}

/// Puts a failed reply back in the outbox, due now, its delivery `queued` again.
pub fn send_again(
    txn: &mut Txn,
    workspace_id: Id,
    conversation_id: Id,
    message_id: Id,
) -> StoreResult<Message> {
    let stored = conversations::load_stored(txn, workspace_id, conversation_id)?;
    let message = conversations::find_message(txn, &stored, message_id)?;
    if !matches!(message.delivery, Some(DeliveryStatus::Failed { .. })) {
        return Err(StoreError::Conflict(format!(
            "message {message_id} is not a reply whose delivery failed"
        )));
    }
    enqueue(txn, stored.conversation.channel_id, &message)?;
    set_delivery(txn, message, DeliveryStatus::Queued { reason: None })
}

pub fn record_delivery(
    txn: &mut Txn,
    item: &OutboxItem,
    status: DeliveryStatus,
    retry_at: Option<i64>,
) -> StoreResult<Message> {
    let item_key = key(keys::OUTBOX, &[item.channel_id, item.message_id]);
    let stored: OutboxItem = txn
        .get_json(&item_key)?
        .ok_or_else(|| StoreError::not_found("outbox item for message", item.message_id))?;
    if stored.lease_holder != item.lease_holder {
        return Err(StoreError::Conflict(format!(
            "message {} is now leased to another worker",
            item.message_id
        )));
    }
    match (&status, retry_at) {
        (DeliveryStatus::Queued { .. }, Some(retry_at)) => {
            // The caller's count of attempts wins: a wait that was no attempt gives one back.
            let again = OutboxItem {
                not_before: retry_at,
                lease_holder: None,
                lease_until: 0,
                attempts: item.attempts,
                ..stored
            };
            txn.put_json(item_key, &again)?;
        }
        _ => txn.remove(item_key),
    }
    let stored = conversations::load_stored(txn, item.workspace_id, item.conversation_id)?;
    let message = conversations::find_message(txn, &stored, item.message_id)?;
    // A provider's report that came first (delivered, read, failed) is not undone by "sent".
    if matches!(status, DeliveryStatus::Sent { .. })
        && message.delivery.as_ref().is_some_and(|now| {
            !matches!(now, DeliveryStatus::Queued { .. }) && !now.advanced_by(&status)
        })
    {
        return Ok(message);
    }
    set_delivery(txn, message, status)
}
