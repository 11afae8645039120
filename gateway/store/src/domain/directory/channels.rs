//! Channels: creating, changing and deleting one (a deleted channel's record stays, its own
//! records go).

use switchboard_model::{Channel, ChannelUpdate, Id, NewChannel, PluginState};

use super::{require, require_workspace};
use crate::engine::txn::{Read, Txn};
use crate::keys::{self, key, key_str};
use crate::{StoreError, StoreResult};

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
