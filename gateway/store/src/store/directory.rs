//! Workspaces, agents and their credentials, sessions and API tokens, teams, channels, canned
//! responses and the catalogue of labels.

use async_trait::async_trait;
use switchboard_model::{
    Agent, ApiToken, CannedResponse, CannedResponseUpdate, Channel, ChannelUpdate, Id, Label,
    LabelUpdate, NewApiToken, NewCannedResponse, NewChannel, NewLabel, NewTeam, RemovedWorkspace,
    Routing, Team, TeamUpdate, Workspace, WorkspaceQuotas, WorkspaceUpdate, WorkspaceUsage,
};

use crate::{AgentChange, NewAgentRecord, Session, StoreResult};

#[async_trait]
pub trait Directory: Send + Sync {
    // ---- workspaces ----
    async fn create_workspace(&self, name: &str) -> StoreResult<Workspace>;
    async fn workspaces(&self) -> StoreResult<Vec<Workspace>>;
    async fn workspace(&self, id: Id) -> StoreResult<Workspace>;
    /// A workspace with `quotas` and its first admin in one step: neither is made when the
    /// address is already an agent's (`Conflict`).
    async fn create_workspace_with_admin(
        &self,
        name: &str,
        admin: NewAgentRecord,
        quotas: WorkspaceQuotas,
    ) -> StoreResult<(Workspace, Agent)>;
    /// Sets the limits the operator gives the workspace.
    async fn set_workspace_quotas(&self, id: Id, quotas: WorkspaceQuotas)
    -> StoreResult<Workspace>;
    /// Changes the workspace's profile (name, time zone, languages, first run done), each
    /// value checked already by the caller.
    async fn update_workspace(&self, id: Id, update: WorkspaceUpdate) -> StoreResult<Workspace>;
    /// Suspends a workspace, ending its sessions, or resumes it; nothing else changes.
    async fn suspend_workspace(&self, id: Id, suspended: bool) -> StoreResult<Workspace>;
    /// What the workspace holds: people, channels, conversations and stored bytes.
    async fn workspace_usage(&self, id: Id) -> StoreResult<WorkspaceUsage>;
    /// Removes a suspended workspace and everything of it (`Conflict` while it is active); a
    /// removal cut short is finished by calling again.
    async fn remove_workspace(&self, id: Id) -> StoreResult<RemovedWorkspace>;

    // ---- agents and credentials ----
    /// Fails with a conflict when the email address is already an agent's, in any workspace.
    async fn create_agent(&self, workspace_id: Id, agent: NewAgentRecord) -> StoreResult<Agent>;
    /// Refused (`Conflict`) when it would leave the workspace with no active admin.
    /// Deactivating an agent ends their sessions and tokens and puts their conversations that
    /// are not resolved back in the queue, unassigned, each with a `system` message saying so.
    async fn update_agent(
        &self,
        workspace_id: Id,
        id: Id,
        change: AgentChange,
    ) -> StoreResult<Agent>;
    async fn agent(&self, workspace_id: Id, id: Id) -> StoreResult<Agent>;
    async fn agents(&self, workspace_id: Id) -> StoreResult<Vec<Agent>>;
    /// The agent who logs in with this email address, and its password hash.
    async fn credentials(&self, email: &str) -> StoreResult<Option<(Agent, String)>>;

    // ---- sessions and API tokens, keyed by the SHA-256 of their secret ----
    async fn put_session(&self, secret_hash: [u8; 32], session: Session) -> StoreResult<()>;
    async fn session(&self, secret_hash: [u8; 32]) -> StoreResult<Option<Session>>;
    async fn delete_session(&self, secret_hash: [u8; 32]) -> StoreResult<()>;
    async fn create_api_token(
        &self,
        workspace_id: Id,
        agent_id: Id,
        new: NewApiToken,
        secret_hash: [u8; 32],
    ) -> StoreResult<ApiToken>;
    /// Ends every session and revokes every API token of an agent, but the session
    /// `keep_session` (the one that asked, when it was a browser).
    async fn revoke_agent_access(
        &self,
        workspace_id: Id,
        agent_id: Id,
        keep_session: Option<[u8; 32]>,
    ) -> StoreResult<()>;
    async fn api_token(&self, secret_hash: [u8; 32]) -> StoreResult<Option<ApiToken>>;
    async fn api_tokens(&self, workspace_id: Id) -> StoreResult<Vec<ApiToken>>;
    async fn revoke_api_token(&self, workspace_id: Id, id: Id) -> StoreResult<()>;

    // ---- teams, channels, canned responses, labels ----
    async fn create_team(&self, workspace_id: Id, team: NewTeam) -> StoreResult<Team>;
    async fn update_team(&self, workspace_id: Id, id: Id, change: TeamUpdate) -> StoreResult<Team>;
    /// Removes a team: its conversations keep their history without it, and channels that
    /// routed new conversations to it route them to no team.
    async fn delete_team(&self, workspace_id: Id, id: Id) -> StoreResult<()>;
    async fn teams(&self, workspace_id: Id) -> StoreResult<Vec<Team>>;
    /// The workspace's hours, away message and routing rules (nothing set by default).
    async fn routing(&self, workspace_id: Id) -> StoreResult<Routing>;
    /// Replaces the workspace's routing, as checked by the caller.
    async fn set_routing(&self, workspace_id: Id, routing: Routing) -> StoreResult<Routing>;
    /// `webhook_token` is the secret part of the channel's webhook URL, for plugin channels.
    async fn create_channel(
        &self,
        workspace_id: Id,
        channel: NewChannel,
        webhook_token: Option<String>,
    ) -> StoreResult<Channel>;
    async fn update_channel(
        &self,
        workspace_id: Id,
        id: Id,
        change: ChannelUpdate,
    ) -> StoreResult<Channel>;
    /// Deletes a channel, keeping its conversations: it becomes inactive for good, and its
    /// webhook address, secrets and other records are removed.
    async fn delete_channel(&self, workspace_id: Id, id: Id) -> StoreResult<Channel>;
    async fn channel(&self, workspace_id: Id, id: Id) -> StoreResult<Channel>;
    async fn channels(&self, workspace_id: Id) -> StoreResult<Vec<Channel>>;
    /// Fails with a conflict when another canned response has the shortcut.
    async fn create_canned_response(
        &self,
        workspace_id: Id,
        canned: NewCannedResponse,
    ) -> StoreResult<CannedResponse>;
    /// Fails with a conflict when another canned response has the new shortcut.
    async fn update_canned_response(
        &self,
        workspace_id: Id,
        id: Id,
        change: CannedResponseUpdate,
    ) -> StoreResult<CannedResponse>;
    async fn canned_responses(&self, workspace_id: Id) -> StoreResult<Vec<CannedResponse>>;
    async fn delete_canned_response(&self, workspace_id: Id, id: Id) -> StoreResult<()>;
    /// Fails with a conflict when another label has the name (as given: the caller makes it
    /// [`Label::name_of`]).
    async fn create_label(&self, workspace_id: Id, label: NewLabel) -> StoreResult<Label>;
    /// Fails with a conflict when another label has the new name.
    async fn update_label(
        &self,
        workspace_id: Id,
        id: Id,
        change: LabelUpdate,
    ) -> StoreResult<Label>;
    async fn labels(&self, workspace_id: Id) -> StoreResult<Vec<Label>>;
    /// Removes the label from the catalogue; conversations keep the name.
    async fn delete_label(&self, workspace_id: Id, id: Id) -> StoreResult<()>;
}
