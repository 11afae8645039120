//! The signed-in console: the top bar, the views, the conversation list and the open
//! conversation. It loads what the state needs (the directory, each page of the list, the open
//! thread, the contacts on screen) and follows the event socket from the newest event it had.

use std::cell::{Cell, RefCell};
use std::collections::HashSet;
use std::rc::Rc;

use switchboard_model::{
    Agent, CannedResponse, Channel, Contact, Conversation, ConversationStatus, Id, Me, Message,
    Page, Team,
};
use wasm_bindgen_futures::spawn_local;
use yew::prelude::*;

use crate::api::{self, Failure};
use crate::i18n::{Locale, texts};
use crate::socket::EventSocket;
use crate::state::{Action, Console, View};
use crate::views::LanguagePicker;
use crate::views::list::ConversationList;
use crate::views::shortcuts::{ShortcutHelp, use_shortcuts};
use crate::views::thread::ThreadView;

/// Conversations asked for per page of the list.
const PAGE: u32 = 50;
/// Messages asked for per page of a thread.
const THREAD_PAGE: u32 = 200;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub me: Me,
    pub locale: Locale,
    pub on_locale: Callback<Locale>,
    pub on_signed_out: Callback<()>,
}

/// The conversation named by the address (`/app/conversations/{id}`), if any.
fn conversation_in_address() -> Option<Id> {
    let path = web_sys::window()?.location().pathname().ok()?;
    path.strip_prefix("/app/conversations/")?
        .trim_end_matches('/')
        .parse()
        .ok()
}

/// Ends the console when the session is over; other failures are left to the caller.
pub fn signed_out_on(failure: &Failure, on_signed_out: &Callback<()>) {
    if *failure == Failure::SignedOut {
        on_signed_out.emit(());
    }
}

fn status_query(status: ConversationStatus) -> &'static str {
    match status {
        ConversationStatus::Open => "open",
        ConversationStatus::Pending => "pending",
        ConversationStatus::Resolved => "resolved",
    }
}

/// Loads one page of the list for `view` and `status`, after `cursor`.
pub fn load_page(
    console: &UseReducerHandle<Console>,
    cursor: Option<Id>,
    on_signed_out: Callback<()>,
) {
    let (view, status, filter) = (console.view, console.status, console.filter.clone());
    let mut path = format!(
        "/api/v1/conversations?status={}&limit={PAGE}",
        status_query(status)
    );
    let in_view = view.query(console.me.agent.id);
    if !in_view.is_empty() {
        path.push('&');
        path.push_str(&in_view);
    }
    if let Some(channel) = filter.channel {
        path.push_str(&format!("&channel_id={channel}"));
    }
    if let Some(label) = &filter.label {
        path.push_str(&format!(
            "&label={}",
            String::from(js_sys::encode_uri_component(label))
        ));
    }
    if let Some(cursor) = cursor {
        path.push_str(&format!("&cursor={cursor}"));
    }
    let dispatch = console.dispatcher();
    spawn_local(async move {
        match api::get::<Page<Conversation>>(&path).await {
            Ok(page) => dispatch.dispatch(Action::Page {
                view,
                status,
                filter,
                page,
            }),
            Err(failure) => signed_out_on(&failure, &on_signed_out),
        }
    });
}

/// Every message of a conversation, page after page.
async fn load_thread(conversation_id: Id) -> Result<Vec<Message>, Failure> {
    let mut messages = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut path =
            format!("/api/v1/conversations/{conversation_id}/messages?limit={THREAD_PAGE}");
        if let Some(cursor) = &cursor {
            path.push_str(&format!("&cursor={cursor}"));
        }
        let page = api::get::<Page<Message>>(&path).await?;
        messages.extend(page.items);
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => return Ok(messages),
        }
    }
}

