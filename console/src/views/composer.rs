//! The composer under a conversation: a reply to the customer or a private note (drawn apart,
//! never sent). On chat channels Enter sends and Shift+Enter starts a new line; on email Enter
//! is a new line and Ctrl/Cmd+Enter sends. The text is kept as a draft per conversation in the
//! browser until it is sent, and the customer's chat shows the agent typing. Typing `/` and a
//! shortcut offers the canned responses that start so; Enter, Tab or a click puts one in with
//! its variables filled. Files go with the reply: picked with the button, dropped on the
//! composer or pasted, each uploaded at once and shown until it is sent. In a note, `@` and
//! the start of a name offers the agents so named; the note tells each agent it names.
//!
//! On a channel with a reply window (WhatsApp) it shows the time left to write freely; once
//! the window is closed, or when the customer never wrote, free text gives way to the
//! channel's approved templates (which the agent may also choose inside the window). On SMS
//! it counts the SMS the reply costs and names a character that makes each one shorter.

use std::cell::Cell;
use std::rc::Rc;

use switchboard_model::reply_window::window_open;
use switchboard_model::{
    Agent, Attachment, CannedResponse, Id, Message, Millis, NewReply, TemplateUse, sms,
};
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::spawn_local;
use web_sys::HtmlTextAreaElement;
use yew::prelude::*;

use crate::api::{self, Failure};
use crate::i18n::{Texts, texts};
use crate::state::{Action, Console, Templates};
use crate::views::template_picker::{TemplatePicker, unavailable};

/// The composer's text area, for the shortcuts.
const INPUT_ID: &str = "composer-input";
/// How often the customer is told again that the agent is typing.
const TYPING_EVERY_MS: f64 = 3_000.0;

fn draft_key(conversation_id: Id) -> String {
    format!("switchboard.console.draft.{conversation_id}")
}

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

fn keep_draft(conversation_id: Id, text: &str) {
    if let Some(storage) = storage() {
        let _ = if text.is_empty() {
            storage.remove_item(&draft_key(conversation_id))
        } else {
            storage.set_item(&draft_key(conversation_id), text)
        };
    }
}

fn saved_draft(conversation_id: Id) -> String {
    storage()
        .and_then(|storage| storage.get_item(&draft_key(conversation_id)).ok().flatten())
        .unwrap_or_default()
}

/// Puts the cursor in the composer, as a reply or a note; `false` when there is none.
pub fn focus(note: bool) -> bool {
    let Some(document) = web_sys::window().and_then(|window| window.document()) else {
        return false;
    };
    let mode = if note { "note" } else { "reply" };
    if let Some(tab) = document
        .query_selector(&format!(".composer .mode-{mode}"))
        .ok()
        .flatten()
        .and_then(|tab| tab.dyn_into::<web_sys::HtmlElement>().ok())
    {
        tab.click();
    }
    document
        .get_element_by_id(INPUT_ID)
        .and_then(|input| input.dyn_into::<web_sys::HtmlElement>().ok())
        .is_some_and(|input| input.focus().is_ok())
}

/// The part of `text` after its last `@`, when the agent is still typing a name there.
fn mention_typed(text: &str) -> Option<&str> {
    let (before, typed) = text.rsplit_once('@')?;
    let starts_word = before.is_empty() || before.ends_with(char::is_whitespace);
    (starts_word && !typed.contains(char::is_whitespace)).then_some(typed)
}

/// The agents a note names as `@Name`.
fn mentioned(text: &str, agents: &[Agent]) -> Vec<Id> {
    agents
        .iter()
        .filter(|agent| text.contains(&format!("@{}", agent.name)))
        .map(|agent| agent.id)
        .collect()
}

/// The files that go with the next reply.
#[derive(Default, PartialEq)]
struct Files(Vec<Attachment>);

enum FileChange {
    Add(Attachment),
    Remove(String),
    Clear,
}

impl Reducible for Files {
    type Action = FileChange;

    fn reduce(self: Rc<Self>, change: FileChange) -> Rc<Self> {
        let mut files = self.0.clone();
        match change {
            FileChange::Add(file) => {
                if !files.iter().any(|held| held.sha256 == file.sha256) {
                    files.push(file);
                }
            }
            FileChange::Remove(sha256) => files.retain(|held| held.sha256 != sha256),
            FileChange::Clear => files.clear(),
        }
        Rc::new(Files(files))
    }
}

/// The files of a list the browser handed over (a picker, a drop, a paste).
fn files_of(list: Option<web_sys::FileList>) -> Vec<web_sys::File> {
    let Some(list) = list else {
        return Vec::new();
    };
    (0..list.length())
        .filter_map(|index| list.get(index))
        .collect()
}

