//! Removing a workspace for good: every key under its id ([`keys::BY_WORKSPACE`]), the records
//! of it keyed otherwise (passwords, sign-in addresses, sessions, tokens, queued replies, dead
//! letters' payloads), and the lines of its events in the journal, overwritten where they lie. Keys go in batches, so that a big workspace never makes
//! one huge group; the workspace's own record goes last, so a removal cut short is run again.

use switchboard_model::{Agent, Channel, Id};

use crate::engine::txn::{Read, Scan, Txn};
use crate::keys::{self, key, key_str, last_id};
use crate::{Session, StoreResult};

/// Keys removed per group.
const BATCH: usize = 2_000;

/// Removes what is keyed outside the workspace's prefix; answers how many keys.
pub fn remove_found_through_others(txn: &mut Txn, workspace_id: Id) -> StoreResult<u64> {
    let mut doomed = Vec::new();
    for (_, value) in txn.scan_prefix(&key(keys::AGENT, &[workspace_id]))? {
        let agent: Agent = serde_json::from_slice(&value)?;
        doomed.push(key(keys::PASSWORD, &[agent.id]));
        doomed.push(key_str(keys::AGENT_EMAIL, &[], &agent.email));
    }
    for (session_key, value) in txn.scan_prefix(keys::SESSION)? {
        let session: Session = serde_json::from_slice(&value)?;
        if session.workspace_id == workspace_id {
            doomed.push(session_key);
        }
    }
    for (_, secret_hash) in txn.scan_prefix(&key(keys::TOKEN_BY_WORKSPACE, &[workspace_id]))? {
        doomed.push(key_str(keys::TOKEN, &[], &hex::encode(secret_hash)));
    }
    for (_, value) in txn.scan_prefix(&key(keys::CHANNEL, &[workspace_id]))? {
        let channel: Channel = serde_json::from_slice(&value)?;
        let queued = txn.scan_prefix(&key(keys::OUTBOX, &[channel.id]))?;
        doomed.extend(queued.into_iter().map(|(item_key, _)| item_key));
    }
    for (letter_key, _) in txn.scan_prefix(&key(keys::DEAD_LETTER, &[workspace_id]))? {
        if let Some(letter) = last_id(&letter_key) {
            doomed.push(key(keys::DEAD_PAYLOAD, &[letter]));
        }
    }
    let mut removed = 0;
    for doomed_key in doomed {
        if txn.contains(&doomed_key)? {
            txn.remove(doomed_key);
            removed += 1;
        }
    }
    Ok(removed)
}

/// Removes up to [`BATCH`] keys under the workspace's id, its own record only once nothing
/// else is left; answers how many (none once all are gone).
pub fn remove_batch(txn: &mut Txn, workspace_id: Id) -> StoreResult<u64> {
    let mut doomed = Vec::new();
    for tag in keys::BY_WORKSPACE {
        if tag == keys::WORKSPACE {
            continue;
        }
        txn.walk_prefix(&key(tag, &[workspace_id]), &mut |found, _| {
            doomed.push(found.to_vec());
            Ok(doomed.len() < BATCH)
        })?;
        if doomed.len() >= BATCH {
            break;
        }
    }
    if doomed.is_empty() {
        let own = key(keys::WORKSPACE, &[workspace_id]);
        if txn.contains(&own)? {
            doomed.push(own);
        }
    }
    let removed = doomed.len() as u64;
    for doomed_key in doomed {
        txn.remove(doomed_key);
    }
    Ok(removed)
}
