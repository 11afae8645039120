//! Typed channel settings, as admins write them into a channel's `settings`.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// When a website chat is staffed; outside these hours the widget is offline and asks for an
/// email. `{"time_zone": "America/Bogota", "days": [1, 2, 3, 4, 5], "from": "09:00", "to":
/// "18:00"}`; a `to` before `from` runs past midnight.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OfficeHours {
    /// An IANA time zone, such as `America/Bogota`: daylight-saving changes are followed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_zone: Option<String>,
    /// A fixed offset from UTC in minutes, for settings written before time zones; ignored
    /// when `time_zone` is set, UTC when neither is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub utc_offset_minutes: Option<i32>,
    /// Staffed days, 0 (Sunday) to 6 (Saturday); Monday to Friday unless given.
    #[serde(default = "weekdays")]
    pub days: Vec<u8>,
    /// Opening time, `HH:MM` (09:00 unless given).
    #[serde(default = "opening")]
    pub from: String,
    /// Closing time, `HH:MM` (18:00 unless given).
    #[serde(default = "closing")]
    pub to: String,
}

fn weekdays() -> Vec<u8> {
    vec![1, 2, 3, 4, 5]
}

fn opening() -> String {
    "09:00".into()
}

fn closing() -> String {
    "18:00".into()
}

/// A website chat's settings, read from its channel's `settings` as the gateway and the
/// console both read them: leniently, so that a value stored before settings were checked
/// (a number written as text, one greeting for every language, a pre-chat field by its name
/// alone, allowed sites one a line) still reads, and a value of the wrong shape reads as unset.
/// The gateway refuses wrong values when they are written (`invalid_settings`, naming them).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WebchatSettings {
    /// `#rgb` or `#rrggbb`.
    pub color: Option<String>,
    /// `right` or `left`.
    pub position: Option<String>,
    pub greeting: Greeting,
    /// The chat's language when the page does not ask for one.
    pub locale: Option<String>,
    /// Asked before the first message.
    pub pre_chat: Vec<crate::PreChatField>,
    pub office_hours: Option<OfficeHours>,
    /// The sites allowed to show the chat, as written (checked and normalized by the gateway).
    pub allowed_origins: Vec<String>,
    pub max_upload_bytes: Option<u64>,
    /// Media types visitors may upload; the gateway's defaults when unset.
    pub upload_types: Option<Vec<String>>,
    /// Whether a chat the visitor left goes on by email (yes unless set to `false`).
    pub continue_by_email: bool,
    /// How long after an agent's unread answer it goes by email.
    pub email_after_seconds: Option<u64>,
    /// The email channel that mails it.
    pub email_channel_id: Option<crate::Id>,
}

/// A chat's greeting: one for every language, or one per language tag.
#[derive(Debug, Clone, Default, PartialEq)]
pub enum Greeting {
    #[default]
    Unset,
    Everywhere(String),
    PerLanguage(std::collections::BTreeMap<String, String>),
}

impl Greeting {
    /// The greeting in `locale` (`pt-BR`): that tag's, else its language's (`pt`), else
    /// English's.
    pub fn in_locale(&self, locale: &str) -> Option<&str> {
        match self {
            Greeting::Unset => None,
            Greeting::Everywhere(text) => Some(text),
            Greeting::PerLanguage(texts) => {
                let language = locale.split(['-', '_']).next().unwrap_or_default();
                texts
                    .get(locale)
                    .or_else(|| {
                        texts
                            .iter()
                            .find(|(tag, _)| tag.split(['-', '_']).next() == Some(language))
                            .map(|(_, text)| text)
                    })
                    .or_else(|| texts.get("en"))
                    .map(String::as_str)
            }
        }
    }
}

/// What separates allowed sites written as one text.
pub const ORIGIN_SEPARATORS: [char; 6] = ['\n', '\r', '\t', ',', ';', ' '];

impl WebchatSettings {
    pub const COLOR: &str = "color";
    pub const POSITION: &str = "position";
    pub const GREETING: &str = "greeting";
    pub const LOCALE: &str = "locale";
    pub const PRE_CHAT: &str = "pre_chat";
    pub const OFFICE_HOURS: &str = "office_hours";
    pub const ALLOWED_ORIGINS: &str = "allowed_origins";
    pub const MAX_UPLOAD_BYTES: &str = "max_upload_bytes";
    pub const UPLOAD_TYPES: &str = "upload_types";
    pub const CONTINUE_BY_EMAIL: &str = "continue_by_email";
    pub const EMAIL_AFTER_SECONDS: &str = "email_after_seconds";
    pub const EMAIL_CHANNEL_ID: &str = "email_channel_id";

