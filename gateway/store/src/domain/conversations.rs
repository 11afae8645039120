//! Conversations and messages as sled stores them: a conversation's record and where its
//! messages are, with the steps on them in submodules: taking in a contact's message
//! ([`ingest`]), an agent's reply or first message ([`writing`]), status and assignment steps
//! ([`steps`]) and the lists ([`reading`]). The rules they apply are [`crate::rules`].

use serde::{Deserialize, Serialize};
use switchboard_model::{
    Agent, Availability, Channel, Conversation, ConversationStatus, Direction, Event, EventId,
    EventKind, Id, Message, Team, next_in_turn,
};

use super::inbox::Inbox;
use crate::engine::txn::{Events, Read, Txn};
use crate::keys::{self, key};
use crate::{StoreError, StoreResult};

mod ingest;
mod reading;
mod steps;
mod writing;

pub use ingest::ingest;
pub use reading::{latest_messages, list, messages, messages_since};
pub use steps::{Queued, assign_queued, requeue, update, wake};
pub use writing::{add_reply, start};

/// A conversation as stored: the record clients see, plus where its messages are. A message
/// lives once, in its `message_created` event; the conversation lists its (message, event) ids,
/// the latest in `recent`, older ones in chunks of [`CHUNK`] under their own keys. Appending a
/// message thus writes no key of its own, and most messages add no index key either.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StoredConversation {
    #[serde(flatten)]
    pub conversation: Conversation,
    #[serde(default)]
    recent: Vec<(Id, EventId)>,
    #[serde(default)]
    chunks: u64,
}

/// How many message references a chunk holds.
const CHUNK: usize = 32;

/// What touched a conversation.
pub enum Touch {
    Message(Box<Message>),
    Updated,
}

pub fn load_stored(txn: &impl Read, workspace_id: Id, id: Id) -> StoreResult<StoredConversation> {
    txn.get_json(&key(keys::CONVERSATION, &[workspace_id, id]))?
        .ok_or_else(|| StoreError::not_found("conversation", id))
}

pub fn load(txn: &impl Read, workspace_id: Id, id: Id) -> StoreResult<Conversation> {
    Ok(load_stored(txn, workspace_id, id)?.conversation)
}

/// Writes a conversation touched by a new event: the event gets a fresh id, which becomes the
/// conversation's place in the activity order (see [`super::inbox`]).
pub fn save_conversation(
    txn: &mut Txn,
    stored: &mut StoredConversation,
    touch: Touch,
) -> StoreResult<()> {
    let (workspace_id, id) = (stored.conversation.workspace_id, stored.conversation.id);
    let event_id = txn.next_id();
    stored.conversation.last_event_id = event_id;
    let kind = match touch {
        Touch::Message(message) => {
            stored.recent.push((message.id, event_id));
            if stored.recent.len() == CHUNK {
                txn.put_json(
                    key(keys::MESSAGE_CHUNK, &[workspace_id, id, stored.chunks]),
                    &stored.recent,
                )?;
                stored.recent.clear();
                stored.chunks += 1;
            }
            EventKind::MessageCreated {
                conversation: stored.conversation.clone(),
                message,
            }
        }
        Touch::Updated => EventKind::ConversationUpdated(stored.conversation.clone()),
    };
    txn.put_json(key(keys::CONVERSATION, &[workspace_id, id]), stored)?;
    txn.emit_with_id(event_id, workspace_id, kind)
}

/// One chunk of a conversation's message references.
fn chunk(
    reader: &impl Read,
    stored: &StoredConversation,
    n: u64,
) -> StoreResult<Vec<(Id, EventId)>> {
    let (workspace_id, id) = (stored.conversation.workspace_id, stored.conversation.id);
    Ok(reader
        .get_json(&key(keys::MESSAGE_CHUNK, &[workspace_id, id, n]))?
        .unwrap_or_default())
}

/// Up to `limit` message references after `cursor`, oldest first. Message ids grow along the
/// conversation, so the chunk to start from is found by a binary search: a page reads a few
/// chunks however long the conversation is.
fn references_after(
    reader: &impl Read,
    stored: &StoredConversation,
    cursor: Option<Id>,
    limit: usize,
) -> StoreResult<Vec<(Id, EventId)>> {
    let after = |(message_id, _): &(Id, EventId)| cursor.is_none_or(|cursor| *message_id > cursor);
    let (mut start, mut end) = (0, stored.chunks);
    if let Some(cursor) = cursor {
        while start < end {
            let middle = start + (end - start) / 2;
            let done = chunk(reader, stored, middle)?
                .last()
                .is_some_and(|(message_id, _)| *message_id <= cursor);
            if done {
                start = middle + 1;
            } else {
                end = middle;
            }
        }
    }
    let mut found = Vec::new();
    for n in start..stored.chunks {
        if found.len() >= limit {
            break;
        }
        found.extend(chunk(reader, stored, n)?.into_iter().filter(after));
    }
    found.extend(stored.recent.iter().copied().filter(after));
    found.truncate(limit);
    Ok(found)
}

