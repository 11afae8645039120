//! Contacts: creation, identities, tags and merging.

use std::collections::BTreeMap;

use switchboard_model::{
    Contact, ContactRef, ContactUpdate, EventKind, GIVEN_EMAIL_FIELD, Id, Identity, NewContact,
    TagChange,
};

use super::conversations::{Touch, save_conversation};
use crate::engine::txn::{Read, Scan, Txn};
use crate::keys::{self, key, key_str};
use crate::{StoreError, StoreResult};

pub(super) fn identity_key(workspace_id: Id, identity: &Identity) -> Vec<u8> {
    let normalized = identity.normalized();
    key_str(
        keys::IDENTITY,
        &[workspace_id],
        &format!("{}\0{}", normalized.kind, normalized.value),
    )
}

/// Every identity a contact is known by, including its email addresses and phone numbers.
pub(super) fn all_identities(contact: &Contact) -> Vec<Identity> {
    let mut identities: Vec<Identity> = contact
        .identities
        .iter()
        .map(Identity::normalized)
        .collect();
    identities.extend(
        contact
            .emails
            .iter()
            .map(|email| Identity::new("email", email).normalized()),
    );
    identities.extend(
        contact
            .phones
            .iter()
            .map(|phone| Identity::new("phone", phone).normalized()),
    );
    identities.sort();
    identities.dedup();
    identities
}

/// Writes a contact and points each of its identities at it; an identity that belongs to
/// another contact is a conflict.
pub(super) fn save_contact(
    txn: &mut Txn,
    contact: &Contact,
    previous: Option<&Contact>,
) -> StoreResult<()> {
    let identities = all_identities(contact);
    for identity in &identities {
        let index = identity_key(contact.workspace_id, identity);
        match txn.get_json::<Id>(&index)? {
            Some(owner) if owner != contact.id => {
                return Err(StoreError::Conflict(format!(
                    "the {} {} already belongs to contact {owner}",
                    identity.kind, identity.value
                )));
            }
            Some(_) => {}
            None => txn.put_json(index, &contact.id)?,
        }
    }
    if let Some(previous) = previous {
        for gone in all_identities(previous)
            .iter()
            .filter(|old| !identities.contains(old))
        {
            txn.remove(identity_key(contact.workspace_id, gone));
        }
    }
    txn.put_json(
        key(keys::CONTACT, &[contact.workspace_id, contact.id]),
        contact,
    )
}

pub fn create_contact(txn: &mut Txn, workspace_id: Id, new: NewContact) -> StoreResult<Contact> {
    super::directory::require_workspace(txn, workspace_id)?;
    let contact = Contact {
        id: txn.next_id(),
        workspace_id,
        name: new.name,
        emails: new.emails,
        phones: new.phones,
        identities: new.identities,
        tags: normalize_tags(new.tags),
        custom_fields: new.custom_fields,
        notes: new.notes,
        verified_emails: Vec::new(),
        merged_into: None,
        blocked: false,
        unreachable: Vec::new(),
        created_at: txn.now,
        updated_at: txn.now,
    };
    save_contact(txn, &contact, None)?;
    txn.emit(workspace_id, EventKind::ContactUpdated(contact.clone()))?;
    Ok(contact)
}

/// The contact known by `identity`, if any.
pub fn find(
    tree: &impl Read,
    workspace_id: Id,
    identity: &Identity,
) -> StoreResult<Option<Contact>> {
    match tree.get_json::<Id>(&identity_key(workspace_id, identity))? {
        Some(id) => load(tree, workspace_id, id).map(Some),
        None => Ok(None),
    }
}

