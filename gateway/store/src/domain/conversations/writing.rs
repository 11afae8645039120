//! What agents and bots write: replies and notes, and the first message of a conversation an
//! agent starts.

use switchboard_model::{
    Author, Channel, ChannelKind, DeliveryStatus, Direction, Id, Message, NewConversation,
    NewReply, Started,
};

use super::{Route, Touch, create, load, load_stored, save_conversation};
use crate::domain::contacts;
use crate::domain::files;
use crate::engine::txn::{Read, Txn};
use crate::keys::{self, key};
use crate::rules::{self};
use crate::{StoreError, StoreResult};

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
            crate::domain::directory::require(txn, keys::AGENT, "agent", workspace_id, *id)?;
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
        crate::domain::directory::require(txn, keys::AGENT, "agent", workspace_id, *agent_id)?;
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
        crate::domain::delivery::enqueue(txn, conversation.channel_id, &message)?;
        crate::domain::delivery::count_sent(txn, workspace_id)?;
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
    let route = Route {
        team_id: channel.default_team_id,
        labels: Vec::new(),
        assignee_id: Some(agent_id),
    };
    let conversation = create(txn, &channel, contact.id, title, route)?.conversation;
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
