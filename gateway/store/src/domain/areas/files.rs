//! The store's files area: records in the engine, bytes in the blob store (see
//! `crate::domain::files`).

use std::sync::Arc;

use async_trait::async_trait;
use switchboard_model::Id;

use crate::domain::RecordStore;
use crate::domain::files::{self, Recorded, StoredFile};
use crate::engine::blobs::fresh_name;
use crate::engine::disk_room::Need;
use crate::engine::txn::Read;
use crate::keys::{self, key_str};
use crate::{FilePurpose, Files, StoreError, StoreResult};

/// How old bytes that no file names must be before a sweep removes them: older than any
/// upload still on its way from its blob to its record.
const UNNAMED_BLOB_AGE_MS: i64 = 3_600_000;

#[async_trait]
impl Files for RecordStore {
    async fn put_blob(
        &self,
        workspace_id: Id,
        bytes: Vec<u8>,
        limit: u64,
        purpose: FilePurpose,
    ) -> StoreResult<String> {
        let size = bytes.len() as u64;
        files::check_size(size, limit)?;
        // A visitor over quota is refused before any byte is written (the step counts again).
        if let FilePurpose::VisitorUpload(quota) = &purpose {
            let now = switchboard_model::now_millis();
            files::check_upload(&self.view(), now, workspace_id, quota, size)?;
        }
        let bytes = Arc::new(bytes);
        let sha256 = {
            let bytes = bytes.clone();
            blocking(move || Ok(files::sha256_of(&bytes))).await?
        };
        let mut written = None;
        if !self.has_file(workspace_id, &sha256).await? {
            written = Some(self.write_blob(workspace_id, &sha256, &bytes).await?);
        }
        loop {
            let (sha, blob, purpose) = (sha256.clone(), written.clone(), purpose.clone());
            let recorded = self
                .writer
                .write_file(move |txn| {
                    files::record_file(txn, workspace_id, &sha, size, blob.as_deref(), &purpose)
                })
                .await;
            let surplus = match recorded {
                Ok(Recorded::NeedsBytes) => {
                    written = Some(self.write_blob(workspace_id, &sha256, &bytes).await?);
                    continue;
                }
                Ok(Recorded::New) => None,
                // A commit that failed on the way (the connection lost) may have gone in after
                // all: its bytes stay for the sweep, which removes them only if nothing names them.
                Err(StoreError::Backend(_)) => None,
                Ok(Recorded::Known) | Err(_) => written,
            };
            if let Some(blob) = surplus {
                self.remove_blobs(vec![(workspace_id, blob)]).await;
            }
            return recorded.map(|_| sha256);
        }
    }

    async fn blob(&self, workspace_id: Id, sha256: &str) -> StoreResult<Vec<u8>> {
        let StoredFile { blob, .. } = files::file(&self.view(), workspace_id, sha256)?;
        let blobs = self.blobs.clone();
        let name = blob.clone();
        let bytes = blocking(move || blobs.get(workspace_id, &name)).await?;
        if bytes.is_none() && self.has_file(workspace_id, sha256).await? {
            tracing::error!(
                workspace_id,
                sha256,
                blob,
                "a file's bytes are missing from the blob store"
            );
        }
        // Else removed since its record was read.
        bytes.ok_or_else(|| StoreError::not_found("attachment", sha256))
    }

    async fn has_file(&self, workspace_id: Id, sha256: &str) -> StoreResult<bool> {
        self.view()
            .contains(&key_str(keys::FILE, &[workspace_id], sha256))
    }

    async fn stored_bytes(&self, workspace_id: Id) -> StoreResult<u64> {
        files::stored_bytes(&self.view(), workspace_id)
    }

    async fn file_list(&self, workspace_id: Id) -> StoreResult<Vec<(String, u64)>> {
        files::list(&self.view(), workspace_id)
    }

    async fn sweep_unattached_files(&self, before: i64) -> StoreResult<(u64, u64)> {
        let swept = self
            .writer
            .write(move |txn| files::sweep_unattached(txn, before))
            .await?;
        self.remove_blobs(swept.blobs).await;
        if let Err(error) = self.sweep_unnamed_blobs().await {
            tracing::warn!(%error, "cannot look for bytes that no file names");
        }
        Ok((swept.files, swept.bytes))
    }
}

impl RecordStore {
    /// Writes `bytes` to a new blob for the file `sha256`; answers its name.
    async fn write_blob(
        &self,
        workspace_id: Id,
        sha256: &str,
        bytes: &Arc<Vec<u8>>,
    ) -> StoreResult<String> {
        self.writer.check_room(Need::File)?;
        let (blobs, bytes, name) = (self.blobs.clone(), bytes.clone(), fresh_name(sha256));
        let written = name.clone();
        blocking(move || blobs.put(workspace_id, &written, &bytes))
            .await
            .inspect_err(|error| self.writer.note_no_room(error))?;
        Ok(name)
    }

    /// Removes blobs that no record names any more. One that cannot be removed now stays for
    /// the sweep of unnamed blobs.
    pub(super) async fn remove_blobs(&self, doomed: Vec<(Id, String)>) {
        if doomed.is_empty() {
            return;
        }
        let blobs = self.blobs.clone();
        let removed = blocking(move || {
            for (workspace_id, name) in &doomed {
                blobs.remove(*workspace_id, name)?;
            }
            Ok(())
        })
        .await;
        if let Err(error) = removed {
            tracing::warn!(%error, "cannot remove a file's bytes yet; the next sweep will");
        }
    }

    /// Removes the blobs older than [`UNNAMED_BLOB_AGE_MS`] that no file names: those of an
    /// upload refused or a removal cut short by a crash.
    async fn sweep_unnamed_blobs(&self) -> StoreResult<()> {
        let before = switchboard_model::now_millis() - UNNAMED_BLOB_AGE_MS;
        let blobs = self.blobs.clone();
        let old = blocking(move || blobs.written_before(before)).await?;
        let unnamed = files::unnamed(&self.view(), old)?;
        if !unnamed.is_empty() {
            tracing::info!(blobs = unnamed.len(), "removing bytes that no file names");
            self.remove_blobs(unnamed).await;
        }
        Ok(())
    }
}

/// Runs blocking work (hashing, the blob store's disk or network) off the async threads.
pub(super) async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> StoreResult<T> + Send + 'static,
) -> StoreResult<T> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|_| StoreError::Backend("a file's work stopped".into()))?
}
