//! A website chat's own page in Settings › Channels: the snippet to paste and the install
//! guides in the admin's language; the sites allowed to show the chat, and those refused lately
//! with a one-click Allow; the chat's colour, corner, greeting in each language and the fields
//! asked before the first message. Saving sends only the settings that changed (a merge patch);
//! a setting the gateway refuses is told beside its field, in the admin's language.

mod draft;
mod identity;

use serde_json::{Map, Value};
use switchboard_model::WebchatSettings as ChatSettings;
use switchboard_model::{Channel, ChannelUpdate, Id, RefusedOrigin};
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::spawn_local;
use yew::prelude::*;

use crate::api::{self, Failure};
use crate::i18n::{Locale, Texts, texts};
use crate::state::{Action, Console};
use crate::views::channel_editor::{Said, copy_on_click, said_line};
use crate::views::profile::value_of;
use crate::views::workspace::signed_out_on;
use draft::{ALLOWED_ORIGINS, Ask, Draft, Edit, PRE_CHAT_FIELDS};
use identity::IdentitySecret;

/// The platforms with install guides of their own (`/install/{platform}.{language}.html`).
const GUIDES: [(&str, &str); 4] = [
    ("wordpress", "WordPress"),
    ("shopify", "Shopify"),
    ("wix", "Wix"),
    ("squarespace", "Squarespace"),
];

/// A colour as a colour input takes it, `#rrggbb` (`#abc` is `#aabbcc`).
pub fn for_color_input(color: &str) -> String {
    match color.strip_prefix('#') {
        Some(short) if short.len() == 3 => {
            short.chars().fold("#".to_string(), |mut long, digit| {
                long.push(digit);
                long.push(digit);
                long
            })
        }
        _ => color.to_string(),
    }
}

/// The label of the setting `name`, for the settings of this page the gateway checks.
fn label_of(name: &str, t: &Texts) -> Option<&'static str> {
    Some(match name {
        ALLOWED_ORIGINS => t.allowed_sites,
        "color" => t.color,
        "position" => t.position,
        ChatSettings::UPLOAD_TYPES => t.upload_types,
        _ => return None,
    })
}

/// The setting the gateway refused, by name, and what to say beside it.
type AtFault = Option<(String, String)>;

/// The id of what is said beside the setting `name`, while the gateway refuses it.
fn fault_id(at_fault: &AtFault, name: &str) -> Option<String> {
    at_fault
        .as_ref()
        .is_some_and(|(field, _)| field == name)
        .then(|| format!("{name}-error"))
}

/// What is said beside the setting `name`, while the gateway refuses it.
fn fault_beside(at_fault: &AtFault, name: &str) -> Html {
    match (at_fault, fault_id(at_fault, name)) {
        (Some((_, said)), Some(id)) => html! { <p {id} class="error">{ said }</p> },
        _ => html! {},
    }
}

/// A refused save in the admin's language: the setting at fault and what to say beside it (an
/// allowed site), and the line under the form. The console ends if the session did.
fn refusal(
    failure: &Failure,
    t: &Texts,
    on_signed_out: &Callback<()>,
) -> (Option<(String, String)>, String) {
    signed_out_on(failure, on_signed_out);
    if let Failure::Refused {
        field: Some(field),
        value,
        ..
    } = failure
        && let Some(label) = label_of(field, t)
    {
        // An allowed site is named beside the list; the other settings are one field each.
        let beside = value
            .as_ref()
            .map(|entry| (field.clone(), t.not_a_site.replace("{origin}", entry)));
        let line = format!(
            "{} {}",
            t.not_saved,
            t.check_field.replace("{field}", label)
        );
        return (beside, line);
    }
    let line = format!(
        "{} {}",
        t.not_saved,
        failure.reason().unwrap_or(t.unreachable)
    );
    (None, line)
}

/// One save: the merge patch to send, the draft once saved (from the draft as typed and the
/// channel as saved), and what to tell then.
struct Saving {
    changes: Map<String, Value>,
    next: fn(&Draft, Draft) -> Draft,
    told: String,
}

/// Changes the channel's settings by the merge patch `changes`; the channel as saved.
async fn patch_settings(id: Id, changes: Map<String, Value>) -> Result<Channel, Failure> {
    let update = ChannelUpdate {
        settings: Some(Value::Object(changes)),
        ..ChannelUpdate::default()
    };
    api::patch(&format!("/api/v1/channels/{id}"), &update).await
}

/// What an input, a text area or a select gives as the admin changes it, written into the
/// draft.
fn on_edit(draft: &UseStateHandle<Draft>, edit: Edit) -> Callback<InputEvent> {
    let draft = draft.clone();
    Callback::from(move |event: InputEvent| {
        draft.set(draft.edited(edit, value_of(&event)));
    })
}

