//! The store's directory area on sled (see `crate::store`).

use async_trait::async_trait;
use switchboard_model::{
    Agent, ApiToken, CannedResponse, CannedResponseUpdate, Channel, ChannelUpdate, Id, Label,
    LabelUpdate, NewApiToken, NewCannedResponse, NewChannel, NewLabel, NewTeam, RemovedWorkspace,
    Routing, Team, TeamUpdate, Workspace, WorkspaceQuotas, WorkspaceUpdate, WorkspaceUsage,
};

use crate::engine::txn::{Read, Scan};
use crate::keys::{key, key_str};
use crate::{AgentChange, Directory, NewAgentRecord, Session, StoreError, StoreResult};

use crate::domain::{Engine, RecordStore, directory, keys, removal};
use crate::engine::postgres::PgView;

#[async_trait]
impl Directory for RecordStore {
    async fn create_workspace(&self, name: &str) -> StoreResult<Workspace> {
        let name = name.to_string();
        self.writer
            .write(move |txn| directory::create_workspace(txn, name, WorkspaceQuotas::default()))
            .await
    }

    async fn workspaces(&self) -> StoreResult<Vec<Workspace>> {
        self.scan(keys::WORKSPACE)
    }

    async fn workspace(&self, id: Id) -> StoreResult<Workspace> {
        self.get(&key(keys::WORKSPACE, &[id]), "workspace", id)
    }

    async fn create_workspace_with_admin(
        &self,
        name: &str,
        admin: NewAgentRecord,
        quotas: WorkspaceQuotas,
    ) -> StoreResult<(Workspace, Agent)> {
        let name = name.to_string();
        self.writer
            .write(move |txn| directory::create_workspace_with_admin(txn, name, admin, quotas))
            .await
    }

    async fn set_workspace_quotas(
        &self,
        id: Id,
        quotas: WorkspaceQuotas,
    ) -> StoreResult<Workspace> {
        self.writer
            .write(move |txn| directory::set_workspace_quotas(txn, id, quotas))
            .await
    }

    async fn update_workspace(&self, id: Id, update: WorkspaceUpdate) -> StoreResult<Workspace> {
        self.writer
            .write(move |txn| directory::update_workspace(txn, id, update))
            .await
    }

    async fn suspend_workspace(&self, id: Id, suspended: bool) -> StoreResult<Workspace> {
        self.writer
            .write(move |txn| directory::suspend_workspace(txn, id, suspended))
            .await
    }

    async fn workspace_usage(&self, id: Id) -> StoreResult<WorkspaceUsage> {
        self.workspace(id).await?;
        directory::workspace_usage(&self.view(), id)
    }

    async fn remove_workspace(&self, id: Id) -> StoreResult<RemovedWorkspace> {
        let workspace = self.workspace(id).await?;
        if workspace.suspended_at.is_none() {
            return Err(StoreError::Conflict(format!(
                "the workspace {:?} is active: suspend it first, so that nobody works in it while it goes",
                workspace.name
            )));
        }
        let event_lines = match &self.engine {
            Engine::Sled(files) => files.segments.scrub(&files.db, id)?,
            Engine::Postgres(database, _) => PgView { database }.remove_events(id)?,
        };
        let mut records = self
            .writer
            .write(move |txn| removal::remove_found_through_others(txn, id))
            .await?;
        loop {
            let removed = self
                .writer
                .write(move |txn| removal::remove_batch(txn, id))
                .await?;
            if removed == 0 {
                break;
            }
            records += removed;
        }
        let blobs = self.blobs.clone();
        super::files::blocking(move || blobs.remove_workspace(id)).await?;
        self.inbox.forget_workspace(id);
        tracing::info!(
            workspace_id = id,
            records,
            event_lines,
            "removed a workspace"
        );
        Ok(RemovedWorkspace {
            workspace,
            records,
            event_lines,
            plugin_files: 0,
        })
    }

