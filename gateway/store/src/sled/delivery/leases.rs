//! Leases: a named piece of work that one holder at a time may do, until its lease runs out.

use serde::{Deserialize, Serialize};

use crate::StoreResult;
use crate::sled::engine::txn::{Read, Txn};
use crate::sled::keys::{self, key_str};

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
