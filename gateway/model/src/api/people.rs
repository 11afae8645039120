//! Signing in, who is signed in, and the people of a workspace: agents, their profiles and
//! teams.

use serde::{Deserialize, Serialize};

use crate::{Agent, Id, Role, Workspace};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LoginRequest {
    pub email: String,
    pub password: String,
}

/// Who is logged in.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Me {
    pub agent: Agent,
    pub workspace: Workspace,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewAgent {
    pub name: String,
    pub email: String,
    /// At least 10 characters.
    pub password: String,
    pub role: Role,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AgentUpdate {
    pub name: Option<String>,
    pub role: Option<Role>,
    pub signature: Option<String>,
    pub active: Option<bool>,
    pub password: Option<String>,
    /// Needed to change one's own password; an admin resetting someone else's does not give it.
    pub current_password: Option<String>,
}

/// What an agent changes of their own profile (`PATCH /api/v1/auth/me`); absent fields stay.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ProfileUpdate {
    pub name: Option<String>,
    pub signature: Option<String>,
    /// `en`, `es` or `pt-BR`.
    pub language: Option<String>,
    pub availability: Option<crate::Availability>,
    pub notifications: Option<crate::NotificationSettings>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewTeam {
    pub name: String,
    #[serde(default = "default_colour")]
    pub colour: String,
    #[serde(default)]
    pub member_ids: Vec<Id>,
    /// Assign each new conversation of the team to its next online member in turn.
    #[serde(default)]
    pub auto_assign: bool,
    #[serde(default)]
    pub max_open_per_agent: Option<u32>,
    #[serde(default)]
    pub hours: Option<crate::BusinessHours>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct TeamUpdate {
    pub name: Option<String>,
    pub colour: Option<String>,
    pub member_ids: Option<Vec<Id>>,
    pub auto_assign: Option<bool>,
    /// A number, or `null` for no limit.
    #[serde(
        default,
        deserialize_with = "crate::nullable",
        skip_serializing_if = "Option::is_none"
    )]
    pub max_open_per_agent: Option<Option<u32>>,
    /// The team's own hours, or `null` for the workspace's.
    #[serde(
        default,
        deserialize_with = "crate::nullable",
        skip_serializing_if = "Option::is_none"
    )]
    pub hours: Option<Option<crate::BusinessHours>>,
}

fn default_colour() -> String {
    "#1f6feb".to_string()
}
