//! The lists: conversations by view and order, and a conversation's messages by page.

use switchboard_model::{Conversation, ConversationFilter, EventId, Id, Message, Page};

use super::{chunk, load, load_stored, message_at, references_after};
use crate::domain::StoreView;
use crate::domain::inbox::Inbox;
use crate::engine::txn::Read;
use crate::{StoreError, StoreResult};

pub fn list(
    tree: &impl Read,
    inbox: &Inbox,
    workspace_id: Id,
    filter: &ConversationFilter,
) -> StoreResult<Page<Conversation>> {
    let limit = filter.limit.unwrap_or(50).clamp(1, 200) as usize;
    let assignee = match filter.assignee.as_deref() {
        None => None,
        Some("none") => Some(None),
        Some(text) => Some(Some(text.parse::<Id>().map_err(|_| {
            StoreError::Invalid(format!(
                "assignee must be an agent id or \"none\", not {text:?}"
            ))
        })?)),
    };
    let mut items = Vec::new();
    let mut last_place = None;
    let mut failure = None;
    let sort = filter.sort.unwrap_or_default();
    inbox.walk(workspace_id, sort, filter.cursor.as_deref(), |place, id| {
        let conversation = match load(tree, workspace_id, id) {
            Ok(conversation) => conversation,
            Err(error) => {
                failure = Some(error);
                return false;
            }
        };
        let keep = filter
            .status
            .is_none_or(|status| conversation.status == status)
            && assignee.is_none_or(|assignee| conversation.assignee_id == assignee)
            && filter
                .team_id
                .is_none_or(|team| conversation.team_id == Some(team))
            && filter
                .channel_id
                .is_none_or(|channel| conversation.channel_id == channel)
            && filter
                .contact_id
                .is_none_or(|contact| conversation.contact_id == contact)
            && filter
                .label
                .as_ref()
                .is_none_or(|label| conversation.labels.contains(label));
        if keep {
            items.push(conversation);
            last_place = Some(place);
        }
        items.len() < limit
    })?;
    if let Some(error) = failure {
        return Err(error);
    }
    let next_cursor = (items.len() == limit)
        .then(|| last_place.map(|place| place.cursor()))
        .flatten();
    Ok(Page { items, next_cursor })
}

/// The newest `limit` messages, oldest first, reading only the chunks that hold them.
pub fn latest_messages(
    tree: StoreView,
    workspace_id: Id,
    conversation_id: Id,
    limit: usize,
) -> StoreResult<Vec<Message>> {
    Ok(
        messages_since(tree, workspace_id, conversation_id, 0, limit)?
            .into_iter()
            .map(|(_, message)| message)
            .collect(),
    )
}

/// The newest `limit` messages whose events came after `after`, oldest first, with their event
/// ids; reading stops at the first older one (events grow along a conversation).
pub fn messages_since(
    tree: StoreView,
    workspace_id: Id,
    conversation_id: Id,
    after: EventId,
    limit: usize,
) -> StoreResult<Vec<(EventId, Message)>> {
    let stored = load_stored(&tree, workspace_id, conversation_id)?;
    let newer = |(_, event_id): &(Id, EventId)| *event_id > after;
    let mut newest: Vec<(Id, EventId)> = stored
        .recent
        .iter()
        .rev()
        .copied()
        .take_while(newer)
        .take(limit)
        .collect();
    let mut n = stored.chunks;
    let mut reached_older = newest.len() < stored.recent.len().min(limit);
    while !reached_older && newest.len() < limit && n > 0 {
        n -= 1;
        let wanted = limit - newest.len();
        let before = newest.len();
        let chunk = chunk(&tree, &stored, n)?;
        let chunk_len = chunk.len();
        newest.extend(chunk.into_iter().rev().take_while(newer).take(wanted));
        reached_older = newest.len() - before < chunk_len.min(wanted);
    }
    newest
        .into_iter()
        .rev()
        .map(|(message_id, event_id)| {
            Ok((
                event_id,
                message_at(&tree, workspace_id, message_id, event_id)?,
            ))
        })
        .collect()
}

pub fn messages(
    tree: StoreView,
    workspace_id: Id,
    conversation_id: Id,
    cursor: Option<Id>,
    limit: usize,
) -> StoreResult<Page<Message>> {
    let stored = load_stored(&tree, workspace_id, conversation_id)?;
    let items = references_after(&tree, &stored, cursor, limit)?
        .into_iter()
        .map(|(message_id, event_id)| message_at(&tree, workspace_id, message_id, event_id))
        .collect::<StoreResult<Vec<_>>>()?;
    let next_cursor = (items.len() == limit)
        .then(|| items.last().map(|m| m.id.to_string()))
        .flatten();
    Ok(Page { items, next_cursor })
}
