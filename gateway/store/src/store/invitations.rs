//! Invitations to join a workspace, and accepting one.

use async_trait::async_trait;
use switchboard_model::{Agent, Id, Invitation, Millis, NewInvitation};

use crate::StoreResult;

#[async_trait]
pub trait Invitations: Send + Sync {
    /// An invitation sent now, working until `expires_at`. Refused (`Conflict`) when the
    /// address is already someone's or already invited to the workspace; a team of another
    /// workspace is `NotFound`. `new.language` is the language to keep.
    async fn create_invitation(
        &self,
        workspace_id: Id,
        invited_by: Id,
        new: NewInvitation,
        expires_at: Millis,
    ) -> StoreResult<Invitation>;
    /// The workspace's pending invitations, oldest first.
    async fn invitations(&self, workspace_id: Id) -> StoreResult<Vec<Invitation>>;
    async fn invitation(&self, workspace_id: Id, id: Id) -> StoreResult<Invitation>;
    /// Marks the invitation sent again now, working until `expires_at`; its earlier links stop.
    async fn renew_invitation(
        &self,
        workspace_id: Id,
        id: Id,
        expires_at: Millis,
    ) -> StoreResult<Invitation>;
    /// Withdraws the invitation: its links stop working.
    async fn delete_invitation(&self, workspace_id: Id, id: Id) -> StoreResult<()>;
    /// Makes the invited person an agent with `password_hash`, in the invitation's teams and
    /// language, and removes the invitation, in one step; only the link sent at `sent_at`
    /// does it (`NotFound` once withdrawn, renewed or used; `Conflict` when the address became
    /// someone's meanwhile).
    async fn accept_invitation(
        &self,
        workspace_id: Id,
        id: Id,
        sent_at: Millis,
        password_hash: String,
    ) -> StoreResult<Agent>;
}
