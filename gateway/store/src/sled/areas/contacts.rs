//! The store's contacts area on sled (see `crate::store`).

use async_trait::async_trait;
use switchboard_model::{
    Contact, ContactRef, ContactUpdate, Id, Identity, NewContact, Page, TagChange,
};

use crate::sled::keys::key;
use crate::{Contacts, StoreResult};

use crate::sled::{SledStore, contacts, keys};

#[async_trait]
impl Contacts for SledStore {
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
        let mut entries = self.db.range(start..end).rev();
        while let Some(entry) = {
            let _reading = self.gate.reading();
            entries.next()
        } {
            let contact: Contact = serde_json::from_slice(&entry?.1)?;
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
                if items.len() == limit {
                    break;
                }
            }
        }
        let next_cursor = (items.len() == limit)
            .then(|| items.last().map(|c| c.id.to_string()))
            .flatten();
        Ok(Page { items, next_cursor })
    }
}
