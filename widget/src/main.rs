//! The chat window a website visitor sees, inside the iframe the loader opens: the greeting,
//! the conversation with times and agent names, a composer (Enter sends, Shift+Enter starts a
//! new line), file upload, typing and read signals both ways, a sound on new messages that can
//! be muted, the pre-chat form, the offline form, and three languages.

mod api;
mod host;
mod i18n;
mod js;
mod socket;

use std::cell::Cell;
use std::rc::Rc;

use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::spawn_local;
use yew::prelude::*;

use api::{Api, UploadRefused};
use i18n::{Locale, texts};
use switchboard_model::{
    Attachment, ChatSide, PreChatField, VisitorEvent, VisitorMessage, VisitorOutgoing, WidgetConfig,
};

/// Talc instead of Rust's default dlmalloc: made for single-threaded WebAssembly, and some
/// kilobytes smaller in the download.
#[cfg(all(target_family = "wasm", not(target_feature = "atomics")))]
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();

/// A message on screen: stored, or still on its way.
#[derive(Debug, Clone, PartialEq)]
struct Line {
    message: VisitorMessage,
    state: Sending,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Sending {
    Done,
    Pending,
    Failed,
}

#[derive(Debug, Clone, PartialEq)]
struct Model {
    locale: Locale,
    config: Option<WidgetConfig>,
    token: Option<String>,
    known: bool,
    lines: Vec<Line>,
    connected: bool,
    agent_typing: Option<String>,
    muted: bool,
    open: bool,
    unread: u32,
    error: Option<String>,
}

enum Action {
    Locale(Locale),
    Ready {
        config: WidgetConfig,
        token: String,
        known: bool,
        history: Vec<VisitorMessage>,
    },
    Known,
    Connected(bool),
    Event(VisitorEvent),
    Sending(VisitorMessage),
    SendFailed(String),
    Open(bool),
    Mute,
    Error(Option<String>),
}

impl Reducible for Model {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        let mut model = (*self).clone();
        match action {
            Action::Locale(locale) => model.locale = locale,
            Action::Ready {
                config,
                token,
                known,
                history,
            } => {
                model.config = Some(config);
                model.token = Some(token);
                model.known = known;
                model.lines = history
                    .into_iter()
                    .map(|message| Line {
                        message,
                        state: Sending::Done,
                    })
                    .collect();
            }
            Action::Known => model.known = true,
            Action::Connected(connected) => model.connected = connected,
            Action::Event(VisitorEvent::Message { message, .. }) => {
                let same = |line: &Line| {
                    line.message.id == message.id
                        || (message.client_id.is_some()
                            && line.message.client_id == message.client_id)
                };
                if let Some(line) = model.lines.iter_mut().find(|line| same(line)) {
                    line.message = message;
                    line.state = Sending::Done;
                } else {
                    if message.from == ChatSide::Agent && !model.open {
                        model.unread += 1;
                    }
                    if message.from == ChatSide::Agent {
                        model.agent_typing = None;
                    }
                    model.lines.push(Line {
                        message,
                        state: Sending::Done,
                    });
                }
            }
            Action::Event(VisitorEvent::Typing { typing, author }) => {
                model.agent_typing = typing.then(|| author.unwrap_or_default());
            }
            Action::Event(VisitorEvent::Read { up_to }) => {
                for line in model.lines.iter_mut().filter(|line| {
                    line.message.from == ChatSide::Visitor && line.message.id <= up_to
                }) {
                    line.message.read = true;
                }
            }
            Action::Sending(message) => model.lines.push(Line {
                message,
                state: Sending::Pending,
            }),
            Action::SendFailed(client_id) => {
                for line in model
                    .lines
                    .iter_mut()
                    .filter(|line| line.message.client_id.as_deref() == Some(client_id.as_str()))
                {
                    line.state = Sending::Failed;
                }
            }
            Action::Open(open) => {
                model.open = open;
                if open {
                    model.unread = 0;
                }
            }
            Action::Mute => model.muted = !model.muted,
            Action::Error(error) => model.error = error,
        }
        Rc::new(model)
    }
}

fn browser_locale() -> Option<Locale> {
    Locale::from_tag(&web_sys::window()?.navigator().language()?)
}

fn now_ms() -> f64 {
    js_sys::Date::now()
}

