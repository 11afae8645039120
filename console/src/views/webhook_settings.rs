//! The outgoing webhooks of Settings › Integrations: each with its URL, events, whether it is
//! active and how its last delivery went; added or changed (a URL the gateway refuses says why
//! beside the field), the signing secret shown once when it is made or rotated, "Send test"
//! with the endpoint's answer, the delivery log, and Delete after asking.

use switchboard_model::{
    Id, NewWebhook, SavedWebhook, Webhook, WebhookDelivery, WebhookEvent, WebhookUpdate,
};
use wasm_bindgen_futures::spawn_local;
use yew::prelude::*;

use crate::api::{self, Failure};
use crate::i18n::{IntegrationTexts, integration_texts, texts};
use crate::state::Console;
use crate::views::channel_editor::{Said, copy_on_click};
use crate::views::integration_settings::written_date;
use crate::views::profile::{checked_of, edit};
use crate::views::settings::{
    Catalogue, ConfirmDelete, Editing, Row, catalogue_page, delete_entry, form_end, refusal,
};
use crate::views::workspace::signed_out_on;

/// How many deliveries the log shows.
const LOG_LENGTH: u32 = 20;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub console: UseReducerHandle<Console>,
    pub on_signed_out: Callback<()>,
    /// A webhook was added, changed or deleted.
    pub on_changed: Callback<()>,
}

/// A webhook as listed, with its newest delivery.
type Listed = (Webhook, Option<WebhookDelivery>);

/// Why the gateway refused a webhook's URL, in the admin's words, from its reason.
fn url_refusal(i: &IntegrationTexts, failure: &Failure) -> String {
    let reason = failure.reason().unwrap_or_default();
    if reason.contains("loopback") {
        i.url_private.to_string()
    } else if reason.contains("not a URL") {
        i.url_unreadable.to_string()
    } else if reason.contains("https") {
        i.url_https.to_string()
    } else {
        i.url_refused.replace("{reason}", reason)
    }
}

/// How a delivery went: its state, and its last attempt's status or error.
fn outcome(i: &IntegrationTexts, delivery: &WebhookDelivery) -> String {
    let last = delivery.attempts.last().and_then(|attempt| {
        attempt
            .status
            .map(|status| status.to_string())
            .or_else(|| attempt.error.clone())
    });
    match last {
        Some(last) => format!("{} · {last}", i.state_name(delivery.state)),
        None => i.state_name(delivery.state).to_string(),
    }
}

/// A catalogue's delete reads nothing again here: the list is read when the form closes.
fn read_on_close(
    _: UseReducerDispatcher<Console>,
) -> std::future::Ready<Result<(), crate::api::Failure>> {
    std::future::ready(Ok(()))
}

