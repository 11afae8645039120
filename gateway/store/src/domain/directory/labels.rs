//! Labels: creating, changing and deleting one; a name is one label's only.

use switchboard_model::{Id, Label, LabelUpdate, NewLabel};

use super::{any_other, require, require_workspace};
use crate::engine::txn::{Read, Txn};
use crate::keys::{self, key};
use crate::{StoreError, StoreResult};

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
