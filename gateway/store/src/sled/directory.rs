//! Workspaces, agents, credentials, tokens, teams, channels, canned responses and labels.

use serde::de::DeserializeOwned;
use switchboard_model::{
    Agent, ApiToken, Availability, CannedResponse, CannedResponseUpdate, Channel, ChannelUpdate,
    EventKind, Id, Label, LabelUpdate, NewApiToken, NewCannedResponse, NewChannel, NewLabel,
    NewTeam, NotificationSettings, PluginState, PluginVersion, Role, Team, TeamUpdate, Workspace,
    WorkspaceQuotas, WorkspaceUsage,
};

use super::engine::txn::{Read, Scan, Txn};
use super::keys::{self, key, key_str};
use crate::{AgentChange, NewAgentRecord, Session, StoreError, StoreResult};

pub fn create_workspace(
    txn: &mut Txn,
    name: String,
    quotas: WorkspaceQuotas,
) -> StoreResult<Workspace> {
    let workspace = Workspace {
        id: txn.next_id(),
        name,
        created_at: txn.now,
        suspended_at: None,
        quotas,
    };
    txn.put_json(key(keys::WORKSPACE, &[workspace.id]), &workspace)?;
    Ok(workspace)
}

/// A new workspace with `quotas` and its first admin, or neither (the admin's address is
/// someone's already).
pub fn create_workspace_with_admin(
    txn: &mut Txn,
    name: String,
    admin: NewAgentRecord,
    quotas: WorkspaceQuotas,
) -> StoreResult<(Workspace, Agent)> {
    let workspace = create_workspace(txn, name, quotas)?;
    let admin = create_agent(txn, workspace.id, admin)?;
    Ok((workspace, admin))
}

/// Counts what a workspace holds, for its operator.
pub fn workspace_usage(read: &(impl Read + Scan), id: Id) -> StoreResult<WorkspaceUsage> {
    let mut usage = WorkspaceUsage::default();
    read.walk_prefix(&key(keys::AGENT, &[id]), &mut |_, _| {
        usage.agents += 1;
        Ok(true)
    })?;
    read.walk_prefix(&key(keys::CHANNEL, &[id]), &mut |_, value| {
        let channel: Channel = serde_json::from_slice(value)?;
        usage.channels += u64::from(channel.deleted_at.is_none());
        Ok(true)
    })?;
    read.walk_prefix(&key(keys::CONVERSATION, &[id]), &mut |_, _| {
        usage.conversations += 1;
        Ok(true)
    })?;
    usage.storage_bytes = super::files::stored_bytes(read, id)?;
    read.walk_prefix(&key(keys::DEAD_USAGE, &[id]), &mut |_, value| {
        let dead: super::delivery::DeadUsage = serde_json::from_slice(value)?;
        usage.storage_bytes += dead.bytes;
        Ok(true)
    })?;
    Ok(usage)
}

/// Sets the workspace's quotas.
pub fn set_workspace_quotas(
    txn: &mut Txn,
    id: Id,
    quotas: WorkspaceQuotas,
) -> StoreResult<Workspace> {
    let workspace_key = key(keys::WORKSPACE, &[id]);
    let mut workspace: Workspace = txn
        .get_json(&workspace_key)?
        .ok_or_else(|| StoreError::not_found("workspace", id))?;
    workspace.quotas = quotas;
    txn.put_json(workspace_key, &workspace)?;
    Ok(workspace)
}

/// Suspends the workspace (its sessions end with it) or resumes it.
pub fn suspend_workspace(txn: &mut Txn, id: Id, suspended: bool) -> StoreResult<Workspace> {
    let workspace_key = key(keys::WORKSPACE, &[id]);
    let mut workspace: Workspace = txn
        .get_json(&workspace_key)?
        .ok_or_else(|| StoreError::not_found("workspace", id))?;
    workspace.suspended_at = match (suspended, workspace.suspended_at) {
        (true, Some(since)) => Some(since),
        (true, None) => Some(txn.now),
        (false, _) => None,
    };
    if suspended {
        for (session_key, value) in Scan::scan_prefix(txn, keys::SESSION)? {
            let session: Session = serde_json::from_slice(&value)?;
            if session.workspace_id == id {
                txn.remove(session_key);
            }
        }
    }
    txn.put_json(workspace_key, &workspace)?;
    Ok(workspace)
}

