//! A channel's dead letters in Settings › Plugins: the payloads it could not process, newest
//! first (older ones a page at a time), each with when it came, why it was refused and its
//! size; its payload on request (a kept webhook's body or email's source decoded, JSON
//! pretty-printed, always as text); Replay, which says what came of it, and Delete, which asks
//! first.

use serde::Deserialize;
use switchboard_model::{DeadLetter, Id, Ingested, Page};
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::spawn_local;
use yew::prelude::*;

use crate::api::{self, Failure};
use crate::i18n::{plugin_texts, texts};
use crate::state::Console;
use crate::views::channel_editor::{Said, said_line};
use crate::views::settings::ConfirmDelete;
use crate::views::thread::written_time;
use crate::views::workspace::signed_out_on;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub console: UseReducerHandle<Console>,
    /// A letter was replayed or deleted: the plugins' states may have changed.
    pub on_changed: Callback<()>,
    pub on_signed_out: Callback<()>,
}

/// How many letters are read at a time.
const PAGE: u32 = 50;

/// `GET /api/v1/dead-letters/{id}`: the letter's payload, as text.
#[derive(Deserialize)]
struct Kept {
    payload: String,
}

/// A kept payload as an admin reads it: a webhook's body or an email's source rather than
/// their base64, and JSON pretty-printed (by the browser's own JSON, which costs no code here).
fn readable(payload: &str) -> String {
    let pretty = |text: &str| {
        js_sys::JSON::parse(text)
            .ok()
            .filter(|value| value.is_object())
            .and_then(|value| {
                js_sys::JSON::stringify_with_replacer_and_space(
                    &value,
                    &JsValue::NULL,
                    &JsValue::from(2),
                )
                .ok()
            })
            .and_then(|pretty| pretty.as_string())
            .unwrap_or_else(|| text.to_string())
    };
    let decoded = js_sys::JSON::parse(payload)
        .ok()
        .filter(|kept| kept.is_object())
        .and_then(|kept| {
            ["body_base64", "source_base64"]
                .into_iter()
                .find_map(|field| {
                    js_sys::Reflect::get(&kept, &field.into())
                        .ok()
                        .and_then(|encoded| encoded.as_string())
                })
        })
        .and_then(|encoded| web_sys::window()?.atob(&encoded).ok())
        // `atob` answers one character per byte.
        .map(|bytes| bytes.chars().map(|byte| byte as u8).collect::<Vec<u8>>());
    match decoded {
        Some(bytes) => pretty(&String::from_utf8_lossy(&bytes)),
        None => pretty(payload),
    }
}

/// A size in bytes as people read it.
fn size(bytes: u64) -> String {
    match bytes {
        0..1024 => format!("{bytes} B"),
        _ => format!("{:.1} KiB", bytes as f64 / 1024.0),
    }
}