#[function_component(WebhookSettings)]
pub fn webhook_settings(props: &Props) -> Html {
    let console = &props.console;
    let (t, i) = (texts(console.locale), integration_texts(console.locale));
    let listed = use_state(Vec::<Listed>::new);
    let editing = use_state(|| Editing::None);
    let url = use_state(String::new);
    let events = use_state(Vec::<WebhookEvent>::new);
    let active = use_state(|| true);
    // The signing secret just made, shown until the form closes.
    let secret = use_state(|| None::<String>);
    let url_refused = use_state(|| None::<String>);
    let said: Said = use_state(|| None);
    let busy = use_state(|| false);
    // Whether the list was read before: reading it again means something changed.
    let read_before = use_mut_ref(|| false);
    {
        let (listed, said) = (listed.clone(), said.clone());
        let (on_signed_out, on_changed) = (props.on_signed_out.clone(), props.on_changed.clone());
        let closed = *editing == Editing::None;
        use_effect_with(closed, move |closed| {
            if *closed {
                if read_before.replace(true) {
                    on_changed.emit(());
                }
                spawn_local(async move {
                    match read_list().await {
                        Ok(read) => listed.set(read),
                        Err(failure) => {
                            signed_out_on(&failure, &on_signed_out);
                            said.set(Some(Err(failure.said(t.unreachable))));
                        }
                    }
                });
            }
        });
    }
    let open = |to: Editing| {
        let known = match to {
            Editing::Existing(id) => listed
                .iter()
                .find(|(webhook, _)| webhook.id == id)
                .map(|(webhook, _)| webhook.clone()),
            _ => None,
        };
        let (editing, url, events, active) = (
            editing.setter(),
            url.setter(),
            events.setter(),
            active.setter(),
        );
        let (secret, url_refused, said) = (secret.setter(), url_refused.setter(), said.setter());
        Callback::from(move |_: MouseEvent| {
            url.set(known.as_ref().map(|w| w.url.clone()).unwrap_or_default());
            events.set(
                known
                    .as_ref()
                    .map_or(vec![WebhookEvent::MessageCreated], |w| w.events.clone()),
            );
            active.set(known.as_ref().is_none_or(|w| w.active));
            secret.set(None);
            url_refused.set(None);
            said.set(None);
            editing.set(to);
        })
    };
    let onsubmit = {
        let (editing, url, events, active) =
            (editing.clone(), url.clone(), events.clone(), active.clone());
        let (secret, url_refused, said, busy) = (
            secret.clone(),
            url_refused.clone(),
            said.clone(),
            busy.clone(),
        );
        let (on_changed, on_signed_out) = (props.on_changed.clone(), props.on_signed_out.clone());
        Callback::from(move |event: SubmitEvent| {
            event.prevent_default();
            let (typed, picked, on) = (url.trim().to_string(), (*events).clone(), *active);
            let to = *editing;
            let (editing, secret, url_refused, said, busy) = (
                editing.clone(),
                secret.clone(),
                url_refused.clone(),
                said.clone(),
                busy.clone(),
            );
            let (on_changed, on_signed_out) = (on_changed.clone(), on_signed_out.clone());
            busy.set(true);
            spawn_local(async move {
                let saved = match to {
                    Editing::Existing(id) => {
                        let change = WebhookUpdate {
                            url: Some(typed),
                            events: Some(picked),
                            active: Some(on),
                            rotate_secret: false,
                        };
                        api::patch::<SavedWebhook>(&format!("/api/v1/webhooks/{id}"), &change).await
                    }
                    _ => {
                        let new = NewWebhook {
                            url: typed,
                            events: picked,
                            active: on,
                        };
                        api::post::<SavedWebhook>("/api/v1/webhooks", &new).await
                    }
                };
                busy.set(false);
                match saved {
                    Ok(saved) => {
                        url_refused.set(None);
                        said.set(Some(Ok(t.saved.to_string())));
                        if saved.secret.is_some() {
                            secret.set(saved.secret);
                        }
                        editing.set(Editing::Existing(saved.webhook.id));
                        on_changed.emit(());
                    }
                    Err(failure) => {
                        let on_url = matches!(&failure,
                            Failure::Refused { field: Some(field), .. } if field == "url");
                        url_refused.set(on_url.then(|| url_refusal(i, &failure)));
                        said.set(Some(Err(refusal(
                            &failure,
                            t,
                            &[("url", i.url), ("events", i.events)],
                            String::new(),
                            &on_signed_out,
                        ))));
                    }
                }
            });
        })
    };
    let on_delete = delete_entry(
        t,
        (&editing, &said, &busy),
        console.dispatcher(),
        &props.on_signed_out,
        "/api/v1/webhooks",
        read_on_close,
    );
    let form = match *editing {
        Editing::None => None,
        to => {
            let event_box = |event: WebhookEvent| {
                let checked = events.contains(&event);
                let events = events.clone();
                let onchange = Callback::from(move |changed: Event| {
                    let mut picked = (*events).clone();
                    picked.retain(|known| *known != event);
                    if checked_of(&changed) {
                        picked.push(event);
                    }
                    events.set(picked);
                });
                html! {
                    <label class="check"><input type="checkbox" name="event"
                        value={event.as_str()} {checked} {onchange} />{ i.event_name(event) }</label>
                }
            };
            let on_active = {
                let active = active.setter();
                Callback::from(move |event: Event| active.set(checked_of(&event)))
            };
            let tools = match to {
                Editing::Existing(id) => {
                    let secret = secret.setter();
                    html! {
                        <WebhookTools console={console.clone()} {id}
                            on_secret={Callback::from(move |made| secret.set(Some(made)))}
                            on_signed_out={props.on_signed_out.clone()} />
                    }
                }
                _ => html! {},
            };
            Some(html! {
                <>
                    <form class="card webhook-editor" novalidate=true {onsubmit}>
                        <h3>{ if to == Editing::New { i.new_webhook } else { i.edit_webhook } }</h3>
                        if let Some(made) = &*secret {
                            <div class="handed secret-once" role="status">
                                <p>{ i.signing_secret }</p>
                                <input class="secret" readonly=true value={made.clone()}
                                    aria-label={i.signing_secret} />
                                <button type="button" class="copy"
                                    onclick={copy_on_click(made.clone(), &said, t)}>{ t.copy }</button>
                                <p class="warning">{ i.secret_once }</p>
                            </div>
                        }
                        <div class="field required">
                            <label><span>{ i.url }</span>
                                <input name="url" type="url" maxlength="2000" autocomplete="off"
                                    placeholder="https://" required=true
                                    aria-invalid={url_refused.is_some().then_some("true")}
                                    value={(*url).clone()} oninput={edit(&url)} /></label>
                            if let Some(why) = &*url_refused {
                                <small class="error url-refused" role="alert">{ why }</small>
                            }
                        </div>
                        <fieldset class="field events">
                            <legend>{ i.events }</legend>
                            { for WebhookEvent::SUBSCRIBABLE.into_iter().map(event_box) }
                        </fieldset>
                        <label class="check"><input type="checkbox" name="active"
                            checked={*active} onchange={on_active} />{ t.active }</label>
                        { form_end(t, &said, &editing, *busy, i.delete_webhook_confirm, on_delete) }
                    </form>
                    { tools }
                </>
            })
        }
    };
    let rows = listed.iter().map(|(webhook, last)| Row {
        data: ("data-webhook", webhook.url.clone()),
        name: webhook.url.clone(),
        on_edit: open(Editing::Existing(webhook.id)),
        cells: html! {
            <>
                <span class="name url">{ &webhook.url }</span>
                <span class="preview">{ webhook.events.iter().map(|event| i.event_name(*event))
                    .collect::<Vec<_>>().join(", ") }</span>
                if webhook.active {
                    <span class="state on">{ t.active }</span>
                } else {
                    <span class="state">{ t.inactive }</span>
                }
                <span class="last-delivery">{ last.as_ref().map_or(i.no_deliveries.to_string(), |last| outcome(i, last)) }</span>
            </>
        },
    });
    let list = Catalogue {
        kind: "webhook",
        new: i.new_webhook,
        on_new: open(Editing::New),
        none: i.no_webhooks,
        title: i.webhooks,
        rows: rows.collect(),
    };
    catalogue_page(t, form, &said, list)
}

