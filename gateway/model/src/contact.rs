//! The people who write in: contacts and the identities by which channels recognise them.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::{Id, Millis};

/// How a channel knows a person: an email address, a phone number, a Telegram user id, a widget
/// visitor id, or an id in an integration's own system.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Identity {
    /// `email`, `phone`, `telegram`, `webchat` or `external`.
    pub kind: String,
    pub value: String,
}

impl Identity {
    pub fn new(kind: impl Into<String>, value: impl Into<String>) -> Self {
        Self {
            kind: kind.into(),
            value: value.into(),
        }
    }

    /// The form used for look-ups: emails compare case-insensitively, phones without spaces.
    pub fn normalized(&self) -> Identity {
        let value = match self.kind.as_str() {
            "email" => self.value.trim().to_lowercase(),
            "phone" => self
                .value
                .chars()
                .filter(|c| c.is_ascii_digit() || *c == '+')
                .collect(),
            _ => self.value.trim().to_string(),
        };
        Identity {
            kind: self.kind.trim().to_lowercase(),
            value,
        }
    }
}

/// A customer or visitor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Contact {
    pub id: Id,
    pub workspace_id: Id,
    pub name: String,
    #[serde(default)]
    pub emails: Vec<String>,
    #[serde(default)]
    pub phones: Vec<String>,
    /// Every identity channels know this person by; each belongs to one contact only.
    #[serde(default)]
    pub identities: Vec<Identity>,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub custom_fields: BTreeMap<String, String>,
    #[serde(default)]
    pub notes: String,
    /// Set when this contact was merged into another one; it then no longer shows in lists.
    #[serde(default)]
    pub merged_into: Option<Id>,
    pub created_at: Millis,
    pub updated_at: Millis,
}
