//! Erasing a contact at their request (LGPD, GDPR): the contact and the contacts merged into
//! it, their identities, their conversations with every message, delivery, edit, queued reply
//! and external id, the files only their messages carry, and the lines of all their events in
//! the journal, overwritten where they lie. What is left is a `contact_erased` event naming
//! the ids, which tells clients and the search index to forget them.
//!
//! Reading the journal takes long, so it is read first ([`plan`]); the step that removes
//! ([`erase`]) refuses (a conflict, which the caller tries again) if the contact or one of its
//! conversations changed since.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use switchboard_model::{
    Contact, ContactErasure, ErasedContact, Event, EventId, EventKind, Id, Identity,
};

use super::contacts::{all_identities, identity_key, load};
use super::files::StoredFile;
use crate::engine::journal::{EventVisitor, LinePlace, without_events};
use crate::engine::txn::{Read, Scan, Txn};
use crate::keys::{self, key, key_str, last_id};
use crate::{StoreError, StoreResult};

/// What an erasure removes, as the store read it before the step.
#[derive(Debug)]
pub struct Plan {
    /// The contact, then the contacts merged into it.
    contacts: Vec<Contact>,
    conversation_ids: BTreeSet<Id>,
    message_ids: BTreeSet<Id>,
    /// Every event read had an id up to this.
    up_to: EventId,
    events: HashSet<EventId>,
    /// Keys of the index records that hold those events.
    index_records: BTreeSet<Vec<u8>>,
    /// Files the doomed messages carry that no other message does.
    files: BTreeSet<String>,
}

/// The contact `id`, then every contact merged into it (and into those), as `read` holds them.
fn contacts_of(read: &(impl Read + Scan), workspace_id: Id, id: Id) -> StoreResult<Vec<Contact>> {
    let contact = load(read, workspace_id, id)?;
    if let Some(into) = contact.merged_into {
        return Err(StoreError::Conflict(format!(
            "contact {id} was merged into contact {into}: erase that one"
        )));
    }
    let mut found = vec![contact];
    let mut merged: Vec<Contact> = Vec::new();
    for (_, value) in read.scan_prefix(&key(keys::CONTACT, &[workspace_id]))? {
        let other: Contact = serde_json::from_slice(&value)?;
        if other.merged_into.is_some() {
            merged.push(other);
        }
    }
    let mut grew = true;
    while grew {
        grew = false;
        for other in &merged {
            let into_found = found.iter().any(|c| Some(c.id) == other.merged_into);
            if into_found && !found.iter().any(|c| c.id == other.id) {
                found.push(other.clone());
                grew = true;
            }
        }
    }
    Ok(found)
}

/// The conversations of `contacts`.
fn conversations_of(
    read: &impl Scan,
    workspace_id: Id,
    contacts: &[Contact],
) -> StoreResult<BTreeSet<Id>> {
    let mut ids = BTreeSet::new();
    for contact in contacts {
        for (index_key, _) in
            read.scan_prefix(&key(keys::BY_CONTACT, &[workspace_id, contact.id]))?
        {
            ids.extend(last_id(&index_key));
        }
    }
    Ok(ids)
}

