//! Conversations and the append-only message log inside each of them.

use serde::{Deserialize, Serialize};

use crate::{EventId, Id, Millis};

/// Where a conversation stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ConversationStatus {
    /// Waiting for an agent.
    Open,
    /// Waiting for the customer or a third party.
    Pending,
    /// Put aside until `snoozed_until`, or until the contact writes again; then open.
    Snoozed,
    /// Closed. A new message from the contact starts a new conversation.
    Resolved,
}

/// One thread with one contact on one channel.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Conversation {
    pub id: Id,
    pub workspace_id: Id,
    pub channel_id: Id,
    pub contact_id: Id,
    /// The email subject, or a summary of the first message.
    pub title: String,
    pub status: ConversationStatus,
    #[serde(default)]
    pub assignee_id: Option<Id>,
    #[serde(default)]
    pub team_id: Option<Id>,
    #[serde(default)]
    pub labels: Vec<String>,
    /// Inbound messages since an agent last read the conversation.
    pub unread_count: u32,
    pub message_count: u64,
    pub last_activity_at: Millis,
    /// When the contact's oldest message that no agent has answered yet arrived; `None` when
    /// the contact is not waiting for an answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub waiting_since: Option<Millis>,
    /// When the contact's newest message arrived; channels with a reply window (WhatsApp's
    /// 24 hours) count from it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_inbound_at: Option<Millis>,
    /// When a snoozed conversation opens again by itself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub snoozed_until: Option<Millis>,
    /// The event that last touched this conversation; lists are ordered by it.
    pub last_event_id: EventId,
    pub created_at: Millis,
}

impl ConversationStatus {
    /// The name the API uses, as in `?status=`.
    pub fn as_str(self) -> &'static str {
        match self {
            ConversationStatus::Open => "open",
            ConversationStatus::Pending => "pending",
            ConversationStatus::Snoozed => "snoozed",
            ConversationStatus::Resolved => "resolved",
        }
    }
}

/// Which way a message went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// From the contact.
    In,
    /// To the contact.
    Out,
    /// A private note between agents; never sent.
    Note,
    /// Written by Switchboard itself (assignment changes, auto-replies...).
    System,
}

/// Who wrote a message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Author {
    Contact { id: Id },
    Agent { id: Id },
    Bot { name: String },
    System,
}

/// A file carried by a message. The bytes live in the blob store under their SHA-256.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Attachment {
    /// Hex SHA-256 of the content.
    pub sha256: String,
    pub name: String,
    pub media_type: String,
    pub size: u64,
}

/// A file a message carried that the gateway did not keep as an attachment, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LeftOutFile {
    pub name: String,
    pub media_type: String,
    /// Its size in bytes, where the gateway could tell.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
    pub reason: LeftOutReason,
}

/// Why a file was left out of a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum LeftOutReason {
    /// Larger than the gateway's attachment limit (`http.max_attachment_bytes`); it is still
    /// in the message's original.
    TooLarge,
    /// The channel sent a link to it, which the gateway does not fetch.
    Link,
    /// The channel named a file the gateway could not read (an upload it does not hold, a
    /// part outside the payload).
    Unreadable,
}

/// Where an outbound message is on its way to the contact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum DeliveryStatus {
    /// In the outbox; `reason` says why it waits, if it does (a daily limit, a retry).
    Queued {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    /// Handed to the channel; `via` names another way it went, if it did (`email`, for a
    /// website chat whose visitor had left).
    Sent {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        via: Option<String>,
    },
    Delivered,
    Read,
    Failed {
        reason: String,
    },
}

/// An approved template chosen for a reply, with its placeholders' values in order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TemplateUse {
    pub name: String,
    /// The template's language, as the provider names it (`es_MX`, `pt_BR`).
    pub language: String,
    #[serde(default)]
    pub values: Vec<String>,
}

impl DeliveryStatus {
    /// Whether a provider's report of `reported` moves a reply that is at `self` forward.
    /// Reports come out of order (a "read" before its "delivered"), so a status never goes
    /// back; a failure ends the way from anywhere but stays the last word.
    pub fn advanced_by(&self, reported: &DeliveryStatus) -> bool {
        let step = |status: &DeliveryStatus| match status {
            DeliveryStatus::Queued { .. } => 0,
            DeliveryStatus::Sent { .. } => 1,
            DeliveryStatus::Delivered => 2,
            DeliveryStatus::Read => 3,
            DeliveryStatus::Failed { .. } => 4,
        };
        match self {
            DeliveryStatus::Failed { .. } => false,
            _ => step(reported) > step(self),
        }
    }
}

