//! Reads the store's event log into the index, a batch of events at a time per workspace; how
//! far it read is committed with the entries, so nothing is read twice or skipped.

use std::collections::{BTreeMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use switchboard_model::{Contact, Direction, Event, EventId, EventKind, Id};
use switchboard_store::Store;

use crate::{Entry, SearchError, SearchIndex};

/// Events read from the store at once.
const BATCH: usize = 500;
/// Entries written before a commit, however many events are still to read.
const COMMIT_EVERY: usize = 5_000;
/// How often the indexer looks for new events and commits: a commit syncs several files,
/// which would slow the store's own durable writes if it came with every batch.
const POLL: Duration = Duration::from_secs(1);

impl From<switchboard_store::StoreError> for SearchError {
    fn from(error: switchboard_store::StoreError) -> Self {
        SearchError(error.to_string())
    }
}

/// The last event read of each workspace, kept in the index's commits.
type Progress = BTreeMap<Id, EventId>;

/// Keeps a [`SearchIndex`] up with the store.
pub struct Indexer {
    store: Arc<dyn Store>,
    index: Arc<SearchIndex>,
    /// Contacts already written since start (a contact's edits come as events of their own).
    contacts_written: Mutex<HashSet<(Id, Id)>>,
}

impl Indexer {
    pub fn new(store: Arc<dyn Store>, index: Arc<SearchIndex>) -> Indexer {
        Indexer {
            store,
            index,
            contacts_written: Mutex::new(HashSet::new()),
        }
    }

    /// Follows the store from now on, a few times a second.
    pub fn spawn(self) {
        tokio::spawn(async move {
            loop {
                if let Err(error) = self.catch_up().await {
                    tracing::warn!(%error, "the search index could not read the latest events");
                }
                tokio::time::sleep(POLL).await;
            }
        });
    }

    /// Reads every workspace's events since the last commit into the index and commits
    /// them; how many entries were written.
    pub async fn catch_up(&self) -> Result<usize, SearchError> {
        let mut progress: Progress = self
            .index
            .progress()?
            .and_then(|text| serde_json::from_str(&text).ok())
            .unwrap_or_default();
        let (mut written, mut uncommitted) = (0, 0);
        for workspace in self.store.workspaces().await? {
            loop {
                let after = progress.get(&workspace.id).copied().unwrap_or(0);
                let events = self.store.events_after(workspace.id, after, BATCH).await?;
                let Some(last) = events.last().map(|event| event.id) else {
                    break;
                };
                let full = events.len() == BATCH;
                let entries = self.entries(workspace.id, events).await?;
                progress.insert(workspace.id, last);
                written += entries.len();
                uncommitted += entries.len().max(1);
                let (index, workspace_id) = (self.index.clone(), workspace.id);
                blocking(move || index.add(workspace_id, entries)).await?;
                if uncommitted >= COMMIT_EVERY {
                    self.commit(&progress).await?;
                    uncommitted = 0;
                }
                if !full {
                    break;
                }
            }
        }
        if uncommitted > 0 {
            self.commit(&progress).await?;
        }
        Ok(written)
    }

    async fn commit(&self, progress: &Progress) -> Result<(), SearchError> {
        let text =
            serde_json::to_string(progress).map_err(|error| SearchError(error.to_string()))?;
        let index = self.index.clone();
        blocking(move || index.commit(&text)).await
    }

    /// The entries a batch of events adds or replaces.
    async fn entries(
        &self,
        workspace_id: Id,
        events: Vec<Event>,
    ) -> Result<Vec<Entry>, SearchError> {
        let mut entries = Vec::new();
        let mut titles = BTreeMap::new();
        let mut contacts = BTreeMap::new();
        for event in events {
            match event.kind {
                EventKind::ConversationCreated(conversation)
                | EventKind::ConversationUpdated(conversation) => {
                    titles.insert(conversation.id, conversation.title);
                }
                // A record of a step is no text of the conversation's.
                EventKind::MessageCreated { message, .. }
                    if message.direction == Direction::System => {}
                EventKind::MessageCreated {
                    conversation,
                    message,
                } => {
                    titles.insert(conversation.id, conversation.title);
                    contacts.entry(conversation.contact_id).or_insert(None);
                    entries.push(Entry::Message {
                        conversation_id: conversation.id,
                        message_id: message.id,
                        text: message.text,
                    });
                }
                // The edited text replaces what was indexed.
                EventKind::MessageEdited {
                    conversation_id,
                    message,
                } => entries.push(Entry::Message {
                    conversation_id,
                    message_id: message.id,
                    text: message.text,
                }),
                EventKind::ContactUpdated(contact) => {
                    contacts.insert(contact.id, Some(contact));
                }
                EventKind::ContactErased(erased) => {
                    titles.retain(|id, _| !erased.conversation_ids.contains(id));
                    contacts.retain(|id, _| !erased.contact_ids.contains(id));
                    entries.push(Entry::Erased(erased));
                }
                EventKind::DeliveryUpdated { .. } | EventKind::AgentUpdated(_) => {}
            }
        }
        entries.extend(
            titles
                .into_iter()
                .map(|(conversation_id, title)| Entry::Title {
                    conversation_id,
                    title,
                }),
        );
        for (contact_id, contact) in contacts {
            let contact = match contact {
                Some(contact) => contact,
                None if self.written(workspace_id, contact_id) => continue,
                None => match self.store.contact(workspace_id, contact_id).await {
                    Ok(contact) => contact,
                    Err(switchboard_store::StoreError::NotFound { .. }) => continue,
                    Err(error) => return Err(error.into()),
                },
            };
            self.contacts_written
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .insert((workspace_id, contact_id));
            entries.push(Entry::Contact {
                contact_id,
                text: contact_text(&contact),
            });
        }
        Ok(entries)
    }

    fn written(&self, workspace_id: Id, contact_id: Id) -> bool {
        self.contacts_written
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .contains(&(workspace_id, contact_id))
    }
}

/// Index work on a blocking thread: tantivy writes files.
async fn blocking(
    work: impl FnOnce() -> Result<(), SearchError> + Send + 'static,
) -> Result<(), SearchError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|error| SearchError(error.to_string()))?
}

/// What a contact is found by: name, addresses, phone numbers and other identities.
fn contact_text(contact: &Contact) -> String {
    let mut words = vec![contact.name.clone()];
    words.extend(contact.emails.iter().cloned());
    words.extend(contact.phones.iter().cloned());
    words.extend(
        contact
            .identities
            .iter()
            .map(|identity| identity.value.clone()),
    );
    words.join(" ")
}
