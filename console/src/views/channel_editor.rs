//! One plugin channel's form, drawn from what its plugin's manifest describes
//! ([`ChannelForm`]): the channel's name, then each setting and secret in order, the advanced
//! ones folded under "Advanced" and a provider's own only while that provider is picked. Once
//! the channel exists: its active switch, its webhook URL to copy and a connection test.
//! Saving sends what changed (the settings shown, the secrets typed); a refusal shows beside
//! the form in the gateway's words, and a channel just added stays, its form now the edit form.

use std::collections::BTreeMap;

use serde_json::{Map, Value};
use switchboard_model::{
    Channel, ChannelForm, ChannelUpdate, Connection, FieldInput, FormField, Id, NewChannel,
    SecretChanges, SecretNames, localized,
};
use wasm_bindgen_futures::{JsFuture, spawn_local};
use web_sys::HtmlInputElement;
use yew::prelude::*;

use crate::api::{self, Failure};
use crate::i18n::{Texts, texts};
use crate::state::{Action, Console};
use crate::views::profile::edit;
use crate::views::workspace::signed_out_on;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub console: UseReducerHandle<Console>,
    pub form: ChannelForm,
    /// The channel to edit, as the console knows it; `None` to add one.
    pub channel: Option<Channel>,
    pub on_back: Callback<()>,
    pub on_signed_out: Callback<()>,
    /// Told of a channel once it is saved whole, instead of testing its connection (the
    /// first run goes on with it).
    #[prop_or_default]
    pub on_saved: Option<Callback<Channel>>,
}

/// A setting as its input holds it: text, or `true`/`false` for a switch.
fn as_text(value: Option<&Value>) -> String {
    match value {
        Some(Value::String(text)) => text.clone(),
        Some(Value::Number(number)) => number.to_string(),
        Some(Value::Bool(on)) => on.to_string(),
        _ => String::new(),
    }
}

/// A channel's settings as an object, even when it has none.
fn as_object(settings: &Value) -> Value {
    match settings {
        Value::Object(_) => settings.clone(),
        _ => Value::Object(Map::new()),
    }
}

/// The settings a save sends: each setting shown and filled in (a switch as `true` or
/// `false`, a whole number as a number). As a change (a merge patch, `removing`), also `null`
/// for one left blank or not asked for (another provider's), which the gateway then removes;
/// settings the form does not ask for are left as they are.
fn settings_to_send(form: &ChannelForm, typed: &Value, removing: bool) -> Value {
    let mut settings = Map::new();
    for field in form.fields.iter().filter(|field| !field.secret) {
        let text = as_text(typed.get(&field.name));
        let text = text.trim();
        if text.is_empty() || !field.description.shown(typed) {
            if removing {
                settings.insert(field.name.clone(), Value::Null);
            }
            continue;
        }
        let value = match field.description.input {
            FieldInput::Switch => Value::Bool(text == "true"),
            // A whole number as a number; the gateway reads a fraction from text alike.
            FieldInput::Number => text
                .parse::<i64>()
                .map_or_else(|_| text.into(), Value::from),
            _ => text.into(),
        };
        settings.insert(field.name.clone(), value);
    }
    Value::Object(settings)
}

/// The secrets a save sends: each shown and typed.
fn secrets_to_send(form: &ChannelForm, typed: &Value) -> BTreeMap<String, Option<String>> {
    let mut secrets = BTreeMap::new();
    for field in &form.fields {
        let secret = as_text(typed.get(&field.name));
        if field.secret && !secret.trim().is_empty() && field.description.shown(typed) {
            secrets.insert(field.name.clone(), Some(secret.trim().to_string()));
        }
    }
    secrets
}

/// The first field shown that is required and left blank (a secret the channel already has
/// is not blank).
fn first_blank<'a>(form: &'a ChannelForm, typed: &Value, kept: &[String]) -> Option<&'a FormField> {
    form.fields.iter().find(|field| {
        let description = &field.description;
        as_text(typed.get(&field.name)).trim().is_empty()
            && !(field.secret && kept.contains(&field.name))
            && description.required
            && description.input != FieldInput::Switch
            && description.shown(typed)
    })
}

