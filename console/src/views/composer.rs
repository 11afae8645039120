//! The composer under a conversation: a reply to the customer or a private note (drawn apart,
//! never sent). On chat channels Enter sends and Shift+Enter starts a new line; on email Enter
//! is a new line and Ctrl/Cmd+Enter sends. The text is kept as a draft per conversation in the
//! browser until it is sent, and the customer's chat shows the agent typing. Typing `/` and a
//! shortcut offers the canned responses that start so; Enter, Tab or a click puts one in with
//! its variables filled. Files go with the reply: picked with the button, dropped on the
//! composer or pasted, each uploaded at once and shown until it is sent. In a note, `@` and
//! the start of a name offers the agents so named; the note tells each agent it names.

use std::rc::Rc;

use switchboard_model::{Agent, Attachment, CannedResponse, Id, Message, NewReply};
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::spawn_local;
use web_sys::HtmlTextAreaElement;
use yew::prelude::*;

use crate::api::{self, Failure};
use crate::i18n::texts;
use crate::state::{Action, Console};

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

#[derive(Properties, PartialEq)]
pub struct Props {
    pub console: UseReducerHandle<Console>,
    pub conversation_id: Id,
    pub contact_id: Id,
    /// Email: Enter is a new line, Ctrl/Cmd+Enter sends.
    pub email: bool,
    pub on_signed_out: Callback<()>,
}

#[function_component(Composer)]
pub fn composer(props: &Props) -> Html {
    let t = texts(props.console.locale);
    let id = props.conversation_id;
    let text = use_state(|| saved_draft(id));
    let note = use_state(|| false);
    let sending = use_state(|| false);
    let failed = use_state(|| false);
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
                        failed.set(false);
                        dispatch.dispatch(Action::Written(message));
                    }
                    Err(failure) => {
                        if failure == Failure::SignedOut {
                            on_signed_out.emit(());
                        }
                        failed.set(true);
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
    html! {
        <form class={classes!("composer", note.then_some("noting"))} {onsubmit} {ondragover} {ondrop}>
            <div class="modes" role="tablist">
                { mode(false, t.reply) }
                { mode(true, t.note) }
            </div>
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
            <div class="send-row">
                <label class="attach" title={t.attach}>{ super::paperclip() }{ " " }{ t.attach }
                    <input type="file" multiple=true onchange={on_pick} /></label>
                <span class="hint">{ if props.email { t.ctrl_enter_sends } else { t.enter_sends } }</span>
                if *failed { <span class="error" role="alert">{ t.not_sent }</span> }
                <button type="submit" class="send" disabled={*sending}>{ button }</button>
            </div>
        </form>
    }
}
