//! Conversations and messages: ingest, replies, status changes and the lists.

use serde::{Deserialize, Serialize};
use switchboard_model::{
    Activity, Agent, Author, Availability, Channel, ChannelKind, Conversation, ConversationFilter,
    ConversationStatus, DeliveryStatus, Direction, Event, EventId, EventKind, Id, InboundMessage,
    Ingested, Message, Millis, NewConversation, NewReply, Page, Started, Team, email_ids,
};

use super::contacts;
use super::engine::txn::{Events, Read, Scan, Txn, View};
use super::files;
use super::inbox::Inbox;
use super::keys::{self, key, key_str};
use crate::rules::{self, Grouping, Received};
use crate::{ConversationChange, StoreError, StoreResult};

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

/// What the store keeps of an inbound message under its external id: where it went, and, for
/// an email, the digest of its content (missing for emails stored before digests were kept).
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Deduped {
    #[serde(flatten)]
    ingested: Ingested,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    digest: Option<String>,
}

pub fn ingest(
    txn: &mut Txn,
    inbox: &Inbox,
    workspace_id: Id,
    channel_id: Id,
    inbound: InboundMessage,
) -> StoreResult<Ingested> {
    let channel: Channel = txn
        .get_json(&key(keys::CHANNEL, &[workspace_id, channel_id]))?
        .ok_or_else(|| StoreError::not_found("channel", channel_id))?;
    if !channel.active {
        return Err(StoreError::Invalid(format!(
            "channel {channel_id} ({}) is inactive",
            channel.name
        )));
    }
    // The same id is the same message (a client's retry), except where senders reuse ids:
    // another message under a known id is kept under the id and its digest (the first one
    // still answers threading).
    let digest = rules::dedupe_digest(&channel, &inbound);
    let mut dedupe_key = key_str(
        keys::DEDUPE,
        &[workspace_id, channel_id],
        &inbound.external_id,
    );
    if let Some(first) = txn.get_json::<Deduped>(&dedupe_key)? {
        match (&digest, &first.digest) {
            (Some(digest), Some(known)) if digest != known => {
                dedupe_key.push(0);
                dedupe_key.extend_from_slice(digest.as_bytes());
                if let Some(same) = txn.get_json::<Deduped>(&dedupe_key)? {
                    return Ok(Ingested {
                        duplicate: true,
                        ..same.ingested
                    });
                }
            }
            _ => {
                return Ok(Ingested {
                    duplicate: true,
                    ..first.ingested
                });
            }
        }
    }
    files::attach(
        txn,
        workspace_id,
        inbound.attachments.iter().chain(&inbound.original),
    )?;
    let contact = contacts::find_or_create(txn, workspace_id, &inbound.contact)?;
    let open_key = key(keys::OPEN, &[workspace_id, channel_id, contact.id]);
    let threaded = answered(txn, &channel, contact.id, &inbound.thread)?;
    let open = match Grouping::of(&channel) {
        Grouping::Sender => txn.get_json::<Id>(&open_key)?,
        Grouping::Subject => open_on_subject(txn, &channel, contact.id, inbound.title.as_deref())?,
    };
    let mut stored = match threaded.or(open) {
        Some(id) => load_stored(txn, workspace_id, id)?,
        None => {
            let title = rules::title_of(inbound.title.as_deref(), &inbound.text);
            let assignee_id = if contact.blocked {
                None
            } else {
                automatic_assignee(txn, inbox, workspace_id, channel.default_team_id)?
            };
            let created = create(txn, &channel, contact.id, title, assignee_id)?;
            txn.put_json(open_key, &created.conversation.id)?;
            created
        }
    };
    let conversation = &mut stored.conversation;
    let message = Message {
        id: txn.next_id(),
        workspace_id,
        conversation_id: conversation.id,
        direction: Direction::In,
        author: Author::Contact { id: contact.id },
        text: inbound.text,
        quoted: inbound.quoted,
        html: inbound.html,
        attachments: inbound.attachments,
        external_id: Some(inbound.external_id),
        delivery: None,
        original: inbound.original,
        automatic: inbound.automatic,
        to: inbound.to,
        cc: inbound.cc,
        left_out: inbound.left_out,
        mentions: Vec::new(),
        activity: None,
        template: None,
        edited_at: None,
        created_at: txn.now,
    };
    let ingested = Ingested {
        conversation_id: conversation.id,
        message_id: message.id,
        contact_id: contact.id,
        duplicate: false,
    };
    txn.put_json(
        dedupe_key,
        &Deduped {
            ingested: ingested.clone(),
            digest,
        },
    )?;
    // The contact's open conversation on the conversation's own channel (which for a website
    // chat continued by email is not the mailbox the message came through).
    let its_open_key = key(
        keys::OPEN,
        &[workspace_id, conversation.channel_id, contact.id],
    );
    match rules::receive(conversation, contact.blocked, txn.now) {
        Received::Waiting => {}
        Received::Reopened => {
            if txn.get_json::<Id>(&its_open_key)?.is_none() {
                txn.put_json(its_open_key, &conversation.id)?;
            }
        }
        Received::SetAside => {
            if txn.get_json::<Id>(&its_open_key)? == Some(conversation.id) {
                txn.remove(its_open_key);
            }
        }
    }
    save_conversation(txn, &mut stored, Touch::Message(Box::new(message)))?;
    Ok(ingested)
}