/// The plugin a new channel names: none for the adapter the gateway ships for its kind (named
/// as the kind, and installed when first used), else the form's.
fn plugin_to_name(form: &ChannelForm) -> Option<String> {
    (form.kind.name() != form.plugin).then(|| form.plugin.clone())
}

/// The gateway's reason for a failed call; the console ends if the session did.
/// A provider's refusal is told in the admin's language with the provider's own words, and a
/// setting at fault by its label; anything else in the gateway's words.
fn reason(
    failure: &Failure,
    form: &ChannelForm,
    t: &Texts,
    language: &str,
    on_signed_out: &Callback<()>,
) -> String {
    signed_out_on(failure, on_signed_out);
    if let Failure::Refused { reason, field, .. } = failure {
        if let Some(reason) = reason {
            return format!("{} {reason}", t.provider_refused);
        }
        let label = form
            .fields
            .iter()
            .find(|known| Some(&known.name) == field.as_ref())
            .map(|known| localized(&known.description.label, language));
        if let Some(label) = label {
            return t.check_field.replace("{field}", label);
        }
    }
    failure.reason().unwrap_or(t.unreachable).to_string()
}

/// What the admin was last told: `Ok` went well, `Err` did not.
pub type Said = UseStateHandle<Option<Result<String, String>>>;

/// A Copy button's click: copies `text` and says so in `said`.
pub fn copy_on_click(text: String, said: &Said, t: &'static Texts) -> Callback<MouseEvent> {
    let said = said.clone();
    Callback::from(move |_: MouseEvent| {
        let Some(window) = web_sys::window() else {
            return;
        };
        let writing = JsFuture::from(window.navigator().clipboard().write_text(&text));
        let said = said.clone();
        spawn_local(async move {
            if writing.await.is_ok() {
                said.set(Some(Ok(t.copied.to_string())));
            }
        });
    })
}

/// How the last step went, read out when it changes.
pub fn said_line(said: &Option<Result<String, String>>) -> Html {
    match said {
        Some(said) => html! {
            <p class={if said.is_ok() { "saved" } else { "error" }}
                role={if said.is_ok() { "status" } else { "alert" }}>
                { said.as_ref().unwrap_or_else(|line| line).trim_start() }</p>
        },
        None => html! {},
    }
}