    /// The settings `settings` holds, read leniently (see the type).
    pub fn read(settings: &Value) -> WebchatSettings {
        let greeting = match settings.get(Self::GREETING) {
            Some(Value::String(text)) => Greeting::Everywhere(text.clone()),
            Some(Value::Object(texts)) => Greeting::PerLanguage(
                texts
                    .iter()
                    .filter_map(|(tag, text)| Some((tag.clone(), text.as_str()?.to_string())))
                    .collect(),
            ),
            _ => Greeting::Unset,
        };
        let pre_chat = settings
            .get(Self::PRE_CHAT)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|field| {
                let name = field
                    .get("name")
                    .and_then(Value::as_str)
                    .or(field.as_str())?;
                Some(crate::PreChatField {
                    name: name.to_string(),
                    required: field.get("required").and_then(Value::as_bool) == Some(true),
                })
            })
            .collect();
        let allowed_origins = match settings.get(Self::ALLOWED_ORIGINS) {
            Some(Value::Array(list)) => list
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect(),
            Some(Value::String(text)) => text
                .split(ORIGIN_SEPARATORS)
                .map(str::trim)
                .filter(|entry| !entry.is_empty())
                .map(str::to_string)
                .collect(),
            _ => Vec::new(),
        };
        let upload_types = settings
            .get(Self::UPLOAD_TYPES)
            .and_then(Value::as_array)
            .map(|types| {
                types
                    .iter()
                    .filter_map(|kind| kind.as_str().map(str::to_string))
                    .collect()
            });
        WebchatSettings {
            color: setting_text(settings, Self::COLOR),
            position: setting_text(settings, Self::POSITION),
            greeting,
            locale: setting_text(settings, Self::LOCALE),
            pre_chat,
            office_hours: settings
                .get(Self::OFFICE_HOURS)
                .filter(|hours| hours.is_object())
                .and_then(|hours| serde_json::from_value(hours.clone()).ok()),
            allowed_origins,
            max_upload_bytes: whole(settings, Self::MAX_UPLOAD_BYTES),
            upload_types,
            continue_by_email: !matches!(
                settings.get(Self::CONTINUE_BY_EMAIL),
                Some(Value::Bool(false))
            ) && setting_text(settings, Self::CONTINUE_BY_EMAIL).as_deref()
                != Some("false"),
            email_after_seconds: whole(settings, Self::EMAIL_AFTER_SECONDS),
            email_channel_id: whole(settings, Self::EMAIL_CHANNEL_ID),
        }
    }
}

/// An email channel's settings that the gateway reads (its adapter reads its own: the reply's
/// name, footer and branding), leniently as [`WebchatSettings`] are; [`EmailSettings::refusal`]
/// is the stricter check made when they are written.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EmailSettings {
    /// `gmail`, `outlook`, `yahoo`, `icloud` or `other`: a provider fills in its servers.
    pub provider: Option<String>,
    pub imap: MailServerSettings,
    pub smtp: MailServerSettings,
    /// The mailbox's login; its reply address when unset.
    pub username: Option<String>,
    /// The IMAP folder read (`INBOX` when unset).
    pub folder: Option<String>,
    /// `password` (when unset) or `xoauth2`.
    pub auth: Option<String>,
    pub reply_address: Option<String>,
    /// Addresses and domains whose mail is never taken in, lowercase, without a leading `@`.
    pub block_list: Vec<String>,
    /// The automatic answer to a new conversation.
    pub auto_reply: Option<String>,
    /// Replies go out through this other email channel.
    pub reply_via_channel: Option<crate::Id>,
    /// At most this many emails a day (UTC) go out; the rest wait.
    pub daily_send_limit: Option<u64>,
    /// The OAuth client the refresh token was granted to.
    pub oauth_client_id: Option<String>,
    /// The token endpoint (gmail's and outlook's by default).
    pub oauth_token_url: Option<String>,
    /// Scopes asked for on renewal, separated by spaces.
    pub oauth_scope: Option<String>,
    /// Where "Sign in with…" sends the admin (gmail's and outlook's by default).
    pub oauth_authorize_url: Option<String>,
}