/// The contact known by `who.identity`, created from `who` when there is none yet; a known
/// contact gets what it lacked (a name of its own, a first email or phone) from `who`, and the
/// custom fields `who` tells.
pub fn find_or_create(txn: &mut Txn, workspace_id: Id, who: &ContactRef) -> StoreResult<Contact> {
    if let Some(id) = txn.get_json::<Id>(&identity_key(workspace_id, &who.identity))? {
        let contact = load(txn, workspace_id, id)?;
        return fill_in(txn, contact, who);
    }
    let identity = who.identity.normalized();
    let name = who
        .name
        .clone()
        .filter(|name| !name.trim().is_empty())
        .unwrap_or_else(|| identity.value.clone());
    let address = |kind: &str, given: &Option<String>| {
        given
            .clone()
            .or_else(|| (identity.kind == kind).then(|| identity.value.clone()))
    };
    let mut new = NewContact {
        name,
        identities: vec![identity.clone()],
        ..NewContact::default()
    };
    if let Some(email) = address("email", &who.email) {
        give_email(
            txn,
            workspace_id,
            &mut new.emails,
            &mut new.custom_fields,
            email,
        )?;
    }
    if let Some(phone) = address("phone", &who.phone)
        && is_free(txn, workspace_id, "phone", &phone)?
    {
        new.phones.push(phone);
    }
    take_told_fields(&mut new.custom_fields, who);
    create_contact(txn, workspace_id, new)
}

/// The most custom fields a channel can fill in on one contact, and their largest name and value.
const TOLD_FIELDS: usize = 50;
const TOLD_NAME_CHARS: usize = 64;
const TOLD_VALUE_CHARS: usize = 1_000;

/// Sets the custom fields a channel told about the contact (a newer value replaces an older
/// one); a field with no name or an over-long one, and fields past the most a contact holds,
/// are left out.
fn take_told_fields(fields: &mut BTreeMap<String, String>, who: &ContactRef) {
    for (name, value) in &who.custom_fields {
        let name = name.trim();
        let fits = !name.is_empty()
            && name.chars().count() <= TOLD_NAME_CHARS
            && value.chars().count() <= TOLD_VALUE_CHARS
            && (fields.contains_key(name) || fields.len() < TOLD_FIELDS);
        if fits {
            fields.insert(name.to_string(), value.clone());
        }
    }
}

/// Whether no contact is known by this address yet.
fn is_free(txn: &Txn, workspace_id: Id, kind: &str, value: &str) -> StoreResult<bool> {
    Ok(txn
        .get_json::<Id>(&identity_key(workspace_id, &Identity::new(kind, value)))?
        .is_none())
}

/// Adds `email` to a contact's addresses, or, when another contact holds it, keeps it as the
/// contact's `given_email`.
fn give_email(
    txn: &Txn,
    workspace_id: Id,
    emails: &mut Vec<String>,
    custom_fields: &mut BTreeMap<String, String>,
    email: String,
) -> StoreResult<()> {
    if is_free(txn, workspace_id, "email", &email)? {
        emails.push(email);
    } else {
        custom_fields.insert(GIVEN_EMAIL_FIELD.into(), email);
    }
    Ok(())
}

/// Adds to a known contact what `who` tells and it lacked; never overwrites, never takes an
/// address that another contact holds.
fn fill_in(txn: &mut Txn, contact: Contact, who: &ContactRef) -> StoreResult<Contact> {
    let mut filled = contact.clone();
    if let Some(name) = who
        .name
        .as_deref()
        .map(str::trim)
        .filter(|name| !name.is_empty())
        && contact.unnamed()
    {
        filled.name = name.to_string();
    }
    if let Some(email) = &who.email
        && filled.emails.is_empty()
    {
        give_email(
            txn,
            contact.workspace_id,
            &mut filled.emails,
            &mut filled.custom_fields,
            email.clone(),
        )?;
    }
    if let Some(phone) = &who.phone
        && filled.phones.is_empty()
        && is_free(txn, contact.workspace_id, "phone", phone)?
    {
        filled.phones.push(phone.clone());
    }
    take_told_fields(&mut filled.custom_fields, who);
    if filled == contact {
        return Ok(contact);
    }
    filled.updated_at = txn.now;
    save_contact(txn, &filled, Some(&contact))?;
    txn.emit(
        contact.workspace_id,
        EventKind::ContactUpdated(filled.clone()),
    )?;
    Ok(filled)
}

