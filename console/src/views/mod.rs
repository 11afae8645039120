//! The console's screens. Each one draws from the state and sends its changes back as
//! actions or API calls; none keeps a copy of what the state holds.

pub mod audit_log;
pub mod canned_settings;
pub mod channel_editor;
pub mod choose_password;
pub mod composer;
pub mod contact;
pub mod contact_files;
pub mod dead_letters;
pub mod email_settings;
pub mod first_run;
pub mod hours_editor;
pub mod integration_settings;
pub mod label_settings;
pub mod list;
pub mod new_conversation;
pub mod people_settings;
pub mod plugin_installer;
pub mod plugin_settings;
pub mod profile;
pub mod quota_notice;
pub mod routing_settings;
pub mod settings;
pub mod settings_page;
pub mod shortcuts;
pub mod sign_in;
pub mod team_settings;
pub mod template_picker;
pub mod thread;
pub mod time_zones;
pub mod webchat_settings;
pub mod webhook_settings;
pub mod workspace;

use yew::prelude::*;

use crate::i18n::Locale;

/// A paper clip drawn in lines (no emoji font needed), before a file's name.
pub fn paperclip() -> Html {
    html! {
        <svg class="clip" viewBox="0 0 24 24" width="14" height="14" aria-hidden="true">
            <path d="M8 12l6-6a3 3 0 0 1 4 4l-8 8a5 5 0 0 1-7-7l8-8" fill="none" stroke="currentColor"
                stroke-width="2" stroke-linecap="round" />
        </svg>
    }
}

#[derive(Properties, PartialEq)]
pub struct LanguagePickerProps {
    pub locale: Locale,
    pub label: &'static str,
    pub on_locale: Callback<Locale>,
}

/// The language picker, in each language's own name.
#[function_component(LanguagePicker)]
pub fn language_picker(props: &LanguagePickerProps) -> Html {
    let onchange = {
        let on_locale = props.on_locale.clone();
        Callback::from(move |event: Event| {
            let select: web_sys::HtmlSelectElement = event.target_unchecked_into();
            if let Some(locale) = Locale::from_tag(&select.value()) {
                on_locale.emit(locale);
            }
        })
    };
    html! {
        <select class="language" aria-label={props.label} {onchange}>
            { for Locale::ALL.iter().map(|locale| html! {
                <option value={locale.tag()} selected={*locale == props.locale}>{ locale.name() }</option>
            }) }
        </select>
    }
}
