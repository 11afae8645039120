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
