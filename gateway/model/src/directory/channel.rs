//! Channels: their kind, the channel itself, the sites a website chat refused and the health
//! of a channel's connection to its provider.

use serde::{Deserialize, Serialize};

use crate::{Id, Millis};

/// The kind of a channel: `email`, `webchat` and `api`, which the gateway itself knows, or the
/// kind a channel plugin names in its manifest (`telegram`, `whatsapp`, `line`…), so that a new
/// channel needs a plugin and no change here. A name of lowercase ASCII letters, digits and `_`,
/// starting with a letter, at most [`ChannelKind::MAX_LEN`] bytes; kept inline so it stays `Copy`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ChannelKind {
    bytes: [u8; ChannelKind::MAX_LEN],
    len: u8,
}

impl ChannelKind {
    /// The longest kind name.
    pub const MAX_LEN: usize = 24;
    /// A mailbox, run by the email adapter; replies thread by Message-ID.
    pub const EMAIL: ChannelKind = ChannelKind::known("email");
    /// The website chat widget.
    pub const WEBCHAT: ChannelKind = ChannelKind::known("webchat");
    /// Messages posted by an integration through the REST API.
    pub const API: ChannelKind = ChannelKind::known("api");

    /// A kind written in the code; a wrong name fails the build.
    const fn known(name: &str) -> ChannelKind {
        match ChannelKind::checked(name.as_bytes()) {
            Ok(kind) => kind,
            Err(_) => panic!("not a channel kind name"),
        }
    }

    const fn checked(name: &[u8]) -> Result<ChannelKind, &'static str> {
        if name.is_empty() {
            return Err("is empty");
        }
        if name.len() > ChannelKind::MAX_LEN {
            return Err("is longer than 24 characters");
        }
        if !name[0].is_ascii_lowercase() {
            return Err("must start with a lowercase letter");
        }
        let mut bytes = [0; ChannelKind::MAX_LEN];
        let mut at = 0;
        while at < name.len() {
            let byte = name[at];
            if !(byte.is_ascii_lowercase() || byte.is_ascii_digit() || byte == b'_') {
                return Err("may hold only lowercase letters, digits and _");
            }
            bytes[at] = byte;
            at += 1;
        }
        Ok(ChannelKind {
            bytes,
            len: name.len() as u8,
        })
    }

    /// The kind named `name`, or why it cannot be one.
    pub fn parse(name: &str) -> Result<ChannelKind, String> {
        ChannelKind::checked(name.as_bytes())
            .map_err(|problem| format!("the channel kind {name:?} {problem}"))
    }

    /// The kind's name as the API writes it (`whatsapp`), which is also the name of the adapter
    /// the gateway ships for it, if it ships one.
    pub fn name(&self) -> &str {
        // Only ASCII is ever stored (see `checked`).
        std::str::from_utf8(&self.bytes[..usize::from(self.len)]).unwrap_or_default()
    }
}

impl std::fmt::Debug for ChannelKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}", self.name())
    }
}

impl std::fmt::Display for ChannelKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl Serialize for ChannelKind {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

impl<'de> Deserialize<'de> for ChannelKind {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = String::deserialize(deserializer)?;
        ChannelKind::parse(&name).map_err(serde::de::Error::custom)
    }
}

#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for ChannelKind {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .pattern(Some("^[a-z][a-z0-9_]{0,23}$"))
            .description(Some(
                "`email`, `webchat`, `api`, or the kind a channel plugin names (`telegram`, `sms`, `whatsapp`…)",
            ))
            .examples(["whatsapp"])
            .into()
    }
}

#[cfg(feature = "openapi")]
impl utoipa::ToSchema for ChannelKind {}

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
    /// The whole webhook URL to give the provider; filled in for admins, never stored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webhook_url: Option<String>,
    /// A website chat's widget id, `{workspace}.{channel}`, the snippet's `data-widget`; filled
    /// in for admins of `webchat` channels, never stored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub widget_id: Option<String>,
    /// The one line a site owner pastes before `</body>` to show this website chat, with the
    /// gateway's public URL and the widget id; filled in for admins of `webchat` channels,
    /// never stored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub snippet: Option<String>,
    pub created_at: Millis,
    /// When an admin deleted the channel: it takes in and sends nothing any more, its secrets
    /// and webhook address are gone, and its conversations stay, under its name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deleted_at: Option<Millis>,
}

/// A site a website chat refused because it is not among the channel's `allowed_origins`, as
/// admins see it to allow the site in one step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RefusedOrigin {
    /// Scheme, host and port, as `allowed_origins` takes it: `http://shop.example`.
    pub origin: String,
    /// How many times the site was refused today (UTC).
    pub times_today: u64,
    pub last_refused_at: Millis,
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
    /// The step that failed: `settings`, `token`, `dns`, `tcp`, `tls`, `authentication`,
    /// `mailbox`, `protocol`.
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_kind_is_written_and_read_as_its_name() {
        for name in [
            "email",
            "webchat",
            "api",
            "telegram",
            "whatsapp",
            "line_business_2",
        ] {
            let kind = ChannelKind::parse(name).expect(name);
            assert_eq!(kind.name(), name);
            assert_eq!(serde_json::to_value(kind).ok(), Some(name.into()));
            let read: ChannelKind = serde_json::from_value(name.into()).expect(name);
            assert_eq!(read, kind);
        }
        assert_eq!(ChannelKind::parse("email"), Ok(ChannelKind::EMAIL));
        assert!(ChannelKind::parse("line") < ChannelKind::parse("line_2"));
    }

    #[test]
    fn a_wrong_kind_name_is_refused_naming_the_problem() {
        for (name, problem) in [
            ("", "is empty"),
            ("WhatsApp", "must start with a lowercase letter"),
            ("2way", "must start with a lowercase letter"),
            ("what's app", "lowercase letters, digits and _"),
            ("télégram", "lowercase letters, digits and _"),
            ("a_very_long_channel_kind_name", "longer than 24"),
        ] {
            let refused = ChannelKind::parse(name).expect_err(name);
            assert!(refused.contains(problem), "{name}: {refused}");
            let read = serde_json::from_value::<ChannelKind>(name.into()).expect_err(name);
            assert!(read.to_string().contains(problem), "{name}: {read}");
        }
    }
}