/// One entry of a conversation's log. Messages are never edited; a delivery update changes
/// only `delivery`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Message {
    pub id: Id,
    pub workspace_id: Id,
    pub conversation_id: Id,
    pub direction: Direction,
    pub author: Author,
    pub text: String,
    /// The quoted history and signature an email's `text` leaves out, shown on request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quoted: Option<String>,
    /// Sanitized HTML, when the channel carried HTML.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub html: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<Attachment>,
    /// Files the message carried that are not among `attachments`, and why.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub left_out: Vec<LeftOutFile>,
    /// The channel's own id for this message (an email's Message-ID, a Telegram message id).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
    /// Only for outbound messages.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivery: Option<DeliveryStatus>,
    /// The message as the channel delivered it, for "show original" (an email's source).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub original: Option<Attachment>,
    /// Sent by a machine (an auto-reply, a bounce, list mail).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub automatic: bool,
    /// Addresses an inbound email was written to (kept for reference).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub to: Vec<String>,
    /// Addresses copied on an inbound email (kept for reference; replies never go to them).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cc: Vec<String>,
    /// Agents a private note mentions; their consoles tell them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub mentions: Vec<Id>,
    /// On a `system` message: the step on the conversation it records (its `author` took it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub activity: Option<Activity>,
    /// The channel's approved template this reply was sent as, if it was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub template: Option<TemplateUse>,
    /// When the contact last edited the message (its `text` is the edited one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub edited_at: Option<Millis>,
    pub created_at: Millis,
}

/// A step on a conversation, recorded in its log as a `system` message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Activity {
    /// Assigned to an agent; `None`: unassigned.
    Assigned { agent_id: Option<Id> },
    /// Routed to a team; `None`: no team.
    Team { team_id: Option<Id> },
    /// The labels it has now.
    Labelled { labels: Vec<String> },
    /// Taken off agent `agent_id`, whom an admin deactivated: back in the queue, unassigned.
    Requeued { agent_id: Id },
    /// Its new status; a snooze says until when.
    Status {
        status: ConversationStatus,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        until: Option<Millis>,
    },
}

impl Activity {
    /// The step in English words, for integrations that read the log as text; the console
    /// writes it in the agent's language from the activity itself.
    pub fn summary(&self) -> String {
        match self {
            Activity::Assigned {
                agent_id: Some(agent),
            } => format!("assigned to agent {agent}"),
            Activity::Assigned { agent_id: None } => "unassigned".into(),
            Activity::Requeued { agent_id } => {
                format!("back to the queue: agent {agent_id} was deactivated")
            }
            Activity::Team {
                team_id: Some(team),
            } => format!("moved to team {team}"),
            Activity::Team { team_id: None } => "taken off its team".into(),
            Activity::Labelled { labels } if labels.is_empty() => "labels removed".into(),
            Activity::Labelled { labels } => format!("labelled {}", labels.join(", ")),
            Activity::Status {
                status,
                until: Some(until),
            } => format!("{} until {until}", status.as_str()),
            Activity::Status {
                status,
                until: None,
            } => status.as_str().to_string(),
        }
    }
}

impl Direction {
    /// Whether the contact sees messages of this direction (their own and the replies; never
    /// a note or a record of a step).
    pub fn seen_by_contact(self) -> bool {
        matches!(self, Direction::In | Direction::Out)
    }
}

/// A payload a channel could not process, kept so that it can be replayed after a fix.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeadLetter {
    pub id: Id,
    pub workspace_id: Id,
    pub channel_id: Id,
    /// Why it could not be processed, e.g. `malformed JSON at line 1 column 9`.
    pub reason: String,
    /// Size of the kept payload in bytes.
    pub size: u64,
    pub received_at: Millis,
    /// How many times it was replayed.
    pub replays: u32,
    /// Set once a replay went through; resolved letters leave the list.
    pub resolved: bool,
}

#[cfg(test)]
mod tests {
    use super::DeliveryStatus;

    #[test]
    fn a_reports_moves_a_reply_forward_never_back() {
        let sent = DeliveryStatus::Sent { via: None };
        let failed = DeliveryStatus::Failed {
            reason: "blocked".into(),
        };
        assert!(sent.advanced_by(&DeliveryStatus::Delivered));
        assert!(
            sent.advanced_by(&DeliveryStatus::Read),
            "read before delivered"
        );
        assert!(!DeliveryStatus::Read.advanced_by(&DeliveryStatus::Delivered));
        assert!(!sent.advanced_by(&sent), "the same report twice");
        assert!(DeliveryStatus::Read.advanced_by(&failed));
        assert!(
            !failed.advanced_by(&DeliveryStatus::Delivered),
            "a failure stays"
        );
    }
}
