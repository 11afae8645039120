//! An email channel's own page in Settings › Channels: first the provider (its servers filled
//! in), then the mailbox, how to sign in (with the provider's own advice in place), the servers,
//! replies and options; once saved, the forwarding address to copy, the mailbox's health and
//! "Test connection", which names the step that failed in the admin's language.

mod draft;

use serde_json::{Map, Value};
use switchboard_model::EmailSettings as Keys;
use switchboard_model::{Channel, ChannelKind, ChannelUpdate, HealthState, NewChannel};
use wasm_bindgen_futures::spawn_local;
use yew::prelude::*;

use crate::api;
use crate::i18n::{EmailTexts, email_texts, texts};
use crate::state::{Action, Console};
use crate::views::channel_editor::{DeleteChannel, copy_on_click, said_line};
use crate::views::profile::{checked_of, value_of};
use crate::views::settings::refusal;
use crate::views::workspace::signed_out_on;
use draft::{Draft, HIDE_BRANDING, Mailbox, Outcome, Preset, SECURITIES, Tested};

/// The advice in place for signing in to `provider`'s mailbox.
fn advice(e: &EmailTexts, provider: &str) -> &'static str {
    match provider {
        "gmail" => e.gmail_help,
        "outlook" => e.outlook_help,
        "yahoo" => e.yahoo_help,
        "icloud" => e.icloud_help,
        _ => e.other_help,
    }
}

/// A provider's name as people know it.
fn provider_name<'a>(e: &'a EmailTexts, provider: &str) -> &'a str {
    match provider {
        "gmail" => "Gmail · Google Workspace",
        "outlook" => "Outlook · Microsoft 365",
        "yahoo" => "Yahoo",
        "icloud" => "iCloud",
        _ => e.other_provider,
    }
}

/// What a test found of one server, in words.
fn outcome_line(e: &EmailTexts, server: &str, outcome: &Outcome) -> Html {
    let (class, said) = match outcome {
        Outcome::Ok => ("ok", "✓".to_string()),
        Outcome::NotConfigured => ("none", e.not_configured.to_string()),
        Outcome::Failed { step, message } => ("failed", format!("{}: {message}", e.step(step))),
    };
    html! { <li class={classes!("outcome", class)}><strong>{ server }</strong>{ " " }{ said }</li> }
}

type Held = UseStateHandle<Option<Draft>>;

/// A field's change (an input's `input` or a select's `change`), written into the draft.
fn on_field<E: AsRef<Event> + 'static>(
    draft: &Held,
    apply: impl Fn(&mut Draft, String) + 'static,
) -> Callback<E> {
    let draft = draft.clone();
    Callback::from(move |event: E| {
        if let Some(mut next) = (*draft).clone() {
            apply(&mut next, value_of(event.as_ref()));
            draft.set(Some(next));
        }
    })
}

#[derive(Properties, PartialEq)]
pub struct Props {
    pub console: UseReducerHandle<Console>,
    /// The channel to edit; a new one when `None`.
    pub channel: Option<Channel>,
    pub on_back: Callback<()>,
    pub on_signed_out: Callback<()>,
}

