//! Files: stored once per workspace under their SHA-256, a record each (its size and the name
//! of the blob that holds its bytes, which live apart: see `crate::engine::blobs`). The bytes
//! are written before the step that records them and removed after the step that forgets them,
//! so a crash leaves at worst bytes that no record names, which a later sweep removes, never a
//! record without its bytes.
//!
//! A file no message names yet is *unattached*: visitors' uploads count against daily quotas,
//! and an upload that no message names within the grace period is swept away, so that
//! anonymous uploads cannot fill the disk.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use switchboard_model::{Attachment, Id};

use crate::engine::blobs::{Blobs, fresh_name};
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

/// A file the workspace keeps: its size, and the name of the blob that holds its bytes (see
/// `crate::engine::blobs`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StoredFile {
    pub size: u64,
    pub blob: String,
}

/// What recording a file found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recorded {
    /// The file is kept under the blob written for it.
    New,
    /// The workspace kept the file already: a blob written for it is not needed.
    Known,
    /// The workspace does not keep the file and no blob was written for it: write one, then
    /// record it again.
    NeedsBytes,
}

/// Refuses a file of `size` bytes over `limit`.
pub fn check_size(size: u64, limit: u64) -> StoreResult<()> {
    if size > limit {
        return Err(StoreError::TooLarge {
            what: "the attachment",
            size,
            limit,
        });
    }
    Ok(())
}

