//! Workspaces, agents, credentials, tokens, teams, routing, channels, canned responses, labels
//! and plugins. Here, the checks the steps of every area make that a record exists (or that a
//! name is free); each kind of record's steps in the modules below.

mod access;
mod agents;
mod canned_responses;
mod channels;
mod labels;
mod plugins;
mod routing;
mod teams;
mod workspaces;

use serde::de::DeserializeOwned;
use switchboard_model::{Agent, Id};

pub use self::access::{create_api_token, revoke_agent_access, revoke_api_token};
pub use self::agents::{create_agent, credentials, update_agent};
pub use self::canned_responses::{
    create_canned_response, delete_canned_response, update_canned_response,
};
pub use self::channels::{create_channel, delete_channel, update_channel};
pub use self::labels::{create_label, delete_label, update_label};
pub use self::plugins::{install_plugin, update_plugin};
pub use self::routing::{routing, set_routing};
pub use self::teams::{create_team, delete_team, update_team};
pub use self::workspaces::{
    create_workspace, create_workspace_with_admin, set_workspace_quotas, suspend_workspace,
    update_workspace, workspace_usage,
};
use crate::engine::txn::{Read, Scan, Txn};
use crate::keys::{self, key};
use crate::{StoreError, StoreResult};

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
