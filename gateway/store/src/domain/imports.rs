//! Importing contacts: each contact a file describes is created, or added to the stored
//! contact its email addresses and phone numbers name (`ImportedContact::added_to`).

use switchboard_model::{EventKind, Id, ImportedContact, NewContact};

use super::contacts::{create_contact, identity_key, load, normalize_tags, save_contact};
use crate::engine::txn::{Read, Txn};
use crate::{ImportOutcome, StoreResult};

/// Imports `contacts` in one step, answering what became of each, in order.
pub fn import(
    txn: &mut Txn,
    workspace_id: Id,
    contacts: Vec<ImportedContact>,
) -> StoreResult<Vec<ImportOutcome>> {
    super::directory::require_workspace(txn, workspace_id)?;
    let mut outcomes = Vec::with_capacity(contacts.len());
    for imported in contacts {
        let mut owners = Vec::new();
        for identity in imported.identities() {
            if let Some(owner) = txn.get_json::<Id>(&identity_key(workspace_id, &identity))?
                && !owners.contains(&owner)
            {
                owners.push(owner);
            }
        }
        let outcome = match owners[..] {
            [] => {
                let new = NewContact {
                    name: imported.name_or_address(),
                    emails: imported.emails,
                    phones: imported.phones,
                    identities: Vec::new(),
                    tags: imported.tags,
                    custom_fields: imported.custom_fields,
                    notes: imported.notes,
                };
                ImportOutcome::Created(create_contact(txn, workspace_id, new)?.id)
            }
            [owner] => {
                let existing = load(txn, workspace_id, owner)?;
                match imported.added_to(&existing) {
                    Some(mut contact) => {
                        contact.tags = normalize_tags(std::mem::take(&mut contact.tags));
                        contact.updated_at = txn.now;
                        save_contact(txn, &contact, Some(&existing))?;
                        txn.emit(workspace_id, EventKind::ContactUpdated(contact))?;
                        ImportOutcome::Updated(owner)
                    }
                    None => ImportOutcome::Unchanged(owner),
                }
            }
            _ => ImportOutcome::TwoContacts(owners),
        };
        outcomes.push(outcome);
    }
    Ok(outcomes)
}
