//! How the console asks for a plugin channel's settings and secrets: a form each plugin
//! describes in its manifest, in the console's languages, and the rules a channel's settings
//! must meet before they are saved.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::ChannelKind;

/// A text by language (`en`, `es`, `pt-BR`).
pub type LocalizedText = BTreeMap<String, String>;

/// The text for `language`, English when the plugin did not write that language.
pub fn localized<'a>(text: &'a LocalizedText, language: &str) -> &'a str {
    text.get(language)
        .or_else(|| text.get("en"))
        .map_or("", String::as_str)
}

/// What an admin can add: one channel kind, with the form its plugin describes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChannelForm {
    pub kind: ChannelKind,
    /// The plugin that handles channels of this kind, and its version.
    pub plugin: String,
    pub version: String,
    pub title: LocalizedText,
    pub summary: LocalizedText,
    /// The kind's mark: SVG path data in a 24×24 box, drawn in lines (see [`icon_problem`]);
    /// the console draws a plug without one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub icon: Option<String>,
    /// Whether the provider must be given the channel's webhook URL.
    pub webhook: bool,
    /// The settings first, then the secrets, in the manifest's order.
    pub fields: Vec<FormField>,
}

/// How every member's console shows a plugin channel's kind: its title and mark, from the
/// plugin's manifest (an agent may not read the forms, which are for admins).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChannelKindMark {
    pub kind: ChannelKind,
    pub title: LocalizedText,
    /// SVG path data in a 24×24 box, checked by [`icon_problem`]; none draws a plug.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub icon: Option<String>,
}

impl From<&ChannelForm> for ChannelKindMark {
    fn from(form: &ChannelForm) -> ChannelKindMark {
        ChannelKindMark {
            kind: form.kind,
            title: form.title.clone(),
            icon: form.icon.clone(),
        }
    }
}

/// The form a plugin's manifest describes (its `[form]` table): the kind's title and summary,
/// whether the provider is given the webhook URL, and how each setting and secret is asked for.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FormDescription {
    pub title: LocalizedText,
    #[serde(default)]
    pub summary: LocalizedText,
    /// The kind's mark, as SVG path data in a 24×24 box.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub icon: Option<String>,
    #[serde(default)]
    pub webhook: bool,
    #[serde(default)]
    pub fields: BTreeMap<String, FieldDescription>,
}

impl FormDescription {
    /// What is wrong with the description, if anything: a text without English or in another
    /// language, a field the manifest does not declare, a choice without values.
    pub fn problem(&self, settings: &[String], secrets: &[String]) -> Option<String> {
        if let Some(problem) = [("title", &self.title), ("summary", &self.summary)]
            .into_iter()
            .find_map(|(what, text)| text_problem(what, "the form", text))
        {
            return Some(problem);
        }
        if self.title.is_empty() {
            return Some("the form needs a title".into());
        }
        if let Some(problem) = self.icon.as_deref().and_then(icon_problem) {
            return Some(problem);
        }
        self.fields.iter().find_map(|(name, field)| {
            if !settings.contains(name) && !secrets.contains(name) {
                return Some(format!(
                    "the form describes {name:?}, which is neither a setting nor a secret of the manifest"
                ));
            }
            if let Some(other) = field.shown_when.keys().find(|other| !settings.contains(other)) {
                return Some(format!(
                    "the field {name:?} is shown depending on {other:?}, which is not a setting"
                ));
            }
            field.problem(name)
        })
    }

    /// The form for channels of `kind`: the settings in the manifest's order, then its secrets;
    /// a field the manifest does not describe is asked for by its name.
    pub fn form(
        &self,
        kind: ChannelKind,
        plugin: &str,
        version: &str,
        settings: &[String],
        secrets: &[String],
    ) -> ChannelForm {
        let field = |name: &String, secret: bool| FormField {
            name: name.clone(),
            secret,
            description: self
                .fields
                .get(name)
                .cloned()
                .unwrap_or_else(|| FieldDescription {
                    label: LocalizedText::from([("en".to_string(), name.clone())]),
                    ..FieldDescription::default()
                }),
        };
        ChannelForm {
            kind,
            plugin: plugin.into(),
            version: version.into(),
            title: self.title.clone(),
            summary: self.summary.clone(),
            icon: self.icon.clone(),
            webhook: self.webhook,
            fields: settings
                .iter()
                .map(|name| field(name, false))
                .chain(secrets.iter().map(|name| field(name, true)))
                .collect(),
        }
    }
}

/// The longest icon, in characters of path data.
pub const MAX_ICON_CHARS: usize = 1_000;

/// What is wrong with an icon, if anything: it must be SVG path data (commands, numbers,
/// spaces and commas only, so that nothing but a path can be drawn from it), at most
/// [`MAX_ICON_CHARS`] long.
pub fn icon_problem(icon: &str) -> Option<String> {
    if icon.trim().is_empty() || icon.chars().count() > MAX_ICON_CHARS {
        return Some(format!(
            "the form's icon must be SVG path data of 1 to {MAX_ICON_CHARS} characters"
        ));
    }
    icon.chars()
        .find(|c| !(c.is_ascii_digit() || " ,.-+eMmLlHhVvCcSsQqTtAaZz".contains(*c)))
        .map(|c| format!("the form's icon is SVG path data, which has no {c:?}"))
}