fn new_client_id() -> String {
    format!(
        "w{:x}{:x}",
        now_ms() as u64,
        (js_sys::Math::random() * 1e12) as u64
    )
}

#[function_component(App)]
fn app() -> Html {
    let launch = use_memo((), |_| host::Launch::from_location());
    let api = use_memo((), |_| Api {
        base: web_sys::window()
            .and_then(|window| window.location().origin().ok())
            .unwrap_or_default(),
        widget: launch.widget.clone(),
    });
    let model = use_reducer(|| Model {
        locale: launch
            .locale
            .as_deref()
            .and_then(Locale::from_tag)
            .or_else(browser_locale)
            .unwrap_or(Locale::En),
        config: None,
        token: None,
        known: false,
        lines: Vec::new(),
        connected: false,
        agent_typing: None,
        muted: false,
        open: true,
        unread: 0,
        error: None,
    });
    let last_event = use_mut_ref(|| Rc::new(Cell::new(0u64)));
    let generation = use_mut_ref(|| Rc::new(Cell::new(0u32)));
    let draft = use_state(String::new);
    let pending_files = use_state(Vec::<Attachment>::new);
    let form = use_mut_ref(|| (String::new(), String::new()));
    let last_typing_signal = use_mut_ref(|| 0.0f64);
    let list_ref = use_node_ref();

    // Start: settings, session, history, then the socket.
    let start = {
        let (api, dispatch, last_event, generation) = (
            api.clone(),
            model.dispatcher(),
            last_event.clone(),
            generation.clone(),
        );
        let locale = model.locale;
        Callback::from(move |user: Option<JsValue>| {
            let (api, dispatch) = ((*api).clone(), dispatch.clone());
            let last_event = last_event.borrow().clone();
            let generation = generation.borrow().clone();
            let mine = generation.get() + 1;
            generation.set(mine);
            spawn_local(async move {
                let result = async {
                    let config = api.config(locale.tag()).await?;
                    let session = match api.session(user.as_ref()).await {
                        Ok(session) => session,
                        // The site's user was refused (unsigned, or signed with another
                        // secret): the visitor chats anonymously, and the site's developer
                        // reads why in the console.
                        Err(refusal) if user.is_some() => {
                            web_sys::console::warn_1(&refusal.into());
                            api.session(None).await?
                        }
                        Err(error) => return Err(error),
                    };
                    let history = api.history(&session.token).await?;
                    Ok::<_, String>((config, session, history))
                }
                .await;
                // A later start (the site's user arriving while the anonymous one was still
                // under way) decides the session; this one's answer, whenever it comes, is stale.
                if generation.get() != mine {
                    return;
                }
                match result {
                    Ok((config, session, history)) => {
                        last_event.set(history.last_event_id);
                        let token = session.token.clone();
                        dispatch.dispatch(Action::Ready {
                            config,
                            token: session.token,
                            known: session.known,
                            history: history.messages,
                        });
                        socket::run(api, token, last_event, generation, dispatch);
                    }
                    Err(error) => dispatch.dispatch(Action::Error(Some(error))),
                }
            });
        })
    };
    {
        let start = start.clone();
        use_effect_with((), move |_| {
            start.emit(None);
        });
    }

    // The loader's requests.
    {
        let (dispatch, start, origin) = (model.dispatcher(), start.clone(), launch.origin.clone());
        use_effect_with((), move |_| {
            let listener = host::listen(origin.clone(), move |request| match request {
                host::FromLoader::Open => dispatch.dispatch(Action::Open(true)),
                host::FromLoader::Close => dispatch.dispatch(Action::Open(false)),
                host::FromLoader::Identify { user } => start.emit(Some(user)),
                host::FromLoader::Locale { locale } => {
                    if let Some(locale) = Locale::from_tag(&locale) {
                        dispatch.dispatch(Action::Locale(locale));
                    }
                }
            });
            host::tell(origin.as_deref(), "ready", &[]);
            move || drop(listener)
        });
    }

    // Opening the chat puts the focus where the visitor types: the form's first field, or the
    // composer (again once the form gives way to it). This script does it when the loader says
    // `open`: a browser blocks `autofocus` in a frame of another site than the page's.
    {
        let shown = (model.open, model.config.is_some(), model.known);
        use_effect_with(shown, move |(open, ..)| {
            if *open {
                focus_first_field();
            }
        });
    }

    // Tell the host page about unread messages; chime; keep the newest message in view; mark read.
    {
        let (origin, api) = (launch.origin.clone(), api.clone());
        let list_ref = list_ref.clone();
        let count = model.lines.len();
        let (unread, muted, open, token) =
            (model.unread, model.muted, model.open, model.token.clone());
        let newest_from_agent = model
            .lines
            .last()
            .is_some_and(|line| line.message.from == ChatSide::Agent);
        use_effect_with((count, unread), move |_| {
            host::tell(origin.as_deref(), "unread", &[("count", unread.into())]);
            if newest_from_agent && !muted {
                switchboard_front::chime();
            }
            if let Some(list) = list_ref.cast::<web_sys::Element>() {
                list.set_scroll_top(list.scroll_height());
            }
            if open
                && newest_from_agent
                && let Some(token) = token
            {
                let api = (*api).clone();
                spawn_local(async move { api.signal(&token, "read").await });
            }
        });
    }

    let t = texts(model.locale);
    let Some(config) = model.config.clone() else {
        return html! {
            <main class="chat" lang={model.locale.tag()}>
                <p class="status" role="status">{ model.error.clone().unwrap_or_default() }</p>
            </main>
        };
    };
    let token = model.token.clone().unwrap_or_default();

    let send = {
        let (api, dispatch, draft, pending_files, form) = (
            api.clone(),
            model.dispatcher(),
            draft.clone(),
            pending_files.clone(),
            form.clone(),
        );
        let (token, known) = (token.clone(), model.known);
        Callback::from(move |_: ()| {
            let text = draft.trim().to_string();
            let files = (*pending_files).clone();
            if text.is_empty() && files.is_empty() {
                return;
            }
            let client_id = new_client_id();
            dispatch.dispatch(Action::Sending(VisitorMessage {
                id: u64::MAX,
                from: ChatSide::Visitor,
                author: None,
                avatar: None,
                text: text.clone(),
                attachments: files.clone(),
                created_at: now_ms() as i64,
                client_id: Some(client_id.clone()),
                read: false,
            }));
            draft.set(String::new());
            pending_files.set(Vec::new());
            let (name, email) = form.borrow().clone();
            let (api, dispatch, token) = ((*api).clone(), dispatch.clone(), token.clone());
            spawn_local(async move {
                let (name, email) = if known {
                    (None, None)
                } else {
                    (Some(name), Some(email))
                };
                let outgoing = VisitorOutgoing {
                    client_id: client_id.clone(),
                    text,
                    attachments: files,
                    name: name.filter(|name| !name.is_empty()),
                    email: email.filter(|email| !email.is_empty()),
                };
                let sent = api.send(&token, &outgoing).await;
                match sent {
                    Ok(()) => dispatch.dispatch(Action::Known),
                    Err(error) => {
                        dispatch.dispatch(Action::SendFailed(client_id));
                        dispatch.dispatch(Action::Error(Some(error)));
                    }
                }
            });
        })
    };

    let on_key = {
        let send = send.clone();
        Callback::from(move |event: KeyboardEvent| {
            if event.key() == "Enter" && !event.shift_key() && !event.is_composing() {
                event.prevent_default();
                send.emit(());
            }
        })
    };
    let on_input = {
        let (draft, api, token, last_typing_signal) = (
            draft.clone(),
            api.clone(),
            token.clone(),
            last_typing_signal.clone(),
        );
        Callback::from(move |event: InputEvent| {
            if let Some(area) = event
                .target()
                .and_then(|target| target.dyn_into::<web_sys::HtmlTextAreaElement>().ok())
            {
                draft.set(area.value());
            }
            let now = now_ms();
            if now - *last_typing_signal.borrow() > 3000.0 {
                *last_typing_signal.borrow_mut() = now;
                let (api, token) = ((*api).clone(), token.clone());
                spawn_local(async move { api.signal(&token, "typing").await });
            }
        })
    };
    let on_file = {
        let (api, token, pending_files, dispatch) = (
            api.clone(),
            token.clone(),
            pending_files.clone(),
            model.dispatcher(),
        );
        let (max, types, locale) = (
            config.max_upload_bytes,
            config.upload_types.clone(),
            model.locale,
        );
        Callback::from(move |event: Event| {
            let Some(input) = event
                .target()
                .and_then(|target| target.dyn_into::<web_sys::HtmlInputElement>().ok())
            else {
                return;
            };
            let Some(file) = input.files().and_then(|files| files.get(0)) else {
                return;
            };
            input.set_value("");
            if file.size() as u64 > max {
                dispatch.dispatch(Action::Error(Some(texts(locale).file_too_large.into())));
                return;
            }
            let kind = file.type_();
            let accepted = types.is_empty()
                || types.iter().any(|accepted| {
                    accepted == &kind
                        || accepted
                            .strip_suffix("/*")
                            .is_some_and(|family| kind.starts_with(&format!("{family}/")))
                });
            if !accepted {
                dispatch.dispatch(Action::Error(Some(texts(locale).file_type.into())));
                return;
            }
            let (api, token, pending_files, dispatch) = (
                (*api).clone(),
                token.clone(),
                pending_files.clone(),
                dispatch.clone(),
            );
            spawn_local(async move {
                match api.upload(&token, &file).await {
                    Ok(stored) => {
                        let mut files = (*pending_files).clone();
                        files.push(stored);
                        pending_files.set(files);
                    }
                    Err(refused) => {
                        let texts = texts(locale);
                        let text = match refused {
                            UploadRefused::TooLarge => texts.file_too_large,
                            UploadRefused::FileType => texts.file_type,
                            UploadRefused::DailyQuota => texts.file_quota,
                            UploadRefused::NotNow => texts.file_not_now,
                        };
                        dispatch.dispatch(Action::Error(Some(text.into())));
                    }
                }
            });
        })
    };
    // The visitor closes the chat: the loader hides the frame.
    let close_chat = {
        let (dispatch, origin) = (model.dispatcher(), launch.origin.clone());
        Rc::new(move || {
            dispatch.dispatch(Action::Open(false));
            host::tell(origin.as_deref(), "close", &[]);
        })
    };
    let close = {
        let close_chat = close_chat.clone();
        Callback::from(move |_: MouseEvent| close_chat())
    };
    let on_escape = Callback::from(move |event: KeyboardEvent| {
        if event.key() == "Escape" {
            close_chat();
        }
    });
    let mute = {
        let dispatch = model.dispatcher();
        Callback::from(move |_: MouseEvent| dispatch.dispatch(Action::Mute))
    };

    // The pre-chat form (or, outside office hours, the offline form) comes before the first message.
    let needs_form =
        !model.known && model.lines.is_empty() && (!config.pre_chat.is_empty() || !config.online);
    let fields: Vec<PreChatField> = if config.online {
        config.pre_chat.clone()
    } else {
        vec![
            PreChatField {
                name: "name".into(),
                required: false,
            },
            PreChatField {
                name: "email".into(),
                required: true,
            },
        ]
    };
    let field_input = |field: &PreChatField| {
        let form = form.clone();
        let name = field.name.clone();
        let label = if name == "email" { t.email } else { t.name };
        let oninput = Callback::from(move |event: InputEvent| {
            if let Some(input) = event
                .target()
                .and_then(|target| target.dyn_into::<web_sys::HtmlInputElement>().ok())
            {
                let mut form = form.borrow_mut();
                if name == "email" {
                    form.1 = input.value()
                } else {
                    form.0 = input.value()
                }
            }
        });
        let id = format!("field-{}", field.name);
        html! {
            <label for={id.clone()}>{ label }
                <input id={id} name={field.name.clone()} type={if field.name == "email" { "email" } else { "text" }}
                    required={field.required} autocomplete={if field.name == "email" { "email" } else { "name" }} {oninput} />
            </label>
        }
    };

    let style = format!("--theme: {}", config.color);
    html! {
        <main class="chat" lang={model.locale.tag()} {style} aria-label={t.title} onkeydown={on_escape}>
            <header>
                <h1>{ t.title }</h1>
                <button class="icon" onclick={mute} aria-pressed={if model.muted { "true" } else { "false" }} aria-label={if model.muted { t.unmute } else { t.mute }}>
                    <svg viewBox="0 0 24 24" width="20" height="20" aria-hidden="true" fill="none" stroke="currentColor" stroke-width="2">
                        <path d="M6 16V11a6 6 0 0 1 12 0v5l2 2H4z M10 20a2 2 0 0 0 4 0" />
                        if model.muted { <path d="M3 3l18 18" /> }
                    </svg>
                </button>
                <button class="icon" onclick={close} aria-label={t.close}>{ "×" }</button>
            </header>
            if !model.connected && model.token.is_some() && !model.lines.is_empty() {
                <p class="status" role="status">{ t.reconnecting }</p>
            }
            <ol class="messages" ref={list_ref} role="log" aria-live="polite" aria-label={t.messages_label}>
                <li class="agent greeting">{ config.greeting.clone() }</li>
                { for model.lines.iter().map(|line| view_line(line, t, model.locale)) }
            </ol>
            if let Some(author) = &model.agent_typing {
                <p class="typing" role="status">{ format!("{author} {}", t.typing) }</p>
            }
            if let Some(error) = &model.error {
                <p class="error" role="alert">{ error }</p>
            }
            if needs_form {
                <form class="prechat" onsubmit={
                    let send = send.clone();
                    Callback::from(move |event: SubmitEvent| { event.prevent_default(); send.emit(()); })
                }>
                    <p>{ if config.online { t.prechat_intro } else { t.offline_intro } }</p>
                    { for fields.iter().map(field_input) }
                    <label for="first-message">{ t.placeholder }
                        <textarea id="first-message" value={(*draft).clone()} oninput={on_input.clone()} required=true />
                    </label>
                    <button type="submit" class="primary">{ t.start }</button>
                </form>
            } else {
                <footer class="composer">
                    if !pending_files.is_empty() {
                        <ul class="files">{ for pending_files.iter().map(|file| html! { <li>{ &file.name }</li> }) }</ul>
                    }
                    <label class="attach" aria-label={t.attach} title={t.attach}>
                        <svg viewBox="0 0 24 24" width="20" height="20" aria-hidden="true" fill="none" stroke="currentColor" stroke-width="2">
                            <path d="M20 11l-8 8a5 5 0 0 1-7-7l9-9a3.5 3.5 0 0 1 5 5l-9 9a2 2 0 0 1-3-3l8-8" />
                        </svg>
                        <input type="file" onchange={on_file} />
                    </label>
                    <textarea aria-label={t.placeholder} placeholder={t.placeholder} rows="1"
                        value={(*draft).clone()} onkeydown={on_key} oninput={on_input} />
                    <button class="primary" onclick={let send = send.clone(); Callback::from(move |_: MouseEvent| send.emit(()))}>{ t.send }</button>
                </footer>
            }
            if !config.online && model.known {
                <p class="status">{ t.offline_saved }</p>
            }
        </main>
    }
}

