//! The "most recent activity first" order of each workspace's conversations, kept in memory.
//!
//! It is a cache derived from the store: rebuilt from the conversation records when the store
//! opens, and moved forward by every committed event that touches a conversation. Keeping it
//! out of sled spares two writes (a delete and an insert) per message.

use std::collections::{BTreeSet, HashMap};
use std::sync::RwLock;

use switchboard_model::{Conversation, Event, EventId, EventKind, Id};

use super::keys;
use crate::StoreResult;

#[derive(Debug, Default)]
pub struct Activity {
    inner: RwLock<Order>,
}

#[derive(Debug, Default)]
struct Order {
    /// (workspace, last event, conversation), in activity order.
    ranked: BTreeSet<(Id, EventId, Id)>,
    /// Where each conversation stands now.
    position: HashMap<Id, (Id, EventId)>,
}

impl Order {
    fn place(&mut self, workspace_id: Id, conversation_id: Id, event_id: EventId) {
        if let Some((old_workspace, old_event)) = self
            .position
            .insert(conversation_id, (workspace_id, event_id))
        {
            self.ranked
                .remove(&(old_workspace, old_event, conversation_id));
        }
        self.ranked
            .insert((workspace_id, event_id, conversation_id));
    }
}

impl Activity {
    /// Reads the order back from every stored conversation.
    pub fn rebuild(tree: &sled::Tree) -> StoreResult<Activity> {
        let mut order = Order::default();
        for entry in tree.scan_prefix(keys::CONVERSATION) {
            let conversation: Conversation = serde_json::from_slice(&entry?.1)?;
            order.place(
                conversation.workspace_id,
                conversation.id,
                conversation.last_event_id,
            );
        }
        Ok(Activity {
            inner: RwLock::new(order),
        })
    }

    /// Moves the conversations these committed events touched.
    pub fn record(&self, events: &[Event]) {
        let mut order = self
            .inner
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        for event in events {
            let conversation = match &event.kind {
                EventKind::ConversationUpdated(conversation)
                | EventKind::MessageCreated { conversation, .. } => conversation,
                _ => continue,
            };
            if conversation.last_event_id == event.id {
                order.place(event.workspace_id, conversation.id, event.id);
            }
        }
    }

    /// Conversation ids of a workspace, most recent first, strictly before `before` if given;
    /// `visit` returns `false` to stop.
    pub fn newest_first(
        &self,
        workspace_id: Id,
        before: Option<EventId>,
        mut visit: impl FnMut(EventId, Id) -> bool,
    ) {
        let order = self
            .inner
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let end = (workspace_id, before.unwrap_or(EventId::MAX), 0);
        for &(_, event_id, conversation_id) in order.ranked.range((workspace_id, 0, 0)..end).rev() {
            if !visit(event_id, conversation_id) {
                return;
            }
        }
    }
}