#[function_component(DeadLetters)]
pub fn dead_letters(props: &Props) -> Html {
    let console = &props.console;
    let (t, p) = (texts(console.locale), plugin_texts(console.locale));
    let channels: Vec<_> = console
        .channels
        .iter()
        .filter(|channel| channel.deleted_at.is_none())
        .cloned()
        .collect();
    let channel = use_state(|| None::<Id>);
    let letters = use_state(|| None::<Page<DeadLetter>>);
    let payloads = use_state(Vec::<(Id, String)>::new);
    let said: Said = use_state(|| None);
    let busy = use_state(|| false);
    let generation = use_state(|| 0_u32);
    // The channel of the newest dead letter first, else a plugin's channel, else the first.
    {
        let channel = channel.setter();
        let fallback = channels
            .iter()
            .find(|channel| channel.plugin.is_some())
            .or(channels.first())
            .map(|channel| channel.id);
        use_effect_with((), move |_| {
            spawn_local(async move {
                let newest = api::get::<Page<DeadLetter>>("/api/v1/dead-letters?limit=1").await;
                let newest = newest
                    .ok()
                    .and_then(|page| page.items.first().map(|l| l.channel_id));
                channel.set(newest.or(fallback));
            });
        });
    }
    {
        let (letters, said, on_signed_out) =
            (letters.clone(), said.clone(), props.on_signed_out.clone());
        use_effect_with((*channel, *generation), move |(channel, _)| {
            let channel = *channel;
            spawn_local(async move {
                let Some(channel) = channel else {
                    return;
                };
                let path = format!("/api/v1/dead-letters?channel={channel}&limit={PAGE}");
                match api::get::<Page<DeadLetter>>(&path).await {
                    Ok(page) => letters.set(Some(page)),
                    Err(failure) => {
                        signed_out_on(&failure, &on_signed_out);
                        said.set(Some(Err(failure.said(t.unreachable))));
                    }
                }
            });
        });
    }
    let on_channel = {
        let (channel, said) = (channel.clone(), said.clone());
        Callback::from(move |event: Event| {
            let select: web_sys::HtmlSelectElement = event.target_unchecked_into();
            said.set(None);
            channel.set(select.value().parse().ok());
        })
    };
    // Reads the list again, and the plugins' states with it.
    let reread = {
        let (generation, on_changed) = (generation.clone(), props.on_changed.clone());
        move || {
            generation.set(generation.wrapping_add(1));
            on_changed.emit(());
        }
    };
    // The next page, older letters, after those shown.
    let on_more = {
        let (letters, said, channel) = (letters.clone(), said.clone(), *channel);
        Callback::from(move |_: MouseEvent| {
            let Some(shown) = (*letters).clone() else {
                return;
            };
            let (Some(channel), Some(cursor)) = (channel, shown.next_cursor.clone()) else {
                return;
            };
            let (letters, said) = (letters.clone(), said.clone());
            spawn_local(async move {
                let path =
                    format!("/api/v1/dead-letters?channel={channel}&cursor={cursor}&limit={PAGE}");
                match api::get::<Page<DeadLetter>>(&path).await {
                    Ok(older) => letters.set(Some(Page {
                        items: shown.items.into_iter().chain(older.items).collect(),
                        next_cursor: older.next_cursor,
                    })),
                    Err(failure) => said.set(Some(Err(failure.said(t.unreachable)))),
                }
            });
        })
    };
    let row = |letter: &DeadLetter| {
        let id = letter.id;
        let shown = payloads
            .iter()
            .find(|(shown, _)| *shown == id)
            .map(|(_, text)| text.clone());
        let on_payload = {
            let (payloads, said) = (payloads.clone(), said.clone());
            let open = shown.is_some();
            Callback::from(move |_: MouseEvent| {
                let (payloads, said) = (payloads.clone(), said.clone());
                if open {
                    payloads.set(
                        payloads
                            .iter()
                            .filter(|(shown, _)| *shown != id)
                            .cloned()
                            .collect(),
                    );
                    return;
                }
                spawn_local(async move {
                    match api::get::<Kept>(&format!("/api/v1/dead-letters/{id}")).await {
                        Ok(kept) => {
                            let mut shown = (*payloads).clone();
                            shown.push((id, readable(&kept.payload)));
                            payloads.set(shown);
                        }
                        Err(failure) => said.set(Some(Err(failure.said(t.unreachable)))),
                    }
                });
            })
        };
        let on_replay = {
            let (said, busy, reread) = (said.clone(), busy.clone(), reread.clone());
            let on_signed_out = props.on_signed_out.clone();
            Callback::from(move |_: MouseEvent| {
                let (said, busy, reread) = (said.clone(), busy.clone(), reread.clone());
                let on_signed_out = on_signed_out.clone();
                busy.set(true);
                spawn_local(async move {
                    let path = format!("/api/v1/dead-letters/{id}/replay");
                    let replayed = api::post::<Ingested>(&path, &serde_json::json!({})).await;
                    busy.set(false);
                    said.set(Some(match replayed {
                        Ok(ingested) => Ok(p
                            .replayed
                            .replace("{id}", &ingested.conversation_id.to_string())),
                        Err(failure) => {
                            signed_out_on(&failure, &on_signed_out);
                            let why = match &failure {
                                Failure::Refused { code, .. } if code == "busy" => {
                                    p.busy.to_string()
                                }
                                _ => failure.said(t.unreachable),
                            };
                            Err(format!("{} {why}", p.not_replayed))
                        }
                    }));
                    reread();
                });
            })
        };
        let on_delete = {
            let (said, busy, reread) = (said.clone(), busy.clone(), reread.clone());
            Callback::from(move |()| {
                let (said, busy, reread) = (said.clone(), busy.clone(), reread.clone());
                busy.set(true);
                spawn_local(async move {
                    let deleted = api::delete_only(&format!("/api/v1/dead-letters/{id}")).await;
                    busy.set(false);
                    match deleted {
                        Ok(()) => said.set(None),
                        Err(failure) => said.set(Some(Err(failure.said(t.unreachable)))),
                    }
                    reread();
                });
            })
        };
        html! {
            <li class="settings-row dead-letter" data-letter={id.to_string()}>
                <dl>
                    <dt>{ p.received }</dt>
                    <dd><time>{ written_time(letter.received_at, console.locale.tag()) }</time></dd>
                    <dt>{ p.reason }</dt><dd class="reason">{ &letter.reason }</dd>
                    <dt>{ p.size }</dt><dd class="size">{ size(letter.size) }</dd>
                </dl>
                <div class="buttons">
                    <button type="button" class="show-payload" aria-expanded={shown.is_some().to_string()}
                        onclick={on_payload}>
                        { if shown.is_some() { p.hide_payload } else { p.show_payload } }</button>
                    <button type="button" class="replay" disabled={*busy} onclick={on_replay}>
                        { p.replay }</button>
                    <ConfirmDelete question={p.delete_question} delete={t.delete} keep={t.keep}
                        busy={*busy} {on_delete} />
                </div>
                if let Some(text) = shown {
                    <pre class="payload">{ text }</pre>
                }
            </li>
        }
    };
    html! {
        <section class="dead-letters">
            <h2>{ p.dead_letters }</h2>
            <p class="later">{ p.dead_help }</p>
            <label>{ p.channel }
                <select class="dead-letter-channel" onchange={on_channel}>
                    { for channels.iter().map(|option| html! {
                        <option value={option.id.to_string()} selected={Some(option.id) == *channel}>
                            { &option.name }</option>
                    }) }
                </select>
            </label>
            { said_line(&said) }
            if let Some(page) = &*letters {
                if page.items.is_empty() {
                    <p class="later">{ p.no_dead_letters }</p>
                } else {
                    <ul class="settings-rows dead-letter-rows" aria-label={p.dead_letters}>
                        { for page.items.iter().map(row) }
                    </ul>
                    if page.next_cursor.is_some() {
                        <button type="button" class="more" onclick={on_more}>{ p.more }</button>
                    }
                }
            }
        </section>
    }
}
