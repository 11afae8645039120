//! The outbox, dead letters and leases: the records that keep work from being lost.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use switchboard_model::{DeadLetter, DeliveryStatus, Direction, EventKind, Id, Message, email_ids};

use super::conversations;
use super::engine::txn::{Read, Scan, Txn};
use super::keys::{self, key, key_str};
use crate::{DeadLetterLimits, KeptLetter, OutboxItem, StoreError, StoreResult};

/// A channel's outbox items that are due at `now` (neither waiting for a retry nor leased),
/// in order, at most `limit` of them.
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
    read.walk_prefix(&key(keys::OUTBOX, &[channel_id]), &mut |item_key, value| {
        let item: OutboxItem = serde_json::from_slice(value)?;
        if item.not_before <= now && item.lease_until <= now {
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

/// Where a reply's provider id leads: its conversation and message.
#[derive(Clone, Serialize, Deserialize)]
struct ProvidedReply {
    conversation_id: Id,
    message_id: Id,
}

pub fn note_provider_ids(
    txn: &mut Txn,
    item: &OutboxItem,
    provider_ids: Vec<String>,
) -> StoreResult<()> {
    let ids = [item.workspace_id, item.channel_id];
    for provider_id in provider_ids {
        txn.put_json(
            key_str(keys::PROVIDER_ID, &ids, &provider_id),
            &ProvidedReply {
                conversation_id: item.conversation_id,
                message_id: item.message_id,
            },
        )?;
        // A report that came before the id was known applies now.
        let early = key_str(keys::EARLY_REPORT, &ids, &provider_id);
        if let Some(status) = txn.get_json::<DeliveryStatus>(&early)? {
            txn.remove(early);
            report_delivery(
                txn,
                item.workspace_id,
                item.channel_id,
                &provider_id,
                status,
            )?;
        }
    }
    Ok(())
}

/// How many status reports may wait for their reply's id, per reply on its way: sent,
/// delivered and read, and one more.
const EARLY_REPORTS_PER_REPLY: usize = 4;

/// How many keys start with `prefix`, counting no further than `most`.
fn count_up_to(read: &impl Scan, prefix: &[u8], most: usize) -> StoreResult<usize> {
    let mut count = 0;
    read.walk_prefix(prefix, &mut |_, _| {
        count += 1;
        Ok(count < most)
    })?;
    Ok(count)
}

pub fn report_delivery(
    txn: &mut Txn,
    workspace_id: Id,
    channel_id: Id,
    provider_id: &str,
    status: DeliveryStatus,
) -> StoreResult<Option<Message>> {
    let ids = [workspace_id, channel_id];
    let Some(reply) =
        txn.get_json::<ProvidedReply>(&key_str(keys::PROVIDER_ID, &ids, provider_id))?
    else {
        // A provider can report before its answer to the send was read (a status callback
        // races the outbox): the report waits for the id, unless no reply is on its way, or
        // as many reports wait as the replies on their way could have.
        // The waiting reports are few (bounded here); the outbox is read only as far as needed.
        let waiting = count_up_to(txn, &key(keys::EARLY_REPORT, &ids), usize::MAX)?;
        let needed = waiting / EARLY_REPORTS_PER_REPLY + 1;
        if count_up_to(txn, &key(keys::OUTBOX, &[channel_id]), needed)? < needed {
            return Err(StoreError::not_found(
                "reply with the provider's id",
                provider_id,
            ));
        }
        txn.put_json(key_str(keys::EARLY_REPORT, &ids, provider_id), &status)?;
        return Ok(None);
    };
    let stored = conversations::load_stored(txn, workspace_id, reply.conversation_id)?;
    let message = conversations::find_message(txn, &stored, reply.message_id)?;
    let now = message
        .delivery
        .clone()
        .unwrap_or(DeliveryStatus::Queued { reason: None });
    if !now.advanced_by(&status) {
        return Ok(Some(message));
    }
    set_delivery(txn, message, status).map(Some)
}

/// Marks the reply that one of our Message-IDs names as failed, for `reason` (a bounce).
pub fn fail_our_email(
    txn: &mut Txn,
    workspace_id: Id,
    our_message_id: &str,
    reason: String,
) -> StoreResult<Message> {
    let Some(email_ids::OurIds {
        message: Some(message_id),
        conversation: conversation_id,
    }) = email_ids::parse(our_message_id)
    else {
        return Err(StoreError::not_found("email of ours", our_message_id));
    };
    let stored = conversations::load_stored(txn, workspace_id, conversation_id)?;
    let message = conversations::find_message(txn, &stored, message_id)?;
    if message.direction != Direction::Out {
        return Err(StoreError::Invalid(format!(
            "message {message_id} is not one of our replies"
        )));
    }
    set_delivery(txn, message, DeliveryStatus::Failed { reason })
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

/// Puts `message` in its channel's outbox, due now.
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

pub fn put_dead_letter(
    txn: &mut Txn,
    workspace_id: Id,
    channel_id: Id,
    reason: String,
    payload: Vec<u8>,
    limits: DeadLetterLimits,
) -> StoreResult<KeptLetter> {
    // The channel's letters, oldest first: those past their age go, then the oldest until the
    // new one fits in the channel's room. The walk stops at the first letter that stays, so a
    // channel at its cap costs one or two letters' reads per new one, however many it keeps.
    let room = limits
        .max_bytes_per_channel
        .saturating_sub(payload.len() as u64);
    let oldest_kept = txn.now.saturating_sub(limits.max_age_ms);
    let mut usage = dead_usage(txn, workspace_id, channel_id)?;
    let mut used = usage.bytes;
    let mut doomed = Vec::new();
    txn.walk_prefix(
        &key(keys::DEAD_BY_CHANNEL, &[workspace_id, channel_id]),
        &mut |index_key, value| {
            let entry: DeadEntry = serde_json::from_slice(value)?;
            if entry.received_at >= oldest_kept && used <= room {
                return Ok(false);
            }
            used = used.saturating_sub(entry.size);
            doomed.push((keys::last_id(index_key).unwrap_or_default(), entry.size));
            Ok(true)
        },
    )?;
    let dropped = doomed.len() as u64;
    for (id, size) in doomed {
        drop_dead_letter(txn, workspace_id, channel_id, id, size, &mut usage);
    }
    let letter = DeadLetter {
        id: txn.next_id(),
        workspace_id,
        channel_id,
        reason,
        size: payload.len() as u64,
        received_at: txn.now,
        replays: 0,
        resolved: false,
    };
    txn.put(key(keys::DEAD_PAYLOAD, &[letter.id]), payload);
    txn.put_json(key(keys::DEAD_LETTER, &[workspace_id, letter.id]), &letter)?;
    let (index_key, entry) = dead_index_entry(&letter)?;
    txn.put(index_key, entry);
    usage.add(&letter);
    put_dead_usage(txn, workspace_id, channel_id, usage)?;
    Ok(KeptLetter { letter, dropped })
}

/// A dead letter in its channel's index (`DEAD_BY_CHANNEL`), oldest first: what the cap and
/// the age limit need without reading the letter.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
struct DeadEntry {
    received_at: i64,
    size: u64,
}

/// What a channel's dead letters hold in all (`DEAD_USAGE`), so that the cap is checked
/// without adding them up.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize)]
pub(super) struct DeadUsage {
    pub(super) bytes: u64,
    letters: u64,
}

fn dead_usage(txn: &Txn, workspace_id: Id, channel_id: Id) -> StoreResult<DeadUsage> {
    Ok(txn
        .get_json(&key(keys::DEAD_USAGE, &[workspace_id, channel_id]))?
        .unwrap_or_default())
}

fn put_dead_usage(
    txn: &mut Txn,
    workspace_id: Id,
    channel_id: Id,
    usage: DeadUsage,
) -> StoreResult<()> {
    let usage_key = key(keys::DEAD_USAGE, &[workspace_id, channel_id]);
    if usage.letters == 0 {
        txn.remove(usage_key);
        Ok(())
    } else {
        txn.put_json(usage_key, &usage)
    }
}

impl DeadUsage {
    fn add(&mut self, letter: &DeadLetter) {
        self.bytes += letter.size;
        self.letters += 1;
    }
}

/// `letter`'s key and value in its channel's index.
fn dead_index_entry(letter: &DeadLetter) -> StoreResult<(Vec<u8>, Vec<u8>)> {
    let entry = DeadEntry {
        received_at: letter.received_at,
        size: letter.size,
    };
    let index_key = key(
        keys::DEAD_BY_CHANNEL,
        &[letter.workspace_id, letter.channel_id, letter.id],
    );
    Ok((index_key, serde_json::to_vec(&entry)?))
}

/// Upgrades a store of layout 2, whose dead letters have no index by channel, to layout 3.
pub fn index_dead_letters(db: &sled::Db) -> StoreResult<()> {
    let mut usage: BTreeMap<(Id, Id), DeadUsage> = BTreeMap::new();
    for entry in db.scan_prefix(keys::DEAD_LETTER) {
        let (_, value) = entry?;
        let letter: DeadLetter = serde_json::from_slice(&value)?;
        let (index_key, entry) = dead_index_entry(&letter)?;
        db.insert(index_key, entry)?;
        usage
            .entry((letter.workspace_id, letter.channel_id))
            .or_default()
            .add(&letter);
    }
    for ((workspace_id, channel_id), usage) in usage {
        db.insert(
            key(keys::DEAD_USAGE, &[workspace_id, channel_id]),
            serde_json::to_vec(&usage)?,
        )?;
    }
    Ok(())
}

fn drop_dead_letter(
    txn: &mut Txn,
    workspace_id: Id,
    channel_id: Id,
    id: Id,
    size: u64,
    usage: &mut DeadUsage,
) {
    txn.remove(key(keys::DEAD_PAYLOAD, &[id]));
    txn.remove(key(keys::DEAD_LETTER, &[workspace_id, id]));
    txn.remove(key(keys::DEAD_BY_CHANNEL, &[workspace_id, channel_id, id]));
    usage.bytes = usage.bytes.saturating_sub(size);
    usage.letters = usage.letters.saturating_sub(1);
}

/// Drops every dead letter received before `before`: each channel's walk stops at its first
/// younger letter.
pub fn expire_dead_letters(txn: &mut Txn, before: i64) -> StoreResult<u64> {
    let channels: Vec<(Id, Id)> = txn
        .scan_prefix(keys::DEAD_USAGE)?
        .into_iter()
        .filter_map(|(usage_key, _)| {
            let channel_id = keys::last_id(&usage_key)?;
            let workspace_id = keys::last_id(usage_key.get(..usage_key.len() - 8)?)?;
            Some((workspace_id, channel_id))
        })
        .collect();
    let mut dropped = 0;
    for (workspace_id, channel_id) in channels {
        let mut expired = Vec::new();
        txn.walk_prefix(
            &key(keys::DEAD_BY_CHANNEL, &[workspace_id, channel_id]),
            &mut |index_key, value| {
                let entry: DeadEntry = serde_json::from_slice(value)?;
                if entry.received_at >= before {
                    return Ok(false);
                }
                expired.push((keys::last_id(index_key).unwrap_or_default(), entry.size));
                Ok(true)
            },
        )?;
        if expired.is_empty() {
            continue;
        }
        let mut usage = dead_usage(txn, workspace_id, channel_id)?;
        dropped += expired.len() as u64;
        for (id, size) in expired {
            drop_dead_letter(txn, workspace_id, channel_id, id, size, &mut usage);
        }
        put_dead_usage(txn, workspace_id, channel_id, usage)?;
    }
    Ok(dropped)
}

pub fn dead_letter(
    tree: &impl Read,
    workspace_id: Id,
    id: Id,
) -> StoreResult<(DeadLetter, Vec<u8>)> {
    let letter: DeadLetter = tree
        .get_json(&key(keys::DEAD_LETTER, &[workspace_id, id]))?
        .ok_or_else(|| StoreError::not_found("dead letter", id))?;
    let payload = tree
        .get(&key(keys::DEAD_PAYLOAD, &[id]))?
        .unwrap_or_default();
    Ok((letter, payload))
}

pub fn record_replay(
    txn: &mut Txn,
    workspace_id: Id,
    id: Id,
    resolved: bool,
    reason: Option<String>,
) -> StoreResult<DeadLetter> {
    let (mut letter, _) = dead_letter(txn, workspace_id, id)?;
    letter.replays += 1;
    letter.resolved = resolved;
    if let Some(reason) = reason {
        letter.reason = reason;
    }
    txn.put_json(key(keys::DEAD_LETTER, &[workspace_id, id]), &letter)?;
    Ok(letter)
}

/// Who holds a lease and until when.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Lease {
    holder: String,
    until: i64,
}

pub fn acquire_lease(txn: &mut Txn, name: &str, holder: &str, ttl_ms: i64) -> StoreResult<bool> {
    let lease_key = key_str(keys::LEASE, &[], name);
    if let Some(current) = txn.get_json::<Lease>(&lease_key)?
        && current.holder != holder
        && current.until > txn.now
    {
        return Ok(false);
    }
    let lease = Lease {
        holder: holder.to_string(),
        until: txn.now.saturating_add(ttl_ms),
    };
    txn.put_json(lease_key, &lease)?;
    Ok(true)
}
