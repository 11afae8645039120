//! Files (blobs): stored once per workspace under their SHA-256. A file no message names yet is
//! *unattached*: visitors' uploads count against daily quotas, and an upload that no message
//! names within the grace period is swept away, so that anonymous uploads cannot fill the disk.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use switchboard_model::{Attachment, Id};

use crate::engine::txn::{Read, Scan, Txn};
use crate::keys::{self, key, key_str};
use crate::{FilePurpose, StoreError, StoreResult, UploadQuota};

const DAY_MS: i64 = 86_400_000;

/// A file no message names yet.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Unattached {
    size: u64,
    /// When it was last uploaded.
    at: i64,
}

/// Bytes uploaded on one day (days since the epoch, UTC).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct UploadedToday {
    day: i64,
    bytes: u64,
}

/// Stores `bytes` (refusing more than `limit`) for `purpose`: a visitor's upload first counts
/// against its quota.
pub fn put_file(
    txn: &mut Txn,
    workspace_id: Id,
    bytes: Vec<u8>,
    limit: u64,
    purpose: &FilePurpose,
) -> StoreResult<String> {
    let size = bytes.len() as u64;
    if size > limit {
        return Err(StoreError::TooLarge {
            what: "the attachment",
            size,
            limit,
        });
    }
    if let FilePurpose::VisitorUpload(quota) = purpose {
        count_upload(txn, workspace_id, quota, size)?;
    }
    let sha256 = hex::encode(Sha256::digest(&bytes));
    let blob_key = key_str(keys::BLOB, &[workspace_id], &sha256);
    if !txn.contains(&blob_key)? {
        let stored = stored_bytes(txn, workspace_id)?;
        txn.put_json(key(keys::FILE_BYTES, &[workspace_id]), &(stored + size))?;
        txn.put(blob_key, bytes);
    }
    let kept = key_str(keys::KEPT_FILE, &[workspace_id], &sha256);
    if txn.contains(&kept)? {
        return Ok(sha256);
    }
    let unattached = key_str(keys::UNATTACHED, &[workspace_id], &sha256);
    if *purpose == FilePurpose::Kept {
        txn.put(kept, Vec::new());
        txn.remove(unattached);
    } else {
        txn.put_json(unattached, &Unattached { size, at: txn.now })?;
    }
    Ok(sha256)
}

/// Adds `size` to the visitor's and the workspace's uploads of today, refusing it when either
/// would pass its quota.
fn count_upload(
    txn: &mut Txn,
    workspace_id: Id,
    quota: &UploadQuota,
    size: u64,
) -> StoreResult<()> {
    let today = txn.now.div_euclid(DAY_MS);
    let tomorrow_in = ((today + 1) * DAY_MS - txn.now).max(1000);
    let counters = [
        (
            quota.visitor.as_str(),
            quota.visitor_bytes_per_day,
            "this chat",
        ),
        ("", quota.workspace_bytes_per_day, "this site's chats"),
    ];
    let mut updated = Vec::with_capacity(counters.len());
    for (who, limit, whose) in counters {
        let counter_key = key_str(keys::UPLOADED_TODAY, &[workspace_id], who);
        let mut counter: UploadedToday = txn.get_json(&counter_key)?.unwrap_or_default();
        if counter.day != today {
            counter = UploadedToday {
                day: today,
                bytes: 0,
            };
        }
        let total = counter.bytes.saturating_add(size);
        if total > limit {
            return Err(StoreError::OverQuota {
                message: format!(
                    "{whose} may send at most {} MiB of files a day, and {} MiB were sent today; files can be sent again tomorrow",
                    limit >> 20,
                    counter.bytes >> 20
                ),
                retry_after_ms: tomorrow_in,
            });
        }
        counter.bytes = total;
        updated.push((counter_key, counter));
    }
    for (counter_key, counter) in updated {
        txn.put_json(counter_key, &counter)?;
    }
    Ok(())
}

