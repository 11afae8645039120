//! Invitations: a person an admin asked to join the workspace, who chooses their own password
//! through a link mailed to them (or handed over by the admin) before it expires.

use serde::{Deserialize, Serialize};

use crate::{Id, Millis, Role};

/// How long an invitation's link works after it was sent: a week.
pub const INVITATION_DAYS: i64 = 7;

/// A person invited to the workspace who has not chosen a password yet ("pending").
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Invitation {
    pub id: Id,
    pub workspace_id: Id,
    pub name: String,
    /// Lowercase; the address they will sign in with.
    pub email: String,
    pub role: Role,
    /// The teams they join once they accept.
    #[serde(default)]
    pub team_ids: Vec<Id>,
    /// The language of the email and of their console (`en`, `es`, `pt-BR`).
    pub language: String,
    /// The admin who invited them.
    pub invited_by: Id,
    /// When the latest link was sent: sending it again makes the earlier links stop working.
    pub sent_at: Millis,
    /// When the latest link stops working.
    pub expires_at: Millis,
    pub created_at: Millis,
}

/// Whom an admin invites (`POST /api/v1/invitations`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewInvitation {
    pub name: String,
    pub email: String,
    pub role: Role,
    #[serde(default)]
    pub team_ids: Vec<Id>,
    /// `en`, `es` or `pt-BR`; the inviting admin's console language when absent.
    #[serde(default)]
    pub language: Option<String>,
}

/// An invitation just made or sent again, and how its link reaches the person.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SentInvitation {
    pub invitation: Invitation,
    /// Whether the installation's own mail (`system_mail`) sent them the link.
    pub mailed: bool,
    /// The link, when it was not mailed: the admin gives it to the person themselves.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
    /// Why the mail did not go out, when `system_mail` is set but sending failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mail_problem: Option<String>,
}
