//! The store's files area on sled (see `crate::store`).

use async_trait::async_trait;
use switchboard_model::Id;

use crate::{FilePurpose, Files, StoreResult};

use crate::domain::{RecordStore, files};
use crate::engine::txn::Read;
use crate::keys::{self, key_str};

#[async_trait]
impl Files for RecordStore {
    async fn put_blob(
        &self,
        workspace_id: Id,
        bytes: Vec<u8>,
        limit: u64,
        purpose: FilePurpose,
    ) -> StoreResult<String> {
        self.writer
            .write_file(move |txn| files::put_file(txn, workspace_id, bytes, limit, &purpose))
            .await
    }

    async fn blob(&self, workspace_id: Id, sha256: &str) -> StoreResult<Vec<u8>> {
        files::file(&self.view(), workspace_id, sha256)
    }

    async fn has_file(&self, workspace_id: Id, sha256: &str) -> StoreResult<bool> {
        self.view()
            .contains(&key_str(keys::BLOB, &[workspace_id], sha256))
    }

    async fn stored_bytes(&self, workspace_id: Id) -> StoreResult<u64> {
        files::stored_bytes(&self.view(), workspace_id)
    }

    async fn file_list(&self, workspace_id: Id) -> StoreResult<Vec<(String, u64)>> {
        files::list(&self.view(), workspace_id)
    }

    async fn sweep_unattached_files(&self, before: i64) -> StoreResult<(u64, u64)> {
        self.writer
            .write(move |txn| files::sweep_unattached(txn, before))
            .await
    }
}
