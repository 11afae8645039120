//! An email channel's page as it holds what the admin types: the draft of its settings and
//! secrets, and what the gateway answers (the providers' servers, the mailbox, a test).

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::{Map, Value};
use switchboard_model::EmailSettings as Keys;
use switchboard_model::{Channel, ChannelHealth};

/// A provider's servers, as `GET /api/v1/email/providers` gives them.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub(super) struct Preset {
    pub provider: String,
    imap: Option<Server>,
    smtp: Option<Server>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub(super) struct Server {
    host: String,
    port: u16,
    security: String,
}

/// What the gateway knows of the mailbox.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub(super) struct Mailbox {
    pub forwarding_address: Option<String>,
    pub health: Option<ChannelHealth>,
}

/// How "Test connection" went for one server.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub(super) enum Outcome {
    Ok,
    Failed { step: String, message: String },
    NotConfigured,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub(super) struct Tested {
    pub ok: bool,
    pub imap: Outcome,
    pub smtp: Outcome,
}

/// The settings the page writes, each a text as its field holds it (empty: unset).
const TEXT_SETTINGS: [&str; 19] = [
    Keys::PROVIDER,
    Keys::REPLY_ADDRESS,
    "reply_name",
    Keys::USERNAME,
    Keys::AUTH,
    Keys::IMAP_HOST,
    Keys::IMAP_PORT,
    Keys::IMAP_SECURITY,
    Keys::SMTP_HOST,
    Keys::SMTP_PORT,
    Keys::SMTP_SECURITY,
    Keys::FOLDER,
    "footer",
    Keys::AUTO_REPLY,
    Keys::DAILY_SEND_LIMIT,
    Keys::BLOCK_LIST,
    Keys::OAUTH_CLIENT_ID,
    Keys::OAUTH_AUTHORIZE_URL,
    Keys::OAUTH_TOKEN_URL,
];
/// Settings that are a switch.
pub(super) const HIDE_BRANDING: &str = "hide_branding";
pub(super) const SECURITIES: [&str; 3] = ["tls", "starttls", "none"];

/// The page's draft: the settings and secrets as typed, the name and the team.
#[derive(Debug, Clone, Default, PartialEq)]
pub(super) struct Draft {
    pub name: String,
    settings: BTreeMap<&'static str, String>,
    pub hide_branding: bool,
    pub reply_via: String,
    pub secrets: BTreeMap<&'static str, String>,
    pub team: String,
}

impl Draft {
    pub(super) fn of(channel: &Channel) -> Draft {
        let text = |value: &Value| match value {
            Value::String(text) => text.clone(),
            Value::Null => String::new(),
            other => other.to_string(),
        };
        let settings = TEXT_SETTINGS
            .iter()
            .map(|key| {
                (
                    *key,
                    channel.settings.get(key).map(text).unwrap_or_default(),
                )
            })
            .collect();
        Draft {
            name: channel.name.clone(),
            settings,
            hide_branding: channel.settings.get(HIDE_BRANDING) == Some(&Value::Bool(true)),
            reply_via: channel
                .settings
                .get(Keys::REPLY_VIA_CHANNEL)
                .map(text)
                .unwrap_or_default(),
            secrets: BTreeMap::new(),
            team: channel
                .default_team_id
                .map(|id| id.to_string())
                .unwrap_or_default(),
        }
    }

    /// A new channel's draft with `preset`'s servers, or the usual ports and security for a
    /// provider whose servers the admin gives.
    pub(super) fn from_preset(preset: &Preset) -> Draft {
        let mut draft = Draft::default();
        draft.set(Keys::PROVIDER, &preset.provider);
        for (server, keys, usual) in [
            (
                &preset.imap,
                [Keys::IMAP_HOST, Keys::IMAP_PORT, Keys::IMAP_SECURITY],
                (993, "tls"),
            ),
            (
                &preset.smtp,
                [Keys::SMTP_HOST, Keys::SMTP_PORT, Keys::SMTP_SECURITY],
                (587, "starttls"),
            ),
        ] {
            let (host, port, security) = server.as_ref().map_or(("", usual.0, usual.1), |server| {
                (server.host.as_str(), server.port, server.security.as_str())
            });
            draft.set(keys[0], host);
            draft.set(keys[1], &port.to_string());
            draft.set(keys[2], security);
        }
        draft
    }

    pub(super) fn get(&self, key: &str) -> &str {
        self.settings.get(key).map_or("", String::as_str)
    }

    pub(super) fn set(&mut self, key: &'static str, value: &str) {
        self.settings.insert(key, value.to_string());
    }

    /// The settings as the gateway takes them: numbers as numbers, an empty field as `null`
    /// (which removes the setting).
    pub(super) fn settings_to_send(&self) -> Value {
        let mut sent: Map<String, Value> = self
            .settings
            .iter()
            .map(|(key, typed)| {
                let typed = typed.trim();
                let value = match typed.parse::<u64>() {
                    _ if typed.is_empty() => Value::Null,
                    Ok(number)
                        if [Keys::IMAP_PORT, Keys::SMTP_PORT, Keys::DAILY_SEND_LIMIT]
                            .contains(key) =>
                    {
                        number.into()
                    }
                    _ => typed.into(),
                };
                (key.to_string(), value)
            })
            .collect();
        sent.insert(HIDE_BRANDING.into(), self.hide_branding.into());
        sent.insert(
            Keys::REPLY_VIA_CHANNEL.into(),
            self.reply_via
                .parse::<u64>()
                .map_or(Value::Null, Value::from),
        );
        Value::Object(sent)
    }

    /// The secrets typed; one left empty is kept as it was.
    pub(super) fn secrets_to_send(&self) -> Option<BTreeMap<String, Option<String>>> {
        let typed: BTreeMap<String, Option<String>> = self
            .secrets
            .iter()
            .filter(|(_, value)| !value.trim().is_empty())
            .map(|(key, value)| (key.to_string(), Some(value.trim().to_string())))
            .collect();
        (!typed.is_empty()).then_some(typed)
    }
}