pub fn create_agent(txn: &mut Txn, workspace_id: Id, new: NewAgentRecord) -> StoreResult<Agent> {
    require_workspace(txn, workspace_id)?;
    let email = new.email.trim().to_lowercase();
    let email_key = key_str(keys::AGENT_EMAIL, &[], &email);
    if txn.contains(&email_key)? {
        return Err(StoreError::Conflict(format!(
            "an agent with the email address {email} already exists"
        )));
    }
    let agent = Agent {
        id: txn.next_id(),
        workspace_id,
        name: new.name,
        email,
        role: new.role,
        signature: String::new(),
        active: true,
        avatar: None,
        availability: Availability::default(),
        language: None,
        notifications: NotificationSettings::default(),
        created_at: txn.now,
    };
    txn.put_json(email_key, &(workspace_id, agent.id))?;
    txn.put(
        key(keys::PASSWORD, &[agent.id]),
        new.password_hash.into_bytes(),
    );
    txn.put_json(key(keys::AGENT, &[workspace_id, agent.id]), &agent)?;
    Ok(agent)
}

/// Changes an agent. Deactivating one also ends their sessions and tokens and puts back in
/// the queue those of `theirs` (the conversations assigned to them) that still are.
pub fn update_agent(
    txn: &mut Txn,
    workspace_id: Id,
    id: Id,
    change: AgentChange,
    theirs: &[Id],
) -> StoreResult<Agent> {
    let agent_key = key(keys::AGENT, &[workspace_id, id]);
    let mut agent: Agent = txn
        .get_json(&agent_key)?
        .ok_or_else(|| StoreError::not_found("agent", id))?;
    let was_active = agent.active;
    let was_admin = agent.active && agent.role == Role::Admin;
    if let Some(name) = change.name {
        agent.name = name;
    }
    if let Some(role) = change.role {
        agent.role = role;
    }
    if let Some(signature) = change.signature {
        agent.signature = signature;
    }
    if let Some(active) = change.active {
        agent.active = active;
    }
    if was_admin
        && !(agent.active && agent.role == Role::Admin)
        && !other_active_admin(txn, workspace_id, id)?
    {
        return Err(StoreError::Conflict(format!(
            "{} is the workspace's last active admin: make another person an admin first, so that someone can still manage the workspace",
            agent.email
        )));
    }
    if was_active && !agent.active {
        revoke_agent_access(txn, workspace_id, id, None)?;
        for conversation in theirs {
            crate::sled::conversations::requeue(txn, workspace_id, *conversation, id)?;
        }
    }
    if let Some(avatar) = change.avatar {
        if let Some(picture) = &avatar {
            let blob = key_str(keys::BLOB, &[workspace_id], &picture.sha256);
            if !txn.contains(&blob)? {
                return Err(StoreError::not_found("avatar image", &picture.sha256));
            }
        }
        agent.avatar = avatar;
    }
    if let Some(language) = change.language {
        agent.language = language;
    }
    if let Some(availability) = change.availability {
        agent.availability = availability;
    }
    if let Some(notifications) = change.notifications {
        agent.notifications = notifications;
    }
    if let Some(hash) = change.password_hash {
        txn.put(key(keys::PASSWORD, &[id]), hash.into_bytes());
    }
    txn.put_json(agent_key, &agent)?;
    txn.emit(workspace_id, EventKind::AgentUpdated(agent.clone()))?;
    Ok(agent)
}

/// Whether the workspace has an active admin besides agent `id`.
fn other_active_admin(txn: &Txn, workspace_id: Id, id: Id) -> StoreResult<bool> {
    for (_, value) in Scan::scan_prefix(txn, &key(keys::AGENT, &[workspace_id]))? {
        let agent: Agent = serde_json::from_slice(&value)?;
        if agent.id != id && agent.active && agent.role == Role::Admin {
            return Ok(true);
        }
    }
    Ok(false)
}