/// Where a conversation stands with its channel's reply window.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Window {
    /// Free text reaches the customer for `left` more milliseconds of `hours`.
    Open { hours: u32, left: Millis },
    /// Only templates do: past `hours` since the customer's last message, or they never wrote.
    Closed { hours: u32, never: bool },
}

impl Window {
    fn of(hours: u32, last_inbound_at: Option<Millis>, now: Millis) -> Window {
        match (window_open(last_inbound_at, hours, now), last_inbound_at) {
            (Ok(()), Some(at)) => Window::Open {
                hours,
                left: at + i64::from(hours) * 3_600_000 - now,
            },
            _ => Window::Closed {
                hours,
                never: last_inbound_at.is_none(),
            },
        }
    }
}

fn now() -> Millis {
    js_sys::Date::now() as Millis
}

/// The time now, drawn again each time the whole minutes left before `deadline` change.
#[hook]
fn use_minute_clock(deadline: Option<Millis>) -> Millis {
    let tick = use_state(|| 0_u32);
    {
        let tick = tick.clone();
        use_effect_with((deadline, *tick), move |(deadline, _)| {
            let stopped = Rc::new(Cell::new(false));
            if let Some(left) = deadline
                .map(|deadline| deadline - now())
                .filter(|left| *left > 0)
            {
                let wait = match left % 60_000 {
                    0 => 60_000,
                    rest => rest,
                } + 20;
                let (stopped, tick) = (stopped.clone(), tick.clone());
                switchboard_front::after(wait as i32, move || {
                    if !stopped.get() {
                        tick.set(*tick + 1);
                    }
                });
            }
            move || stopped.set(true)
        });
    }
    now()
}

/// What the agent is told when a reply did not go: the gateway's reason, else to try again.
fn not_sent(t: &Texts, why: &Option<String>) -> String {
    match why {
        Some(why) => format!("{} {why}", t.refused),
        None => t.not_sent.to_string(),
    }
}

#[derive(Properties, PartialEq)]
pub struct Props {
    pub console: UseReducerHandle<Console>,
    pub conversation_id: Id,
    pub contact_id: Id,
    pub channel_id: Id,
    /// Email: Enter is a new line, Ctrl/Cmd+Enter sends.
    pub email: bool,
    /// SMS: the reply's cost in SMS shows.
    pub sms: bool,
    pub on_signed_out: Callback<()>,
}

