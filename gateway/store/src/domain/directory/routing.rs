//! A workspace's routing (hours, away message, rules), written whole (the gateway's services
//! check it first); a deleted team is forgotten by the rules that named it.

use switchboard_model::{Id, Routing};

use super::require_workspace;
use crate::StoreResult;
use crate::engine::txn::{Read, Txn};
use crate::keys::{self, key};

/// The workspace's routing; nothing set (always open, no away message, no rules) until an
/// admin writes it.
pub fn routing(txn: &impl Read, workspace_id: Id) -> StoreResult<Routing> {
    Ok(txn
        .get_json(&key(keys::ROUTING, &[workspace_id]))?
        .unwrap_or_default())
}

pub fn set_routing(txn: &mut Txn, workspace_id: Id, routing: Routing) -> StoreResult<Routing> {
    require_workspace(txn, workspace_id)?;
    txn.put_json(key(keys::ROUTING, &[workspace_id]), &routing)?;
    Ok(routing)
}

/// Forgets a deleted team in the rules that sent conversations to it.
pub fn forget_team(txn: &mut Txn, workspace_id: Id, team_id: Id) -> StoreResult<()> {
    let mut routing = routing(txn, workspace_id)?;
    let mut changed = false;
    for rule in &mut routing.rules {
        if rule.team_id == Some(team_id) {
            rule.team_id = None;
            changed = true;
        }
    }
    if changed {
        txn.put_json(key(keys::ROUTING, &[workspace_id]), &routing)?;
    }
    Ok(())
}