/// What is wrong with a text of a form, if anything: a language the console does not speak,
/// or no English to fall back to.
fn text_problem(what: &str, whose: &str, text: &LocalizedText) -> Option<String> {
    if let Some(language) = text
        .keys()
        .find(|language| !crate::LANGUAGES.contains(&language.as_str()))
    {
        return Some(format!(
            "the {what} of {whose} is in {language:?}; forms speak {}",
            crate::LANGUAGES.join(", ")
        ));
    }
    if !text.is_empty() && !text.contains_key("en") {
        return Some(format!(
            "the {what} of {whose} needs an English (`en`) text"
        ));
    }
    None
}

/// One setting or secret as the console asks for it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FormField {
    pub name: String,
    /// Secrets are sealed and never shown again; settings are plain.
    pub secret: bool,
    #[serde(flatten)]
    pub description: FieldDescription,
}

/// How a plugin's manifest describes one of its settings or secrets.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct FieldDescription {
    pub label: LocalizedText,
    #[serde(default)]
    pub help: LocalizedText,
    #[serde(default)]
    pub input: FieldInput,
    /// The values a `choice` offers.
    #[serde(default)]
    pub choices: Vec<FieldChoice>,
    #[serde(default)]
    pub required: bool,
    /// Shown under "Advanced": most admins leave it alone.
    #[serde(default)]
    pub advanced: bool,
    /// Asked for only while each named setting has one of the listed values (a provider's
    /// own fields: `{ provider = ["twilio"] }`).
    #[serde(default)]
    pub shown_when: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    pub placeholder: Option<String>,
}

/// The kind of input a field takes, and the JSON type its setting is saved as.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum FieldInput {
    #[default]
    Text,
    Url,
    Number,
    /// On or off, saved as `true` or `false`.
    Switch,
    /// One of the field's `choices`.
    Choice,
}

/// One value of a `choice` field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct FieldChoice {
    pub value: String,
    pub label: LocalizedText,
}

impl FieldDescription {
    /// Whether the field is asked for, given the other settings' values.
    pub fn shown(&self, settings: &serde_json::Value) -> bool {
        self.shown_when.iter().all(|(name, values)| {
            settings
                .get(name)
                .and_then(as_text)
                .is_some_and(|value| values.contains(&value))
        })
    }

    /// What is wrong with a manifest's description of the field `name`, if anything.
    fn problem(&self, name: &str) -> Option<String> {
        let whose = format!("{name:?}");
        if let Some(problem) = [("label", &self.label), ("help", &self.help)]
            .into_iter()
            .chain(
                self.choices
                    .iter()
                    .map(|choice| ("choice label", &choice.label)),
            )
            .find_map(|(what, text)| text_problem(what, &whose, text))
        {
            return Some(problem);
        }
        if self.label.is_empty() {
            return Some(format!("the field {name:?} needs a label"));
        }
        match (self.input, self.choices.is_empty()) {
            (FieldInput::Choice, true) => {
                Some(format!("the choice field {name:?} needs its `choices`"))
            }
            (FieldInput::Choice, false) | (_, true) => None,
            (_, false) => Some(format!(
                "the field {name:?} has `choices` but its input is not `choice`"
            )),
        }
    }

    /// What is wrong with `value` as this field's setting, if anything.
    fn refusal(&self, name: &str, value: &serde_json::Value) -> Option<String> {
        let text = match value {
            serde_json::Value::Null => String::new(),
            value => match as_text(value) {
                Some(text) => text,
                None => {
                    return Some(format!(
                        "the setting `{name}` must be a text, number or switch"
                    ));
                }
            },
        };
        if text.is_empty() {
            return self
                .required
                .then(|| format!("the setting `{name}` is required"));
        }
        match self.input {
            FieldInput::Choice if !self.choices.iter().any(|choice| choice.value == text) => {
                let values: Vec<&str> = self.choices.iter().map(|c| c.value.as_str()).collect();
                Some(format!(
                    "the setting `{name}` is {text:?}; it must be one of {}",
                    values.join(", ")
                ))
            }
            FieldInput::Number if text.parse::<f64>().is_err() => Some(format!(
                "the setting `{name}` must be a number, not {text:?}"
            )),
            FieldInput::Switch if !matches!(text.as_str(), "true" | "false") => Some(format!(
                "the setting `{name}` must be true or false, not {text:?}"
            )),
            FieldInput::Url if !(text.starts_with("https://") || text.starts_with("http://")) => {
                Some(format!(
                    "the setting `{name}` must be a URL starting with https://, not {text:?}"
                ))
            }
            _ => None,
        }
    }
}

impl ChannelForm {
    /// The first setting at fault in `settings` for a channel of this form, by name, and what
    /// is wrong with it: a required one missing, a choice not offered, a number or URL that is
    /// not one. Fields not shown for these settings (another provider's) are not checked.
    pub fn refusal(&self, settings: &serde_json::Value) -> Option<(&str, String)> {
        let empty = serde_json::Value::Null;
        self.fields
            .iter()
            .filter(|field| !field.secret && field.description.shown(settings))
            .find_map(|field| {
                let value = settings.get(&field.name).unwrap_or(&empty);
                let problem = field.description.refusal(&field.name, value)?;
                Some((field.name.as_str(), problem))
            })
    }
}

