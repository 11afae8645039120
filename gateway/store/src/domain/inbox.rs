//! The inbox's orders, counts and snooze alarms, kept in memory.
//!
//! It is a cache derived from the store: rebuilt from the conversation records when the store
//! opens, and moved forward by every committed event that touches a conversation. Keeping it
//! out of sled spares writes (a delete and an insert per order) on every message, and lets the
//! views count their conversations without reading them.

use std::collections::{BTreeSet, HashMap};
use std::ops::Bound;
use std::sync::RwLock;

use switchboard_model::{
    Conversation, ConversationSort, ConversationStatus, Event, EventId, EventKind, Id, InboxCounts,
    Millis, ViewCounts,
};

use crate::engine::txn::Scan;
use crate::keys;
use crate::{StoreError, StoreResult};

#[derive(Debug, Default)]
pub struct Inbox {
    inner: RwLock<Index>,
}

/// What the index knows of one conversation.
#[derive(Debug, Clone, Copy)]
struct Entry {
    workspace_id: Id,
    last_event_id: EventId,
    /// `waiting_since`, or `Millis::MAX` when nobody waits (those sort last).
    waiting: Millis,
    snoozed_until: Option<Millis>,
    status: ConversationStatus,
    assignee_id: Option<Id>,
    team_id: Option<Id>,
    unread: bool,
}

impl Entry {
    fn of(conversation: &Conversation) -> Entry {
        Entry {
            workspace_id: conversation.workspace_id,
            last_event_id: conversation.last_event_id,
            waiting: conversation.waiting_since.unwrap_or(Millis::MAX),
            snoozed_until: (conversation.status == ConversationStatus::Snoozed)
                .then_some(conversation.snoozed_until)
                .flatten(),
            status: conversation.status,
            assignee_id: conversation.assignee_id,
            team_id: conversation.team_id,
            unread: conversation.unread_count > 0,
        }
    }
}

#[derive(Debug, Default)]
struct Index {
    entries: HashMap<Id, Entry>,
    /// (workspace, last event, conversation).
    by_activity: BTreeSet<(Id, EventId, Id)>,
    /// (workspace, conversation): ids grow with time, so this is the order they started in.
    by_start: BTreeSet<(Id, Id)>,
    /// (workspace, waiting since, conversation).
    by_waiting: BTreeSet<(Id, Millis, Id)>,
    /// (wakes at, workspace, conversation) of snoozed conversations.
    alarms: BTreeSet<(Millis, Id, Id)>,
}

impl Index {
    fn place(&mut self, id: Id, entry: Entry) {
        let ws = entry.workspace_id;
        if let Some(old) = self.entries.insert(id, entry) {
            self.by_activity
                .remove(&(old.workspace_id, old.last_event_id, id));
            self.by_waiting.remove(&(old.workspace_id, old.waiting, id));
            if let Some(until) = old.snoozed_until {
                self.alarms.remove(&(until, old.workspace_id, id));
            }
        }
        self.by_activity.insert((ws, entry.last_event_id, id));
        self.by_start.insert((ws, id));
        self.by_waiting.insert((ws, entry.waiting, id));
        if let Some(until) = entry.snoozed_until {
            self.alarms.insert((until, ws, id));
        }
    }
}

/// Where a conversation stands in one order; a page's cursor names the last one it gave.
impl Index {
    /// Drops one conversation.
    fn remove(&mut self, id: Id) {
        if let Some(old) = self.entries.remove(&id) {
            let ws = old.workspace_id;
            self.by_activity.remove(&(ws, old.last_event_id, id));
            self.by_start.remove(&(ws, id));
            self.by_waiting.remove(&(ws, old.waiting, id));
            if let Some(until) = old.snoozed_until {
                self.alarms.remove(&(until, ws, id));
            }
        }
    }

