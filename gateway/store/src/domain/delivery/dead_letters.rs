//! Dead letters: payloads that could not be taken in, kept per channel within its room and its
//! age limit (the oldest go first), with an index by channel and a running total, so that
//! neither the cap nor expiry reads every letter.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use switchboard_model::{DeadLetter, Id};

use crate::engine::txn::{Read, Scan, Txn};
use crate::keys::{self, key};
use crate::{DeadLetterLimits, KeptLetter, StoreError, StoreResult};

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
pub(in crate::domain) struct DeadUsage {
    pub(in crate::domain) bytes: u64,
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

/// Removes a dead letter and its payload for good, replayed or not.
pub fn delete_dead_letter(txn: &mut Txn, workspace_id: Id, id: Id) -> StoreResult<DeadLetter> {
    let letter: DeadLetter = txn
        .get_json(&key(keys::DEAD_LETTER, &[workspace_id, id]))?
        .ok_or_else(|| StoreError::not_found("dead letter", id))?;
    let mut usage = dead_usage(txn, workspace_id, letter.channel_id)?;
    drop_dead_letter(
        txn,
        workspace_id,
        letter.channel_id,
        id,
        letter.size,
        &mut usage,
    );
    put_dead_usage(txn, workspace_id, letter.channel_id, usage)?;
    Ok(letter)
}