/// A likeness of the chat as visitors will see it, drawn from the draft as the admin edits it:
/// its colour, its corner, and the greeting in the admin's language (else the first written).
fn preview(draft: &Draft, name: &str, locale: Locale, t: &Texts) -> Html {
    let here = Locale::ALL
        .iter()
        .position(|one| *one == locale)
        .unwrap_or(0);
    let greeting = Some(&draft.greetings[here])
        .filter(|greeting| !greeting.trim().is_empty())
        .or_else(|| {
            draft
                .greetings
                .iter()
                .find(|greeting| !greeting.trim().is_empty())
        })
        .cloned()
        .unwrap_or_default();
    let colour = format!("background:{}", for_color_input(&draft.color));
    html! {
        <figure class={classes!("chat-preview", (draft.position == "left").then_some("left"))}>
            <figcaption>{ t.chat_preview }</figcaption>
            <div class="chat-panel" aria-hidden="true">
                <header style={colour.clone()}>{ name.to_string() }</header>
                if !greeting.is_empty() { <p class="bubble">{ greeting }</p> }
            </div>
            <span class="launcher" style={colour} aria-hidden="true"></span>
        </figure>
    }
}

/// A labelled select of `choices` (value and label) with `picked` selected.
fn select_field(
    label: &str,
    name: String,
    choices: &[(&'static str, &'static str)],
    picked: &str,
    on_pick: Callback<InputEvent>,
) -> Html {
    // A select says so when it changes; its `input` event is not sent for every pick.
    let onchange = on_pick.reform(|event: Event| event.unchecked_into());
    html! {
        <label><span>{ label }</span>
            <select {name} {onchange}>
                { for choices.iter().map(|(value, label)| html! {
                    <option value={*value} selected={*value == picked}>{ *label }</option>
                }) }
            </select></label>
    }
}

#[derive(Properties, PartialEq)]
pub struct Props {
    pub console: UseReducerHandle<Console>,
    pub channel: Channel,
    pub on_back: Callback<()>,
    pub on_signed_out: Callback<()>,
}

