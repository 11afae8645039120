//! Leases: a named piece of work that one holder at a time may do, until its lease runs out.

use serde::{Deserialize, Serialize};

use crate::engine::txn::{Read, Scan, Txn};
use crate::keys::{self, key_str};
use crate::{OutboxItem, StoreResult};

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

/// Lets go of everything `holder` holds: its named leases, and its claims on queued replies,
/// which are due again at once; answers how many.
pub fn release_leases(txn: &mut Txn, holder: &str) -> StoreResult<usize> {
    let mut released = 0;
    for (lease_key, value) in txn.scan_prefix(keys::LEASE)? {
        let lease: Lease = serde_json::from_slice(&value)?;
        if lease.holder == holder {
            txn.remove(lease_key);
            released += 1;
        }
    }
    for (item_key, value) in txn.scan_prefix(keys::OUTBOX)? {
        let mut item: OutboxItem = serde_json::from_slice(&value)?;
        if item.lease_holder.as_deref() == Some(holder) {
            item.lease_holder = None;
            item.lease_until = 0;
            txn.put_json(item_key, &item)?;
            released += 1;
        }
    }
    Ok(released)
}
