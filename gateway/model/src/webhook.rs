//! Outgoing webhooks: the URLs an admin subscribes to the workspace's events, the body each
//! delivery carries, and each delivery's log. Pure rules only: which entries of the event log
//! a webhook hears of ([`WebhookEvent::of`]), what its body says ([`webhook_data`]) and whether
//! an attempt's outcome is worth trying again ([`WebhookAttempt::retryable`]). Signing and
//! sending live in the gateway's services.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::{Author, Direction, EventId, EventKind, Id, Millis};

/// What a webhook may hear of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum WebhookEvent {
    /// A contact's message, an agent's reply or a private note (not the log's own lines).
    MessageCreated,
    ConversationCreated,
    /// Opened, pending, snoozed or resolved, by an agent or by the gateway.
    ConversationStatusChanged,
    /// Assigned to an agent or unassigned, by an agent, a team's turn or a deactivation.
    ConversationAssigned,
    /// "Send test": never subscribed to, always sent when asked.
    Ping,
}

impl WebhookEvent {
    /// The events a webhook may subscribe to.
    pub const SUBSCRIBABLE: [WebhookEvent; 4] = [
        WebhookEvent::MessageCreated,
        WebhookEvent::ConversationCreated,
        WebhookEvent::ConversationStatusChanged,
        WebhookEvent::ConversationAssigned,
    ];

    /// The name in the body's `event` and in `events`.
    pub fn as_str(self) -> &'static str {
        match self {
            WebhookEvent::MessageCreated => "message_created",
            WebhookEvent::ConversationCreated => "conversation_created",
            WebhookEvent::ConversationStatusChanged => "conversation_status_changed",
            WebhookEvent::ConversationAssigned => "conversation_assigned",
            WebhookEvent::Ping => "ping",
        }
    }

    /// The webhook event an entry of the event log is, if any. A step on a conversation is
    /// recorded as a `system` message with its activity: a status or an assignment is told as
    /// such, never as a message; a team or label change is not told at all.
    pub fn of(kind: &EventKind) -> Option<WebhookEvent> {
        use crate::Activity;
        match kind {
            EventKind::ConversationCreated(_) => Some(WebhookEvent::ConversationCreated),
            EventKind::MessageCreated { message, .. } => match &message.activity {
                None if message.direction != Direction::System => {
                    Some(WebhookEvent::MessageCreated)
                }
                Some(Activity::Status { .. }) => Some(WebhookEvent::ConversationStatusChanged),
                Some(Activity::Assigned { .. } | Activity::Requeued { .. }) => {
                    Some(WebhookEvent::ConversationAssigned)
                }
                _ => None,
            },
            _ => None,
        }
    }
}

/// The `data` of a delivery's body for an entry of the event log, with its webhook event: the
/// conversation as it stands after the event, and the message, or who took the step.
pub fn webhook_data(kind: &EventKind) -> Option<(WebhookEvent, Value)> {
    let event = WebhookEvent::of(kind)?;
    let data = match kind {
        EventKind::ConversationCreated(conversation) => json!({ "conversation": conversation }),
        EventKind::MessageCreated {
            conversation,
            message,
        } => match event {
            WebhookEvent::MessageCreated => {
                json!({ "conversation": conversation, "message": message })
            }
            _ => json!({
                "conversation": conversation,
                "changed_by": changed_by(&message.author),
            }),
        },
        _ => return None,
    };
    Some((event, data))
}

/// Who took a step, as a webhook tells it.
fn changed_by(author: &Author) -> Value {
    match author {
        Author::Agent { id } => json!({ "type": "agent", "id": id }),
        Author::Contact { id } => json!({ "type": "contact", "id": id }),
        Author::Bot { name } => json!({ "type": "bot", "name": name }),
        Author::System => json!({ "type": "system" }),
    }
}

/// The body of every delivery, signed as the `X-Switchboard-Signature` header says.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WebhookBody {
    /// The delivery's id: the same on every attempt, so a receiver can ignore a repeat.
    pub id: Id,
    pub event: WebhookEvent,
    pub workspace_id: Id,
    /// The entry of the event log it tells of (none for `ping`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_id: Option<EventId>,
    /// When it happened.
    pub created_at: Millis,
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub data: Value,
}

/// A URL that hears of the workspace's events.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Webhook {
    pub id: Id,
    pub workspace_id: Id,
    pub url: String,
    pub events: Vec<WebhookEvent>,
    /// An inactive webhook hears of nothing; its queued deliveries still go.
    pub active: bool,
    pub created_at: Millis,
    pub updated_at: Millis,
}

/// A webhook to add (`POST /api/v1/webhooks`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewWebhook {
    /// `https://…`; plain `http://` only where the operator allows it.
    pub url: String,
    /// At least one of `message_created`, `conversation_created`,
    /// `conversation_status_changed`, `conversation_assigned`.
    pub events: Vec<WebhookEvent>,
    #[serde(default = "crate::directory::yes")]
    pub active: bool,
}

