//! The store's invitations area on sled (see `crate::store`).

use async_trait::async_trait;
use switchboard_model::{Agent, Id, Invitation, Millis, NewInvitation};

use crate::domain::{RecordStore, invitations};
use crate::{Invitations, StoreResult};

#[async_trait]
impl Invitations for RecordStore {
    async fn create_invitation(
        &self,
        workspace_id: Id,
        invited_by: Id,
        new: NewInvitation,
        expires_at: Millis,
    ) -> StoreResult<Invitation> {
        self.writer
            .write(move |txn| invitations::create(txn, workspace_id, invited_by, new, expires_at))
            .await
    }

    async fn invitations(&self, workspace_id: Id) -> StoreResult<Vec<Invitation>> {
        invitations::all(&self.view(), workspace_id)
    }

    async fn invitation(&self, workspace_id: Id, id: Id) -> StoreResult<Invitation> {
        invitations::load(&self.view(), workspace_id, id)
    }

    async fn renew_invitation(
        &self,
        workspace_id: Id,
        id: Id,
        expires_at: Millis,
    ) -> StoreResult<Invitation> {
        self.writer
            .write(move |txn| invitations::renew(txn, workspace_id, id, expires_at))
            .await
    }

    async fn delete_invitation(&self, workspace_id: Id, id: Id) -> StoreResult<()> {
        self.writer
            .write(move |txn| invitations::delete(txn, workspace_id, id))
            .await
    }

    async fn accept_invitation(
        &self,
        workspace_id: Id,
        id: Id,
        sent_at: Millis,
        password_hash: String,
    ) -> StoreResult<Agent> {
        self.writer
            .write(move |txn| invitations::accept(txn, workspace_id, id, sent_at, password_hash))
            .await
    }
}
