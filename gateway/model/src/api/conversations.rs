//! Conversations: the list's filters and order, the inbox's counts, starting one, replying, and
//! assigning and labelling one.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::{ConversationStatus, Id};

/// Filters for the conversation list; all are optional and combine with AND.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
pub struct ConversationFilter {
    pub status: Option<ConversationStatus>,
    /// An agent id, or `none` for unassigned conversations.
    pub assignee: Option<String>,
    pub team_id: Option<Id>,
    pub channel_id: Option<Id>,
    pub contact_id: Option<Id>,
    pub label: Option<String>,
    /// The order; the most recent activity first by default.
    #[cfg_attr(feature = "openapi", param(inline))]
    pub sort: Option<ConversationSort>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// At most 200; 50 by default.
    pub limit: Option<u32>,
}

/// Orders of the conversation list.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ConversationSort {
    /// The conversation touched last (a message, a change) first.
    #[default]
    LastActivity,
    /// The conversation started last first.
    Newest,
    /// The contact who has waited longest for an answer first; conversations nobody waits on
    /// come after them, oldest first.
    OldestWaiting,
}

impl ConversationSort {
    pub fn as_str(self) -> &'static str {
        match self {
            ConversationSort::LastActivity => "last_activity",
            ConversationSort::Newest => "newest",
            ConversationSort::OldestWaiting => "oldest_waiting",
        }
    }
}

/// How many conversations each view of the inbox holds for the agent who asks.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InboxCounts {
    pub mine: ViewCounts,
    pub unassigned: ViewCounts,
    pub all: ViewCounts,
    /// By team id.
    pub teams: BTreeMap<Id, ViewCounts>,
}

/// Open conversations of a view, and how many of them have messages nobody read.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ViewCounts {
    pub open: u32,
    pub unread: u32,
}

/// A conversation an agent starts: the first message goes to the contact through the channel.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewConversation {
    pub channel_id: Id,
    pub contact_id: Id,
    /// The email's subject; on other channels the title the list shows (the text's start by
    /// default).
    #[serde(default)]
    pub title: Option<String>,
    pub text: String,
    /// Files uploaded before with `POST /api/v1/attachments`.
    #[serde(default)]
    pub attachments: Vec<crate::Attachment>,
    /// One of the channel's approved templates, where the channel takes only those to start
    /// a conversation (WhatsApp); `text` is then filled in from it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub template: Option<crate::TemplateUse>,
}

/// What a conversation an agent starts is answered with: it, and its first message.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Started {
    pub conversation: crate::Conversation,
    pub message: crate::Message,
}

/// An agent's reply or private note.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewReply {
    pub text: String,
    /// `true` writes a private note that the contact never sees.
    #[serde(default)]
    pub private: bool,
    /// Files uploaded before with `POST /api/v1/attachments`, as that call returned them.
    #[serde(default)]
    pub attachments: Vec<crate::Attachment>,
    /// Agents a private note mentions (their consoles tell them); only on notes.
    #[serde(default)]
    pub mentions: Vec<Id>,
    /// One of the channel's approved templates, sent instead of free text (WhatsApp outside
    /// its 24-hour window); `text` is then the template's text with its values filled in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub template: Option<crate::TemplateUse>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Assignment {
    /// `null` unassigns.
    pub assignee_id: Option<Id>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct TeamAssignment {
    /// `null` removes the team.
    pub team_id: Option<Id>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Labels {
    pub labels: Vec<String>,
}