#[function_component(WebchatSettings)]
pub fn webchat_settings(props: &Props) -> Html {
    let locale = props.console.locale;
    let t = texts(locale);
    let id = props.channel.id;
    // The channel as the gateway keeps it: the console's, which a save updates.
    let saved = &props.channel;
    let draft = use_state(|| Draft::of(&props.channel.settings));
    let said: Said = use_state(|| None);
    let at_fault = use_state(AtFault::default);
    let refused = use_state(Vec::<RefusedOrigin>::new);
    let busy = use_state(|| false);
    let load_refused = {
        let refused = refused.setter();
        Callback::from(move |()| {
            let refused = refused.clone();
            spawn_local(async move {
                let path = format!("/api/v1/channels/{id}/refused-origins");
                if let Ok(sites) = api::get::<Vec<RefusedOrigin>>(&path).await {
                    refused.set(sites);
                }
            });
        })
    };
    {
        let load_refused = load_refused.clone();
        use_effect_with((), move |_| load_refused.emit(()));
    }
    let save = {
        let (draft, said, at_fault, busy) =
            (draft.clone(), said.clone(), at_fault.clone(), busy.clone());
        let (dispatch, load_refused) = (props.console.dispatcher(), load_refused.clone());
        let on_signed_out = props.on_signed_out.clone();
        Callback::from(
            move |Saving {
                      changes,
                      next,
                      told,
                  }: Saving| {
                let (draft, said, at_fault, busy) =
                    (draft.clone(), said.clone(), at_fault.clone(), busy.clone());
                let (dispatch, load_refused) = (dispatch.clone(), load_refused.clone());
                let on_signed_out = on_signed_out.clone();
                busy.set(true);
                said.set(None);
                at_fault.set(None);
                spawn_local(async move {
                    match patch_settings(id, changes).await {
                        Ok(stored) => {
                            draft.set(next(&draft, Draft::of(&stored.settings)));
                            dispatch.dispatch(Action::Channel(stored));
                            said.set(Some(Ok(told)));
                            load_refused.emit(());
                        }
                        Err(failure) => {
                            let (fault, line) = refusal(&failure, t, &on_signed_out);
                            at_fault.set(fault);
                            said.set(Some(Err(line)));
                        }
                    }
                    busy.set(false);
                });
            },
        )
    };
    let onsubmit = {
        let saved_draft = Draft::of(&saved.settings);
        let (draft, said, save) = (draft.clone(), said.clone(), save.clone());
        Callback::from(move |event: SubmitEvent| {
            event.prevent_default();
            let changes = draft.changes_from(&saved_draft);
            if changes.is_empty() {
                said.set(Some(Ok(t.saved.to_string())));
                return;
            }
            // Everything typed is saved: the page shows it as the gateway keeps it.
            save.emit(Saving {
                changes,
                next: |_, stored| stored,
                told: t.saved.to_string(),
            });
        })
    };
    let allowed_now = ChatSettings::read(&saved.settings).allowed_origins;
    let on_allow = |origin: &str| {
        let (mut origins, save) = (allowed_now.clone(), save.clone());
        origins.push(origin.to_string());
        let told = t.site_allowed.replace("{origin}", origin);
        Callback::from(move |_: MouseEvent| {
            let origins = Value::from(origins.clone());
            let changes = Map::from_iter([(ALLOWED_ORIGINS.to_string(), origins)]);
            save.emit(Saving {
                changes,
                // Only the allowed sites are saved; what else was typed stays as typed.
                next: |typed, stored| Draft {
                    origins: stored.origins,
                    ..typed.clone()
                },
                told: told.clone(),
            });
        })
    };
    let origins_fault = fault_id(&at_fault, ALLOWED_ORIGINS);
    let language = locale.tag();
    let guide = |platform: &str| match locale {
        Locale::En => format!("/install/{platform}.html"),
        _ => format!("/install/{platform}.{language}.html"),
    };
    html! {
        <form class="card channel-editor webchat-settings" novalidate=true {onsubmit}>
            <h2>{ &saved.name }</h2>
            <h3>{ t.install }</h3>
            if let Some(snippet) = &saved.snippet {
                <div class="field webhook snippet">
                    <label><span>{ t.snippet }</span>
                        <textarea readonly=true rows="3" value={snippet.clone()} /></label>
                    <button type="button" class="copy" onclick={copy_on_click(snippet.clone(), &said, t)}>
                        { t.copy }</button>
                    <small>{ t.snippet_help }</small>
                </div>
            }
            <p class="guides">{ t.install_guides }
                { for GUIDES.iter().map(|(platform, name)| html! {
                    <a href={guide(platform)} target="_blank">{ name }</a>
                }) }
            </p>
            <h3 id="webchat-sites">{ t.allowed_sites }</h3>
            <textarea name={ALLOWED_ORIGINS} rows="4" aria-labelledby="webchat-sites"
                aria-invalid={origins_fault.is_some().then_some("true")}
                aria-describedby={origins_fault.unwrap_or_default() + " allowed-sites-help"}
                value={draft.origins.clone()} oninput={on_edit(&draft, Edit::Origins)} />
            { fault_beside(&at_fault, ALLOWED_ORIGINS) }
            <small id="allowed-sites-help">{ t.allowed_sites_help }</small>
            // While no site is listed every site may show the chat: a site refused before is no
            // longer, and allowing it alone would shut out the others.
            if !allowed_now.is_empty() && !refused.is_empty() {
                <ul class="refused">
                    { for refused.iter().map(|site| html! {
                        <li>
                            <span>{ t.refused_on(&site.origin, site.times_today) }</span>
                            <button type="button" class="allow" disabled={*busy}
                                aria-label={format!("{} {}", t.allow, site.origin)}
                                onclick={on_allow(&site.origin)}>{ t.allow }</button>
                        </li>
                    }) }
                </ul>
            }
            <h3>{ t.appearance }</h3>
            <label><span>{ t.color }</span>
                <input type="color" name="color" value={for_color_input(&draft.color)}
                    oninput={on_edit(&draft, Edit::Color)} /></label>
            { select_field(t.position, "position".into(),
                &[("right", t.bottom_right), ("left", t.bottom_left)],
                if draft.position == "left" { "left" } else { "right" },
                on_edit(&draft, Edit::Position)) }
            <fieldset aria-describedby="greeting-help">
                <legend>{ t.greeting }</legend>
                { for Locale::ALL.iter().enumerate().map(|(index, locale)| html! {
                    <label><span>{ locale.name() }</span>
                        <input name={format!("greeting-{}", locale.tag())} lang={locale.tag()}
                            value={draft.greetings[index].clone()}
                            oninput={on_edit(&draft, Edit::Greeting(index))} /></label>
                }) }
                <small id="greeting-help">{ t.greeting_help }</small>
            </fieldset>
            { preview(&draft, &saved.name, locale, t) }
            <fieldset>
                <legend>{ t.ask_first }</legend>
                { for PRE_CHAT_FIELDS.iter().enumerate().map(|(index, name)| select_field(
                    if *name == "email" { t.email } else { t.name },
                    format!("pre_chat-{name}"),
                    &Ask::ALL.map(|ask| (ask.value(), ask.label(t))),
                    draft.asks[index].value(),
                    on_edit(&draft, Edit::Ask(index)),
                )) }
            </fieldset>
            <label><span>{ t.upload_types }</span>
                <textarea name="upload_types" rows="3" aria-describedby="upload-types-help"
                    value={draft.uploads.clone()} oninput={on_edit(&draft, Edit::Uploads)} /></label>
            { fault_beside(&at_fault, ChatSettings::UPLOAD_TYPES) }
            <small id="upload-types-help">{ t.upload_types_help }</small>
            { said_line(&said) }
            <div class="buttons">
                <button type="button" class="back-to-list" onclick={props.on_back.reform(|_: MouseEvent| ())}>
                    { t.back }</button>
                <button type="submit" disabled={*busy}>{ t.save }</button>
            </div>
            <IdentitySecret channel_id={id} {locale} on_signed_out={props.on_signed_out.clone()} />
        </form>
    }
}
