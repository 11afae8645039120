//! Canned responses: creating, changing and deleting one; a shortcut is one response's only.

use switchboard_model::{CannedResponse, CannedResponseUpdate, Id, NewCannedResponse};

use super::{any_other, require, require_workspace};
use crate::engine::txn::{Read, Txn};
use crate::keys::{self, key};
use crate::{StoreError, StoreResult};

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