/// A setting as text, whether it was saved as text, a number or a switch.
fn as_text(value: &serde_json::Value) -> Option<String> {
    match value {
        serde_json::Value::String(text) => Some(text.trim().to_string()),
        serde_json::Value::Number(number) => Some(number.to_string()),
        serde_json::Value::Bool(on) => Some(on.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn text(en: &str) -> LocalizedText {
        BTreeMap::from([("en".to_string(), en.to_string())])
    }

    fn field(name: &str, description: FieldDescription) -> FormField {
        FormField {
            name: name.into(),
            secret: false,
            description,
        }
    }

    fn sms_form() -> ChannelForm {
        let provider = FieldDescription {
            label: text("Provider"),
            input: FieldInput::Choice,
            choices: ["twilio", "vonage"]
                .map(|value| FieldChoice {
                    value: value.into(),
                    label: text(value),
                })
                .to_vec(),
            required: true,
            ..FieldDescription::default()
        };
        let account_sid = FieldDescription {
            label: text("Account SID"),
            required: true,
            shown_when: BTreeMap::from([("provider".into(), vec!["twilio".into()])]),
            ..FieldDescription::default()
        };
        let api_base = FieldDescription {
            label: text("API base"),
            input: FieldInput::Url,
            advanced: true,
            ..FieldDescription::default()
        };
        ChannelForm {
            kind: ChannelKind::parse("sms").expect("a kind name"),
            plugin: "sms".into(),
            version: "0.1.0".into(),
            title: text("SMS"),
            summary: text("Text messages"),
            icon: None,
            webhook: true,
            fields: vec![
                field("provider", provider),
                field("account_sid", account_sid),
                field("api_base", api_base),
            ],
        }
    }

    #[test]
    fn a_provider_s_own_fields_are_required_only_when_it_is_picked() {
        let form = sms_form();
        assert_eq!(
            form.refusal(&json!({"provider": "twilio"})),
            Some((
                "account_sid",
                "the setting `account_sid` is required".into()
            ))
        );
        assert_eq!(form.refusal(&json!({"provider": "vonage"})), None);
        assert_eq!(
            form.refusal(&json!({"provider": "twilio", "account_sid": "AC1"})),
            None
        );
    }

    #[test]
    fn settings_are_refused_naming_the_field_and_the_mistake() {
        let form = sms_form();
        let problem = |settings| form.refusal(&settings).map(|(_, problem)| problem);
        assert_eq!(
            problem(json!({})).as_deref(),
            Some("the setting `provider` is required")
        );
        assert_eq!(
            problem(json!({"provider": "plivo"})).as_deref(),
            Some("the setting `provider` is \"plivo\"; it must be one of twilio, vonage")
        );
        assert_eq!(
            form.refusal(&json!({"provider": "vonage", "api_base": "localhost:9"})),
            Some((
                "api_base",
                "the setting `api_base` must be a URL starting with https://, not \"localhost:9\""
                    .into()
            ))
        );
    }

    #[test]
    fn texts_fall_back_to_english() {
        let mut label = text("Bot token");
        label.insert("es".into(), "Token del bot".into());
        assert_eq!(localized(&label, "es"), "Token del bot");
        assert_eq!(localized(&label, "pt-BR"), "Bot token");
    }

    #[test]
    fn a_manifest_s_description_is_checked() {
        let mut description = FieldDescription {
            label: text("Provider"),
            input: FieldInput::Choice,
            ..FieldDescription::default()
        };
        assert_eq!(
            description.problem("provider").as_deref(),
            Some("the choice field \"provider\" needs its `choices`")
        );
        description.input = FieldInput::Text;
        description.label.insert("fr".into(), "Fournisseur".into());
        assert_eq!(
            description.problem("provider").as_deref(),
            Some("the label of \"provider\" is in \"fr\"; forms speak en, es, pt-BR")
        );
        description.label = BTreeMap::from([("es".to_string(), "Proveedor".to_string())]);
        assert_eq!(
            description.problem("provider").as_deref(),
            Some("the label of \"provider\" needs an English (`en`) text")
        );
    }

    #[test]
    fn an_icon_is_path_data_and_nothing_else() {
        assert_eq!(icon_problem("M3 6h18v12H3z M3 6l9 7 9-7"), None);
        assert_eq!(icon_problem("M12 3a9 9 0 0 0-7.8 13.5L3 21"), None);
        for bad in ["", "M3 6\"/><script>", "url(#x)", &"M1 1".repeat(400)] {
            assert!(icon_problem(bad).is_some(), "{bad}");
        }
        let form = FormDescription {
            title: text("LINE"),
            icon: Some("<svg/>".into()),
            ..FormDescription::default()
        };
        assert!(
            form.problem(&[], &[])
                .is_some_and(|problem| problem.contains("icon")),
        );
    }
}
