//! Channels: creating and changing one, its secrets, and checking its connection.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::{ChannelKind, Id};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewChannel {
    pub kind: ChannelKind,
    pub name: String,
    #[serde(default)]
    pub default_team_id: Option<Id>,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub settings: serde_json::Value,
    /// The installed plugin that handles the channel; it gets a webhook URL.
    #[serde(default)]
    pub plugin: Option<String>,
}

impl NewChannel {
    /// A channel of `kind` named `name`, with no default team, settings or plugin.
    pub fn new(kind: ChannelKind, name: impl Into<String>) -> NewChannel {
        NewChannel {
            kind,
            name: name.into(),
            default_team_id: None,
            settings: serde_json::Value::Null,
            plugin: None,
        }
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ChannelUpdate {
    pub name: Option<String>,
    pub active: Option<bool>,
    /// `null` keeps the team; use `0` to clear it.
    pub default_team_id: Option<Id>,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub settings: Option<serde_json::Value>,
    /// Secrets to change with the settings, as `PATCH …/secrets` takes them (a value replaces
    /// one, `null` removes it), so that both are checked with the provider together.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secrets: Option<BTreeMap<String, Option<String>>>,
}

/// A channel's secrets (passwords, tokens), written as a whole and never read back.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ChannelSecrets {
    pub secrets: BTreeMap<String, String>,
}

/// Changes to some of a channel's secrets: a value replaces one, `null` removes it.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SecretChanges {
    pub secrets: BTreeMap<String, Option<String>>,
}

/// Which secrets a channel has, without their values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SecretNames {
    pub names: Vec<String>,
}

/// How a channel's connection check went: the account its provider knows it as.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Connection {
    /// A line naming the account (`@acme_bot`); empty when the channel has nothing to check.
    pub account: String,
}
