//! Teams: creating, changing and deleting one (channels routed to a deleted team route to none,
//! and so do rules that named it).

use switchboard_model::{Channel, Id, NewTeam, Team, TeamUpdate};

use super::{require, require_workspace};
use crate::engine::txn::{Read, Scan, Txn};
use crate::keys::{self, key};
use crate::{StoreError, StoreResult};

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
        max_open_per_agent: new.max_open_per_agent,
        hours: new.hours,
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
    if let Some(limit) = change.max_open_per_agent {
        team.max_open_per_agent = limit;
    }
    if let Some(hours) = change.hours {
        team.hours = hours;
    }
    txn.put_json(team_key, &team)?;
    Ok(team)
}

pub fn delete_team(txn: &mut Txn, workspace_id: Id, id: Id) -> StoreResult<()> {
    require(txn, keys::TEAM, "team", workspace_id, id)?;
    txn.remove(key(keys::TEAM, &[workspace_id, id]));
    txn.remove(key(keys::TEAM_TURN, &[workspace_id, id]));
    super::routing::forget_team(txn, workspace_id, id)?;
    for (channel_key, value) in Scan::scan_prefix(txn, &key(keys::CHANNEL, &[workspace_id]))? {
        let mut channel: Channel = serde_json::from_slice(&value)?;
        if channel.default_team_id == Some(id) {
            channel.default_team_id = None;
            txn.put_json(channel_key, &channel)?;
        }
    }
    Ok(())
}
