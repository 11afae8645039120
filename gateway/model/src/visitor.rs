//! The visitor API (`/widget/v1`): what the website chat widget asks the gateway and what it
//! is answered, defined once for the gateway's routes and the widget.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::{Attachment, EventId, Id, Millis};

/// A website chat's public settings, as the loader and the widget read them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WidgetConfig {
    pub color: String,
    /// `right` or `left`.
    pub position: String,
    pub greeting: String,
    pub locale: Option<String>,
    pub pre_chat: Vec<PreChatField>,
    /// Inside office hours (or none set).
    pub online: bool,
    pub max_upload_bytes: u64,
    /// Media types visitors may upload, such as `image/*` and `application/pdf`.
    pub upload_types: Vec<String>,
    /// The launcher's name for screen readers in each language (`en`, `es`, `pt-BR`): while
    /// the chat is closed, then while it is open. The loader picks one; it holds no text.
    pub launcher: BTreeMap<String, [String; 2]>,
}

/// A field the widget asks for before the first message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PreChatField {
    /// `name`, `email` or `phone`.
    pub name: String,
    pub required: bool,
}

/// A session request: the token the browser kept, and a site's logged-in user.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SessionRequest {
    #[serde(default)]
    pub token: Option<String>,
    /// `{id, name, email, hash}`, as the site's page handed it to the loader.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub user: Option<serde_json::Value>,
}

/// A visitor's session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SessionAnswer {
    pub token: String,
    /// The visitor already gave a name or email (no pre-chat form needed).
    pub known: bool,
}

/// Who wrote a message, as the visitor sees it: bots count as agents.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ChatSide {
    Visitor,
    Agent,
}

/// A message as the visitor sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VisitorMessage {
    pub id: Id,
    pub from: ChatSide,
    pub author: Option<String>,
    /// The agent's picture, a path under the gateway.
    pub avatar: Option<String>,
    pub text: String,
    pub attachments: Vec<Attachment>,
    pub created_at: Millis,
    /// The id the widget gave a message it sent.
    pub client_id: Option<String>,
    /// The visitor's message was read by an agent.
    #[serde(default)]
    pub read: bool,
}

/// The visitor's conversation history, oldest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VisitorHistory {
    pub messages: Vec<VisitorMessage>,
    /// Open the socket with `after` set to this.
    pub last_event_id: EventId,
}

/// What the widget sends.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VisitorOutgoing {
    /// The widget's id for the message; the same id twice is stored once.
    pub client_id: String,
    #[serde(default)]
    pub text: String,
    #[serde(default)]
    pub attachments: Vec<Attachment>,
    /// From the pre-chat or offline form.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
}

/// What the visitor is doing, for the agents to see.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VisitorSignal {
    /// `typing` or `read`.
    pub kind: String,
}

/// Where the visitor's message was stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VisitorAccepted {
    pub message_id: Id,
    pub conversation_id: Id,
}

/// What the visitor's socket sends the widget: `{"type": "message", "id", "message"}`,
/// `{"type": "typing", "typing", "author"}` or `{"type": "read", "up_to"}`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum VisitorEvent {
    Message {
        id: EventId,
        message: VisitorMessage,
    },
    Typing {
        typing: bool,
        author: Option<String>,
    },
    /// An agent read the visitor's messages up to this one.
    Read { up_to: Id },
}

/// Every field any [`VisitorEvent`] has, read in one pass: serde's reading of an internally
/// tagged enum buffers each event first, which costs the widget's download more than this.
#[derive(Deserialize)]
struct EventFields {
    #[serde(rename = "type")]
    kind: String,
    id: Option<EventId>,
    message: Option<VisitorMessage>,
    typing: Option<bool>,
    author: Option<String>,
    /// Read as a number, not an integer: "everything" is `u64::MAX`, which a browser's JSON
    /// holds as the nearest double and a reader of integers refuses.
    up_to: Option<f64>,
}

impl<'de> Deserialize<'de> for VisitorEvent {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        let fields = EventFields::deserialize(deserializer)?;
        let missing = |field: &'static str| D::Error::missing_field(field);
        Ok(match fields.kind.as_str() {
            "message" => VisitorEvent::Message {
                id: fields.id.ok_or_else(|| missing("id"))?,
                message: fields.message.ok_or_else(|| missing("message"))?,
            },
            "typing" => VisitorEvent::Typing {
                typing: fields.typing.ok_or_else(|| missing("typing"))?,
                author: fields.author,
            },
            "read" => VisitorEvent::Read {
                // Saturating: the nearest double to u64::MAX comes back as u64::MAX.
                up_to: fields.up_to.ok_or_else(|| missing("up_to"))? as Id,
            },
            other => {
                return Err(D::Error::unknown_variant(
                    other,
                    &["message", "typing", "read"],
                ));
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_socket_event_reads_back_as_the_gateway_wrote_it() {
        let event = VisitorEvent::Message {
            id: 41,
            message: VisitorMessage {
                id: 7,
                from: ChatSide::Agent,
                author: Some("Bea".into()),
                avatar: None,
                text: "¡Hola!".into(),
                attachments: Vec::new(),
                created_at: 1_700_000_000_000,
                client_id: None,
                read: false,
            },
        };
        let written = serde_json::to_value(&event).expect("it writes");
        assert_eq!(written["type"], "message");
        assert_eq!(written["message"]["from"], "agent");
        assert_eq!(
            serde_json::from_value::<VisitorEvent>(written).expect("it reads"),
            event
        );
        let read: VisitorEvent =
            serde_json::from_str(r#"{"type":"read","up_to":9}"#).expect("it reads");
        assert_eq!(read, VisitorEvent::Read { up_to: 9 });
        let typing = VisitorEvent::Typing {
            typing: true,
            author: None,
        };
        let written = serde_json::to_string(&typing).expect("it writes");
        assert_eq!(
            serde_json::from_str::<VisitorEvent>(&written).expect("it reads"),
            typing
        );
        let everything =
            serde_json::to_string(&VisitorEvent::Read { up_to: Id::MAX }).expect("it writes");
        assert_eq!(
            serde_json::from_str::<VisitorEvent>(&everything).expect("it reads"),
            VisitorEvent::Read { up_to: Id::MAX }
        );
        assert!(serde_json::from_str::<VisitorEvent>(r#"{"type":"wave"}"#).is_err());
        assert!(serde_json::from_str::<VisitorEvent>(r#"{"type":"read"}"#).is_err());
    }
}