    async fn create_agent(&self, workspace_id: Id, agent: NewAgentRecord) -> StoreResult<Agent> {
        self.writer
            .write(move |txn| directory::create_agent(txn, workspace_id, agent))
            .await
    }

    async fn update_agent(
        &self,
        workspace_id: Id,
        id: Id,
        change: AgentChange,
    ) -> StoreResult<Agent> {
        let theirs = if change.active == Some(false) {
            self.inbox.assigned_to(workspace_id, id)
        } else {
            Vec::new()
        };
        self.writer
            .write(move |txn| directory::update_agent(txn, workspace_id, id, change, &theirs))
            .await
    }

    async fn agent(&self, workspace_id: Id, id: Id) -> StoreResult<Agent> {
        self.get(&key(keys::AGENT, &[workspace_id, id]), "agent", id)
    }

    async fn agents(&self, workspace_id: Id) -> StoreResult<Vec<Agent>> {
        self.scan(&key(keys::AGENT, &[workspace_id]))
    }

    async fn credentials(&self, email: &str) -> StoreResult<Option<(Agent, String)>> {
        directory::credentials(&self.view(), email)
    }

    async fn put_session(&self, secret_hash: [u8; 32], session: Session) -> StoreResult<()> {
        self.writer
            .write(move |txn| {
                txn.put_json(
                    key_str(keys::SESSION, &[], &hex::encode(secret_hash)),
                    &session,
                )
            })
            .await
    }

    async fn session(&self, secret_hash: [u8; 32]) -> StoreResult<Option<Session>> {
        self.view()
            .get_json(&key_str(keys::SESSION, &[], &hex::encode(secret_hash)))
    }

    async fn delete_session(&self, secret_hash: [u8; 32]) -> StoreResult<()> {
        self.writer
            .write(move |txn| {
                txn.remove(key_str(keys::SESSION, &[], &hex::encode(secret_hash)));
                Ok(())
            })
            .await
    }

    async fn create_api_token(
        &self,
        workspace_id: Id,
        agent_id: Id,
        new: NewApiToken,
        secret_hash: [u8; 32],
    ) -> StoreResult<ApiToken> {
        self.writer
            .write(move |txn| {
                directory::create_api_token(txn, workspace_id, agent_id, new, secret_hash)
            })
            .await
    }

    async fn revoke_agent_access(
        &self,
        workspace_id: Id,
        agent_id: Id,
        keep_session: Option<[u8; 32]>,
    ) -> StoreResult<()> {
        self.writer
            .write(move |txn| {
                directory::revoke_agent_access(txn, workspace_id, agent_id, keep_session)
            })
            .await
    }

    async fn api_token(&self, secret_hash: [u8; 32]) -> StoreResult<Option<ApiToken>> {
        self.view()
            .get_json(&key_str(keys::TOKEN, &[], &hex::encode(secret_hash)))
    }

    async fn api_tokens(&self, workspace_id: Id) -> StoreResult<Vec<ApiToken>> {
        let view = self.view();
        let mut tokens = Vec::new();
        for (_, secret_hash) in
            Scan::scan_prefix(&view, &key(keys::TOKEN_BY_WORKSPACE, &[workspace_id]))?
        {
            if let Some(token) =
                view.get_json(&key_str(keys::TOKEN, &[], &hex::encode(secret_hash)))?
            {
                tokens.push(token);
            }
        }
        Ok(tokens)
    }

    async fn revoke_api_token(&self, workspace_id: Id, id: Id) -> StoreResult<()> {
        self.writer
            .write(move |txn| directory::revoke_api_token(txn, workspace_id, id))
            .await
    }

    async fn create_team(&self, workspace_id: Id, team: NewTeam) -> StoreResult<Team> {
        self.writer
            .write(move |txn| directory::create_team(txn, workspace_id, team))
            .await
    }