/// The SHA-256 (hex) that names a file of `bytes`.
pub fn sha256_of(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Records the file whose content has SHA-256 `sha256` and `size` bytes, for `purpose` (a
/// visitor's upload first counts against its quota), with `written`, the blob just written
/// for it, if any.
pub fn record_file(
    txn: &mut Txn,
    workspace_id: Id,
    sha256: &str,
    size: u64,
    written: Option<&str>,
    purpose: &FilePurpose,
) -> StoreResult<Recorded> {
    let file_key = key_str(keys::FILE, &[workspace_id], sha256);
    let recorded = if txn.contains(&file_key)? {
        Recorded::Known
    } else if let Some(blob) = written {
        let stored = stored_bytes(txn, workspace_id)?;
        txn.put_json(key(keys::FILE_BYTES, &[workspace_id]), &(stored + size))?;
        let file = StoredFile {
            size,
            blob: blob.to_string(),
        };
        txn.put_json(file_key, &file)?;
        Recorded::New
    } else {
        return Ok(Recorded::NeedsBytes);
    };
    if let FilePurpose::VisitorUpload(quota) = purpose {
        count_upload(txn, workspace_id, quota, size)?;
    }
    let kept = key_str(keys::KEPT_FILE, &[workspace_id], sha256);
    if txn.contains(&kept)? {
        return Ok(recorded);
    }
    let unattached = key_str(keys::UNATTACHED, &[workspace_id], sha256);
    if *purpose == FilePurpose::Kept {
        txn.put(kept, Vec::new());
        txn.remove(unattached);
    } else {
        txn.put_json(unattached, &Unattached { size, at: txn.now })?;
    }
    Ok(recorded)
}

/// Adds `size` to the visitor's and the workspace's uploads of today, refusing it when either
/// would pass its quota.
fn count_upload(
    txn: &mut Txn,
    workspace_id: Id,
    quota: &UploadQuota,
    size: u64,
) -> StoreResult<()> {
    let now = txn.now;
    for (counter_key, counter) in counted_upload(txn, now, workspace_id, quota, size)? {
        txn.put_json(counter_key, &counter)?;
    }
    Ok(())
}

/// Refuses an upload of `size` bytes that would pass the visitor's or the workspace's quota of
/// today, as [`count_upload`] will: what an upload checks before its bytes are written.
pub fn check_upload(
    read: &impl Read,
    now: i64,
    workspace_id: Id,
    quota: &UploadQuota,
    size: u64,
) -> StoreResult<()> {
    counted_upload(read, now, workspace_id, quota, size).map(drop)
}

/// The visitor's and the workspace's upload counters of today with `size` added, or the
/// refusal of the first whose quota it would pass.
fn counted_upload(
    read: &impl Read,
    now: i64,
    workspace_id: Id,
    quota: &UploadQuota,
    size: u64,
) -> StoreResult<Vec<(Vec<u8>, UploadedToday)>> {
    let today = now.div_euclid(DAY_MS);
    let tomorrow_in = ((today + 1) * DAY_MS - now).max(1000);
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
        let mut counter: UploadedToday = read.get_json(&counter_key)?.unwrap_or_default();
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
    Ok(updated)
}

/// Checks that every attachment is a file of this workspace of the size it claims, and marks
/// each as attached, so that it is never swept.
pub fn attach<'a>(
    txn: &mut Txn,
    workspace_id: Id,
    attachments: impl IntoIterator<Item = &'a Attachment>,
) -> StoreResult<()> {
    for attachment in attachments {
        let size = file(txn, workspace_id, &attachment.sha256)?.size;
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

/// What a sweep removed: how many files and bytes, and the blobs that held them, to remove
/// once the step is committed.
#[derive(Debug, Default)]
pub struct Swept {
    pub files: u64,
    pub bytes: u64,
    pub blobs: Vec<(Id, String)>,
}

/// Removes files uploaded before `before` that no message names, and the upload counters of
/// past days.
pub fn sweep_unattached(txn: &mut Txn, before: i64) -> StoreResult<Swept> {
    let mut swept = Swept::default();
    for (unattached_key, value) in Scan::scan_prefix(txn, keys::UNATTACHED)? {
        let unattached: Unattached = serde_json::from_slice(&value)?;
        if unattached.at >= before {
            continue;
        }
        let rest = unattached_key[keys::UNATTACHED.len()..].to_vec();
        txn.remove(unattached_key);
        let file_key = [keys::FILE.as_slice(), &rest].concat();
        let kept_key = [keys::KEPT_FILE.as_slice(), &rest].concat();
        if txn.contains(&kept_key)? {
            continue;
        }
        let Some(file) = txn.get_json::<StoredFile>(&file_key)? else {
            continue;
        };
        let Some(workspace_id) = keys::last_id(&rest[..rest.len().min(8)]) else {
            continue;
        };
        txn.remove(file_key);
        swept.files += 1;
        swept.bytes += file.size;
        swept.blobs.push((workspace_id, file.blob));
        let stored = stored_bytes(txn, workspace_id)?;
        txn.put_json(
            key(keys::FILE_BYTES, &[workspace_id]),
            &stored.saturating_sub(file.size),
        )?;
    }
    let today = txn.now.div_euclid(DAY_MS);
    for (counter_key, value) in Scan::scan_prefix(txn, keys::UPLOADED_TODAY)? {
        let counter: UploadedToday = serde_json::from_slice(&value)?;
        if counter.day < today {
            txn.remove(counter_key);
        }
    }
    Ok(swept)
}

/// How many bytes of files the workspace keeps: its running count, or (in a store made before
/// the count was kept) the sum of its files, which the next file written records.
pub fn stored_bytes(read: &(impl Read + Scan), workspace_id: Id) -> StoreResult<u64> {
    if let Some(stored) = read.get_json(&key(keys::FILE_BYTES, &[workspace_id]))? {
        return Ok(stored);
    }
    Ok(list(read, workspace_id)?.iter().map(|(_, size)| size).sum())
}

/// The SHA-256 and size of each file of a workspace.
pub fn list(read: &impl Scan, workspace_id: Id) -> StoreResult<Vec<(String, u64)>> {
    let prefix = key(keys::FILE, &[workspace_id]);
    let mut files = Vec::new();
    read.walk_prefix(&prefix, &mut |found, value| {
        let sha256 = String::from_utf8_lossy(&found[prefix.len()..]).into_owned();
        let file: StoredFile = serde_json::from_slice(value)?;
        files.push((sha256, file.size));
        Ok(true)
    })?;
    Ok(files)
}

/// A file the workspace keeps.
pub fn file(read: &impl Read, workspace_id: Id, sha256: &str) -> StoreResult<StoredFile> {
    read.get_json(&key_str(keys::FILE, &[workspace_id], sha256))?
        .ok_or_else(|| StoreError::not_found("attachment", sha256))
}

/// Of `candidates`, the blobs that no file of the store names.
pub fn unnamed(
    read: &impl Scan,
    mut candidates: Vec<(Id, String)>,
) -> StoreResult<Vec<(Id, String)>> {
    if candidates.is_empty() {
        return Ok(candidates);
    }
    let mut named = std::collections::HashSet::new();
    read.walk_prefix(keys::FILE, &mut |found, value| {
        let file: StoredFile = serde_json::from_slice(value)?;
        if let Some(workspace_id) = found.get(2..10).and_then(keys::last_id) {
            named.insert((workspace_id, file.blob));
        }
        Ok(true)
    })?;
    candidates.retain(|candidate| !named.contains(candidate));
    Ok(candidates)
}

/// Upgrades a sled tree of layout 3, which kept files' bytes in its records: each goes to a
/// blob, then its record names it, one file at a time (a crash in between leaves only bytes
/// that no file names, and the upgrade runs again at the next start).
pub fn move_bytes_to_blobs(db: &sled::Db, blobs: &dyn Blobs) -> StoreResult<()> {
    let mut moved = 0;
    for entry in db.scan_prefix(keys::LAYOUT_3_BLOB) {
        let (old_key, bytes) = entry?;
        let rest = &old_key[keys::LAYOUT_3_BLOB.len()..];
        let (Some(workspace_id), Ok(sha256)) = (
            rest.get(..8).and_then(keys::last_id),
            std::str::from_utf8(rest.get(8..).unwrap_or_default()),
        ) else {
            continue;
        };
        let blob = fresh_name(sha256);
        blobs.put(workspace_id, &blob, &bytes)?;
        let file = StoredFile {
            size: bytes.len() as u64,
            blob,
        };
        let mut batch = sled::Batch::default();
        batch.insert(
            key_str(keys::FILE, &[workspace_id], sha256),
            serde_json::to_vec(&file)?,
        );
        batch.remove(old_key);
        db.apply_batch(batch)?;
        moved += 1;
    }
    db.flush()?;
    if moved > 0 {
        tracing::info!(
            files = moved,
            "moved files' bytes out of the tree into blobs"
        );
    }
    Ok(())
}