/// The webhooks, each with its newest delivery.
async fn read_list() -> Result<Vec<Listed>, Failure> {
    let webhooks = api::get::<Vec<Webhook>>("/api/v1/webhooks").await?;
    let mut listed = Vec::with_capacity(webhooks.len());
    for webhook in webhooks {
        let path = format!("/api/v1/webhooks/{}/deliveries?limit=1", webhook.id);
        let newest = api::get::<Vec<WebhookDelivery>>(&path).await?;
        listed.push((webhook, newest.into_iter().next()));
    }
    Ok(listed)
}

#[derive(Properties, PartialEq)]
struct ToolsProps {
    console: UseReducerHandle<Console>,
    id: Id,
    /// A new signing secret, to show once.
    on_secret: Callback<String>,
    on_signed_out: Callback<()>,
}

/// What an existing webhook's form has below it: Send test and its answer, Rotate secret after
/// asking, and the delivery log with Refresh.
#[function_component(WebhookTools)]
fn webhook_tools(props: &ToolsProps) -> Html {
    let (t, i) = (
        texts(props.console.locale),
        integration_texts(props.console.locale),
    );
    let language = props.console.locale.tag();
    let id = props.id;
    let tested = use_state(|| None::<Result<String, String>>);
    let deliveries = use_state(Vec::<WebhookDelivery>::new);
    let generation = use_state(|| 0_u32);
    let busy = use_state(|| false);
    {
        let deliveries = deliveries.clone();
        use_effect_with((id, *generation), move |_| {
            spawn_local(async move {
                let path = format!("/api/v1/webhooks/{id}/deliveries?limit={LOG_LENGTH}");
                if let Ok(read) = api::get::<Vec<WebhookDelivery>>(&path).await {
                    deliveries.set(read);
                }
            });
        });
    }
    let read_log = {
        let generation = generation.clone();
        Callback::from(move |_: MouseEvent| generation.set(generation.wrapping_add(1)))
    };
    let send_test = {
        let (tested, busy, generation) = (tested.clone(), busy.clone(), generation.clone());
        let on_signed_out = props.on_signed_out.clone();
        Callback::from(move |_: MouseEvent| {
            let (tested, busy, generation) = (tested.clone(), busy.clone(), generation.clone());
            let on_signed_out = on_signed_out.clone();
            busy.set(true);
            spawn_local(async move {
                let path = format!("/api/v1/webhooks/{id}/test");
                let sent = api::post::<WebhookDelivery>(&path, &()).await;
                busy.set(false);
                tested.set(Some(match sent {
                    Ok(delivery) => answer_of(i, &delivery),
                    Err(failure) => {
                        signed_out_on(&failure, &on_signed_out);
                        Err(failure.said(t.unreachable))
                    }
                }));
                generation.set(generation.wrapping_add(1));
            });
        })
    };
    let rotate = {
        let (tested, busy) = (tested.clone(), busy.clone());
        let (on_secret, on_signed_out) = (props.on_secret.clone(), props.on_signed_out.clone());
        Callback::from(move |()| {
            let (tested, busy) = (tested.clone(), busy.clone());
            let (on_secret, on_signed_out) = (on_secret.clone(), on_signed_out.clone());
            busy.set(true);
            spawn_local(async move {
                let change = WebhookUpdate {
                    rotate_secret: true,
                    ..WebhookUpdate::default()
                };
                let path = format!("/api/v1/webhooks/{id}");
                let rotated = api::patch::<SavedWebhook>(&path, &change).await;
                busy.set(false);
                match rotated {
                    Ok(saved) => on_secret.emit(saved.secret.unwrap_or_default()),
                    Err(failure) => {
                        signed_out_on(&failure, &on_signed_out);
                        tested.set(Some(Err(failure.said(t.unreachable))));
                    }
                }
            });
        })
    };
    let row = |delivery: &WebhookDelivery| {
        let when = delivery
            .attempts
            .last()
            .map_or(delivery.created_at, |attempt| attempt.at);
        html! {
            <tr class="delivery-row" data-event={delivery.event.as_str()}>
                <td>{ i.event_name(delivery.event) }</td>
                <td>{ outcome(i, delivery) }</td>
                <td>{ delivery.attempts.len() }</td>
                <td>{ written_date(when, language, true) }</td>
            </tr>
        }
    };
    html! {
        <section class="card webhook-tools" aria-label={i.deliveries}>
            <div class="test">
                <button type="button" class="send-test" disabled={*busy} onclick={send_test}>
                    { i.send_test }</button>
                if let Some(answer) = &*tested {
                    <p class={classes!("test-result", if answer.is_ok() { "ok" } else { "failed" })}
                        role="status">{ answer.as_ref().unwrap_or_else(|why| why) }</p>
                }
            </div>
            <ConfirmDelete question={i.rotate_confirm} delete={i.rotate} keep={t.keep}
                busy={*busy} on_delete={rotate} />
            <div class="log-head">
                <h3>{ i.deliveries }</h3>
                <button type="button" class="refresh" onclick={read_log}>{ i.refresh }</button>
            </div>
            if deliveries.is_empty() {
                <p class="later">{ i.no_deliveries }</p>
            } else {
                <div class="table-scroll">
                    <table class="deliveries">
                        <thead><tr>
                            <th>{ i.event }</th><th>{ i.status }</th><th>{ i.attempts }</th>
                            <th>{ i.when }</th>
                        </tr></thead>
                        <tbody>{ for deliveries.iter().map(row) }</tbody>
                    </table>
                </div>
            }
        </section>
    }
}

/// What "Send test" tells: the endpoint's status and the start of its answer, or why there
/// was none.
fn answer_of(i: &IntegrationTexts, delivery: &WebhookDelivery) -> Result<String, String> {
    let Some(attempt) = delivery.attempts.first() else {
        return Err(outcome(i, delivery));
    };
    match attempt.status {
        Some(status) => {
            let mut told = i.answered.replace("{status}", &status.to_string());
            if let Some(response) = attempt.response.as_deref().filter(|r| !r.is_empty()) {
                told = format!("{told} “{response}”");
            }
            if attempt.delivered() {
                Ok(told)
            } else {
                Err(told)
            }
        }
        None => Err(i
            .no_answer
            .replace("{error}", attempt.error.as_deref().unwrap_or_default())),
    }
}