#[function_component(ChannelEditor)]
pub fn channel_editor(props: &Props) -> Html {
    let console = &props.console;
    let t = texts(console.locale);
    let language = console.locale.tag();
    let form = &props.form;
    let edited = props.channel.as_ref();
    // The channel as the gateway keeps it, once there is one.
    let channel = use_state(|| edited.cloned());
    let name = use_state(|| {
        edited
            .map(|channel| channel.name.clone())
            .unwrap_or_default()
    });
    let active = use_state(|| edited.is_none_or(|channel| channel.active));
    // Every setting and secret as typed, the fields hidden now included, and the settings the
    // form does not ask for.
    let typed = use_state(|| as_object(edited.map_or(&Value::Null, |channel| &channel.settings)));
    // The secrets the channel has.
    let kept = use_state(Vec::<String>::new);
    // The last thing to tell the admin: `Ok` went well, `Err` did not.
    let said: Said = use_state(|| None);
    let busy = use_state(|| false);
    {
        let kept = kept.setter();
        let id = edited.map(|channel| channel.id);
        use_effect_with((), move |_| {
            if let Some(id) = id {
                spawn_local(async move {
                    let path = format!("/api/v1/channels/{id}/secrets");
                    if let Ok(names) = api::get::<SecretNames>(&path).await {
                        kept.set(names.names);
                    }
                });
            }
        });
    }
    // Checks channel `id` with its provider and says how it went, after `prefix` (what was
    // done before, if anything).
    let test = {
        let (said, busy, form) = (said.clone(), busy.clone(), form.clone());
        let on_signed_out = props.on_signed_out.clone();
        Callback::from(move |(id, prefix): (Id, &'static str)| {
            let (said, busy, on_signed_out) = (said.clone(), busy.clone(), on_signed_out.clone());
            let form = form.clone();
            busy.set(true);
            spawn_local(async move {
                let path = format!("/api/v1/channels/{id}/connect");
                said.set(Some(match api::post::<Connection>(&path, &()).await {
                    Ok(connection) => {
                        Ok(format!("{prefix} {}", t.connected_to(&connection.account)))
                    }
                    Err(failure) => Err(format!(
                        "{prefix} {} {}",
                        t.not_connected,
                        reason(&failure, &form, t, language, &on_signed_out)
                    )),
                }));
                busy.set(false);
            });
        })
    };
    let onsubmit = {
        let (form, channel, name, typed) =
            (form.clone(), channel.clone(), name.clone(), typed.clone());
        let (active, kept, said, busy) = (*active, kept.clone(), said.clone(), busy.clone());
        let (dispatch, test) = (console.dispatcher(), test.clone());
        let (on_signed_out, on_saved) = (props.on_signed_out.clone(), props.on_saved.clone());
        Callback::from(move |event: SubmitEvent| {
            event.prevent_default();
            let chosen_name = name.trim().to_string();
            let blank = if chosen_name.is_empty() {
                Some(t.name)
            } else {
                first_blank(&form, &typed, &kept)
                    .map(|field| localized(&field.description.label, language))
            };
            if let Some(label) = blank {
                said.set(Some(Err(t.fill_in.replace("{field}", label))));
                return;
            }
            let (first_settings, settings) = (
                settings_to_send(&form, &typed, false),
                settings_to_send(&form, &typed, true),
            );
            let changes = secrets_to_send(&form, &typed);
            let saved = (*channel).clone();
            let (kind, plugin) = (form.kind, plugin_to_name(&form));
            // Once saved, the secrets typed are blanked and counted among the channel's.
            let mut blanked = (*typed).clone();
            let mut now_kept = (*kept).clone();
            for name in changes.keys() {
                if let Some(typed) = blanked.as_object_mut() {
                    typed.insert(name.clone(), Value::from(""));
                }
                now_kept.push(name.clone());
            }
            let (channel, typed, kept) = (channel.clone(), typed.clone(), kept.clone());
            let (said, busy) = (said.clone(), busy.clone());
            let (dispatch, test) = (dispatch.clone(), test.clone());
            let (on_signed_out, form) = (on_signed_out.clone(), form.clone());
            let on_saved = on_saved.clone();
            busy.set(true);
            said.set(None);
            spawn_local(async move {
                let stored = async {
                    let created = saved.is_none();
                    let stored = match saved {
                        None => {
                            let new = NewChannel {
                                settings: first_settings,
                                plugin,
                                ..NewChannel::new(kind, chosen_name)
                            };
                            api::post::<Channel>("/api/v1/channels", &new).await?
                        }
                        Some(saved) => {
                            let update = ChannelUpdate {
                                settings: settings
                                    .as_object()
                                    .into_iter()
                                    .flatten()
                                    .any(|(name, value)| {
                                        saved.settings.get(name).unwrap_or(&Value::Null) != value
                                    })
                                    .then_some(settings),
                                name: (chosen_name != saved.name).then_some(chosen_name),
                                active: (active != saved.active).then_some(active),
                                // Checked with the provider together with the settings.
                                secrets: (!changes.is_empty()).then(|| changes.clone()),
                                ..ChannelUpdate::default()
                            };
                            if update.name.is_none()
                                && update.settings.is_none()
                                && update.active.is_none()
                                && update.secrets.is_none()
                            {
                                saved
                            } else {
                                let path = format!("/api/v1/channels/{}", saved.id);
                                api::patch::<Channel>(&path, &update).await?
                            }
                        }
                    };
                    // Here and in the console's list.
                    dispatch.dispatch(Action::Channel(stored.clone()));
                    channel.set(Some(stored.clone()));
                    if !changes.is_empty() {
                        if created {
                            let path = format!("/api/v1/channels/{}/secrets", stored.id);
                            api::patch_only(&path, &SecretChanges { secrets: changes }).await?;
                        }
                        typed.set(blanked);
                        kept.set(now_kept);
                    }
                    Ok::<_, Failure>(stored)
                };
                let stored = stored.await;
                busy.set(false);
                match stored {
                    Ok(stored) => match &on_saved {
                        Some(on_saved) => on_saved.emit(stored),
                        None if stored.active => test.emit((stored.id, t.saved)),
                        None => said.set(Some(Ok(t.saved.to_string()))),
                    },
                    Err(failure) => said.set(Some(Err(format!(
                        "{} {}",
                        t.not_saved,
                        reason(&failure, &form, t, language, &on_signed_out)
                    )))),
                }
            });
        })
    };
    let on_test = {
        let (channel, said, test) = (channel.clone(), said.clone(), test.clone());
        Callback::from(move |_: MouseEvent| {
            if let Some(saved) = &*channel {
                said.set(None);
                test.emit((saved.id, ""));
            }
        })
    };
    // What the admin types or picks, for any field.
    let on_field = |field: &FormField| {
        let (typed, name) = (typed.clone(), field.name.clone());
        let switch = field.description.input == FieldInput::Switch;
        Callback::from(move |event: Event| {
            let Some(target) = event.target() else {
                return;
            };
            // An input's and a select's alike.
            let read = |key: &str| js_sys::Reflect::get(&target, &key.into()).unwrap_or_default();
            let value = if switch {
                Value::Bool(read("checked").is_truthy())
            } else {
                read("value").as_string().unwrap_or_default().into()
            };
            let mut next = (*typed).clone();
            if let Some(typed) = next.as_object_mut() {
                typed.insert(name.clone(), value);
            }
            typed.set(next);
        })
    };
    let field_html = |field: &FormField| {
        let description = &field.description;
        let current = as_text(typed.get(&field.name));
        let placeholder = description.placeholder.clone();
        let input = match description.input {
            FieldInput::Switch if !field.secret => html! {
                <input type="checkbox" name={field.name.clone()} checked={current == "true"}
                    onchange={on_field(field)} />
            },
            FieldInput::Choice if !field.secret => html! {
                <select name={field.name.clone()} onchange={on_field(field)}>
                    <option value="" selected={current.is_empty()}>{ placeholder.as_deref().unwrap_or(t.choose) }</option>
                    { for description.choices.iter().map(|choice| html! {
                        <option value={choice.value.clone()} selected={choice.value == current}>
                            { localized(&choice.label, language) }</option>
                    }) }
                </select>
            },
            input => html! {
                <input name={field.name.clone()} value={current} {placeholder}
                    type={match input {
                        _ if field.secret => "password",
                        FieldInput::Url => "url",
                        FieldInput::Number => "number",
                        _ => "text",
                    }}
                    autocomplete={field.secret.then_some("new-password")}
                    oninput={on_field(field).reform(Event::from)} />
            },
        };
        let help = localized(&description.help, language);
        html! {
            <div class={match (description.input, description.required) {
                (FieldInput::Switch, _) => "field switch",
                (_, true) => "field required",
                (_, false) => "field",
            }}>
                <label><span>{ localized(&description.label, language) }</span>{ input }</label>
                if field.secret && kept.contains(&field.name) {
                    <small class="kept">{ t.secret_kept }</small>
                }
                if !help.is_empty() {
                    <small class="help">{ help }</small>
                }
            </div>
        }
    };
    let webhook_url = channel.as_ref().and_then(|saved| saved.webhook_url.clone());
    let on_copy = copy_on_click(webhook_url.clone().unwrap_or_default(), &said, t);
    let shown = form
        .fields
        .iter()
        .filter(|field| field.description.shown(&typed));
    let advanced: Vec<&FormField> = shown
        .clone()
        .filter(|field| field.description.advanced)
        .collect();
    html! {
        <form class="card channel-editor" novalidate=true {onsubmit}>
            <h2>{ localized(&form.title, language) }</h2>
            if channel.is_some() {
                <label class="switch">
                    <input type="checkbox" name="active" checked={*active}
                        onchange={{
                            let active = active.setter();
                            Callback::from(move |event: Event| {
                                active.set(event.target_unchecked_into::<HtmlInputElement>().checked())
                            })
                        }} />
                    { t.active }
                </label>
            }
            <div class="field required">
                <label><span>{ t.name }</span>
                    <input name="name" maxlength="120" value={(*name).clone()} oninput={edit(&name)} /></label>
            </div>
            { for shown.filter(|field| !field.description.advanced).map(&field_html) }
            if !advanced.is_empty() {
                <details class="advanced">
                    <summary>{ t.advanced }</summary>
                    { for advanced.into_iter().map(&field_html) }
                </details>
            }
            if let Some(url) = webhook_url {
                <div class="field webhook">
                    <label><span>{ t.webhook_url }</span>
                        <input readonly=true value={url} /></label>
                    <button type="button" class="copy" onclick={on_copy}>{ t.copy }</button>
                    <small class="help">{ if form.webhook { t.webhook_give } else { t.webhook_own } }</small>
                </div>
            }
            { said_line(&said) }
            <div class="buttons">
                <button type="button" class="back-to-list" onclick={props.on_back.reform(|_: MouseEvent| ())}>
                    { t.back }</button>
                if channel.is_some() {
                    <button type="button" class="test-connection" disabled={*busy} onclick={on_test}>
                        { t.test_connection }</button>
                }
                <button type="submit" class="primary" disabled={*busy}>{ t.save }</button>
            </div>
            if let Some(saved) = &*channel {
                <DeleteChannel console={console.clone()} channel_id={saved.id}
                    on_deleted={props.on_back.clone()} on_signed_out={props.on_signed_out.clone()} />
            }
        </form>
    }
}

