//! Labels: the workspace's catalogue of label names and their colours.

use serde::{Deserialize, Serialize};

use crate::{Id, Millis};

/// A label of the workspace's catalogue: the colour its chip has wherever a conversation
/// carries a label of that name. Conversations hold labels by name, so a conversation may also
/// carry a name the catalogue does not have (drawn uncoloured); removing a label from the
/// catalogue leaves the conversations that carry its name as they are.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Label {
    pub id: Id,
    pub workspace_id: Id,
    /// Trimmed and lowercase, as conversations carry it ([`Label::name_of`]), e.g. `vip`.
    pub name: String,
    /// A hex colour, `#rrggbb` (or `#rgb`), e.g. `#e5534b`.
    pub colour: String,
    pub created_at: Millis,
}

impl Label {
    /// A label's name as conversations and the catalogue keep it: trimmed and lowercase, so
    /// that `VIP ` and `vip` are one label.
    pub fn name_of(text: &str) -> String {
        text.trim().to_lowercase()
    }
}