async fn load_directory(dispatch: &UseReducerDispatcher<Console>) -> Result<(), Failure> {
    let agents = api::get::<Vec<Agent>>("/api/v1/agents").await?;
    let teams = api::get::<Vec<Team>>("/api/v1/teams").await?;
    let channels = api::get::<Vec<Channel>>("/api/v1/channels").await?;
    let canned = api::get::<Vec<CannedResponse>>("/api/v1/canned-responses").await?;
    dispatch.dispatch(Action::Directory {
        agents,
        teams,
        channels,
        canned,
    });
    Ok(())
}

/// The newest event a conversation carries: the socket starts after it, and whatever the
/// lists load later is at least as new, or brought up to date by the events that follow.
async fn newest_event() -> Result<u64, Failure> {
    let page = api::get::<Page<Conversation>>("/api/v1/conversations?limit=1").await?;
    Ok(page
        .items
        .first()
        .map_or(0, |conversation| conversation.last_event_id))
}

#[function_component(Workspace)]
pub fn workspace(props: &Props) -> Html {
    let console = use_reducer(|| Console::new(props.me.clone(), props.locale));
    let t = texts(props.locale);
    {
        let dispatch = console.dispatcher();
        use_effect_with(props.locale, move |locale| {
            dispatch.dispatch(Action::Locale(*locale))
        });
    }
    // The directory, the socket, and the conversation the address names.
    {
        let console = console.clone();
        let on_signed_out = props.on_signed_out.clone();
        use_effect_with((), move |_| {
            let socket: Rc<RefCell<Option<Rc<EventSocket>>>> = Rc::default();
            let started = socket.clone();
            let dispatch = console.dispatcher();
            spawn_local(async move {
                let head = match newest_event().await {
                    Ok(head) => head,
                    Err(failure) => return signed_out_on(&failure, &on_signed_out),
                };
                started.replace(Some(EventSocket::start(
                    Rc::new(Cell::new(head)),
                    dispatch.clone(),
                )));
                if let Err(failure) = load_directory(&dispatch).await {
                    signed_out_on(&failure, &on_signed_out);
                }
                if let Some(id) = conversation_in_address()
                    && let Ok(conversation) =
                        api::get::<Conversation>(&format!("/api/v1/conversations/{id}")).await
                {
                    dispatch.dispatch(Action::Conversation(conversation));
                    dispatch.dispatch(Action::Select(Some(id)));
                }
            });
            move || {
                if let Some(socket) = socket.take() {
                    socket.stop();
                }
            }
        });
    }
    // The list's first page whenever the view, the status or the filter changes.
    {
        let console2 = console.clone();
        let on_signed_out = props.on_signed_out.clone();
        use_effect_with(
            (console.view, console.status, console.filter.clone()),
            move |_| load_page(&console2, None, on_signed_out),
        );
    }
    // The open conversation's thread, and its address.
    {
        let dispatch = console.dispatcher();
        let on_signed_out = props.on_signed_out.clone();
        use_effect_with(console.selected, move |selected| {
            if let Some(id) = *selected {
                crate::show_path(&format!("/app/conversations/{id}"));
                spawn_local(async move {
                    match load_thread(id).await {
                        Ok(messages) => dispatch.dispatch(Action::Thread {
                            conversation_id: id,
                            messages,
                        }),
                        Err(failure) => signed_out_on(&failure, &on_signed_out),
                    }
                });
            } else {
                crate::show_path("/app/");
            }
        });
    }
    // What the agent has open is read: its unread count goes back to zero.
    {
        let dispatch = console.dispatcher();
        let unread = console
            .selected_conversation()
            .map(|conversation| (conversation.id, conversation.unread_count));
        use_effect_with(unread, move |unread| {
            if let Some((id, count)) = *unread
                && count > 0
            {
                spawn_local(async move {
                    if let Ok(conversation) =
                        api::post::<Conversation>(&format!("/api/v1/conversations/{id}/read"), &())
                            .await
                    {
                        dispatch.dispatch(Action::Conversation(conversation));
                    }
                });
            }
        });
    }
    // The contacts of the conversations on screen, each asked for once.
    {
        let requested = use_mut_ref(HashSet::<Id>::new);
        let dispatch = console.dispatcher();
        let mut wanted: Vec<Id> = console
            .conversations
            .values()
            .map(|conversation| conversation.contact_id)
            .filter(|id| !console.contacts.contains_key(id))
            .collect();
        wanted.sort_unstable();
        wanted.dedup();
        use_effect_with(wanted, move |wanted| {
            for id in wanted.iter().copied() {
                if !requested.borrow_mut().insert(id) {
                    continue;
                }
                let dispatch = dispatch.clone();
                spawn_local(async move {
                    if let Ok(contact) =
                        api::get::<Contact>(&format!("/api/v1/contacts/{id}")).await
                    {
                        dispatch.dispatch(Action::Contact(contact));
                    }
                });
            }
        });
    }
    // The tab's title counts the open conversations with unread messages, for a tab in the
    // background.
    {
        let unread = console.unread_in(View::All);
        use_effect_with(unread, move |unread| {
            if let Some(document) = web_sys::window().and_then(|window| window.document()) {
                document.set_title(&match unread {
                    0 => "Switchboard".to_string(),
                    unread => format!("({unread}) Switchboard"),
                });
            }
        });
    }
    let keyboard_help = use_state(|| false);
    use_shortcuts(&console, keyboard_help.setter());

    let on_sign_out = {
        let on_signed_out = props.on_signed_out.clone();
        Callback::from(move |_: MouseEvent| {
            let on_signed_out = on_signed_out.clone();
            spawn_local(async move {
                let _ = api::post_empty("/api/v1/auth/logout").await;
                on_signed_out.emit(());
            });
        })
    };
    let view_button = |view: View, key: String, name: String| {
        let dispatch = console.dispatcher();
        let status = console.status;
        let unread = console.unread_in(view);
        let current = console.view == view;
        html! {
            <li>
                <button class={classes!("view", format!("view-{key}"), current.then_some("current"))}
                    aria-current={current.then_some("page")}
                    onclick={Callback::from(move |_| dispatch.dispatch(Action::Show { view, status }))}>
                    <span>{ name }</span>
                    if unread > 0 {
                        <span class="count" aria-label={format!("{unread} {}", t.unread)}>{ unread }</span>
                    }
                </button>
            </li>
        }
    };
    let views = html! {
        <nav class="views" aria-label={t.views}>
            <ul>
                { view_button(View::Mine, "mine".into(), t.mine.into()) }
                { view_button(View::Unassigned, "unassigned".into(), t.unassigned.into()) }
                { view_button(View::All, "all".into(), t.all.into()) }
                { for console.teams.iter().map(|team| view_button(View::Team(team.id), format!("team-{}", team.id), team.name.clone())) }
            </ul>
        </nav>
    };
    let classes = classes!(
        "console",
        console.selected.is_some().then_some("has-selection")
    );
    html! {
        <div class={classes}>
            <header class="topbar">
                <strong class="workspace-name">{ &console.me.workspace.name }</strong>
                if !console.online {
                    <span class="offline" role="status">{ t.offline }</span>
                }
                <span class="spacer"></span>
                <span class="me">{ &console.me.agent.name }</span>
                <LanguagePicker locale={props.locale} label={t.language} on_locale={props.on_locale.clone()} />
                <button class="sign-out" onclick={on_sign_out}>{ t.sign_out }</button>
            </header>
            { views }
            <ConversationList console={console.clone()} on_signed_out={props.on_signed_out.clone()} />
            <ThreadView console={console.clone()} on_signed_out={props.on_signed_out.clone()} />
            if *keyboard_help {
                <ShortcutHelp locale={props.locale} on_close={{
                    let keyboard_help = keyboard_help.setter();
                    Callback::from(move |()| keyboard_help.set(false))
                }} />
            }
        </div>
    }
}