fn view_line(line: &Line, t: &i18n::Texts, locale: Locale) -> Html {
    let message = &line.message;
    let mine = message.from == ChatSide::Visitor;
    let when = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(message.created_at as f64))
        .to_locale_time_string(locale.tag())
        .as_string()
        .unwrap_or_default();
    let who = if mine {
        t.you.to_string()
    } else {
        message.author.clone().unwrap_or_default()
    };
    let status = match line.state {
        Sending::Pending => t.sending,
        Sending::Failed => t.failed,
        Sending::Done if mine && message.read => t.read,
        Sending::Done => "",
    };
    html! {
        <li class={classes!(if mine { "visitor" } else { "agent" }, (line.state == Sending::Failed).then_some("failed"))}>
            if !mine {
                if let Some(avatar) = &message.avatar {
                    <img class="avatar" src={avatar.clone()} alt="" />
                } else if let Some(initial) = who.chars().next() {
                    <span class="avatar initial" aria-hidden="true">{ initial }</span>
                }
            }
            <p class="meta"><span class="who">{ who }</span>{ " · " }<time>{ when }</time></p>
            if !message.text.is_empty() {
                <p class="text">{ &message.text }</p>
            }
            { for message.attachments.iter().map(|file| html! { <p class="file">{ &file.name }</p> }) }
            if !status.is_empty() {
                <p class="state">{ status }</p>
            }
        </li>
    }
}

fn focus_first_field() {
    let Some(document) = web_sys::window().and_then(|window| window.document()) else {
        return;
    };
    let field = document
        .query_selector(".prechat input, .prechat textarea, .composer textarea")
        .ok()
        .flatten()
        .and_then(|field| field.dyn_into::<web_sys::HtmlElement>().ok());
    if let Some(field) = field {
        let _ = field.focus();
    }
}

fn main() {
    yew::Renderer::<App>::new().render();
}