/// A new open conversation with `contact_id` on `channel`, announced and stored (without
/// messages yet). The caller says whether it becomes the contact's open conversation there.
fn create(
    txn: &mut Txn,
    channel: &Channel,
    contact_id: Id,
    title: String,
    assignee_id: Option<Id>,
) -> StoreResult<StoredConversation> {
    let workspace_id = channel.workspace_id;
    let conversation = Conversation {
        id: txn.next_id(),
        workspace_id,
        channel_id: channel.id,
        contact_id,
        title,
        status: ConversationStatus::Open,
        assignee_id,
        team_id: channel.default_team_id,
        labels: Vec::new(),
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

/// Who takes a new conversation of `team`, when the team assigns automatically: its active,
/// online member with the fewest open conversations (the earliest agent on a tie). Nobody when
/// the team does not assign, or no member is online.
fn automatic_assignee(
    txn: &Txn,
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
    let mut candidates = Vec::new();
    for member in &team.member_ids {
        if let Some(agent) = txn.get_json::<Agent>(&key(keys::AGENT, &[workspace_id, *member]))?
            && agent.active
            && agent.availability == Availability::Online
        {
            candidates.push((load.get(&agent.id).copied().unwrap_or(0), agent.id));
        }
    }
    Ok(candidates.into_iter().min().map(|(_, agent_id)| agent_id))
}

/// The conversation an inbound message answers, from the ids it names (newest first): an
/// earlier inbound message of this channel, or one of our replies, whose Message-ID carries its
/// conversation (`<sb-{message}.c{conversation}@…>`), if the message may join it
/// ([`rules::may_join`]).
fn answered(
    txn: &mut Txn,
    channel: &Channel,
    contact_id: Id,
    thread: &[String],
) -> StoreResult<Option<Id>> {
    let workspace_id = channel.workspace_id;
    for id in thread {
        let earlier = key_str(keys::DEDUPE, &[workspace_id, channel.id], id);
        let conversation_id = match txn.get_json::<Ingested>(&earlier)? {
            Some(earlier) => earlier.conversation_id,
            None => match email_ids::parse(id) {
                Some(ours) => ours.conversation,
                None => continue,
            },
        };
        let Some(stored) = txn.get_json::<StoredConversation>(&key(
            keys::CONVERSATION,
            &[workspace_id, conversation_id],
        ))?
        else {
            continue;
        };
        if rules::may_join(&stored.conversation, channel, contact_id) {
            return Ok(Some(conversation_id));
        }
    }
    Ok(None)
}

/// The contact's open conversation on the channel about `subject`, if there is one.
fn open_on_subject(
    txn: &mut Txn,
    channel: &Channel,
    contact_id: Id,
    subject: Option<&str>,
) -> StoreResult<Option<Id>> {
    let wanted = subject.unwrap_or_default();
    let workspace_id = channel.workspace_id;
    for (index_key, _) in
        Scan::scan_prefix(txn, &key(keys::BY_CONTACT, &[workspace_id, contact_id]))?
    {
        let Some(conversation_id) = keys::last_id(&index_key) else {
            continue;
        };
        let conversation = load_stored(txn, workspace_id, conversation_id)?.conversation;
        if conversation.channel_id == channel.id
            && conversation.status != ConversationStatus::Resolved
            && rules::same_subject(&conversation.title, wanted)
        {
            return Ok(Some(conversation_id));
        }
    }
    Ok(None)
}

pub fn add_reply(
    txn: &mut Txn,
    workspace_id: Id,
    conversation_id: Id,
    author: Author,
    reply: NewReply,
) -> StoreResult<Message> {
    let mut stored = load_stored(txn, workspace_id, conversation_id)?;
    match &author {
        Author::Agent { id } => {
            super::directory::require(txn, keys::AGENT, "agent", workspace_id, *id)?;
        }
        Author::Bot { .. } => {}
        Author::Contact { .. } | Author::System => {
            return Err(StoreError::Invalid(
                "replies come from agents or bots".into(),
            ));
        }
    }
    let by_agent = matches!(author, Author::Agent { .. });
    let conversation = &mut stored.conversation;
    if !reply.private {
        let contact = contacts::load(txn, workspace_id, conversation.contact_id)?;
        if let Some(refusal) = rules::reply_refusal(&contact, conversation.channel_id) {
            return Err(StoreError::Invalid(refusal));
        }
    }
    files::attach(txn, workspace_id, &reply.attachments)?;
    let direction = if reply.private {
        Direction::Note
    } else {
        Direction::Out
    };
    if !reply.mentions.is_empty() && direction != Direction::Note {
        return Err(StoreError::Invalid(
            "mentions are for private notes: a reply to the contact mentions no agent".into(),
        ));
    }
    for agent_id in &reply.mentions {
        super::directory::require(txn, keys::AGENT, "agent", workspace_id, *agent_id)?;
    }
    let message = Message {
        id: txn.next_id(),
        workspace_id,
        conversation_id,
        direction,
        automatic: !by_agent,
        author,
        text: reply.text,
        quoted: None,
        html: None,
        attachments: reply.attachments,
        external_id: None,
        delivery: (direction == Direction::Out).then_some(DeliveryStatus::Queued { reason: None }),
        original: None,
        to: Vec::new(),
        cc: Vec::new(),
        left_out: Vec::new(),
        mentions: reply.mentions,
        activity: None,
        template: reply.template.filter(|_| direction == Direction::Out),
        edited_at: None,
        created_at: txn.now,
    };
    if direction == Direction::Out {
        super::delivery::enqueue(txn, conversation.channel_id, &message)?;
    }
    rules::write(conversation, direction, by_agent, txn.now);
    let created = message.clone();
    save_conversation(txn, &mut stored, Touch::Message(Box::new(message)))?;
    Ok(created)
}

/// A conversation an agent starts with a first message to the contact: open, assigned to the
/// agent, and the contact's open conversation on the channel unless they have one already.
pub fn start(
    txn: &mut Txn,
    workspace_id: Id,
    agent_id: Id,
    new: NewConversation,
) -> StoreResult<Started> {
    let channel: Channel = txn
        .get_json(&key(keys::CHANNEL, &[workspace_id, new.channel_id]))?
        .ok_or_else(|| StoreError::not_found("channel", new.channel_id))?;
    let contact = contacts::load(txn, workspace_id, new.contact_id)?;
    if !channel.active {
        return Err(StoreError::Invalid(format!(
            "channel {} ({}) is inactive",
            channel.id, channel.name
        )));
    }
    match channel.kind {
        ChannelKind::WEBCHAT => {
            return Err(StoreError::Invalid(format!(
                "channel {} ({}) is a website chat: there the visitor writes first",
                channel.id, channel.name
            )));
        }
        ChannelKind::EMAIL if contact.email_to_write().is_none() => {
            return Err(StoreError::Invalid(format!(
                "contact {} ({}) has no email address to write to",
                contact.id, contact.name
            )));
        }
        _ => {}
    }
    let title = rules::title_of(new.title.as_deref(), &new.text);
    let conversation = create(txn, &channel, contact.id, title, Some(agent_id))?.conversation;
    // The contact's answer joins it, unless they already have an open conversation here.
    let open_key = key(keys::OPEN, &[workspace_id, channel.id, contact.id]);
    if !txn.contains(&open_key)? {
        txn.put_json(open_key, &conversation.id)?;
    }
    let reply = NewReply {
        template: new.template,
        text: new.text,
        private: false,
        attachments: new.attachments,
        mentions: Vec::new(),
    };
    let message = add_reply(
        txn,
        workspace_id,
        conversation.id,
        Author::Agent { id: agent_id },
        reply,
    )?;
    let conversation = load(txn, workspace_id, conversation.id)?;
    Ok(Started {
        conversation,
        message,
    })
}

/// Opens again the snoozed conversation `id` if its time has come by `now` (it may have been
/// opened or snoozed anew since the alarm was read); `None` when it had nothing to do.
pub fn wake(
    txn: &mut Txn,
    workspace_id: Id,
    id: Id,
    now: Millis,
) -> StoreResult<Option<Conversation>> {
    let mut stored = match load_stored(txn, workspace_id, id) {
        Ok(stored) => stored,
        Err(StoreError::NotFound { .. }) => return Ok(None),
        Err(error) => return Err(error),
    };
    let conversation = &mut stored.conversation;
    let due = conversation.status == ConversationStatus::Snoozed
        && conversation.snoozed_until.is_none_or(|until| until <= now);
    if !due {
        return Ok(None);
    }
    let before = conversation.clone();
    conversation.status = ConversationStatus::Open;
    conversation.snoozed_until = None;
    record_step(txn, &mut stored, &before, Author::System)?;
    Ok(Some(stored.conversation))
}

/// Takes a step on a conversation; `by` took it. A step that changes what agents see (not a
/// read) is recorded in the log as a `system` message with its [`Activity`].
pub fn update(
    txn: &mut Txn,
    workspace_id: Id,
    id: Id,
    change: ConversationChange,
    by: Author,
) -> StoreResult<Conversation> {
    let mut stored = load_stored(txn, workspace_id, id)?;
    let before = stored.conversation.clone();
    let conversation = &mut stored.conversation;
    let open_key = key(
        keys::OPEN,
        &[
            workspace_id,
            conversation.channel_id,
            conversation.contact_id,
        ],
    );
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
        ConversationChange::Status(ConversationStatus::Snoozed) => {
            return Err(StoreError::Invalid(
                "a conversation is snoozed until a time: give `snoozed_until`".into(),
            ));
        }
        ConversationChange::Status(status) => {
            if status == ConversationStatus::Resolved {
                if txn.get_json::<Id>(&open_key)? == Some(id) {
                    txn.remove(open_key);
                }
                conversation.waiting_since = None;
            } else if !txn.contains(&open_key)? {
                txn.put_json(open_key, &id)?;
            }
            conversation.status = status;
            conversation.snoozed_until = None;
        }
        ConversationChange::Snooze { until } => {
            if until <= txn.now {
                return Err(StoreError::Invalid(format!(
                    "snoozed_until ({until}) is not in the future"
                )));
            }
            // A snoozed conversation still takes the contact's next message.
            if !txn.contains(&open_key)? {
                txn.put_json(open_key, &id)?;
            }
            conversation.status = ConversationStatus::Snoozed;
            conversation.snoozed_until = Some(until);
        }
    }
    record_step(txn, &mut stored, &before, by)?;
    Ok(stored.conversation)
}

/// What a step changed of what agents see, as an activity; `None` for a read, or a step that
/// changed nothing.
fn activity(before: &Conversation, after: &Conversation) -> Option<Activity> {
    if after.assignee_id != before.assignee_id {
        Some(Activity::Assigned {
            agent_id: after.assignee_id,
        })
    } else if after.team_id != before.team_id {
        Some(Activity::Team {
            team_id: after.team_id,
        })
    } else if after.labels != before.labels {
        Some(Activity::Labelled {
            labels: after.labels.clone(),
        })
    } else if after.status != before.status || after.snoozed_until != before.snoozed_until {
        Some(Activity::Status {
            status: after.status,
            until: after.snoozed_until,
        })
    } else {
        None
    }
}

/// Saves a conversation after a step: with a `system` message recording the step in its log
/// when it changed what agents see, else as an update.
fn record_step(
    txn: &mut Txn,
    stored: &mut StoredConversation,
    before: &Conversation,
    by: Author,
) -> StoreResult<()> {
    let Some(activity) = activity(before, &stored.conversation) else {
        return save_conversation(txn, stored, Touch::Updated);
    };
    let conversation = &mut stored.conversation;
    let message = Message {
        id: txn.next_id(),
        workspace_id: conversation.workspace_id,
        conversation_id: conversation.id,
        direction: Direction::System,
        author: by,
        text: activity.summary(),
        quoted: None,
        html: None,
        attachments: Vec::new(),
        external_id: None,
        delivery: None,
        original: None,
        automatic: false,
        to: Vec::new(),
        cc: Vec::new(),
        left_out: Vec::new(),
        mentions: Vec::new(),
        activity: Some(activity),
        template: None,
        edited_at: None,
        created_at: txn.now,
    };
    conversation.message_count += 1;
    save_conversation(txn, stored, Touch::Message(Box::new(message)))
}

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
    tree: View,
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
    tree: View,
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
    tree: View,
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