#[derive(Properties, PartialEq)]
pub struct DeleteProps {
    pub console: UseReducerHandle<Console>,
    pub channel_id: Id,
    pub on_deleted: Callback<()>,
    pub on_signed_out: Callback<()>,
}

/// A channel page's Delete, which asks first, in place (its conversations stay).
#[function_component(DeleteChannel)]
pub fn delete_channel(props: &DeleteProps) -> Html {
    let t = texts(props.console.locale);
    let confirming = use_state(|| false);
    let busy = use_state(|| false);
    let failed = use_state(|| None::<String>);
    let on_delete = {
        let (confirming, busy, failed) = (confirming.clone(), busy.clone(), failed.clone());
        let (dispatch, on_deleted) = (props.console.dispatcher(), props.on_deleted.clone());
        let (id, on_signed_out) = (props.channel_id, props.on_signed_out.clone());
        Callback::from(move |_: MouseEvent| {
            if !*confirming {
                confirming.set(true);
                return;
            }
            let (confirming, busy, failed) = (confirming.clone(), busy.clone(), failed.clone());
            let (dispatch, on_deleted, on_signed_out) =
                (dispatch.clone(), on_deleted.clone(), on_signed_out.clone());
            busy.set(true);
            spawn_local(async move {
                match api::delete::<Channel>(&format!("/api/v1/channels/{id}")).await {
                    Ok(deleted) => {
                        dispatch.dispatch(Action::Channel(deleted));
                        on_deleted.emit(());
                    }
                    Err(failure) => {
                        signed_out_on(&failure, &on_signed_out);
                        confirming.set(false);
                        busy.set(false);
                        failed.set(Some(failure.said(t.unreachable)));
                    }
                }
            });
        })
    };
    let on_keep = {
        let confirming = confirming.clone();
        Callback::from(move |_: MouseEvent| confirming.set(false))
    };
    html! {
        <div class="danger">
            if let Some(why) = &*failed {
                <p class="error" role="alert">{ t.not_saved }{ " " }{ why }</p>
            }
            if *confirming {
                <p role="alert">{ t.delete_channel_confirm }</p>
                <button type="button" class="keep-channel" onclick={on_keep}>{ t.keep_channel }</button>
            }
            <button type="button" class="delete-channel" disabled={*busy} onclick={on_delete}>
                { t.delete_channel }</button>
        </div>
    }
}