/// Reads what erasing contact `id` removes: its records from `read`, its events from the
/// journal up to `up_to`.
pub fn plan(
    read: &(impl Read + Scan),
    each_event: impl FnOnce(&mut EventVisitor<'_>) -> StoreResult<()>,
    workspace_id: Id,
    id: Id,
    up_to: EventId,
) -> StoreResult<Plan> {
    let contacts = contacts_of(read, workspace_id, id)?;
    let contact_ids: BTreeSet<Id> = contacts.iter().map(|c| c.id).collect();
    let conversation_ids = conversations_of(read, workspace_id, &contacts)?;
    let mut plan = Plan {
        contacts,
        conversation_ids,
        message_ids: BTreeSet::new(),
        up_to,
        events: HashSet::new(),
        index_records: BTreeSet::new(),
        files: BTreeSet::new(),
    };
    let mut kept_files = HashSet::new();
    each_event(&mut |record_key, event_id, json| {
        let event: Event = serde_json::from_slice(json)?;
        let message = match &event.kind {
            EventKind::MessageCreated { message, .. }
            | EventKind::MessageEdited { message, .. } => Some(message),
            _ => None,
        };
        let doomed = match &event.kind {
            EventKind::ContactUpdated(contact) => contact_ids.contains(&contact.id),
            kind => kind
                .conversation_id()
                .is_some_and(|conversation| plan.conversation_ids.contains(&conversation)),
        };
        let files = message.iter().flat_map(|message| {
            message
                .attachments
                .iter()
                .chain(&message.original)
                .map(|file| file.sha256.clone())
        });
        if doomed {
            plan.events.insert(event_id);
            plan.index_records.insert(record_key.to_vec());
            plan.files.extend(files);
            plan.message_ids.extend(message.map(|message| message.id));
        } else {
            kept_files.extend(files);
        }
        Ok(())
    })?;
    plan.files.retain(|sha256| !kept_files.contains(sha256));
    Ok(plan)
}

/// What an erasure leaves for its caller to remove once the step is durable: where the lines
/// of the contact's events lie, and the blobs of its files.
pub struct Leftovers {
    pub places: Vec<LinePlace>,
    pub blobs: Vec<String>,
}

/// Removes what `plan` names, unless the contact or its conversations changed since it was
/// read; answers what went and what the caller removes once the step is durable.
pub fn erase(
    txn: &mut Txn,
    workspace_id: Id,
    plan: &Plan,
) -> StoreResult<(ErasedContact, Leftovers)> {
    let changed = || {
        StoreError::Conflict(format!(
            "contact {} changed while it was being erased",
            plan.contacts[0].id
        ))
    };
    let contacts = contacts_of(txn, workspace_id, plan.contacts[0].id)?;
    if contacts != plan.contacts
        || conversations_of(txn, workspace_id, &contacts)? != plan.conversation_ids
    {
        return Err(changed());
    }
    let contact_ids: Vec<Id> = contacts.iter().map(|c| c.id).collect();
    let mut channels = BTreeSet::new();
    for &conversation_id in &plan.conversation_ids {
        let conversation = super::conversations::load(txn, workspace_id, conversation_id)?;
        if conversation.last_event_id > plan.up_to {
            return Err(changed());
        }
        channels.insert(conversation.channel_id);
        txn.remove(key(keys::CONVERSATION, &[workspace_id, conversation_id]));
        let chunks =
            txn.scan_prefix(&key(keys::MESSAGE_CHUNK, &[workspace_id, conversation_id]))?;
        for (chunk_key, _) in chunks {
            txn.remove(chunk_key);
        }
    }
    for contact in &contacts {
        for identity in all_identities(contact) {
            remove_identity(txn, workspace_id, &identity, &contact_ids)?;
        }
        for (index_key, _) in
            txn.scan_prefix(&key(keys::BY_CONTACT, &[workspace_id, contact.id]))?
        {
            txn.remove(index_key);
        }
        txn.remove(key(keys::CONTACT, &[workspace_id, contact.id]));
    }
    for &channel_id in &channels {
        forget_on_channel(txn, workspace_id, channel_id, plan, &contact_ids)?;
    }
    for &message_id in &plan.message_ids {
        txn.remove(key(keys::DELIVERY, &[workspace_id, message_id]));
        txn.remove(key(keys::MESSAGE_EDIT, &[workspace_id, message_id]));
    }
    let blobs = remove_files(txn, workspace_id, &plan.files)?;
    let mut places = Vec::new();
    let mut events_removed = 0;
    for record_key in &plan.index_records {
        // On PostgreSQL each event is a record of its own, removed whole.
        if record_key.starts_with(keys::EVENT) {
            txn.remove(record_key.clone());
            events_removed += 1;
            continue;
        }
        let Some(value) = txn.get(record_key)? else {
            continue;
        };
        let (kept, blanked) = without_events(&value, &|id| plan.events.contains(&id))?;
        match kept {
            Some(kept) => txn.put(record_key.clone(), kept),
            None => txn.remove(record_key.clone()),
        }
        places.extend(blanked);
    }
    txn.emit(
        workspace_id,
        EventKind::ContactErased(ContactErasure {
            contact_ids: contact_ids.clone(),
            conversation_ids: plan.conversation_ids.iter().copied().collect(),
            message_ids: plan.message_ids.iter().copied().collect(),
        }),
    )?;
    let erased = ErasedContact {
        contact_ids,
        conversations: plan.conversation_ids.len(),
        messages: plan.message_ids.len(),
        files: blobs.len(),
        event_lines: places.len() as u64 + events_removed,
    };
    Ok((erased, Leftovers { places, blobs }))
}

/// Removes an identity's index, if it points at one of the erased contacts.
fn remove_identity(
    txn: &mut Txn,
    workspace_id: Id,
    identity: &Identity,
    contact_ids: &[Id],
) -> StoreResult<()> {
    let index = identity_key(workspace_id, identity);
    if txn
        .get_json::<Id>(&index)?
        .is_some_and(|owner| contact_ids.contains(&owner))
    {
        txn.remove(index);
    }
    Ok(())
}

/// Removes a channel's records of the erased conversations: the replies queued to them, the
/// external and provider ids of their messages, the open conversation of each contact, and the
/// contacts' last automatic replies.
fn forget_on_channel(
    txn: &mut Txn,
    workspace_id: Id,
    channel_id: Id,
    plan: &Plan,
    contact_ids: &[Id],
) -> StoreResult<()> {
    for &message_id in &plan.message_ids {
        txn.remove(key(keys::OUTBOX, &[channel_id, message_id]));
    }
    for tag in [keys::DEDUPE, keys::PROVIDER_ID] {
        for (id_key, value) in txn.scan_prefix(&key(tag, &[workspace_id, channel_id]))? {
            let names: BTreeMap<String, serde_json::Value> =
                serde_json::from_slice(&value).unwrap_or_default();
            let conversation = names
                .get("conversation_id")
                .and_then(serde_json::Value::as_u64);
            if conversation.is_some_and(|id| plan.conversation_ids.contains(&id)) {
                txn.remove(id_key);
            }
        }
    }
    for &contact_id in contact_ids {
        txn.remove(key(keys::OPEN, &[workspace_id, channel_id, contact_id]));
    }
    let replies_key = key(keys::AUTO_REPLIES, &[workspace_id, channel_id]);
    if let Some(value) = txn.get(&replies_key)? {
        let mut replies: BTreeMap<String, serde_json::Value> =
            serde_json::from_slice(&value).unwrap_or_default();
        let before = replies.len();
        replies.retain(|contact, _| !contact_ids.iter().any(|id| id.to_string() == *contact));
        if replies.len() != before {
            txn.put(replies_key, serde_json::to_vec(&replies)?);
        }
    }
    Ok(())
}

/// Removes the files of `doomed` that no record other than a message names (an avatar, a
/// plugin, a canned response); answers the blobs that held them.
fn remove_files(
    txn: &mut Txn,
    workspace_id: Id,
    doomed: &BTreeSet<String>,
) -> StoreResult<Vec<String>> {
    let mut naming = Vec::new();
    for tag in [keys::AGENT, keys::PLUGIN, keys::CANNED] {
        naming.extend(
            txn.scan_prefix(&key(tag, &[workspace_id]))?
                .into_iter()
                .map(|(_, v)| v),
        );
    }
    let mut freed = 0;
    let mut blobs = Vec::new();
    for sha256 in doomed {
        let named_elsewhere = naming
            .iter()
            .any(|value| String::from_utf8_lossy(value).contains(sha256.as_str()));
        let file_key = key_str(keys::FILE, &[workspace_id], sha256);
        let Some(file) = txn.get_json::<StoredFile>(&file_key)? else {
            continue;
        };
        if named_elsewhere {
            continue;
        }
        txn.remove(file_key);
        txn.remove(key_str(keys::KEPT_FILE, &[workspace_id], sha256));
        txn.remove(key_str(keys::UNATTACHED, &[workspace_id], sha256));
        freed += file.size;
        blobs.push(file.blob);
    }
    if freed > 0 {
        let stored = super::files::stored_bytes(txn, workspace_id)?;
        txn.put_json(
            key(keys::FILE_BYTES, &[workspace_id]),
            &stored.saturating_sub(freed),
        )?;
    }
    Ok(blobs)
}