pub fn load(txn: &impl Read, workspace_id: Id, id: Id) -> StoreResult<Contact> {
    txn.get_json(&key(keys::CONTACT, &[workspace_id, id]))?
        .ok_or_else(|| StoreError::not_found("contact", id))
}

pub fn update_contact(
    txn: &mut Txn,
    workspace_id: Id,
    id: Id,
    change: ContactUpdate,
) -> StoreResult<Contact> {
    let previous = load(txn, workspace_id, id)?;
    let mut contact = previous.clone();
    if let Some(name) = change.name {
        contact.name = name;
    }
    if let Some(emails) = change.emails {
        contact.emails = emails;
    }
    if let Some(phones) = change.phones {
        contact.phones = phones;
    }
    if let Some(fields) = change.custom_fields {
        contact.custom_fields = fields;
    }
    if let Some(notes) = change.notes {
        contact.notes = notes;
    }
    if let Some(blocked) = change.blocked {
        contact.blocked = blocked;
    }
    contact.updated_at = txn.now;
    save_contact(txn, &contact, Some(&previous))?;
    txn.emit(workspace_id, EventKind::ContactUpdated(contact.clone()))?;
    Ok(contact)
}

/// Records that the person proved `email` is theirs; their replies that wait in the outbox
/// (for this proof, among other things) become due at once.
/// Records that replies on `channel_id` cannot reach the contact (`Some(reason)`) or can
/// again (`None`).
pub fn set_reachability(
    txn: &mut Txn,
    workspace_id: Id,
    id: Id,
    channel_id: Id,
    unreachable: Option<String>,
) -> StoreResult<Contact> {
    let mut contact = load(txn, workspace_id, id)?;
    let before = contact.unreachable.clone();
    contact
        .unreachable
        .retain(|entry| entry.channel_id != channel_id);
    if let Some(reason) = unreachable {
        let since = before
            .iter()
            .find(|entry| entry.channel_id == channel_id)
            .map_or(txn.now, |entry| entry.since);
        contact.unreachable.push(switchboard_model::Unreachable {
            channel_id,
            reason,
            since,
        });
    }
    if contact.unreachable == before {
        return Ok(contact);
    }
    contact.updated_at = txn.now;
    txn.put_json(key(keys::CONTACT, &[workspace_id, id]), &contact)?;
    txn.emit(workspace_id, EventKind::ContactUpdated(contact.clone()))?;
    Ok(contact)
}

pub fn verify_email(txn: &mut Txn, workspace_id: Id, id: Id, email: &str) -> StoreResult<Contact> {
    let mut contact = load(txn, workspace_id, id)?;
    let email = email.trim().to_lowercase();
    if contact.verified(&email) {
        return Ok(contact);
    }
    contact.verified_emails.push(email);
    contact.updated_at = txn.now;
    txn.put_json(key(keys::CONTACT, &[workspace_id, id]), &contact)?;
    txn.emit(workspace_id, EventKind::ContactUpdated(contact.clone()))?;
    for (index_key, _) in txn.scan_prefix(&key(keys::BY_CONTACT, &[workspace_id, id]))? {
        let Some(conversation_id) = keys::last_id(&index_key) else {
            continue;
        };
        let channel_id = super::conversations::load_stored(txn, workspace_id, conversation_id)?
            .conversation
            .channel_id;
        super::delivery::due_now(txn, channel_id, conversation_id)?;
    }
    Ok(contact)
}