/// A message of a conversation, found through the conversation's references (the recent ones
/// first, without reading any chunk).
pub fn find_message(
    txn: &(impl Read + Events),
    stored: &StoredConversation,
    message_id: Id,
) -> StoreResult<Message> {
    let is_it = |(message, _): &(Id, EventId)| *message == message_id;
    let found = match stored.recent.iter().copied().find(is_it) {
        Some(reference) => Some(reference),
        None => references_after(txn, stored, message_id.checked_sub(1), 1)?
            .into_iter()
            .find(is_it),
    };
    let (_, event_id) = found.ok_or_else(|| StoreError::not_found("message", message_id))?;
    message_at(txn, stored.conversation.workspace_id, message_id, event_id)
}

/// The message stored in an event, with its latest delivery status or edit.
pub fn message_at(
    tree: &(impl Read + Events),
    workspace_id: Id,
    message_id: Id,
    event_id: EventId,
) -> StoreResult<Message> {
    let event: Option<Event> = tree.event(workspace_id, event_id)?;
    let Some(Event {
        kind: EventKind::MessageCreated { mut message, .. },
        ..
    }) = event
    else {
        return Err(StoreError::Backend(format!(
            "the event of message {message_id} is missing"
        )));
    };
    if message.direction == Direction::Out
        && let Some(status) = tree.get_json(&key(keys::DELIVERY, &[workspace_id, message_id]))?
    {
        message.delivery = Some(status);
    }
    if message.direction == Direction::In {
        return super::edits::with_edit(tree, *message);
    }
    Ok(*message)
}

/// Where a new conversation starts: its team, labels and agent.
struct Route {
    team_id: Option<Id>,
    labels: Vec<String>,
    assignee_id: Option<Id>,
}

/// A new open conversation with `contact_id` on `channel`, announced and stored (without
/// messages yet). The caller says whether it becomes the contact's open conversation there.
fn create(
    txn: &mut Txn,
    channel: &Channel,
    contact_id: Id,
    title: String,
    route: Route,
) -> StoreResult<StoredConversation> {
    let workspace_id = channel.workspace_id;
    let conversation = Conversation {
        id: txn.next_id(),
        workspace_id,
        channel_id: channel.id,
        contact_id,
        title,
        status: ConversationStatus::Open,
        assignee_id: route.assignee_id,
        team_id: route.team_id,
        labels: route.labels,
        unread_count: 0,
        message_count: 0,
        last_activity_at: txn.now,
        waiting_since: None,
        last_inbound_at: None,
        snoozed_until: None,
        last_event_id: 0,
        created_at: txn.now,
    };
    txn.put(
        key(
            keys::BY_CONTACT,
            &[workspace_id, contact_id, conversation.id],
        ),
        Vec::new(),
    );
    txn.emit(
        workspace_id,
        EventKind::ConversationCreated(conversation.clone()),
    )?;
    let stored = StoredConversation {
        conversation,
        recent: Vec::new(),
        chunks: 0,
    };
    txn.put_json(
        key(keys::CONVERSATION, &[workspace_id, stored.conversation.id]),
        &stored,
    )?;
    Ok(stored)
}

/// Who takes a new conversation of `team`, when the team assigns automatically: its next
/// member in turn (round robin, after the one chosen last) who is active, online and has fewer
/// open conversations than the team's limit. Nobody when the team does not assign, or no member
/// is available; the conversation then waits in the team's queue.
fn automatic_assignee(
    txn: &mut Txn,
    inbox: &Inbox,
    workspace_id: Id,
    team_id: Option<Id>,
) -> StoreResult<Option<Id>> {
    let Some(team_id) = team_id else {
        return Ok(None);
    };
    let Some(team) = txn.get_json::<Team>(&key(keys::TEAM, &[workspace_id, team_id]))? else {
        return Ok(None);
    };
    if !team.auto_assign {
        return Ok(None);
    }
    let load = inbox.open_per_agent(workspace_id);
    let mut available = Vec::new();
    for member in &team.member_ids {
        let under_limit = team
            .max_open_per_agent
            .is_none_or(|limit| load.get(member).copied().unwrap_or(0) < limit);
        if under_limit
            && let Some(agent) =
                txn.get_json::<Agent>(&key(keys::AGENT, &[workspace_id, *member]))?
            && agent.active
            && agent.availability == Availability::Online
        {
            available.push(agent.id);
        }
    }
    let turn_key = key(keys::TEAM_TURN, &[workspace_id, team_id]);
    let last = txn.get_json::<Id>(&turn_key)?;
    let chosen = next_in_turn(&team.member_ids, last, |member| available.contains(&member));
    if let Some(agent_id) = chosen {
        txn.put_json(turn_key, &agent_id)?;
    }
    Ok(chosen)
}