/// One mail server of an email channel, as written.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MailServerSettings {
    pub host: Option<String>,
    pub port: Option<u16>,
    /// `tls` (or `ssl`), `starttls` or `none`.
    pub security: Option<String>,
}

impl EmailSettings {
    pub const PROVIDER: &str = "provider";
    pub const IMAP_HOST: &str = "imap_host";
    pub const IMAP_PORT: &str = "imap_port";
    pub const IMAP_SECURITY: &str = "imap_security";
    pub const SMTP_HOST: &str = "smtp_host";
    pub const SMTP_PORT: &str = "smtp_port";
    pub const SMTP_SECURITY: &str = "smtp_security";
    pub const USERNAME: &str = "username";
    pub const FOLDER: &str = "folder";
    pub const AUTH: &str = "auth";
    pub const REPLY_ADDRESS: &str = "reply_address";
    pub const BLOCK_LIST: &str = "block_list";
    pub const AUTO_REPLY: &str = "auto_reply";
    pub const REPLY_VIA_CHANNEL: &str = "reply_via_channel";
    pub const DAILY_SEND_LIMIT: &str = "daily_send_limit";
    pub const OAUTH_CLIENT_ID: &str = "oauth_client_id";
    pub const OAUTH_TOKEN_URL: &str = "oauth_token_url";
    pub const OAUTH_SCOPE: &str = "oauth_scope";
    pub const OAUTH_AUTHORIZE_URL: &str = "oauth_authorize_url";

    /// The settings `settings` holds, read leniently: a value of the wrong shape is unset.
    pub fn read(settings: &Value) -> EmailSettings {
        let text = |name| setting_text(settings, name);
        let server = |host, port, security| MailServerSettings {
            host: text(host),
            port: text(port).and_then(|port| port.parse().ok()),
            security: text(security).map(|security| security.to_lowercase()),
        };
        EmailSettings {
            provider: text(Self::PROVIDER).map(|provider| provider.to_lowercase()),
            imap: server(Self::IMAP_HOST, Self::IMAP_PORT, Self::IMAP_SECURITY),
            smtp: server(Self::SMTP_HOST, Self::SMTP_PORT, Self::SMTP_SECURITY),
            username: text(Self::USERNAME),
            folder: text(Self::FOLDER),
            auth: text(Self::AUTH).map(|auth| auth.to_lowercase()),
            reply_address: text(Self::REPLY_ADDRESS),
            block_list: text(Self::BLOCK_LIST)
                .map(|list| {
                    list.split([',', ' ', '\n', ';'])
                        .map(|entry| entry.trim().trim_start_matches('@').to_lowercase())
                        .filter(|entry| !entry.is_empty())
                        .collect()
                })
                .unwrap_or_default(),
            auto_reply: text(Self::AUTO_REPLY),
            reply_via_channel: whole(settings, Self::REPLY_VIA_CHANNEL),
            daily_send_limit: whole(settings, Self::DAILY_SEND_LIMIT),
            oauth_client_id: text(Self::OAUTH_CLIENT_ID),
            oauth_token_url: text(Self::OAUTH_TOKEN_URL),
            oauth_scope: text(Self::OAUTH_SCOPE),
            oauth_authorize_url: text(Self::OAUTH_AUTHORIZE_URL),
        }
    }

    /// The setting a mail server could not use and why, as written in `settings`: a port that
    /// is not a port, a security or sign-in method the gateway does not know, a number that is
    /// not a whole number. `None` when each one can be used.
    pub fn refusal(settings: &Value) -> Option<(&'static str, String)> {
        let written = |name: &'static str| setting_text(settings, name).map(|text| (name, text));
        for port in [Self::IMAP_PORT, Self::SMTP_PORT] {
            if let Some((name, value)) = written(port)
                && !value.parse::<u16>().is_ok_and(|port| port > 0)
            {
                return Some((
                    name,
                    format!("`{name}` must be a port number (1 to 65535), not {value:?}"),
                ));
            }
        }
        for security in [Self::IMAP_SECURITY, Self::SMTP_SECURITY] {
            if let Some((name, value)) = written(security)
                && !matches!(
                    value.to_lowercase().as_str(),
                    "tls" | "ssl" | "starttls" | "none"
                )
            {
                return Some((
                    name,
                    format!("`{name}` must be tls, starttls or none, not {value:?}"),
                ));
            }
        }
        if let Some((name, value)) = written(Self::AUTH)
            && !matches!(value.to_lowercase().as_str(), "password" | "xoauth2")
        {
            return Some((
                name,
                format!("`{name}` must be password or xoauth2, not {value:?}"),
            ));
        }
        for number in [Self::DAILY_SEND_LIMIT, Self::REPLY_VIA_CHANNEL] {
            if let Some((name, value)) = written(number)
                && value.parse::<u64>().is_err()
            {
                return Some((
                    name,
                    format!("`{name}` must be a whole number, not {value:?}"),
                ));
            }
        }
        None
    }
}

