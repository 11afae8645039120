//! Files: attachments, avatars and components, by their SHA-256.

use async_trait::async_trait;
use switchboard_model::Id;

use crate::{FilePurpose, StoreResult};

#[async_trait]
pub trait Files: Send + Sync {
    /// Stores content under its SHA-256 (hex), refusing more than `limit` bytes, for `purpose`:
    /// an attachment no message names in time is swept, a visitor's upload counts against its
    /// quotas (`OverQuota` past them); a disk under its reserve refuses files first (`Full`).
    async fn put_blob(
        &self,
        workspace_id: Id,
        bytes: Vec<u8>,
        limit: u64,
        purpose: FilePurpose,
    ) -> StoreResult<String>;
    async fn blob(&self, workspace_id: Id, sha256: &str) -> StoreResult<Vec<u8>>;
    /// Whether the workspace keeps the file with this SHA-256 (hex).
    async fn has_file(&self, workspace_id: Id, sha256: &str) -> StoreResult<bool>;
    /// How many bytes of files the workspace keeps.
    async fn stored_bytes(&self, workspace_id: Id) -> StoreResult<u64>;
    /// The SHA-256 (hex) and size of every file the workspace keeps.
    async fn file_list(&self, workspace_id: Id) -> StoreResult<Vec<(String, u64)>>;
    /// Removes files stored before `before` that no message names; returns how many files and
    /// bytes went.
    async fn sweep_unattached_files(&self, before: i64) -> StoreResult<(u64, u64)>;
}
