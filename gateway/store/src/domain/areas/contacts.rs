//! The store's contacts area on sled (see `crate::store`).

use async_trait::async_trait;
use std::sync::atomic::Ordering;

use switchboard_model::{
    Contact, ContactRef, ContactUpdate, ErasedContact, Id, Identity, ImportedContact, NewContact,
    Page, TagChange,
};

use crate::keys::key;
use crate::{Contacts, ImportOutcome, StoreError, StoreResult};

use crate::domain::{Engine, RecordStore, contacts, erasure, imports, keys};
use crate::engine::journal::EventVisitor;
use crate::engine::postgres::PgView;

/// Contacts imported per step, so that a big file never makes one huge group.
const IMPORT_STEP: usize = 500;
/// Times an erasure reads again when the contact changed while it was read.
const ERASE_ATTEMPTS: usize = 5;

#[async_trait]
impl Contacts for RecordStore {
    async fn create_contact(&self, workspace_id: Id, contact: NewContact) -> StoreResult<Contact> {
        self.writer
            .write(move |txn| contacts::create_contact(txn, workspace_id, contact))
            .await
    }

    async fn contact_by_identity(
        &self,
        workspace_id: Id,
        identity: &Identity,
    ) -> StoreResult<Option<Contact>> {
        contacts::find(&self.view(), workspace_id, identity)
    }

    async fn introduce_contact(&self, workspace_id: Id, who: ContactRef) -> StoreResult<Contact> {
        self.writer
            .write(move |txn| contacts::find_or_create(txn, workspace_id, &who))
            .await
    }

    async fn contact(&self, workspace_id: Id, id: Id) -> StoreResult<Contact> {
        contacts::load(&self.view(), workspace_id, id)
    }

    async fn update_contact(
        &self,
        workspace_id: Id,
        id: Id,
        change: ContactUpdate,
    ) -> StoreResult<Contact> {
        self.writer
            .write(move |txn| contacts::update_contact(txn, workspace_id, id, change))
            .await
    }

    async fn verify_email(&self, workspace_id: Id, id: Id, email: &str) -> StoreResult<Contact> {
        let email = email.to_string();
        self.writer
            .write(move |txn| contacts::verify_email(txn, workspace_id, id, &email))
            .await
    }

    async fn set_reachability(
        &self,
        workspace_id: Id,
        id: Id,
        channel_id: Id,
        unreachable: Option<String>,
    ) -> StoreResult<Contact> {
        self.writer
            .write(move |txn| {
                contacts::set_reachability(txn, workspace_id, id, channel_id, unreachable)
            })
            .await
    }

    async fn change_tags(
        &self,
        workspace_id: Id,
        id: Id,
        change: TagChange,
    ) -> StoreResult<Contact> {
        self.writer
            .write(move |txn| contacts::change_tags(txn, workspace_id, id, change))
            .await
    }

    async fn merge_contacts(&self, workspace_id: Id, into: Id, from: Id) -> StoreResult<Contact> {
        self.writer
            .write(move |txn| contacts::merge(txn, workspace_id, into, from))
            .await
    }

    async fn contacts(
        &self,
        workspace_id: Id,
        query: Option<&str>,
        cursor: Option<Id>,
        limit: usize,
    ) -> StoreResult<Page<Contact>> {
        let query = query
            .map(str::to_lowercase)
            .filter(|query| !query.trim().is_empty());
        let start = key(keys::CONTACT, &[workspace_id]);
        let end = key(keys::CONTACT, &[workspace_id, cursor.unwrap_or(Id::MAX)]);
        let mut items = Vec::new();
        self.view().walk_back(&start, &end, &mut |_, value| {
            let contact: Contact = serde_json::from_slice(value)?;
            let matches = query.as_ref().is_none_or(|query| {
                contact.name.to_lowercase().contains(query)
                    || contact
                        .emails
                        .iter()
                        .any(|email| email.to_lowercase().contains(query))
                    || contact
                        .phones
                        .iter()
                        .any(|phone| phone.contains(query.as_str()))
            });
            if contact.merged_into.is_none() && matches {
                items.push(contact);
            }
            Ok(items.len() < limit)
        })?;
        let next_cursor = (items.len() == limit)
            .then(|| items.last().map(|c| c.id.to_string()))
            .flatten();
        Ok(Page { items, next_cursor })
    }

    async fn import_contacts(
        &self,
        workspace_id: Id,
        mut contacts: Vec<ImportedContact>,
    ) -> StoreResult<Vec<ImportOutcome>> {
        let mut outcomes = Vec::with_capacity(contacts.len());
        while !contacts.is_empty() {
            let rest = contacts.split_off(contacts.len().min(IMPORT_STEP));
            let step = std::mem::replace(&mut contacts, rest);
            let done = self
                .writer
                .write(move |txn| imports::import(txn, workspace_id, step))
                .await?;
            outcomes.extend(done);
        }
        Ok(outcomes)
    }

    async fn erase_contact(&self, workspace_id: Id, id: Id) -> StoreResult<ErasedContact> {
        let mut attempt = 0;
        let (erased, leftovers) = loop {
            attempt += 1;
            let plan = match &self.engine {
                Engine::Sled(files) => {
                    let up_to = files.durable_event_id.load(Ordering::Acquire);
                    let events = |visit: &mut EventVisitor<'_>| {
                        files
                            .segments
                            .each_event(&files.db, workspace_id, up_to, visit)
                    };
                    erasure::plan(&self.view(), events, workspace_id, id, up_to)?
                }
                Engine::Postgres(database, _) => {
                    let view = PgView { database };
                    let up_to = view.last_event_id()?;
                    let events =
                        |visit: &mut EventVisitor<'_>| view.each_event(workspace_id, up_to, visit);
                    erasure::plan(&self.view(), events, workspace_id, id, up_to)?
                }
            };
            match self
                .writer
                .write(move |txn| erasure::erase(txn, workspace_id, &plan))
                .await
            {
                Err(StoreError::Conflict(_)) if attempt < ERASE_ATTEMPTS => continue,
                done => break done?,
            }
        };
        let blobs = leftovers.blobs.into_iter().map(|blob| (workspace_id, blob));
        self.remove_blobs(blobs.collect()).await;
        if let Engine::Sled(files) = &self.engine {
            files.segments.blank(&leftovers.places)?;
        }
        tracing::info!(workspace_id, contact_id = id, ?erased, "erased a contact");
        Ok(erased)
    }
}
