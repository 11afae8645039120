//! Conversations and messages: ingest, replies, status changes and the lists.

use std::ops::Bound;

use switchboard_model::{
    Author, Channel, Conversation, ConversationFilter, ConversationStatus, DeliveryStatus, Direction,
    EventKind, Id, InboundMessage, Ingested, Message, NewReply, Page,
};

use super::contacts;
use super::keys::{self, key, key_str};
use super::txn::{Read, Txn};
use crate::{ConversationChange, OutboxItem, StoreError, StoreResult};

/// Longest title taken from a first message's text.
const TITLE_CHARS: usize = 80;

pub fn load(txn: &impl Read, workspace_id: Id, id: Id) -> StoreResult<Conversation> {
    txn.get_json(&key(keys::CONVERSATION, &[workspace_id, id]))?
        .ok_or_else(|| StoreError::not_found("conversation", id))
}

/// Writes a conversation touched by a new event: the event gets a fresh id, which becomes the
/// conversation's place in the activity order.
pub fn save_conversation(
    txn: &mut Txn,
    conversation: &mut Conversation,
    event: impl FnOnce(Conversation) -> EventKind,
) -> StoreResult<()> {
    let workspace_id = conversation.workspace_id;
    if conversation.last_event_id != 0 {
        txn.remove(key(keys::ACTIVITY, &[workspace_id, conversation.last_event_id]));
    }
    let event_id = txn.next_id();
    conversation.last_event_id = event_id;
    txn.put_json(key(keys::ACTIVITY, &[workspace_id, event_id]), &conversation.id)?;
    txn.put_json(key(keys::CONVERSATION, &[workspace_id, conversation.id]), conversation)?;
    txn.emit_with_id(event_id, workspace_id, event(conversation.clone()))
}

pub fn ingest(txn: &mut Txn, workspace_id: Id, channel_id: Id, inbound: InboundMessage) -> StoreResult<Ingested> {
    let channel: Channel = txn
        .get_json(&key(keys::CHANNEL, &[workspace_id, channel_id]))?
        .ok_or_else(|| StoreError::not_found("channel", channel_id))?;
    if !channel.active {
        return Err(StoreError::Invalid(format!("channel {channel_id} ({}) is inactive", channel.name)));
    }
    let dedupe_key = key_str(keys::DEDUPE, &[workspace_id, channel_id], &inbound.external_id);
    if let Some(earlier) = txn.get_json::<Ingested>(&dedupe_key)? {
        return Ok(Ingested { duplicate: true, ..earlier });
    }
    let contact = contacts::find_or_create(txn, workspace_id, &inbound.contact)?;
    let open_key = key(keys::OPEN, &[workspace_id, channel_id, contact.id]);
    let mut conversation = match txn.get_json::<Id>(&open_key)? {
        Some(id) => load(txn, workspace_id, id)?,
        None => {
            let title = inbound
                .title
                .clone()
                .filter(|title| !title.trim().is_empty())
                .unwrap_or_else(|| inbound.text.chars().take(TITLE_CHARS).collect());
            let conversation = Conversation {
                id: txn.next_id(),
                workspace_id,
                channel_id,
                contact_id: contact.id,
                title,
                status: ConversationStatus::Open,
                assignee_id: None,
                team_id: channel.default_team_id,
                labels: Vec::new(),
                unread_count: 0,
                message_count: 0,
                last_activity_at: txn.now,
                last_event_id: 0,
                created_at: txn.now,
            };
            txn.put_json(open_key, &conversation.id)?;
            txn.put(key(keys::BY_CONTACT, &[workspace_id, contact.id, conversation.id]), Vec::new());
            txn.emit(workspace_id, EventKind::ConversationCreated(conversation.clone()))?;
            conversation
        }
    };
    let message = Message {
        id: txn.next_id(),
        workspace_id,
        conversation_id: conversation.id,
        direction: Direction::In,
        author: Author::Contact { id: contact.id },
        text: inbound.text,
        html: None,
        attachments: Vec::new(),
        external_id: Some(inbound.external_id),
        delivery: None,
        created_at: txn.now,
    };
    let ingested =
        Ingested { conversation_id: conversation.id, message_id: message.id, contact_id: contact.id, duplicate: false };
    txn.put_json(dedupe_key, &ingested)?;
    txn.put_json(key(keys::MESSAGE, &[workspace_id, conversation.id, message.id]), &message)?;
    conversation.unread_count = conversation.unread_count.saturating_add(1);
    conversation.message_count += 1;
    conversation.last_activity_at = txn.now;
    save_conversation(txn, &mut conversation, |conversation| EventKind::MessageCreated { conversation, message })?;
    Ok(ingested)
}