/// Checks that every attachment is a file of this workspace of the size it claims, and marks
/// each as attached, so that it is never swept.
pub fn attach<'a>(
    txn: &mut Txn,
    workspace_id: Id,
    attachments: impl IntoIterator<Item = &'a Attachment>,
) -> StoreResult<()> {
    for attachment in attachments {
        let blob = key_str(keys::BLOB, &[workspace_id], &attachment.sha256);
        let size = txn
            .read(&blob, |bytes| bytes.len() as u64)?
            .ok_or_else(|| StoreError::not_found("attachment", &attachment.sha256))?;
        if size != attachment.size {
            return Err(StoreError::Invalid(format!(
                "attachment {} is {size} bytes, not {}",
                attachment.sha256, attachment.size
            )));
        }
        let kept = key_str(keys::KEPT_FILE, &[workspace_id], &attachment.sha256);
        if !txn.contains(&kept)? {
            txn.put(kept, Vec::new());
            txn.remove(key_str(
                keys::UNATTACHED,
                &[workspace_id],
                &attachment.sha256,
            ));
        }
    }
    Ok(())
}

/// Removes files uploaded before `before` that no message names, and the upload counters of
/// past days. Returns how many files and bytes went.
pub fn sweep_unattached(txn: &mut Txn, before: i64) -> StoreResult<(u64, u64)> {
    let (mut files, mut bytes) = (0, 0);
    for (unattached_key, value) in Scan::scan_prefix(txn, keys::UNATTACHED)? {
        let unattached: Unattached = serde_json::from_slice(&value)?;
        if unattached.at >= before {
            continue;
        }
        let rest = unattached_key[keys::UNATTACHED.len()..].to_vec();
        txn.remove(unattached_key);
        let blob_key = [keys::BLOB.as_slice(), &rest].concat();
        let kept_key = [keys::KEPT_FILE.as_slice(), &rest].concat();
        if !txn.contains(&kept_key)? && txn.contains(&blob_key)? {
            txn.remove(blob_key);
            files += 1;
            bytes += unattached.size;
            if let Some(workspace_id) = rest.get(..8).and_then(|id| id.try_into().ok()) {
                let workspace_id = Id::from_be_bytes(workspace_id);
                let stored = stored_bytes(txn, workspace_id)?;
                txn.put_json(
                    key(keys::FILE_BYTES, &[workspace_id]),
                    &stored.saturating_sub(unattached.size),
                )?;
            }
        }
    }
    let today = txn.now.div_euclid(DAY_MS);
    for (counter_key, value) in Scan::scan_prefix(txn, keys::UPLOADED_TODAY)? {
        let counter: UploadedToday = serde_json::from_slice(&value)?;
        if counter.day < today {
            txn.remove(counter_key);
        }
    }
    Ok((files, bytes))
}

/// How many bytes of files the workspace keeps: its running count, or (in a store made before
/// the count was kept) the sum of its files, which the next file written records.
pub fn stored_bytes(read: &(impl Read + Scan), workspace_id: Id) -> StoreResult<u64> {
    if let Some(stored) = read.get_json(&key(keys::FILE_BYTES, &[workspace_id]))? {
        return Ok(stored);
    }
    let mut stored = 0;
    read.walk_prefix(&key(keys::BLOB, &[workspace_id]), &mut |_, bytes| {
        stored += bytes.len() as u64;
        Ok(true)
    })?;
    Ok(stored)
}

/// The SHA-256 and size of each file of a workspace.
pub fn list(read: &impl Scan, workspace_id: Id) -> StoreResult<Vec<(String, u64)>> {
    let prefix = key(keys::BLOB, &[workspace_id]);
    let mut files = Vec::new();
    read.walk_prefix(&prefix, &mut |found, bytes| {
        let sha256 = String::from_utf8_lossy(&found[prefix.len()..]).into_owned();
        files.push((sha256, bytes.len() as u64));
        Ok(true)
    })?;
    Ok(files)
}

/// A file's bytes.
pub fn file(tree: &impl Read, workspace_id: Id, sha256: &str) -> StoreResult<Vec<u8>> {
    tree.get(&key_str(keys::BLOB, &[workspace_id], sha256))?
        .ok_or_else(|| StoreError::not_found("attachment", sha256))
}
