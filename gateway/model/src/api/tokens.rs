//! API tokens: creating one, what it may do, and how it is listed.

use serde::{Deserialize, Serialize};

use crate::{Id, Millis};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewApiToken {
    /// What the token is for, e.g. `CRM sync`.
    pub name: String,
    /// What it may do; `admin` (all its agent may) unless set.
    #[serde(default)]
    pub scope: TokenScope,
    /// When it stops working; never unless set.
    #[serde(default)]
    pub expires_at: Option<Millis>,
}

/// What an API token may do, within what its agent's role allows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum TokenScope {
    /// Reading only (`GET`).
    Read,
    /// Reading and writing, but no admin action.
    Write,
    /// Everything the agent may do.
    #[default]
    Admin,
}

/// An API token as listed; the secret itself is shown once, at creation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApiToken {
    pub id: Id,
    pub workspace_id: Id,
    /// The token acts as this agent, with this agent's role.
    pub agent_id: Id,
    pub name: String,
    pub created_at: Millis,
    /// Tokens made before scopes existed could do all their agent may.
    #[serde(default)]
    pub scope: TokenScope,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<Millis>,
}

/// A freshly created token: keep `token`, it is never shown again.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreatedApiToken {
    #[serde(flatten)]
    pub info: ApiToken,
    pub token: String,
}
