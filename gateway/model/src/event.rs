//! The event log: every change a client may need to see, numbered so that a client that
//! reconnects can ask for everything after the last id it saw.

use serde::{Deserialize, Serialize};

use crate::{Contact, Conversation, DeliveryStatus, EventId, Id, Message, Millis};

/// One entry of a workspace's event log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Event {
    /// Grows with every event of the gateway; ids of one workspace are increasing, not dense.
    pub id: EventId,
    pub workspace_id: Id,
    pub at: Millis,
    #[serde(flatten)]
    pub kind: EventKind,
}

/// What happened.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "type", content = "data", rename_all = "snake_case")]
pub enum EventKind {
    ConversationCreated(Conversation),
    /// Status, assignee, team, labels or unread count changed.
    ConversationUpdated(Conversation),
    /// A message was added; `conversation` is the conversation as it stands after it.
    MessageCreated {
        conversation: Conversation,
        message: Box<Message>,
    },
    DeliveryUpdated {
        conversation_id: Id,
        message_id: Id,
        status: DeliveryStatus,
    },
    /// The contact edited a message they sent (on a channel that tells: Telegram); `message`
    /// is it as it reads now, with `edited_at`.
    MessageEdited {
        conversation_id: Id,
        message: Box<Message>,
    },
    ContactUpdated(Contact),
    /// An agent's profile or availability changed.
    AgentUpdated(crate::Agent),
}

impl EventKind {
    /// The conversation this event is about, if any.
    pub fn conversation_id(&self) -> Option<Id> {
        match self {
            EventKind::ConversationCreated(c) | EventKind::ConversationUpdated(c) => Some(c.id),
            EventKind::MessageCreated { conversation, .. } => Some(conversation.id),
            EventKind::DeliveryUpdated {
                conversation_id, ..
            }
            | EventKind::MessageEdited {
                conversation_id, ..
            } => Some(*conversation_id),
            EventKind::ContactUpdated(_) | EventKind::AgentUpdated(_) => None,
        }
    }
}

/// A live hint between an agent and a visitor, never stored and never replayed: someone is
/// typing in a conversation, or read it. Event sockets carry it as
/// `{"type": "presence", "data": …}` between stored events.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Presence {
    pub workspace_id: Id,
    pub conversation_id: Id,
    pub from: Side,
    pub kind: SignalKind,
    /// The agent's name, on an agent's signal.
    pub author: Option<String>,
}

/// Who sends a presence signal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    Agent,
    Visitor,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SignalKind {
    Typing,
    Read,
}