#[function_component(Composer)]
pub fn composer(props: &Props) -> Html {
    let t = texts(props.console.locale);
    let id = props.conversation_id;
    let text = use_state(|| saved_draft(id));
    let note = use_state(|| false);
    let sending = use_state(|| false);
    // Why the last reply did not go: `Some(None)` when the gateway gave no reason.
    let failed = use_state(|| None::<Option<String>>);
    // The agent chose a template inside the window.
    let templating = use_state(|| false);
    // Counts the templates sent, so that the picker starts empty after each.
    let templates_sent = use_state(|| 0_u32);
    let known = props.console.templates.get(&props.channel_id);
    let hours = match known {
        Some(Templates::Known(known)) => known.reply_window_hours,
        _ => None,
    };
    let last_inbound_at = props
        .console
        .conversations
        .get(&id)
        .and_then(|conversation| conversation.last_inbound_at);
    let closes_at = hours
        .zip(last_inbound_at)
        .map(|(hours, at)| at + i64::from(hours) * 3_600_000);
    let now = use_minute_clock(closes_at);
    let window = hours.map(|hours| Window::of(hours, last_inbound_at, now));
    let last_typing = use_mut_ref(|| 0.0_f64);
    let files = use_reducer(Files::default);
    let uploading = use_state(|| 0_u32);
    let not_attached = use_state(|| None::<String>);
    let attach = {
        let (files, uploading, not_attached) =
            (files.clone(), uploading.clone(), not_attached.clone());
        let on_signed_out = props.on_signed_out.clone();
        Callback::from(move |picked: Vec<web_sys::File>| {
            if picked.is_empty() {
                return;
            }
            not_attached.set(None);
            uploading.set(picked.len() as u32);
            let (files, uploading, not_attached) =
                (files.dispatcher(), uploading.clone(), not_attached.clone());
            let on_signed_out = on_signed_out.clone();
            spawn_local(async move {
                for file in picked {
                    match api::upload(&file).await {
                        Ok(attachment) => files.dispatch(FileChange::Add(attachment)),
                        Err(Failure::SignedOut) => on_signed_out.emit(()),
                        Err(_) => not_attached.set(Some(file.name())),
                    }
                }
                uploading.set(0);
            });
        })
    };
    let send = {
        let (text, note, sending, failed) =
            (text.clone(), note.clone(), sending.clone(), failed.clone());
        let files = files.clone();
        let dispatch = props.console.dispatcher();
        let on_signed_out = props.on_signed_out.clone();
        let agents = props.console.agents.clone();
        Callback::from(move |()| {
            let body = (*text).trim_end().to_string();
            if body.trim().is_empty() || *sending {
                return;
            }
            let reply = NewReply {
                template: None,
                mentions: if *note {
                    mentioned(&body, &agents)
                } else {
                    Vec::new()
                },
                text: body,
                private: *note,
                attachments: files.0.clone(),
            };
            let (text, sending, failed) = (text.clone(), sending.clone(), failed.clone());
            let files = files.dispatcher();
            let (dispatch, on_signed_out) = (dispatch.clone(), on_signed_out.clone());
            sending.set(true);
            spawn_local(async move {
                let path = format!("/api/v1/conversations/{id}/messages");
                match api::post::<Message>(&path, &reply).await {
                    Ok(message) => {
                        keep_draft(id, "");
                        text.set(String::new());
                        files.dispatch(FileChange::Clear);
                        failed.set(None);
                        dispatch.dispatch(Action::Written(message));
                    }
                    Err(failure) => {
                        if failure == Failure::SignedOut {
                            on_signed_out.emit(());
                        }
                        failed.set(Some(failure.reason().map(str::to_string)));
                    }
                }
                sending.set(false);
            });
        })
    };
    // A template goes with no text of the agent's: the gateway fills it in.
    let send_template = {
        let (sending, failed) = (sending.clone(), failed.clone());
        let (templating, templates_sent) = (templating.clone(), templates_sent.clone());
        let dispatch = props.console.dispatcher();
        let on_signed_out = props.on_signed_out.clone();
        Callback::from(move |chosen: TemplateUse| {
            if *sending {
                return;
            }
            let reply = NewReply {
                text: String::new(),
                private: false,
                attachments: Vec::new(),
                mentions: Vec::new(),
                template: Some(chosen),
            };
            let (sending, failed) = (sending.clone(), failed.clone());
            let (templating, templates_sent) = (templating.clone(), templates_sent.clone());
            let (dispatch, on_signed_out) = (dispatch.clone(), on_signed_out.clone());
            sending.set(true);
            spawn_local(async move {
                let path = format!("/api/v1/conversations/{id}/messages");
                match api::post::<Message>(&path, &reply).await {
                    Ok(message) => {
                        failed.set(None);
                        templating.set(false);
                        templates_sent.set(*templates_sent + 1);
                        dispatch.dispatch(Action::Written(message));
                    }
                    Err(failure) => {
                        if failure == Failure::SignedOut {
                            on_signed_out.emit(());
                        }
                        failed.set(Some(failure.reason().map(str::to_string)));
                    }
                }
                sending.set(false);
            });
        })
    };
    let oninput = {
        let (text, note) = (text.clone(), note.clone());
        Callback::from(move |event: InputEvent| {
            let input: HtmlTextAreaElement = event.target_unchecked_into();
            let value = input.value();
            keep_draft(id, &value);
            text.set(value);
            let now = js_sys::Date::now();
            if !*note && now - *last_typing.borrow() > TYPING_EVERY_MS {
                *last_typing.borrow_mut() = now;
                spawn_local(async move {
                    let _ = api::post_empty(&format!("/api/v1/conversations/{id}/typing")).await;
                });
            }
        })
    };
    // The canned responses whose shortcut starts with what follows a leading `/`.
    let offered: Vec<CannedResponse> = match text.strip_prefix('/') {
        Some(typed) if !typed.contains(char::is_whitespace) => {
            let typed = typed.to_lowercase();
            props
                .console
                .canned
                .iter()
                .filter(|canned| canned.shortcut.to_lowercase().starts_with(&typed))
                .take(8)
                .cloned()
                .collect()
        }
        _ => Vec::new(),
    };
    // In a note, the agents whose name starts with what follows a last `@`.
    let mention_offered: Vec<Agent> = match (*note, mention_typed(&text)) {
        (true, Some(typed)) => {
            let typed = typed.to_lowercase();
            props
                .console
                .agents
                .iter()
                .filter(|agent| agent.active && agent.name.to_lowercase().starts_with(&typed))
                .take(8)
                .cloned()
                .collect()
        }
        _ => Vec::new(),
    };
    let insert_mention = {
        let text = text.clone();
        Callback::from(move |agent: Agent| {
            let written = (*text).clone();
            let Some((before, _)) = written.rsplit_once('@') else {
                return;
            };
            let filled = format!("{before}@{} ", agent.name);
            keep_draft(id, &filled);
            text.set(filled);
            focus(true);
        })
    };
    let insert = {
        let text = text.clone();
        let console = props.console.clone();
        let contact_id = props.contact_id;
        Callback::from(move |canned: CannedResponse| {
            let filled = canned.fill(console.contacts.get(&contact_id), &console.me.agent);
            keep_draft(id, &filled);
            text.set(filled);
            focus(false);
        })
    };
    let onkeydown = {
        let send = send.clone();
        let email = props.email;
        let first_offered = offered.first().cloned();
        let first_mention = mention_offered.first().cloned();
        let (insert, insert_mention) = (insert.clone(), insert_mention.clone());
        Callback::from(move |event: KeyboardEvent| {
            let picks = event.key() == "Enter" || event.key() == "Tab";
            if let Some(canned) = &first_offered
                && picks
            {
                event.prevent_default();
                insert.emit(canned.clone());
                return;
            }
            if let Some(agent) = &first_mention
                && picks
            {
                event.prevent_default();
                insert_mention.emit(agent.clone());
                return;
            }
            if event.key() != "Enter" || event.is_composing() {
                return;
            }
            let sends = if email {
                event.ctrl_key() || event.meta_key()
            } else {
                !event.shift_key()
            };
            if sends {
                event.prevent_default();
                send.emit(());
            }
        })
    };
    let mode = |private: bool, label: &'static str| {
        let note = note.clone();
        let current = *note == private;
        let class = if private { "mode-note" } else { "mode-reply" };
        html! {
            <button type="button" role="tab" aria-selected={current.to_string()}
                class={classes!(class, current.then_some("current"))}
                onclick={Callback::from(move |_| note.set(private))}>{ label }</button>
        }
    };
    let onsubmit = {
        let send = send.clone();
        Callback::from(move |event: SubmitEvent| {
            event.prevent_default();
            send.emit(());
        })
    };
    let on_pick = {
        let attach = attach.clone();
        Callback::from(move |event: Event| {
            let input: web_sys::HtmlInputElement = event.target_unchecked_into();
            attach.emit(files_of(input.files()));
            input.set_value("");
        })
    };
    let ondragover = Callback::from(|event: DragEvent| event.prevent_default());
    let ondrop = {
        let attach = attach.clone();
        Callback::from(move |event: DragEvent| {
            event.prevent_default();
            attach.emit(files_of(
                event.data_transfer().and_then(|transfer| transfer.files()),
            ));
        })
    };
    let onpaste = {
        let attach = attach.clone();
        Callback::from(move |event: Event| {
            let Some(event) = event.dyn_ref::<web_sys::ClipboardEvent>() else {
                return;
            };
            let pasted = files_of(event.clipboard_data().and_then(|data| data.files()));
            if !pasted.is_empty() {
                event.prevent_default();
                attach.emit(pasted);
            }
        })
    };
    let (placeholder, button) = if *note {
        (t.note_placeholder, t.add_note)
    } else {
        (t.reply_placeholder, t.send)
    };
    // Templates instead of free text: outside the window always, inside it when chosen.
    let closed = matches!(window, Some(Window::Closed { .. }));
    let with_template = !*note && (closed || (*templating && window.is_some()));
    let window_line = match window.filter(|_| !*note) {
        Some(Window::Open { hours, left }) => {
            let use_template = {
                let templating = templating.clone();
                Callback::from(move |_: MouseEvent| templating.set(true))
            };
            html! {
                <p class="window open" title={t.window_explained.replace("{hours}", &hours.to_string())}>
                    <span class="window-left">{ t.window_left(left) }</span>
                    if !*templating {
                        { " · " }<button type="button" class="use-template link" onclick={use_template}>
                            { t.use_template }</button>
                    }
                </p>
            }
        }
        Some(Window::Closed { hours, never }) => html! {
            <p class="window closed" role="status">
                { if never { t.window_never.to_string() } else { t.window_closed.replace("{hours}", &hours.to_string()) } }
            </p>
        },
        None => html! {},
    };
    let template_area = match known {
        Some(Templates::Known(known)) => {
            let on_free_text = (!closed).then(|| {
                let templating = templating.clone();
                Callback::from(move |()| templating.set(false))
            });
            html! {
                <TemplatePicker key={*templates_sent} locale={props.console.locale}
                    templates={Rc::new(known.templates.clone())} sending={*sending}
                    on_send={send_template} {on_free_text} />
            }
        }
        Some(Templates::Unavailable(why)) => html! {
            <p class="error" role="alert">{ unavailable(t, why) }</p>
        },
        None => html! { <p class="loading-templates" role="status">{ t.loading_templates }</p> },
    };
    // What the reply costs as SMS, as it goes (its trailing blanks cut). Not a live region:
    // a screen reader would read it at every key.
    let sms_line = {
        let body = text.trim_end();
        if props.sms && !*note && !body.trim().is_empty() {
            html! {
                <p class="sms-size">
                    <span class="sms-count">{ t.sms_size(sms::size(body)) }</span>
                    if let Some(forced_by) = sms::first_outside_gsm7(body) {
                        { " · " }<span class="sms-ucs2" title={t.sms_ucs2_why}>{ t.sms_ucs2(forced_by) }</span>
                    }
                </p>
            }
        } else {
            html! {}
        }
    };
    html! {
        <form class={classes!("composer", note.then_some("noting"))} {onsubmit} {ondragover} {ondrop}>
            <div class="modes" role="tablist">
                { mode(false, t.reply) }
                { mode(true, t.note) }
            </div>
            { window_line }
            if with_template {
                { template_area }
                if let Some(why) = &*failed {
                    <p class="error not-sent" role="alert">{ not_sent(t, why) }</p>
                }
            } else {
                if !offered.is_empty() {
                    <ul class="canned" role="listbox" aria-label={t.canned}>
                        { for offered.iter().map(|canned| {
                            let insert = insert.clone();
                            let chosen = canned.clone();
                            html! {
                                <li role="option" onclick={Callback::from(move |_| insert.emit(chosen.clone()))}>
                                    <strong>{ "/" }{ &canned.shortcut }</strong>{ " " }<span>{ &canned.content }</span>
                                </li>
                            }
                        }) }
                    </ul>
                }
                if !mention_offered.is_empty() {
                    <ul class="mentions" role="listbox" aria-label={t.mention}>
                        { for mention_offered.iter().map(|agent| {
                            let (insert_mention, chosen) = (insert_mention.clone(), agent.clone());
                            html! {
                                <li role="option" aria-selected="false"
                                    onclick={Callback::from(move |_| insert_mention.emit(chosen.clone()))}>
                                    <strong>{ "@" }{ &agent.name }</strong></li>
                            }
                        }) }
                    </ul>
                }
                <textarea id={INPUT_ID} rows="3" value={(*text).clone()} {placeholder} aria-label={placeholder}
                    {oninput} {onkeydown} {onpaste} />
                { sms_line }
                if let Some(Templates::Unavailable(why)) = known {
                    <p class="templates-unavailable">{ unavailable(t, why) }</p>
                }
                if !files.0.is_empty() || *uploading > 0 || not_attached.is_some() {
                    <ul class="files" aria-label={t.attachments}>
                        { for files.0.iter().map(|file| {
                            let (files, sha256) = (files.dispatcher(), file.sha256.clone());
                            html! {
                                <li>{ super::paperclip() }{ " " }{ &file.name }
                                    <button type="button" aria-label={format!("{} {}", t.remove, file.name)}
                                        onclick={Callback::from(move |_| files.dispatch(FileChange::Remove(sha256.clone())))}>
                                        { "×" }</button></li>
                            }
                        }) }
                        if *uploading > 0 { <li class="uploading" role="status">{ t.uploading }</li> }
                        if let Some(name) = &*not_attached {
                            <li class="error" role="alert">{ t.not_attached }{ " " }{ name }</li>
                        }
                    </ul>
                }
                if props.email && !*note && !props.console.me.agent.signature.is_empty() {
                    <p class="signature" title={t.signature}>{ "— " }{ &props.console.me.agent.signature }</p>
                }
                if let Some(why) = &*failed {
                    <p class="error not-sent" role="alert">{ not_sent(t, why) }</p>
                }
                <div class="send-row">
                    <label class="attach" title={t.attach}>{ super::paperclip() }{ " " }{ t.attach }
                        <input type="file" multiple=true onchange={on_pick} /></label>
                    <span class="hint">{ if props.email { t.ctrl_enter_sends } else { t.enter_sends } }</span>
                    <button type="submit" class="send" disabled={*sending}>{ button }</button>
                </div>
            }
        </form>
    }
}
