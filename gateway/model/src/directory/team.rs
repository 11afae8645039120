//! Teams: groups of agents that conversations are routed to.

use serde::{Deserialize, Serialize};

use crate::{Id, Millis};

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
    /// Each new conversation routed to the team goes to its next online member in turn (round
    /// robin) who has fewer than `max_open_per_agent` open conversations.
    #[serde(default)]
    pub auto_assign: bool,
    /// How many open conversations automatic assignment gives one member at most; no limit
    /// when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_open_per_agent: Option<u32>,
    /// When the team answers; the workspace's hours when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hours: Option<crate::BusinessHours>,
    pub created_at: Millis,
}
