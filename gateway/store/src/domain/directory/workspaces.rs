//! Workspaces: creating one (alone or with its first admin), its quotas, suspending it and
//! counting what it holds.

use switchboard_model::{
    Agent, Channel, Id, Workspace, WorkspaceQuotas, WorkspaceUpdate, WorkspaceUsage,
};

use super::create_agent;
use crate::engine::txn::{Read, Scan, Txn};
use crate::keys::{self, key};
use crate::{NewAgentRecord, Session, StoreError, StoreResult};

pub fn create_workspace(
    txn: &mut Txn,
    name: String,
    quotas: WorkspaceQuotas,
) -> StoreResult<Workspace> {
    let workspace = Workspace::new(txn.next_id(), name, txn.now, quotas);
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
    usage.storage_bytes = crate::domain::files::stored_bytes(read, id)?;
    read.walk_prefix(&key(keys::DEAD_USAGE, &[id]), &mut |_, value| {
        let dead: crate::domain::delivery::DeadUsage = serde_json::from_slice(value)?;
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

/// Changes the workspace's profile with what an admin gave, checked already; a default
/// language no longer among its languages gives way to the first of them.
pub fn update_workspace(txn: &mut Txn, id: Id, update: WorkspaceUpdate) -> StoreResult<Workspace> {
    let workspace_key = key(keys::WORKSPACE, &[id]);
    let mut workspace: Workspace = txn
        .get_json(&workspace_key)?
        .ok_or_else(|| StoreError::not_found("workspace", id))?;
    if let Some(name) = update.name {
        workspace.name = name;
    }
    if let Some(time_zone) = update.time_zone {
        workspace.time_zone = time_zone;
    }
    if let Some(languages) = update.languages.filter(|languages| !languages.is_empty()) {
        workspace.languages = languages;
    }
    if let Some(language) = update.default_language {
        workspace.default_language = language;
    }
    if !workspace.languages.contains(&workspace.default_language) {
        workspace.default_language = workspace.languages[0].clone();
    }
    if let Some(onboarded) = update.onboarded {
        workspace.onboarded = onboarded;
    }
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