/// A setting as text, whether it was saved as a string or a number; blank text is unset.
pub fn setting_text(settings: &Value, name: &str) -> Option<String> {
    match settings.get(name)? {
        Value::String(text) => Some(text.trim().to_string()).filter(|text| !text.is_empty()),
        Value::Number(number) => Some(number.to_string()),
        _ => None,
    }
}

/// A setting as a whole number, whether it was saved as a number or as text.
fn whole(settings: &Value, name: &str) -> Option<u64> {
    setting_text(settings, name)?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn email_settings_are_read_leniently_and_refused_by_name_when_written() {
        let written = json!({
            "provider": "Gmail",
            "imap_port": "993",
            "smtp_port": 587,
            "smtp_security": "STARTTLS",
            "block_list": "@spam.example, Bob@Example.com\n",
            "daily_send_limit": "200",
            "reply_via_channel": 12,
        });
        let settings = EmailSettings::read(&written);
        assert_eq!(settings.provider.as_deref(), Some("gmail"));
        assert_eq!(settings.imap.port, Some(993));
        assert_eq!(settings.smtp.port, Some(587));
        assert_eq!(settings.smtp.security.as_deref(), Some("starttls"));
        assert_eq!(settings.block_list, ["spam.example", "bob@example.com"]);
        assert_eq!(settings.daily_send_limit, Some(200));
        assert_eq!(settings.reply_via_channel, Some(12));
        assert_eq!(EmailSettings::refusal(&written), None);
        for (setting, value, named) in [
            ("imap_port", json!("99999"), "port number"),
            ("smtp_port", json!(0), "port number"),
            ("imap_security", json!("tls1.3"), "tls, starttls or none"),
            ("auth", json!("oauth"), "password or xoauth2"),
            ("daily_send_limit", json!("lots"), "whole number"),
        ] {
            let (field, problem) =
                EmailSettings::refusal(&json!({ setting: value })).expect("refused");
            assert_eq!(field, setting);
            assert!(problem.contains(named), "{problem}");
        }
        let stored = EmailSettings::read(&json!({ "imap_port": "imap" }));
        assert_eq!(stored.imap.port, None, "a stored mistake reads as unset");
    }

    #[test]
    fn webchat_settings_read_what_older_settings_wrote() {
        let settings = WebchatSettings::read(&json!({
            "color": "#1f6feb",
            "greeting": { "es": "¡Hola!", "en": "Hi!" },
            "pre_chat": ["name", { "name": "email", "required": true }, 7],
            "allowed_origins": "https://a.example\nhttps://b.example, https://c.example",
            "max_upload_bytes": "2048",
            "email_after_seconds": 600,
            "continue_by_email": "false",
            "office_hours": "nine to five",
            "position": 3,
        }));
        assert_eq!(settings.color.as_deref(), Some("#1f6feb"));
        assert_eq!(settings.greeting.in_locale("es-MX"), Some("¡Hola!"));
        assert_eq!(settings.greeting.in_locale("pt-BR"), Some("Hi!"));
        assert_eq!(
            settings.pre_chat,
            [
                crate::PreChatField {
                    name: "name".into(),
                    required: false
                },
                crate::PreChatField {
                    name: "email".into(),
                    required: true
                },
            ]
        );
        assert_eq!(
            settings.allowed_origins,
            [
                "https://a.example",
                "https://b.example",
                "https://c.example"
            ]
        );
        assert_eq!(settings.max_upload_bytes, Some(2048));
        assert_eq!(settings.email_after_seconds, Some(600));
        assert!(!settings.continue_by_email);
        assert_eq!(settings.office_hours, None);
        assert_eq!(settings.position, Some("3".into()));
        let defaults = WebchatSettings::read(&json!({}));
        assert!(defaults.continue_by_email);
        assert_eq!(defaults.greeting.in_locale("es"), None);
        assert_eq!(defaults.upload_types, None);
    }
}