/// A change to a webhook; absent fields are left as they are.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct WebhookUpdate {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub events: Option<Vec<WebhookEvent>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active: Option<bool>,
    /// Makes a new signing secret (shown in this answer only); the old one stops at once.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub rotate_secret: bool,
}

/// A webhook just saved; `secret` only when it was made (creation, rotation): keep it, it is
/// never shown again.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SavedWebhook {
    #[serde(flatten)]
    pub webhook: Webhook,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
}

/// Where a delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum WebhookDeliveryState {
    /// Waiting for its first attempt or a retry (`next_attempt_at`).
    Queued,
    /// The endpoint answered 2xx.
    Delivered,
    /// Given up: the endpoint refused (a 4xx other than 429, a redirect) or kept failing.
    Failed,
}

/// One attempt to deliver: what the endpoint said, or why it could not be asked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WebhookAttempt {
    pub at: Millis,
    /// How long the exchange took.
    pub duration_ms: u64,
    /// The endpoint's HTTP status, when it answered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// Why there was no answer (refused address, connection, timeout).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The start of the endpoint's answer, as text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response: Option<String>,
}

impl WebhookAttempt {
    /// The endpoint took the delivery.
    pub fn delivered(&self) -> bool {
        self.status
            .is_some_and(|status| (200..300).contains(&status))
    }

    /// Worth trying again: no answer, a server error or "too many requests"; any other
    /// answer will be the same next time.
    pub fn retryable(&self) -> bool {
        match self.status {
            None => true,
            Some(status) => status == 429 || status >= 500,
        }
    }
}

/// A delivery's log entry (`GET /api/v1/webhooks/{id}/deliveries`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WebhookDelivery {
    pub id: Id,
    pub webhook_id: Id,
    pub event: WebhookEvent,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_id: Option<EventId>,
    pub state: WebhookDeliveryState,
    /// Oldest first.
    pub attempts: Vec<WebhookAttempt>,
    /// When the next attempt is due, while it is queued.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_attempt_at: Option<Millis>,
    pub created_at: Millis,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Activity, ConversationStatus};

    fn message_created(direction: Direction, activity: Option<Activity>) -> EventKind {
        let conversation: crate::Conversation = serde_json::from_value(json!({
            "id": 7, "workspace_id": 1, "channel_id": 2, "contact_id": 3, "title": "Hola",
            "status": "open", "unread_count": 0, "message_count": 1, "last_activity_at": 0,
            "last_event_id": 9, "created_at": 0,
        }))
        .expect("a conversation");
        let message: crate::Message = serde_json::from_value(json!({
            "id": 8, "workspace_id": 1, "conversation_id": 7, "direction": direction,
            "author": { "type": "agent", "id": 4 }, "text": "Hola", "activity": activity,
            "created_at": 0,
        }))
        .expect("a message");
        EventKind::MessageCreated {
            conversation,
            message: Box::new(message),
        }
    }

    #[test]
    fn steps_are_told_as_status_or_assignment_and_messages_as_messages() {
        let status = Activity::Status {
            status: ConversationStatus::Resolved,
            until: None,
        };
        let assigned = Activity::Assigned { agent_id: Some(4) };
        let requeued = Activity::Requeued { agent_id: 4 };
        let team = Activity::Team { team_id: Some(5) };
        let cases = [
            (
                message_created(Direction::In, None),
                Some("message_created"),
            ),
            (
                message_created(Direction::Note, None),
                Some("message_created"),
            ),
            (
                message_created(Direction::System, Some(status)),
                Some("conversation_status_changed"),
            ),
            (
                message_created(Direction::System, Some(assigned)),
                Some("conversation_assigned"),
            ),
            (
                message_created(Direction::System, Some(requeued)),
                Some("conversation_assigned"),
            ),
            (message_created(Direction::System, Some(team)), None),
            (message_created(Direction::System, None), None),
        ];
        for (kind, expected) in cases {
            assert_eq!(WebhookEvent::of(&kind).map(WebhookEvent::as_str), expected);
        }
    }

    #[test]
    fn a_step_tells_who_took_it_and_a_message_carries_itself() {
        let (_, data) = webhook_data(&message_created(
            Direction::System,
            Some(Activity::Assigned { agent_id: None }),
        ))
        .expect("told");
        assert_eq!(data["changed_by"], json!({ "type": "agent", "id": 4 }));
        assert_eq!(data["conversation"]["id"], 7);
        let (_, data) = webhook_data(&message_created(Direction::Out, None)).expect("told");
        assert_eq!(data["message"]["id"], 8);
    }

    #[test]
    fn only_no_answer_server_errors_and_429_are_tried_again() {
        let attempt = |status: Option<u16>| WebhookAttempt {
            at: 0,
            duration_ms: 1,
            status,
            error: None,
            response: None,
        };
        let retried: Vec<Option<u16>> = [None, Some(200), Some(301), Some(400), Some(410)]
            .into_iter()
            .chain([Some(429), Some(500), Some(503)])
            .filter(|status| attempt(*status).retryable())
            .collect();
        assert_eq!(retried, [None, Some(429), Some(500), Some(503)]);
        assert!(attempt(Some(204)).delivered() && !attempt(Some(302)).delivered());
    }
}
