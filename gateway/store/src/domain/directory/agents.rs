//! Agents: creating one, changing one (the last active admin stays one; deactivating ends their
//! access and puts their conversations back in the queue) and the credentials to sign in with.

use switchboard_model::{Agent, Availability, EventKind, Id, NotificationSettings, Role};

use super::{require_workspace, revoke_agent_access};
use crate::engine::txn::{Read, Scan, Txn};
use crate::keys::{self, key, key_str};
use crate::{AgentChange, NewAgentRecord, StoreError, StoreResult};

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
        must_choose_password: new.must_choose_password,
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
            crate::domain::conversations::requeue(txn, workspace_id, *conversation, id)?;
        }
    }
    if let Some(avatar) = change.avatar {
        if let Some(picture) = &avatar {
            let file = key_str(keys::FILE, &[workspace_id], &picture.sha256);
            if !txn.contains(&file)? {
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
        agent.must_choose_password = false;
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