    async fn update_team(&self, workspace_id: Id, id: Id, change: TeamUpdate) -> StoreResult<Team> {
        self.writer
            .write(move |txn| directory::update_team(txn, workspace_id, id, change))
            .await
    }

    async fn delete_team(&self, workspace_id: Id, id: Id) -> StoreResult<()> {
        self.writer
            .write(move |txn| directory::delete_team(txn, workspace_id, id))
            .await
    }

    async fn routing(&self, workspace_id: Id) -> StoreResult<Routing> {
        directory::routing(&self.view(), workspace_id)
    }

    async fn set_routing(&self, workspace_id: Id, routing: Routing) -> StoreResult<Routing> {
        self.writer
            .write(move |txn| directory::set_routing(txn, workspace_id, routing))
            .await
    }

    async fn teams(&self, workspace_id: Id) -> StoreResult<Vec<Team>> {
        self.scan(&key(keys::TEAM, &[workspace_id]))
    }

    async fn create_channel(
        &self,
        workspace_id: Id,
        channel: NewChannel,
        webhook_token: Option<String>,
    ) -> StoreResult<Channel> {
        self.writer
            .write(move |txn| directory::create_channel(txn, workspace_id, channel, webhook_token))
            .await
    }

    async fn update_channel(
        &self,
        workspace_id: Id,
        id: Id,
        change: ChannelUpdate,
    ) -> StoreResult<Channel> {
        self.writer
            .write(move |txn| directory::update_channel(txn, workspace_id, id, change))
            .await
    }

    async fn delete_channel(&self, workspace_id: Id, id: Id) -> StoreResult<Channel> {
        self.writer
            .write(move |txn| directory::delete_channel(txn, workspace_id, id))
            .await
    }

    async fn channel(&self, workspace_id: Id, id: Id) -> StoreResult<Channel> {
        self.get(&key(keys::CHANNEL, &[workspace_id, id]), "channel", id)
    }

    async fn channels(&self, workspace_id: Id) -> StoreResult<Vec<Channel>> {
        self.scan(&key(keys::CHANNEL, &[workspace_id]))
    }

    async fn create_canned_response(
        &self,
        workspace_id: Id,
        canned: NewCannedResponse,
    ) -> StoreResult<CannedResponse> {
        self.writer
            .write(move |txn| directory::create_canned_response(txn, workspace_id, canned))
            .await
    }

    async fn update_canned_response(
        &self,
        workspace_id: Id,
        id: Id,
        change: CannedResponseUpdate,
    ) -> StoreResult<CannedResponse> {
        self.writer
            .write(move |txn| directory::update_canned_response(txn, workspace_id, id, change))
            .await
    }

    async fn canned_responses(&self, workspace_id: Id) -> StoreResult<Vec<CannedResponse>> {
        self.scan(&key(keys::CANNED, &[workspace_id]))
    }

    async fn delete_canned_response(&self, workspace_id: Id, id: Id) -> StoreResult<()> {
        self.writer
            .write(move |txn| directory::delete_canned_response(txn, workspace_id, id))
            .await
    }

    async fn create_label(&self, workspace_id: Id, label: NewLabel) -> StoreResult<Label> {
        self.writer
            .write(move |txn| directory::create_label(txn, workspace_id, label))
            .await
    }

    async fn update_label(
        &self,
        workspace_id: Id,
        id: Id,
        change: LabelUpdate,
    ) -> StoreResult<Label> {
        self.writer
            .write(move |txn| directory::update_label(txn, workspace_id, id, change))
            .await
    }

    async fn labels(&self, workspace_id: Id) -> StoreResult<Vec<Label>> {
        self.scan(&key(keys::LABEL, &[workspace_id]))
    }

    async fn delete_label(&self, workspace_id: Id, id: Id) -> StoreResult<()> {
        self.writer
            .write(move |txn| directory::delete_label(txn, workspace_id, id))
            .await
    }
}