pub fn credentials(tree: &impl Read, email: &str) -> StoreResult<Option<(Agent, String)>> {
    let email = email.trim().to_lowercase();
    let Some((workspace_id, agent_id)) =
        tree.get_json::<(Id, Id)>(&key_str(keys::AGENT_EMAIL, &[], &email))?
    else {
        return Ok(None);
    };
    let agent: Option<Agent> = tree.get_json(&key(keys::AGENT, &[workspace_id, agent_id]))?;
    let hash = tree.get(&key(keys::PASSWORD, &[agent_id]))?;
    Ok(agent.zip(hash.map(|hash| String::from_utf8_lossy(&hash).into_owned())))
}

pub fn create_api_token(
    txn: &mut Txn,
    workspace_id: Id,
    agent_id: Id,
    new: NewApiToken,
    secret_hash: [u8; 32],
) -> StoreResult<ApiToken> {
    require(txn, keys::AGENT, "agent", workspace_id, agent_id)?;
    let token = ApiToken {
        id: txn.next_id(),
        workspace_id,
        agent_id,
        name: new.name,
        created_at: txn.now,
        scope: new.scope,
        expires_at: new.expires_at,
    };
    txn.put_json(key_str(keys::TOKEN, &[], &hex::encode(secret_hash)), &token)?;
    txn.put(
        key(keys::TOKEN_BY_WORKSPACE, &[workspace_id, token.id]),
        secret_hash.to_vec(),
    );
    Ok(token)
}

pub fn revoke_api_token(txn: &mut Txn, workspace_id: Id, id: Id) -> StoreResult<()> {
    let index = key(keys::TOKEN_BY_WORKSPACE, &[workspace_id, id]);
    let secret_hash = txn
        .get(&index)?
        .ok_or_else(|| StoreError::not_found("API token", id))?;
    txn.remove(key_str(keys::TOKEN, &[], &hex::encode(secret_hash)));
    txn.remove(index);
    Ok(())
}

pub fn revoke_agent_access(
    txn: &mut Txn,
    workspace_id: Id,
    agent_id: Id,
    keep_session: Option<[u8; 32]>,
) -> StoreResult<()> {
    let kept = keep_session.map(hex::encode);
    for (session_key, value) in Scan::scan_prefix(txn, keys::SESSION)? {
        let session: Session = serde_json::from_slice(&value)?;
        let secret = String::from_utf8_lossy(&session_key[keys::SESSION.len()..]).into_owned();
        if session.workspace_id == workspace_id
            && session.agent_id == agent_id
            && kept.as_deref() != Some(secret.as_str())
        {
            txn.remove(session_key);
        }
    }
    for (index, secret_hash) in
        Scan::scan_prefix(txn, &key(keys::TOKEN_BY_WORKSPACE, &[workspace_id]))?
    {
        let token_key = key_str(keys::TOKEN, &[], &hex::encode(&secret_hash));
        if let Some(token) = txn.get_json::<ApiToken>(&token_key)?
            && token.agent_id == agent_id
        {
            txn.remove(token_key);
            txn.remove(index);
        }
    }
    Ok(())
}

pub fn create_team(txn: &mut Txn, workspace_id: Id, new: NewTeam) -> StoreResult<Team> {
    require_workspace(txn, workspace_id)?;
    for member in &new.member_ids {
        require(txn, keys::AGENT, "agent", workspace_id, *member)?;
    }
    let team = Team {
        id: txn.next_id(),
        workspace_id,
        name: new.name,
        colour: new.colour,
        member_ids: new.member_ids,
        auto_assign: new.auto_assign,
        created_at: txn.now,
    };
    txn.put_json(key(keys::TEAM, &[workspace_id, team.id]), &team)?;
    Ok(team)
}