    /// Drops every conversation of a workspace.
    fn forget(&mut self, workspace_id: Id) {
        self.entries
            .retain(|_, entry| entry.workspace_id != workspace_id);
        self.by_activity.retain(|(ws, _, _)| *ws != workspace_id);
        self.by_start.retain(|(ws, _)| *ws != workspace_id);
        self.by_waiting.retain(|(ws, _, _)| *ws != workspace_id);
        self.alarms.retain(|(_, ws, _)| *ws != workspace_id);
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    Activity(EventId),
    Start(Id),
    Waiting(Millis, Id),
}

impl Place {
    pub fn cursor(self) -> String {
        match self {
            Place::Activity(event_id) => event_id.to_string(),
            Place::Start(id) => id.to_string(),
            Place::Waiting(since, id) => format!("{since}.{id}"),
        }
    }

    fn parse(sort: ConversationSort, cursor: &str) -> StoreResult<Place> {
        let invalid =
            || StoreError::Invalid(format!("cursor {cursor:?} is not one this list gave"));
        let number = |text: &str| text.parse::<u64>().map_err(|_| invalid());
        Ok(match sort {
            ConversationSort::LastActivity => Place::Activity(number(cursor)?),
            ConversationSort::Newest => Place::Start(number(cursor)?),
            ConversationSort::OldestWaiting => {
                let (since, id) = cursor.split_once('.').ok_or_else(invalid)?;
                Place::Waiting(since.parse::<Millis>().map_err(|_| invalid())?, number(id)?)
            }
        })
    }
}

impl Inbox {
    /// Reads the index back from every stored conversation.
    pub fn rebuild(read: &impl Scan) -> StoreResult<Inbox> {
        let mut index = Index::default();
        read.walk_prefix(keys::CONVERSATION, &mut |_, value| {
            let conversation: Conversation = serde_json::from_slice(value)?;
            index.place(conversation.id, Entry::of(&conversation));
            Ok(true)
        })?;
        Ok(Inbox {
            inner: RwLock::new(index),
        })
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Index> {
        self.inner
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Forgets a removed workspace's conversations.
    pub fn forget_workspace(&self, workspace_id: Id) {
        self.inner
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .forget(workspace_id);
    }

    /// Moves the conversations these committed events touched.
    pub fn record(&self, events: &[Event]) {
        let mut index = self
            .inner
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        for event in events {
            let conversation = match &event.kind {
                EventKind::ConversationUpdated(conversation)
                | EventKind::MessageCreated { conversation, .. } => conversation,
                EventKind::ContactErased(erased) => {
                    erased
                        .conversation_ids
                        .iter()
                        .for_each(|id| index.remove(*id));
                    continue;
                }
                _ => continue,
            };
            // An event read again (another node's, handed on after this node's later ones)
            // must not move a conversation back.
            let newer_known = index
                .entries
                .get(&conversation.id)
                .is_some_and(|known| known.last_event_id > event.id);
            if conversation.last_event_id == event.id && !newer_known {
                index.place(conversation.id, Entry::of(conversation));
            }
        }
    }

    /// Conversation ids of a workspace in the order `sort`, after the place `cursor` names;
    /// `visit` returns `false` to stop.
    pub fn walk(
        &self,
        workspace_id: Id,
        sort: ConversationSort,
        cursor: Option<&str>,
        mut visit: impl FnMut(Place, Id) -> bool,
    ) -> StoreResult<()> {
        let after = cursor
            .map(|cursor| Place::parse(sort, cursor))
            .transpose()?;
        let index = self.read();
        let ws = workspace_id;
        match (sort, after) {
            (ConversationSort::LastActivity, after) => {
                let end = match after {
                    Some(Place::Activity(event_id)) => Bound::Excluded((ws, event_id, 0)),
                    _ => Bound::Excluded((ws, EventId::MAX, 0)),
                };
                for &(_, event_id, id) in index
                    .by_activity
                    .range((Bound::Included((ws, 0, 0)), end))
                    .rev()
                {
                    if !visit(Place::Activity(event_id), id) {
                        break;
                    }
                }
            }
            (ConversationSort::Newest, after) => {
                let end = match after {
                    Some(Place::Start(id)) => Bound::Excluded((ws, id)),
                    _ => Bound::Included((ws, Id::MAX)),
                };
                for &(_, id) in index.by_start.range((Bound::Included((ws, 0)), end)).rev() {
                    if !visit(Place::Start(id), id) {
                        break;
                    }
                }
            }
            (ConversationSort::OldestWaiting, after) => {
                let start = match after {
                    Some(Place::Waiting(since, id)) => Bound::Excluded((ws, since, id)),
                    _ => Bound::Included((ws, 0, 0)),
                };
                for &(_, since, id) in index
                    .by_waiting
                    .range((start, Bound::Included((ws, Millis::MAX, Id::MAX))))
                {
                    if !visit(Place::Waiting(since, id), id) {
                        break;
                    }
                }
            }
        }
        Ok(())
    }

    /// The open conversations of each view, as agent `me` sees them.
    pub fn counts(&self, workspace_id: Id, me: Id) -> InboxCounts {
        let index = self.read();
        let mut counts = InboxCounts::default();
        let add = |view: &mut ViewCounts, entry: &Entry| {
            view.open += 1;
            view.unread += u32::from(entry.unread);
        };
        for &(_, id) in index
            .by_start
            .range((workspace_id, 0)..=(workspace_id, Id::MAX))
        {
            let Some(entry) = index.entries.get(&id) else {
                continue;
            };
            if entry.status != ConversationStatus::Open {
                continue;
            }
            add(&mut counts.all, entry);
            match entry.assignee_id {
                None => add(&mut counts.unassigned, entry),
                Some(agent) if agent == me => add(&mut counts.mine, entry),
                Some(_) => {}
            }
            if let Some(team) = entry.team_id {
                add(counts.teams.entry(team).or_default(), entry);
            }
        }
        counts
    }

    /// Open conversations assigned to each agent of a workspace.
    pub fn open_per_agent(&self, workspace_id: Id) -> HashMap<Id, u32> {
        let index = self.read();
        let mut per_agent = HashMap::new();
        for &(_, id) in index
            .by_start
            .range((workspace_id, 0)..=(workspace_id, Id::MAX))
        {
            if let Some(entry) = index.entries.get(&id)
                && entry.status == ConversationStatus::Open
                && let Some(agent) = entry.assignee_id
            {
                *per_agent.entry(agent).or_default() += 1;
            }
        }
        per_agent
    }

    /// The conversations of a workspace assigned to `agent_id` and not resolved.
    pub fn assigned_to(&self, workspace_id: Id, agent_id: Id) -> Vec<Id> {
        let index = self.read();
        index
            .by_start
            .range((workspace_id, 0)..=(workspace_id, Id::MAX))
            .filter(|(_, id)| {
                index.entries.get(id).is_some_and(|entry| {
                    entry.assignee_id == Some(agent_id)
                        && entry.status != ConversationStatus::Resolved
                })
            })
            .map(|&(_, id)| id)
            .collect()
    }

    /// (workspace, conversation, team) of the open conversations that wait in a team's queue,
    /// unassigned, those waiting longest first; at most `limit`.
    pub fn queued(&self, limit: usize) -> Vec<(Id, Id, Id)> {
        let index = self.read();
        let mut queued: Vec<(Millis, Id, Id, Id)> = index
            .entries
            .iter()
            .filter(|(_, entry)| {
                entry.status == ConversationStatus::Open && entry.assignee_id.is_none()
            })
            .filter_map(|(id, entry)| {
                entry
                    .team_id
                    .map(|team_id| (entry.waiting, *id, entry.workspace_id, team_id))
            })
            .collect();
        queued.sort_unstable();
        queued
            .into_iter()
            .take(limit)
            .map(|(_, id, workspace_id, team_id)| (workspace_id, id, team_id))
            .collect()
    }

    /// (workspace, conversation) of the snoozed conversations due to wake at `now`.
    pub fn due(&self, now: Millis) -> Vec<(Id, Id)> {
        self.read()
            .alarms
            .range(..=(now, Id::MAX, Id::MAX))
            .map(|&(_, workspace_id, id)| (workspace_id, id))
            .collect()
    }
}
