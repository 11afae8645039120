//! The event log: every change a client may need to see, numbered so that a client that
//! reconnects can ask for everything after the last id it saw.

use serde::{Deserialize, Deserializer, Serialize};

use crate::{Contact, Conversation, DeliveryStatus, EventId, Id, Message, Millis};

/// One entry of a workspace's event log. On the wire: `id`, `workspace_id`, `at`, then `type`
/// and `data` as [`EventKind`] writes them (read in two steps, see [`read`]).
#[derive(Debug, Clone, PartialEq, Serialize)]
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
    /// A contact was erased at their request, with the contacts merged into it, their
    /// conversations and messages: clients and the search index forget them.
    ContactErased(ContactErasure),
    /// An agent's profile or availability changed.
    AgentUpdated(crate::Agent),
}

mod read {
    //! Reading an event in two steps, the frame and then its `data` as its `type` says, rather
    //! than through `#[serde(flatten)]`, which buffers every event and builds a second reader
    //! of every wire type (19 KB of the console's Wasm). The gateway writes `type` before
    //! `data`, and so must any writer.

    use std::fmt;

    use serde::Deserialize;
    use serde::de::{self, Deserializer, IgnoredAny, MapAccess, Visitor};

    use super::{Event, EventKind};
    use crate::{Conversation, DeliveryStatus, Id, Message};

    #[derive(Deserialize)]
    struct MessageCreated {
        conversation: Conversation,
        message: Box<Message>,
    }

    #[derive(Deserialize)]
    struct DeliveryUpdated {
        conversation_id: Id,
        message_id: Id,
        status: DeliveryStatus,
    }

    #[derive(Deserialize)]
    struct MessageEdited {
        conversation_id: Id,
        message: Box<Message>,
    }

    /// `data` for the event type `name`.
    fn data<'de, A: MapAccess<'de>>(map: &mut A, name: &str) -> Result<EventKind, A::Error> {
        Ok(match name {
            "conversation_created" => EventKind::ConversationCreated(map.next_value()?),
            "conversation_updated" => EventKind::ConversationUpdated(map.next_value()?),
            "message_created" => {
                let MessageCreated {
                    conversation,
                    message,
                } = map.next_value()?;
                EventKind::MessageCreated {
                    conversation,
                    message,
                }
            }
            "delivery_updated" => {
                let DeliveryUpdated {
                    conversation_id,
                    message_id,
                    status,
                } = map.next_value()?;
                EventKind::DeliveryUpdated {
                    conversation_id,
                    message_id,
                    status,
                }
            }
            "message_edited" => {
                let MessageEdited {
                    conversation_id,
                    message,
                } = map.next_value()?;
                EventKind::MessageEdited {
                    conversation_id,
                    message,
                }
            }
            "contact_updated" => EventKind::ContactUpdated(map.next_value()?),
            "contact_erased" => EventKind::ContactErased(map.next_value()?),
            "agent_updated" => EventKind::AgentUpdated(map.next_value()?),
            other => return Err(de::Error::custom(format!("unknown event type {other:?}"))),
        })
    }

    struct EventVisitor;

    impl<'de> Visitor<'de> for EventVisitor {
        type Value = Event;

        fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
            formatter.write_str("an event: id, workspace_id, at, type and data")
        }

        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Event, A::Error> {
            let (mut id, mut workspace_id, mut at) = (None, None, None);
            let (mut name, mut kind) = (None::<String>, None);
            while let Some(key) = map.next_key::<String>()? {
                match key.as_str() {
                    "id" => id = Some(map.next_value()?),
                    "workspace_id" => workspace_id = Some(map.next_value()?),
                    "at" => at = Some(map.next_value()?),
                    "type" => name = Some(map.next_value()?),
                    "data" => {
                        let name = name.as_deref().ok_or_else(|| {
                            de::Error::custom("an event's `type` must come before its `data`")
                        })?;
                        kind = Some(data(&mut map, name)?);
                    }
                    _ => {
                        map.next_value::<IgnoredAny>()?;
                    }
                }
            }
            Ok(Event {
                id: id.ok_or_else(|| de::Error::missing_field("id"))?,
                workspace_id: workspace_id
                    .ok_or_else(|| de::Error::missing_field("workspace_id"))?,
                at: at.ok_or_else(|| de::Error::missing_field("at"))?,
                kind: kind.ok_or_else(|| de::Error::missing_field("data"))?,
            })
        }
    }

    pub fn event<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Event, D::Error> {
        deserializer.deserialize_map(EventVisitor)
    }
}

impl<'de> Deserialize<'de> for Event {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        read::event(deserializer)
    }
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
            EventKind::ContactUpdated(_)
            | EventKind::ContactErased(_)
            | EventKind::AgentUpdated(_) => None,
        }
    }
}

/// The ids an erasure removed; no word of what they held.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ContactErasure {
    pub contact_ids: Vec<Id>,
    pub conversation_ids: Vec<Id>,
    pub message_ids: Vec<Id>,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_event_reads_back_as_it_was_written_and_its_type_comes_first() {
        let event = Event {
            id: 7,
            workspace_id: 1,
            at: 1_764_806_400_000,
            kind: EventKind::DeliveryUpdated {
                conversation_id: 3,
                message_id: 4,
                status: DeliveryStatus::Delivered,
            },
        };
        let json = serde_json::to_string(&event).expect("written");
        assert!(json.find("\"type\"") < json.find("\"data\""), "{json}");
        assert_eq!(serde_json::from_str::<Event>(&json).ok(), Some(event));

        let later_field = json.replacen('{', "{\"extra\":[1,{\"a\":2}],", 1);
        assert!(
            serde_json::from_str::<Event>(&later_field).is_ok(),
            "fields it does not know are skipped"
        );
        let data_first = r#"{"id":7,"workspace_id":1,"at":1,"data":{},"type":"agent_updated"}"#;
        let refused = serde_json::from_str::<Event>(data_first).expect_err("data before type");
        assert!(
            refused.to_string().contains("must come before"),
            "{refused}"
        );
        let unknown = r#"{"id":7,"workspace_id":1,"at":1,"type":"weather_changed","data":{}}"#;
        let refused = serde_json::from_str::<Event>(unknown).expect_err("an unknown type");
        assert!(refused.to_string().contains("weather_changed"), "{refused}");
    }
}