pub fn update_team(
    txn: &mut Txn,
    workspace_id: Id,
    id: Id,
    change: TeamUpdate,
) -> StoreResult<Team> {
    let team_key = key(keys::TEAM, &[workspace_id, id]);
    let mut team: Team = txn
        .get_json(&team_key)?
        .ok_or_else(|| StoreError::not_found("team", id))?;
    if let Some(name) = change.name {
        team.name = name;
    }
    if let Some(colour) = change.colour {
        team.colour = colour;
    }
    if let Some(members) = change.member_ids {
        for member in &members {
            require(txn, keys::AGENT, "agent", workspace_id, *member)?;
        }
        team.member_ids = members;
    }
    if let Some(auto_assign) = change.auto_assign {
        team.auto_assign = auto_assign;
    }
    txn.put_json(team_key, &team)?;
    Ok(team)
}

pub fn delete_team(txn: &mut Txn, workspace_id: Id, id: Id) -> StoreResult<()> {
    require(txn, keys::TEAM, "team", workspace_id, id)?;
    txn.remove(key(keys::TEAM, &[workspace_id, id]));
    for (channel_key, value) in Scan::scan_prefix(txn, &key(keys::CHANNEL, &[workspace_id]))? {
        let mut channel: Channel = serde_json::from_slice(&value)?;
        if channel.default_team_id == Some(id) {
            channel.default_team_id = None;
            txn.put_json(channel_key, &channel)?;
        }
    }
    Ok(())
}

pub fn create_channel(
    txn: &mut Txn,
    workspace_id: Id,
    new: NewChannel,
    webhook_token: Option<String>,
) -> StoreResult<Channel> {
    require_workspace(txn, workspace_id)?;
    if let Some(plugin) = &new.plugin {
        let state: Option<PluginState> =
            txn.get_json(&key_str(keys::PLUGIN, &[workspace_id], plugin))?;
        if state.is_none() {
            return Err(StoreError::not_found("plugin", plugin));
        }
    }
    if let Some(team) = new.default_team_id {
        require(txn, keys::TEAM, "team", workspace_id, team)?;
    }
    let channel = Channel {
        id: txn.next_id(),
        workspace_id,
        kind: new.kind,
        name: new.name,
        active: true,
        default_team_id: new.default_team_id,
        settings: new.settings,
        webhook_token: webhook_token.filter(|_| new.plugin.is_some()),
        webhook_url: None,
        widget_id: None,
        snippet: None,
        plugin: new.plugin,
        created_at: txn.now,
        deleted_at: None,
    };
    txn.put_json(key(keys::CHANNEL, &[workspace_id, channel.id]), &channel)?;
    Ok(channel)
}

pub fn update_channel(
    txn: &mut Txn,
    workspace_id: Id,
    id: Id,
    change: ChannelUpdate,
) -> StoreResult<Channel> {
    let channel_key = key(keys::CHANNEL, &[workspace_id, id]);
    let mut channel: Channel = txn
        .get_json(&channel_key)?
        .ok_or_else(|| StoreError::not_found("channel", id))?;
    if channel.deleted_at.is_some() {
        return Err(StoreError::Conflict(format!(
            "channel {id} ({}) was deleted",
            channel.name
        )));
    }
    if let Some(name) = change.name {
        channel.name = name;
    }
    if let Some(active) = change.active {
        channel.active = active;
    }
    match change.default_team_id {
        Some(0) => channel.default_team_id = None,
        Some(team) => {
            require(txn, keys::TEAM, "team", workspace_id, team)?;
            channel.default_team_id = Some(team);
        }
        None => {}
    }
    if let Some(settings) = change.settings {
        channel.settings = settings;
    }
    txn.put_json(channel_key, &channel)?;
    Ok(channel)
}

pub fn delete_channel(txn: &mut Txn, workspace_id: Id, id: Id) -> StoreResult<Channel> {
    let channel_key = key(keys::CHANNEL, &[workspace_id, id]);
    let mut channel: Channel = txn
        .get_json(&channel_key)?
        .ok_or_else(|| StoreError::not_found("channel", id))?;
    if channel.deleted_at.is_none() {
        channel.deleted_at = Some(txn.now);
        channel.active = false;
        channel.webhook_token = None;
        txn.put_json(channel_key, &channel)?;
        for record in crate::ChannelRecord::ALL {
            txn.remove(keys::channel_record(workspace_id, id, record));
        }
    }
    Ok(channel)
}

