//! A website chat's page as it holds what the admin edits: the draft of its settings, and the
//! merge patch that saves only what changed.

use serde_json::{Map, Value, json};
use switchboard_model::Greeting;
use switchboard_model::WebchatSettings as ChatSettings;

use crate::i18n::{Locale, Texts};

pub(super) const ALLOWED_ORIGINS: &str = ChatSettings::ALLOWED_ORIGINS;
/// What the widget draws when the channel names no colour.
pub(super) const DEFAULT_COLOR: &str = "#1f6feb";
/// The fields a visitor may be asked for before the first message, as `pre_chat` names them.
pub(super) const PRE_CHAT_FIELDS: [&str; 2] = ["name", "email"];

/// Whether a pre-chat field is asked for.
#[derive(Clone, Copy, PartialEq)]
pub(super) enum Ask {
    No,
    Optional,
    Required,
}

impl Ask {
    pub(super) const ALL: [Ask; 3] = [Ask::No, Ask::Optional, Ask::Required];

    pub(super) fn value(self) -> &'static str {
        match self {
            Ask::No => "no",
            Ask::Optional => "optional",
            Ask::Required => "required",
        }
    }

    pub(super) fn label(self, t: &Texts) -> &'static str {
        match self {
            Ask::No => t.ask_no,
            Ask::Optional => t.ask_optional,
            Ask::Required => t.ask_required,
        }
    }
}

/// The settings as the page holds them while the admin edits.
#[derive(Clone, PartialEq)]
pub(super) struct Draft {
    /// One site a line.
    pub origins: String,
    pub color: String,
    pub position: String,
    /// By language, in the order of [`Locale::ALL`].
    pub greetings: [String; 3],
    /// By field, in the order of [`PRE_CHAT_FIELDS`].
    pub asks: [Ask; 2],
    /// Media types visitors may send, one a line; the gateway's own when empty.
    pub uploads: String,
}

/// One field of the draft, as the admin changes it.
#[derive(Clone, Copy)]
pub(super) enum Edit {
    Origins,
    Color,
    Position,
    /// The greeting in the `n`th language of [`Locale::ALL`].
    Greeting(usize),
    /// Whether to ask for the `n`th of [`PRE_CHAT_FIELDS`].
    Ask(usize),
    Uploads,
}

/// The entries typed, one a line, blanks left out.
pub(super) fn lines(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .map(str::to_string)
        .collect()
}

impl Draft {
    /// The channel's settings as the gateway reads them.
    pub(super) fn of(settings: &Value) -> Draft {
        let settings = ChatSettings::read(settings);
        let greetings = Locale::ALL.map(|locale| match &settings.greeting {
            Greeting::Unset => String::new(),
            Greeting::Everywhere(text) => text.clone(),
            Greeting::PerLanguage(texts) => texts.get(locale.tag()).cloned().unwrap_or_default(),
        });
        let asks = PRE_CHAT_FIELDS.map(|name| {
            match settings.pre_chat.iter().find(|field| field.name == name) {
                None => Ask::No,
                Some(field) if field.required => Ask::Required,
                Some(_) => Ask::Optional,
            }
        });
        Draft {
            origins: settings.allowed_origins.join("\n"),
            color: settings.color.unwrap_or_else(|| DEFAULT_COLOR.into()),
            position: settings.position.unwrap_or_else(|| "right".into()),
            greetings,
            asks,
            uploads: settings.upload_types.unwrap_or_default().join("\n"),
        }
    }

    /// The draft with `edit` now holding `value`, as its input gives it.
    pub(super) fn edited(&self, edit: Edit, value: String) -> Draft {
        let mut next = self.clone();
        match edit {
            Edit::Origins => next.origins = value,
            Edit::Color => next.color = value,
            Edit::Position => next.position = value,
            Edit::Greeting(index) => next.greetings[index] = value,
            Edit::Uploads => next.uploads = value,
            Edit::Ask(index) => {
                next.asks[index] = Ask::ALL
                    .into_iter()
                    .find(|ask| ask.value() == value)
                    .unwrap_or(Ask::No);
            }
        }
        next
    }

    /// The merge patch that turns `saved` into this draft: only the settings that differ, and
    /// `null` for one emptied, which the gateway then removes.
    pub(super) fn changes_from(&self, saved: &Draft) -> Map<String, Value> {
        let or_null = |value: Value, empty: bool| if empty { Value::Null } else { value };
        let mut changes = Map::new();
        let origins = lines(&self.origins);
        if origins != lines(&saved.origins) {
            let empty = origins.is_empty();
            changes.insert(ALLOWED_ORIGINS.into(), or_null(origins.into(), empty));
        }
        if self.color != saved.color {
            changes.insert(ChatSettings::COLOR.into(), self.color.clone().into());
        }
        if self.position != saved.position {
            changes.insert(ChatSettings::POSITION.into(), self.position.clone().into());
        }
        if self.greetings != saved.greetings {
            let greeting: Map<String, Value> = Locale::ALL
                .iter()
                .zip(&self.greetings)
                .map(|(locale, text)| {
                    let text = text.trim();
                    (
                        locale.tag().to_string(),
                        or_null(text.into(), text.is_empty()),
                    )
                })
                .collect();
            changes.insert(ChatSettings::GREETING.into(), greeting.into());
        }
        if self.asks != saved.asks {
            let asked: Vec<Value> = PRE_CHAT_FIELDS
                .iter()
                .zip(self.asks)
                .filter(|(_, ask)| *ask != Ask::No)
                .map(|(name, ask)| json!({ "name": name, "required": ask == Ask::Required }))
                .collect();
            let empty = asked.is_empty();
            changes.insert(ChatSettings::PRE_CHAT.into(), or_null(asked.into(), empty));
        }
        let uploads = lines(&self.uploads);
        if uploads != lines(&saved.uploads) {
            let empty = uploads.is_empty();
            changes.insert(
                ChatSettings::UPLOAD_TYPES.into(),
                or_null(uploads.into(), empty),
            );
        }
        changes
    }
}
