//! Who and what a workspace is made of: the workspace itself, its agents and teams, its channels
//! and its canned responses.

use serde::{Deserialize, Serialize};

use crate::{Id, Millis};

/// One business hosted by the gateway. Every other record belongs to exactly one workspace.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Workspace {
    pub id: Id,
    pub name: String,
    pub created_at: Millis,
}

/// What an agent may do. Admins manage the workspace (agents, teams, channels, tokens); agents
/// answer conversations and keep contacts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Admin,
    Agent,
}

/// A person who answers conversations in the console.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Agent {
    pub id: Id,
    pub workspace_id: Id,
    pub name: String,
    /// Login name; unique across the gateway.
    pub email: String,
    pub role: Role,
    /// Appended to the agent's email replies.
    #[serde(default)]
    pub signature: String,
    /// Deactivated agents can no longer log in; their history stays.
    #[serde(default = "yes")]
    pub active: bool,
    /// The picture visitors see beside the agent's replies (`PUT /api/v1/agents/{id}/avatar`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub avatar: Option<crate::Attachment>,
    pub created_at: Millis,
}

/// A group of agents that conversations can be routed to ("queue" in some products).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Team {
    pub id: Id,
    pub workspace_id: Id,
    pub name: String,
    /// A CSS colour such as `#1f6feb`, shown beside the team's conversations.
    pub colour: String,
    #[serde(default)]
    pub member_ids: Vec<Id>,
    pub created_at: Millis,
}

/// The kind of a channel, which decides the adapter that handles its traffic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ChannelKind {
    Email,
    Webchat,
    Telegram,
    Sms,
    /// Messages posted by an integration through the REST API.
    Api,
}

/// A connected channel: a mailbox, a website widget, a Telegram bot, an SMS number or an API
/// inbox. Secrets never appear here; they are kept apart and never returned by the API.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Channel {
    pub id: Id,
    pub workspace_id: Id,
    pub kind: ChannelKind,
    pub name: String,
    /// Inactive channels keep their history but take in and send nothing.
    pub active: bool,
    /// New conversations of this channel go to this team.
    #[serde(default)]
    pub default_team_id: Option<Id>,
    /// Channel-specific, non-secret settings (hosts, greeting, colours...).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub settings: serde_json::Value,
    /// The plugin (channel adapter) that handles this channel's traffic, by name.
    #[serde(default)]
    pub plugin: Option<String>,
    /// The secret part of the channel's webhook URL, `/hooks/{workspace}/{channel}/{token}`;
    /// shown to admins only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webhook_token: Option<String>,
    pub created_at: Millis,
}

/// A reusable answer an agent inserts by typing its shortcut (a "snippet").
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CannedResponse {
    pub id: Id,
    pub workspace_id: Id,
    /// Typed after `/` in the composer, e.g. `hours`.
    pub shortcut: String,
    /// The text; `{{contact.name}}` and `{{agent.name}}` are filled in when it is used.
    pub content: String,
    pub created_at: Millis,
}

fn yes() -> bool {
    true
}

/// Whether a channel's connection to its provider works (a mailbox's IMAP sync).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChannelHealth {
    pub state: HealthState,
    /// What failed, in the server's words, e.g. `the server refused the credentials:
    /// [AUTHENTICATIONFAILED] Authentication failed.`
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The step that failed: `dns`, `tcp`, `tls`, `authentication`, `mailbox`, `protocol`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step: Option<String>,
    /// Failures in a row; retries wait longer after each.
    pub failures: u32,
    pub since: Millis,
    /// When the next attempt is made, while failing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_at: Option<Millis>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum HealthState {
    Connecting,
    Ok,
    Failing,
}