pub fn add_reply(
    txn: &mut Txn,
    workspace_id: Id,
    conversation_id: Id,
    agent_id: Id,
    reply: NewReply,
) -> StoreResult<Message> {
    let mut conversation = load(txn, workspace_id, conversation_id)?;
    super::directory::require(txn, keys::AGENT, "agent", workspace_id, agent_id)?;
    let direction = if reply.private { Direction::Note } else { Direction::Out };
    let message = Message {
        id: txn.next_id(),
        workspace_id,
        conversation_id,
        direction,
        author: Author::Agent { id: agent_id },
        text: reply.text,
        html: None,
        attachments: Vec::new(),
        external_id: None,
        delivery: (direction == Direction::Out).then_some(DeliveryStatus::Queued { reason: None }),
        created_at: txn.now,
    };
    txn.put_json(key(keys::MESSAGE, &[workspace_id, conversation_id, message.id]), &message)?;
    if direction == Direction::Out {
        let item = OutboxItem {
            workspace_id,
            channel_id: conversation.channel_id,
            conversation_id,
            message_id: message.id,
            attempts: 0,
            not_before: txn.now,
            lease_holder: None,
            lease_until: 0,
        };
        txn.put_json(key(keys::OUTBOX, &[conversation.channel_id, message.id]), &item)?;
        conversation.unread_count = 0;
    }
    conversation.message_count += 1;
    conversation.last_activity_at = txn.now;
    let created = message.clone();
    save_conversation(txn, &mut conversation, |conversation| EventKind::MessageCreated { conversation, message })?;
    Ok(created)
}

pub fn update(txn: &mut Txn, workspace_id: Id, id: Id, change: ConversationChange) -> StoreResult<Conversation> {
    let mut conversation = load(txn, workspace_id, id)?;
    let open_key = key(keys::OPEN, &[workspace_id, conversation.channel_id, conversation.contact_id]);
    match change {
        ConversationChange::Assign(Some(agent_id)) => {
            super::directory::require(txn, keys::AGENT, "agent", workspace_id, agent_id)?;
            conversation.assignee_id = Some(agent_id);
        }
        ConversationChange::Assign(None) => conversation.assignee_id = None,
        ConversationChange::Team(Some(team_id)) => {
            super::directory::require(txn, keys::TEAM, "team", workspace_id, team_id)?;
            conversation.team_id = Some(team_id);
        }
        ConversationChange::Team(None) => conversation.team_id = None,
        ConversationChange::Labels(labels) => conversation.labels = labels,
        ConversationChange::MarkRead => conversation.unread_count = 0,
        ConversationChange::Status(status) => {
            if status == ConversationStatus::Resolved {
                if txn.get_json::<Id>(&open_key)? == Some(id) {
                    txn.remove(open_key);
                }
            } else if txn.get(&open_key)?.is_none() {
                txn.put_json(open_key, &id)?;
            }
            conversation.status = status;
        }
    }
    save_conversation(txn, &mut conversation, EventKind::ConversationUpdated)?;
    Ok(conversation)
}

/// Parses a list cursor, naming it when it is not one of ours.
pub fn parse_cursor(cursor: Option<&str>) -> StoreResult<Option<Id>> {
    cursor
        .map(|text| text.parse::<Id>().map_err(|_| StoreError::Invalid(format!("the cursor {text:?} is not valid"))))
        .transpose()
}

pub fn list(tree: &sled::Tree, workspace_id: Id, filter: &ConversationFilter) -> StoreResult<Page<Conversation>> {
    let limit = filter.limit.unwrap_or(50).clamp(1, 200) as usize;
    let assignee = match filter.assignee.as_deref() {
        None => None,
        Some("none") => Some(None),
        Some(text) => Some(Some(text.parse::<Id>().map_err(|_| {
            StoreError::Invalid(format!("assignee must be an agent id or \"none\", not {text:?}"))
        })?)),
    };
    let start = key(keys::ACTIVITY, &[workspace_id]);
    let end = match parse_cursor(filter.cursor.as_deref())? {
        Some(cursor) => Bound::Excluded(key(keys::ACTIVITY, &[workspace_id, cursor])),
        None => Bound::Excluded(key(keys::ACTIVITY, &[workspace_id.saturating_add(1)])),
    };
    let mut items = Vec::new();
    for entry in tree.range((Bound::Included(start), end)).rev() {
        let (_, value) = entry?;
        let id: Id = serde_json::from_slice(&value)?;
        let conversation = load(tree, workspace_id, id)?;
        let keep = filter.status.is_none_or(|status| conversation.status == status)
            && assignee.is_none_or(|assignee| conversation.assignee_id == assignee)
            && filter.team_id.is_none_or(|team| conversation.team_id == Some(team))
            && filter.channel_id.is_none_or(|channel| conversation.channel_id == channel)
            && filter.contact_id.is_none_or(|contact| conversation.contact_id == contact)
            && filter.label.as_ref().is_none_or(|label| conversation.labels.contains(label));
        if keep {
            items.push(conversation);
            if items.len() == limit {
                break;
            }
        }
    }
    let next_cursor = (items.len() == limit).then(|| items.last().map(|c| c.last_event_id.to_string())).flatten();
    Ok(Page { items, next_cursor })
}

pub fn messages(
    tree: &sled::Tree,
    workspace_id: Id,
    conversation_id: Id,
    cursor: Option<Id>,
    limit: usize,
) -> StoreResult<Page<Message>> {
    load(tree, workspace_id, conversation_id)?;
    let start = key(keys::MESSAGE, &[workspace_id, conversation_id, cursor.map_or(0, |c| c.saturating_add(1))]);
    let end = key(keys::MESSAGE, &[workspace_id, conversation_id.saturating_add(1)]);
    let items = tree
        .range(start..end)
        .take(limit)
        .map(|entry| Ok(serde_json::from_slice::<Message>(&entry?.1)?))
        .collect::<StoreResult<Vec<_>>>()?;
    let next_cursor = (items.len() == limit).then(|| items.last().map(|m| m.id.to_string())).flatten();
    Ok(Page { items, next_cursor })
}