pub fn create_canned_response(
    txn: &mut Txn,
    workspace_id: Id,
    new: NewCannedResponse,
) -> StoreResult<CannedResponse> {
    require_workspace(txn, workspace_id)?;
    require_free_shortcut(txn, workspace_id, &new.shortcut, None)?;
    let canned = CannedResponse {
        id: txn.next_id(),
        workspace_id,
        shortcut: new.shortcut,
        content: new.content,
        created_at: txn.now,
    };
    txn.put_json(key(keys::CANNED, &[workspace_id, canned.id]), &canned)?;
    Ok(canned)
}

pub fn update_canned_response(
    txn: &mut Txn,
    workspace_id: Id,
    id: Id,
    change: CannedResponseUpdate,
) -> StoreResult<CannedResponse> {
    let canned_key = key(keys::CANNED, &[workspace_id, id]);
    let mut canned: CannedResponse = txn
        .get_json(&canned_key)?
        .ok_or_else(|| StoreError::not_found("canned response", id))?;
    if let Some(shortcut) = change.shortcut {
        require_free_shortcut(txn, workspace_id, &shortcut, Some(id))?;
        canned.shortcut = shortcut;
    }
    if let Some(content) = change.content {
        canned.content = content;
    }
    txn.put_json(canned_key, &canned)?;
    Ok(canned)
}

/// Refuses a shortcut another of the workspace's canned responses has (`Conflict`).
fn require_free_shortcut(
    txn: &Txn,
    workspace_id: Id,
    shortcut: &str,
    except: Option<Id>,
) -> StoreResult<()> {
    let taken = any_other(
        txn,
        keys::CANNED,
        workspace_id,
        except,
        |canned: &CannedResponse| canned.shortcut == shortcut,
    )?;
    if taken {
        return Err(StoreError::Conflict(format!(
            "the shortcut /{shortcut} is already in use"
        )));
    }
    Ok(())
}

pub fn delete_canned_response(txn: &mut Txn, workspace_id: Id, id: Id) -> StoreResult<()> {
    require(txn, keys::CANNED, "canned response", workspace_id, id)?;
    txn.remove(key(keys::CANNED, &[workspace_id, id]));
    Ok(())
}

pub fn create_label(txn: &mut Txn, workspace_id: Id, new: NewLabel) -> StoreResult<Label> {
    require_workspace(txn, workspace_id)?;
    require_free_label_name(txn, workspace_id, &new.name, None)?;
    let label = Label {
        id: txn.next_id(),
        workspace_id,
        name: new.name,
        colour: new.colour,
        created_at: txn.now,
    };
    txn.put_json(key(keys::LABEL, &[workspace_id, label.id]), &label)?;
    Ok(label)
}

pub fn update_label(
    txn: &mut Txn,
    workspace_id: Id,
    id: Id,
    change: LabelUpdate,
) -> StoreResult<Label> {
    let label_key = key(keys::LABEL, &[workspace_id, id]);
    let mut label: Label = txn
        .get_json(&label_key)?
        .ok_or_else(|| StoreError::not_found("label", id))?;
    if let Some(name) = change.name {
        require_free_label_name(txn, workspace_id, &name, Some(id))?;
        label.name = name;
    }
    if let Some(colour) = change.colour {
        label.colour = colour;
    }
    txn.put_json(label_key, &label)?;
    Ok(label)
}

/// Refuses a name another label of the workspace has (`Conflict`).
fn require_free_label_name(
    txn: &Txn,
    workspace_id: Id,
    name: &str,
    except: Option<Id>,
) -> StoreResult<()> {
    if any_other(txn, keys::LABEL, workspace_id, except, |label: &Label| {
        label.name == name
    })? {
        return Err(StoreError::Conflict(format!(
            "the label {name:?} already exists"
        )));
    }
    Ok(())
}

