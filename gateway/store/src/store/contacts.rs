//! Contacts: found by identity, introduced, edited, tagged, merged.

use async_trait::async_trait;
use switchboard_model::{
    Contact, ContactRef, ContactUpdate, ErasedContact, Id, Identity, ImportedContact, NewContact,
    Page, TagChange,
};

use crate::{ImportOutcome, StoreResult};

#[async_trait]
pub trait Contacts: Send + Sync {
    async fn create_contact(&self, workspace_id: Id, contact: NewContact) -> StoreResult<Contact>;
    async fn contact(&self, workspace_id: Id, id: Id) -> StoreResult<Contact>;
    /// The contact known by one of its identities (a widget visitor, an email address).
    async fn contact_by_identity(
        &self,
        workspace_id: Id,
        identity: &Identity,
    ) -> StoreResult<Option<Contact>>;
    /// The contact known by `who.identity`, created from `who` or filled in with what it lacked
    /// (as [`Store::ingest`] does), without a message: a website visitor the site identified.
    async fn introduce_contact(&self, workspace_id: Id, who: ContactRef) -> StoreResult<Contact>;
    async fn update_contact(
        &self,
        workspace_id: Id,
        id: Id,
        change: ContactUpdate,
    ) -> StoreResult<Contact>;
    async fn change_tags(
        &self,
        workspace_id: Id,
        id: Id,
        change: TagChange,
    ) -> StoreResult<Contact>;
    /// Records that the person proved `email` is theirs (`Contact::verified_emails`); their
    /// replies waiting in the outbox become due at once.
    async fn verify_email(&self, workspace_id: Id, id: Id, email: &str) -> StoreResult<Contact>;
    /// Records that replies on `channel_id` cannot reach the contact (`Some(reason)`: they
    /// blocked the bot, texted STOP) or can again (`None`); a reply there is then refused.
    async fn set_reachability(
        &self,
        workspace_id: Id,
        id: Id,
        channel_id: Id,
        unreachable: Option<String>,
    ) -> StoreResult<Contact>;
    /// Moves `from`'s identities, addresses, tags and conversations to `into`; `from` is kept,
    /// marked as merged, and no longer listed.
    async fn merge_contacts(&self, workspace_id: Id, into: Id, from: Id) -> StoreResult<Contact>;
    /// Newest first; `query` matches name, email addresses and phone numbers.
    async fn contacts(
        &self,
        workspace_id: Id,
        query: Option<&str>,
        cursor: Option<Id>,
        limit: usize,
    ) -> StoreResult<Page<Contact>>;
    /// Creates the contacts of an import, or adds each to the stored contact its email
    /// addresses and phone numbers name (`ImportedContact::added_to`), in one step; answers
    /// what became of each, in order.
    async fn import_contacts(
        &self,
        workspace_id: Id,
        contacts: Vec<ImportedContact>,
    ) -> StoreResult<Vec<ImportOutcome>>;
    /// Erases the contact at their request, with the contacts merged into it: their
    /// identities, conversations, messages, the files no one else's message carries, and
    /// every line of their events in the journal. Clients and the search index are told by a
    /// `contact_erased` event naming the ids.
    async fn erase_contact(&self, workspace_id: Id, id: Id) -> StoreResult<ErasedContact>;
}
