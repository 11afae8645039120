//! Agents: the people who answer conversations, their roles, availability and notification
//! settings.

use serde::{Deserialize, Serialize};

use super::yes;
use crate::{Id, Millis};

/// The name a person gets when none is given: the part of their address before `@`.
pub fn name_from_email(email: &str) -> &str {
    email.split('@').next().unwrap_or(email)
}

/// What an agent may do. Admins manage the workspace (people, teams, channels, tokens and
/// every other setting); supervisors see and work every conversation as admins do but change
/// no setting; agents answer conversations and keep contacts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Admin,
    Supervisor,
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
    /// Whether the agent takes conversations now; other agents see it, and automatic
    /// assignment only picks online agents.
    #[serde(default)]
    pub availability: Availability,
    /// The console's language (`en`, `es`, `pt-BR`); the browser's when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    #[serde(default)]
    pub notifications: NotificationSettings,
    /// Set while the agent's password is one the gateway generated (the first admin's, or
    /// one the operator's `workspace create` printed): until they choose their own
    /// (`POST /api/v1/auth/password`), every other call is refused with `choose_password`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub must_choose_password: bool,
    pub created_at: Millis,
}

/// Whether an agent takes conversations now.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Availability {
    #[default]
    Online,
    Away,
    Offline,
}

/// How the console tells an agent about a new message for them or a mention.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NotificationSettings {
    /// A browser notification while the console's tab is in the background.
    pub desktop: bool,
    /// A short sound.
    pub sound: bool,
}

impl Default for NotificationSettings {
    fn default() -> Self {
        NotificationSettings {
            desktop: true,
            sound: true,
        }
    }
}