pub fn delete_label(txn: &mut Txn, workspace_id: Id, id: Id) -> StoreResult<()> {
    require(txn, keys::LABEL, "label", workspace_id, id)?;
    txn.remove(key(keys::LABEL, &[workspace_id, id]));
    Ok(())
}

/// Whether one of the workspace's records under `tag`, but the one `except` names, is `like`.
fn any_other<T: DeserializeOwned>(
    txn: &Txn,
    tag: &[u8; 2],
    workspace_id: Id,
    except: Option<Id>,
    like: impl Fn(&T) -> bool,
) -> StoreResult<bool> {
    Ok(txn
        .scan_prefix(&key(tag, &[workspace_id]))?
        .into_iter()
        .filter(|(record_key, _)| keys::last_id(record_key) != except)
        .filter_map(|(_, value)| serde_json::from_slice::<T>(&value).ok())
        .any(|record| like(&record)))
}

pub fn require_workspace(txn: &Txn, workspace_id: Id) -> StoreResult<()> {
    if txn.contains(&key(keys::WORKSPACE, &[workspace_id]))? {
        Ok(())
    } else {
        Err(StoreError::not_found("workspace", workspace_id))
    }
}

/// Fails with "not found" unless `tag` holds the record `id` in this workspace.
pub fn require(
    txn: &Txn,
    tag: &[u8; 2],
    what: &'static str,
    workspace_id: Id,
    id: Id,
) -> StoreResult<()> {
    if txn.contains(&key(tag, &[workspace_id, id]))? {
        Ok(())
    } else {
        Err(StoreError::not_found(what, id))
    }
}

/// Fails unless agent `id` of the workspace exists and is active (one can work on
/// conversations).
pub fn require_active_agent(txn: &Txn, workspace_id: Id, id: Id) -> StoreResult<()> {
    match txn.get_json::<Agent>(&key(keys::AGENT, &[workspace_id, id]))? {
        Some(agent) if agent.active => Ok(()),
        Some(agent) => Err(StoreError::Invalid(format!(
            "{} is deactivated: reactivate them first, or choose someone else",
            agent.name
        ))),
        None => Err(StoreError::not_found("agent", id)),
    }
}

pub fn install_plugin(
    txn: &mut Txn,
    workspace_id: Id,
    name: &str,
    version: PluginVersion,
) -> StoreResult<PluginState> {
    require_workspace(txn, workspace_id)?;
    let plugin_key = key_str(keys::PLUGIN, &[workspace_id], name);
    let mut state = txn
        .get_json::<PluginState>(&plugin_key)?
        .unwrap_or_else(|| PluginState {
            name: name.to_string(),
            workspace_id,
            versions: Vec::new(),
            active_version: version.version.clone(),
            enabled: true,
        });
    match state
        .versions
        .iter()
        .find(|installed| installed.version == version.version)
    {
        Some(installed) if installed.sha256 != version.sha256 => {
            return Err(StoreError::Conflict(format!(
                "version {} of {name} is installed with other code; give the new build a new version",
                version.version
            )));
        }
        Some(_) => {}
        None => state.versions.push(version.clone()),
    }
    state.active_version = version.version;
    txn.put_json(plugin_key, &state)?;
    Ok(state)
}

pub fn update_plugin(
    txn: &mut Txn,
    workspace_id: Id,
    name: &str,
    active_version: Option<String>,
    enabled: Option<bool>,
) -> StoreResult<PluginState> {
    let plugin_key = key_str(keys::PLUGIN, &[workspace_id], name);
    let mut state: PluginState = txn
        .get_json(&plugin_key)?
        .ok_or_else(|| StoreError::not_found("plugin", name))?;
    if let Some(version) = active_version {
        if !state
            .versions
            .iter()
            .any(|installed| installed.version == version)
        {
            return Err(StoreError::not_found(
                "plugin version",
                format!("{name} {version}"),
            ));
        }
        state.active_version = version;
    }
    if let Some(enabled) = enabled {
        state.enabled = enabled;
    }
    txn.put_json(plugin_key, &state)?;
    Ok(state)
}