#[function_component(EmailSettings)]
pub fn email_settings(props: &Props) -> Html {
    let console = &props.console;
    let (t, e) = (texts(console.locale), email_texts(console.locale));
    let channel = use_state(|| props.channel.clone());
    let draft = use_state(|| props.channel.as_ref().map(Draft::of));
    let presets = use_state(Vec::<Preset>::new);
    let mailbox = use_state(|| None::<Mailbox>);
    let tested = use_state(|| None::<Result<Tested, String>>);
    // How a "Sign in with…" that sent the admin away and back went, as the address says.
    let said = use_state(|| sign_in_outcome(e));
    let busy = use_state(|| false);
    {
        let presets = presets.setter();
        use_effect_with((), move |_| {
            spawn_local(async move {
                if let Ok(found) = api::get::<Vec<Preset>>("/api/v1/email/providers").await {
                    presets.set(found);
                }
            });
        });
    }
    // The mailbox's forwarding address and health, for a saved channel.
    {
        let mailbox = mailbox.setter();
        use_effect_with(channel.as_ref().map(|saved| saved.id), move |id| {
            if let Some(id) = *id {
                spawn_local(async move {
                    let path = format!("/api/v1/channels/{id}/mailbox");
                    if let Ok(found) = api::get::<Mailbox>(&path).await {
                        mailbox.set(Some(found));
                    }
                });
            }
        });
    }
    let Some(typed) = (*draft).clone() else {
        // A new channel: the provider first.
        let pick = |preset: &Preset| {
            let (draft, preset) = (draft.setter(), preset.clone());
            Callback::from(move |_: MouseEvent| draft.set(Some(Draft::from_preset(&preset))))
        };
        return html! {
            <section class="card email-settings">
                <h2>{ e.title }</h2>
                <p>{ e.pick_provider }</p>
                <ul class="providers">
                    { for presets.iter().map(|preset| html! {
                        <li><button type="button" class="provider" data-provider={preset.provider.clone()}
                            onclick={pick(preset)}>{ provider_name(e, &preset.provider) }</button></li>
                    }) }
                </ul>
                <div class="buttons">
                    <button type="button" class="back-to-list" onclick={props.on_back.reform(|_: MouseEvent| ())}>{ t.back }</button>
                </div>
            </section>
        };
    };
    let edit = |key: &'static str| {
        on_field::<InputEvent>(&draft, move |next, typed| next.set(key, &typed))
    };
    let pick =
        |key: &'static str| on_field::<Event>(&draft, move |next, typed| next.set(key, &typed));
    let secret = |key: &'static str| {
        on_field::<InputEvent>(&draft, move |next, typed| {
            next.secrets.insert(key, typed);
        })
    };
    let test = {
        let (tested, busy) = (tested.clone(), busy.clone());
        let on_signed_out = props.on_signed_out.clone();
        move |id: u64| {
            let (tested, busy, on_signed_out) =
                (tested.clone(), busy.clone(), on_signed_out.clone());
            busy.set(true);
            tested.set(None);
            spawn_local(async move {
                let path = format!("/api/v1/channels/{id}/mailbox/test");
                let answer = api::post::<Tested>(&path, &Value::Object(Map::new())).await;
                busy.set(false);
                tested.set(Some(answer.map_err(|failure| {
                    signed_out_on(&failure, &on_signed_out);
                    failure.said(t.unreachable)
                })));
            });
        }
    };
    let onsubmit = {
        let (channel, said, busy, typed, test) = (
            channel.clone(),
            said.clone(),
            busy.clone(),
            typed.clone(),
            test.clone(),
        );
        let (dispatch, on_signed_out) = (console.dispatcher(), props.on_signed_out.clone());
        Callback::from(move |event: SubmitEvent| {
            event.prevent_default();
            let (channel, said, busy, typed, test) = (
                channel.clone(),
                said.clone(),
                busy.clone(),
                typed.clone(),
                test.clone(),
            );
            let (dispatch, on_signed_out) = (dispatch.clone(), on_signed_out.clone());
            busy.set(true);
            spawn_local(async move {
                let saved = save(channel.as_ref(), &typed).await;
                busy.set(false);
                match saved {
                    Ok(saved) => {
                        said.set(Some(Ok(t.saved.to_string())));
                        dispatch.dispatch(Action::Channel(saved.clone()));
                        let id = saved.id;
                        channel.set(Some(saved));
                        test(id);
                    }
                    Err(failure) => said.set(Some(Err(refusal(
                        &failure,
                        t,
                        &[
                            ("name", t.name),
                            (Keys::REPLY_ADDRESS, e.address),
                            (Keys::IMAP_PORT, e.port),
                            (Keys::SMTP_PORT, e.port),
                        ],
                        String::new(),
                        &on_signed_out,
                    )))),
                }
            });
        })
    };
    let provider = typed.get(Keys::PROVIDER).to_string();
    let oauth = typed.get(Keys::AUTH) == "xoauth2";
    let text_field = |key: &'static str, label: &str, kind: &'static str| {
        html! {
            <label><span>{ label.to_string() }</span>
                <input name={key} type={kind} value={typed.get(key).to_string()} oninput={edit(key)} /></label>
        }
    };
    let secret_field = |key: &'static str, label: &str| {
        html! {
            <label><span>{ label.to_string() }</span>
                <input name={key} type="password" autocomplete="new-password"
                    value={typed.secrets.get(key).cloned().unwrap_or_default()} oninput={secret(key)} />
                if channel.is_some() { <small class="kept">{ t.secret_kept }</small> }</label>
        }
    };
    let server = |title: &str, keys: [&'static str; 3]| {
        html! {
            <fieldset class="server"><legend>{ title.to_string() }</legend>
                { text_field(keys[0], e.host, "text") }
                { text_field(keys[1], e.port, "number") }
                <label><span>{ e.security }</span>
                    <select name={keys[2]} onchange={pick(keys[2])}>
                        { for SECURITIES.iter().map(|security| html! {
                            <option value={*security} selected={typed.get(keys[2]) == *security}>{ security.to_uppercase() }</option>
                        }) }
                    </select></label>
            </fieldset>
        }
    };
    let others: Vec<&Channel> = console
        .channels
        .iter()
        .filter(|other| other.kind == ChannelKind::EMAIL && other.deleted_at.is_none())
        .filter(|other| channel.as_ref().is_none_or(|saved| saved.id != other.id))
        .collect();
    let health = mailbox.as_ref().and_then(|mailbox| mailbox.health.clone());
    let forwarding = mailbox
        .as_ref()
        .and_then(|mailbox| mailbox.forwarding_address.clone());
    // "Sign in with…": to the provider, for a channel saved with its client id.
    let on_sign_in = {
        let (channel, said) = (channel.clone(), said.clone());
        let on_signed_out = props.on_signed_out.clone();
        Callback::from(move |_: MouseEvent| {
            let Some(saved) = &*channel else {
                said.set(Some(Err(e.save_first.to_string())));
                return;
            };
            let path = format!("/api/v1/channels/{}/oauth/start", saved.id);
            let (said, on_signed_out) = (said.clone(), on_signed_out.clone());
            spawn_local(async move {
                match api::post::<SignInStarted>(&path, &Value::Object(Map::new())).await {
                    Ok(started) => crate::go_to(&started.authorize_url),
                    Err(failure) => {
                        signed_out_on(&failure, &on_signed_out);
                        said.set(Some(Err(format!(
                            "{} {}",
                            e.sign_in_failed,
                            failure.said(t.unreachable)
                        ))));
                    }
                }
            });
        })
    };
    let on_test = {
        let (channel, test) = (channel.clone(), test.clone());
        Callback::from(move |_: MouseEvent| {
            if let Some(saved) = &*channel {
                test(saved.id);
            }
        })
    };
    html! {
        <form class="card email-settings" novalidate=true {onsubmit}>
            <h2>{ e.title }{ " · " }{ provider_name(e, &provider) }</h2>
            <div class="field required">
                <label><span>{ t.name }</span>
                    <input name="name" maxlength="120" value={typed.name.clone()}
                        oninput={on_field::<InputEvent>(&draft, |next, typed| next.name = typed)} /></label>
            </div>
            { text_field(Keys::REPLY_ADDRESS, e.address, "email") }
            { text_field("reply_name", e.reply_name, "text") }
            <fieldset class="sign-in"><legend>{ e.sign_in }</legend>
                <p class="help">{ advice(e, &provider) }</p>
                <label><span>{ e.sign_in }</span>
                    <select name="auth" onchange={pick(Keys::AUTH)}>
                        <option value="password" selected={!oauth}>{ e.app_password }</option>
                        <option value="xoauth2" selected={oauth}>{ e.oauth }</option>
                    </select></label>
                if oauth {
                    { text_field(Keys::OAUTH_CLIENT_ID, e.client_id, "text") }
                    { secret_field("oauth_client_secret", e.client_secret) }
                    <button type="button" class="sign-in-with" disabled={*busy} onclick={on_sign_in}>
                        { e.sign_in_with.replace("{provider}", provider_name(e, &provider)) }</button>
                    { secret_field("oauth_refresh_token", e.refresh_token) }
                    <small class="help">{ e.oauth_help }</small>
                } else {
                    { secret_field("password", e.password) }
                }
            </fieldset>
            <details class="servers" open={provider == "other"}>
                <summary>{ e.servers }</summary>
                { text_field(Keys::USERNAME, e.username, "text") }
                { server(e.incoming, [Keys::IMAP_HOST, Keys::IMAP_PORT, Keys::IMAP_SECURITY]) }
                { server(e.outgoing, [Keys::SMTP_HOST, Keys::SMTP_PORT, Keys::SMTP_SECURITY]) }
                { text_field(Keys::FOLDER, e.folder, "text") }
                if oauth {
                    { text_field(Keys::OAUTH_AUTHORIZE_URL, e.authorize_url, "url") }
                    { text_field(Keys::OAUTH_TOKEN_URL, e.token_url, "url") }
                }
            </details>
            <details class="options">
                <summary>{ e.options }</summary>
                <label><span>{ e.footer }</span>
                    <textarea name="footer" rows="2" value={typed.get("footer").to_string()} oninput={edit("footer")} /></label>
                <label class="check"><input type="checkbox" name={HIDE_BRANDING} checked={typed.hide_branding}
                    onchange={{
                        let draft = draft.clone();
                        Callback::from(move |event: Event| if let Some(mut next) = (*draft).clone() {
                            next.hide_branding = checked_of(&event);
                            draft.set(Some(next));
                        })
                    }} />{ e.hide_branding }</label>
                <label><span>{ e.auto_reply }</span>
                    <textarea name={Keys::AUTO_REPLY} rows="2" value={typed.get(Keys::AUTO_REPLY).to_string()} oninput={edit(Keys::AUTO_REPLY)} /></label>
                { text_field(Keys::DAILY_SEND_LIMIT, e.daily_limit, "number") }
                <label><span>{ e.reply_via }</span>
                    <select name={Keys::REPLY_VIA_CHANNEL} onchange={on_field::<Event>(&draft, |next, picked| next.reply_via = picked)}>
                        <option value="" selected={typed.reply_via.is_empty()}>{ e.this_channel }</option>
                        { for others.iter().map(|other| html! {
                            <option value={other.id.to_string()} selected={typed.reply_via == other.id.to_string()}>{ &other.name }</option>
                        }) }
                    </select></label>
                <label><span>{ e.block_list }</span>
                    <textarea name={Keys::BLOCK_LIST} rows="3" value={typed.get(Keys::BLOCK_LIST).to_string()} oninput={edit(Keys::BLOCK_LIST)} /></label>
                <label><span>{ e.default_team }</span>
                    <select name="default_team" onchange={on_field::<Event>(&draft, |next, picked| next.team = picked)}>
                        <option value="" selected={typed.team.is_empty()}>{ e.no_team }</option>
                        { for console.teams.iter().map(|team| html! {
                            <option value={team.id.to_string()} selected={typed.team == team.id.to_string()}>{ &team.name }</option>
                        }) }
                    </select></label>
            </details>
            if let Some(address) = forwarding {
                <div class="field forwarding">
                    <label><span>{ e.forwarding }</span><input readonly=true value={address.clone()} /></label>
                    <button type="button" class="copy" onclick={copy_on_click(address, &said, t)}>{ t.copy }</button>
                    <small class="help">{ e.forwarding_help }</small>
                </div>
            }
            if let Some(health) = health {
                <p class={classes!("health", format!("is-{:?}", health.state).to_lowercase())}>
                    <strong>{ e.health }{ ": " }</strong>
                    { match health.state {
                        HealthState::Ok => e.health_ok.to_string(),
                        HealthState::Connecting => e.health_connecting.to_string(),
                        HealthState::Failing => format!("{}: {}", e.health_failing, health.step.as_deref().map_or(e.steps[9], |step| e.step(step))),
                    } }
                </p>
            }
            if *busy && tested.is_none() && channel.is_some() {
                <p class="testing" role="status">{ e.testing }</p>
            }
            if let Some(tested) = &*tested {
                { match tested {
                    Ok(tested) => html! {
                        <div class={classes!("test-result", if tested.ok { "ok" } else { "failed" })} role="status">
                            <p>{ if tested.ok { e.test_ok } else { e.test_failed } }</p>
                            <ul>
                                { outcome_line(e, "IMAP", &tested.imap) }
                                { outcome_line(e, "SMTP", &tested.smtp) }
                            </ul>
                        </div>
                    },
                    Err(why) => html! { <p class="error" role="alert">{ why }</p> },
                } }
            }
            { said_line(&said) }
            <div class="buttons">
                <button type="button" class="back-to-list" onclick={props.on_back.reform(|_: MouseEvent| ())}>{ t.back }</button>
                if channel.is_some() {
                    <button type="button" class="test-connection" disabled={*busy} onclick={on_test}>{ t.test_connection }</button>
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

/// Where the provider's sign-in page is, as the gateway answers a start.
#[derive(serde::Deserialize)]
struct SignInStarted {
    authorize_url: String,
}

/// What the address says of a sign-in the provider sent the admin back from.
fn sign_in_outcome(e: &EmailTexts) -> Option<Result<String, String>> {
    let search = web_sys::window()?.location().search().ok()?;
    let query = web_sys::UrlSearchParams::new_with_str(&search).ok()?;
    if query.get("signed_in").is_some() {
        return Some(Ok(e.signed_in.to_string()));
    }
    query
        .get("sign_in_error")
        .map(|why| Err(format!("{} {why}", e.sign_in_failed)))
}

/// Creates the channel or changes it, with its secrets; the channel as saved.
async fn save(channel: Option<&Channel>, typed: &Draft) -> Result<Channel, api::Failure> {
    let team = typed.team.parse::<u64>().ok();
    let id = match channel {
        Some(saved) => saved.id,
        None => {
            let mut new = NewChannel::new(ChannelKind::EMAIL, typed.name.trim());
            new.default_team_id = team;
            api::post::<Channel>("/api/v1/channels", &new).await?.id
        }
    };
    let change = ChannelUpdate {
        name: Some(typed.name.trim().to_string()),
        active: None,
        // `0` takes the channel off its team.
        default_team_id: Some(team.unwrap_or(0)),
        settings: Some(typed.settings_to_send()),
        secrets: typed.secrets_to_send(),
    };
    api::patch::<Channel>(&format!("/api/v1/channels/{id}"), &change).await
}
