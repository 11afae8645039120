//! Invitations on sled: one record per pending invitation under its workspace (`iv`), removed
//! when it is withdrawn or accepted.

use switchboard_model::{Agent, Id, Invitation, Millis, NewInvitation, TeamUpdate};

use super::directory::{self, require, require_workspace};
use crate::engine::txn::{Read, Scan, Txn};
use crate::keys::{self, key, key_str};
use crate::{NewAgentRecord, StoreError, StoreResult};

pub fn create(
    txn: &mut Txn,
    workspace_id: Id,
    invited_by: Id,
    new: NewInvitation,
    expires_at: Millis,
) -> StoreResult<Invitation> {
    require_workspace(txn, workspace_id)?;
    let email = new.email.trim().to_lowercase();
    if txn.contains(&key_str(keys::AGENT_EMAIL, &[], &email))? {
        return Err(StoreError::Conflict(format!(
            "{email} already has an account: they sign in with it"
        )));
    }
    if all(txn, workspace_id)?
        .iter()
        .any(|invitation| invitation.email == email)
    {
        return Err(StoreError::Conflict(format!(
            "{email} is already invited: send the invitation again instead"
        )));
    }
    for team in &new.team_ids {
        require(txn, keys::TEAM, "team", workspace_id, *team)?;
    }
    let invitation = Invitation {
        id: txn.next_id(),
        workspace_id,
        name: new.name.trim().to_string(),
        email,
        role: new.role,
        team_ids: new.team_ids,
        language: new.language.unwrap_or_else(|| "en".into()),
        invited_by,
        sent_at: txn.now,
        expires_at,
        created_at: txn.now,
    };
    txn.put_json(
        key(keys::INVITATION, &[workspace_id, invitation.id]),
        &invitation,
    )?;
    Ok(invitation)
}

/// The workspace's invitations, oldest first.
pub fn all(read: &(impl Read + Scan), workspace_id: Id) -> StoreResult<Vec<Invitation>> {
    read.scan_prefix(&key(keys::INVITATION, &[workspace_id]))?
        .into_iter()
        .map(|(_, value)| Ok(serde_json::from_slice(&value)?))
        .collect()
}

pub fn load(read: &impl Read, workspace_id: Id, id: Id) -> StoreResult<Invitation> {
    read.get_json(&key(keys::INVITATION, &[workspace_id, id]))?
        .ok_or_else(|| StoreError::not_found("invitation", id))
}

pub fn renew(
    txn: &mut Txn,
    workspace_id: Id,
    id: Id,
    expires_at: Millis,
) -> StoreResult<Invitation> {
    let mut invitation = load(txn, workspace_id, id)?;
    invitation.sent_at = txn.now;
    invitation.expires_at = expires_at;
    txn.put_json(key(keys::INVITATION, &[workspace_id, id]), &invitation)?;
    Ok(invitation)
}

pub fn delete(txn: &mut Txn, workspace_id: Id, id: Id) -> StoreResult<()> {
    load(txn, workspace_id, id)?;
    txn.remove(key(keys::INVITATION, &[workspace_id, id]));
    Ok(())
}

pub fn accept(
    txn: &mut Txn,
    workspace_id: Id,
    id: Id,
    sent_at: Millis,
    password_hash: String,
) -> StoreResult<Agent> {
    let invitation = load(txn, workspace_id, id)?;
    if invitation.sent_at != sent_at {
        return Err(StoreError::not_found("invitation", id));
    }
    let record = NewAgentRecord {
        name: invitation.name,
        email: invitation.email,
        role: invitation.role,
        password_hash,
        must_choose_password: false,
    };
    let mut agent = directory::create_agent(txn, workspace_id, record)?;
    agent.language = Some(invitation.language);
    txn.put_json(key(keys::AGENT, &[workspace_id, agent.id]), &agent)?;
    for team_id in invitation.team_ids {
        // A team removed since the invitation is simply not joined.
        let Some(team) =
            txn.get_json::<switchboard_model::Team>(&key(keys::TEAM, &[workspace_id, team_id]))?
        else {
            continue;
        };
        let mut members = team.member_ids;
        members.push(agent.id);
        let change = TeamUpdate {
            member_ids: Some(members),
            ..TeamUpdate::default()
        };
        directory::update_team(txn, workspace_id, team_id, change)?;
    }
    txn.remove(key(keys::INVITATION, &[workspace_id, id]));
    Ok(agent)
}