pub fn change_tags(
    txn: &mut Txn,
    workspace_id: Id,
    id: Id,
    change: TagChange,
) -> StoreResult<Contact> {
    let mut contact = load(txn, workspace_id, id)?;
    let remove = normalize_tags(change.remove);
    contact.tags.retain(|tag| !remove.contains(tag));
    contact.tags.extend(normalize_tags(change.add));
    contact.tags = normalize_tags(std::mem::take(&mut contact.tags));
    contact.updated_at = txn.now;
    txn.put_json(key(keys::CONTACT, &[workspace_id, id]), &contact)?;
    txn.emit(workspace_id, EventKind::ContactUpdated(contact.clone()))?;
    Ok(contact)
}

pub fn merge(txn: &mut Txn, workspace_id: Id, into: Id, from: Id) -> StoreResult<Contact> {
    if into == from {
        return Err(StoreError::Invalid(format!(
            "contact {into} cannot be merged into itself"
        )));
    }
    let mut survivor = load(txn, workspace_id, into)?;
    let mut merged = load(txn, workspace_id, from)?;
    if merged.merged_into.is_some() || survivor.merged_into.is_some() {
        return Err(StoreError::Conflict(format!(
            "contact {from} or {into} was already merged"
        )));
    }
    // Free the merged contact's identities before the survivor claims them.
    for identity in all_identities(&merged) {
        txn.remove(identity_key(workspace_id, &identity));
    }
    let previous = survivor.clone();
    union(&mut survivor.emails, &merged.emails);
    union(&mut survivor.phones, &merged.phones);
    union(&mut survivor.identities, &merged.identities);
    union(&mut survivor.tags, &merged.tags);
    union(&mut survivor.verified_emails, &merged.verified_emails);
    for (field, value) in &merged.custom_fields {
        survivor
            .custom_fields
            .entry(field.clone())
            .or_insert_with(|| value.clone());
    }
    if !merged.notes.is_empty() {
        survivor.notes = [survivor.notes.as_str(), merged.notes.as_str()]
            .join("\n")
            .trim()
            .to_string();
    }
    survivor.updated_at = txn.now;
    save_contact(txn, &survivor, Some(&previous))?;

    for (index_key, _) in txn.scan_prefix(&key(keys::BY_CONTACT, &[workspace_id, from]))? {
        let Some(conversation_id) = keys::last_id(&index_key) else {
            continue;
        };
        let mut stored = super::conversations::load_stored(txn, workspace_id, conversation_id)?;
        let conversation = &mut stored.conversation;
        let open_key = key(keys::OPEN, &[workspace_id, conversation.channel_id, from]);
        if txn.contains(&open_key)? {
            txn.remove(open_key);
            let survivor_open = key(keys::OPEN, &[workspace_id, conversation.channel_id, into]);
            if !txn.contains(&survivor_open)? {
                txn.put_json(survivor_open, &conversation.id)?;
            }
        }
        txn.remove(index_key);
        txn.put(
            key(keys::BY_CONTACT, &[workspace_id, into, conversation.id]),
            Vec::new(),
        );
        conversation.contact_id = into;
        save_conversation(txn, &mut stored, Touch::Updated)?;
    }

    merged.merged_into = Some(into);
    merged.updated_at = txn.now;
    txn.put_json(key(keys::CONTACT, &[workspace_id, from]), &merged)?;
    txn.emit(workspace_id, EventKind::ContactUpdated(merged))?;
    txn.emit(workspace_id, EventKind::ContactUpdated(survivor.clone()))?;
    Ok(survivor)
}

fn union<T: Clone + PartialEq>(into: &mut Vec<T>, from: &[T]) {
    for item in from {
        if !into.contains(item) {
            into.push(item.clone());
        }
    }
}

pub(super) fn normalize_tags(tags: Vec<String>) -> Vec<String> {
    let mut tags: Vec<String> = tags
        .into_iter()
        .map(|tag| tag.trim().to_lowercase())
        .filter(|tag| !tag.is_empty())
        .collect();
    tags.sort();
    tags.dedup();
    tags
}
