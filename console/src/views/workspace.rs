//! The signed-in console: the top bar, the views, the conversation list and the open
//! conversation (an admin's settings, and a new workspace's first run, are a page of their own:
//! [`crate::views::settings_page`]).
//! It loads what the state needs (the directory, each page of the list, the open thread, the
//! contacts on screen) and follows the event socket from the newest event it had.

use std::cell::{Cell, RefCell};
use std::collections::HashSet;
use std::rc::Rc;

use switchboard_model::{
    Agent, CannedResponse, Channel, ChannelKindMark, Contact, Conversation, Id, InboxCounts, Label,
    Me, Message, Page, ProfileUpdate, Role, Team,
};
use wasm_bindgen_futures::spawn_local;
use yew::prelude::*;

use crate::api::{self, Failure};
use crate::i18n::{Locale, texts};
use crate::state::{Action, Console, View};
use crate::views::LanguagePicker;
use crate::views::contact::ContactPanel;
use crate::views::list::ConversationList;
use crate::views::new_conversation::NewConversationDialog;
use crate::views::profile::{self, AVAILABILITIES, Profile, availability_key};
use crate::views::quota_notice::QuotaNotice;
use crate::views::settings;
use crate::views::shortcuts::{ShortcutHelp, use_shortcuts};
use crate::views::template_picker::learn_templates;
use crate::views::thread::ThreadView;

/// Conversations asked for per page of the list.
const PAGE: u32 = 50;
/// How long the views' counts wait after an event before they are asked for again, so that a
/// burst of events costs one call.
const COUNTS_AFTER_MS: i32 = 400;
/// Contacts asked for in one call (the gateway's most).
const CONTACTS_PER_CALL: usize = 200;
/// How long an alert shows in the console.
const ALERT_SHOWS_MS: i32 = 6_000;
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

/// Signs out, then ends the console.
pub fn sign_out(on_signed_out: &Callback<()>) -> Callback<MouseEvent> {
    let on_signed_out = on_signed_out.clone();
    Callback::from(move |_: MouseEvent| {
        let on_signed_out = on_signed_out.clone();
        spawn_local(async move {
            let _ = api::post_empty("/api/v1/auth/logout").await;
            on_signed_out.emit(());
        });
    })
}

/// Ends the console when the session is over; other failures are left to the caller.
pub fn signed_out_on(failure: &Failure, on_signed_out: &Callback<()>) {
    if *failure == Failure::SignedOut {
        on_signed_out.emit(());
    }
}

/// Loads one page of the list for the view, status, filter and order, after `cursor`.
pub fn load_page(
    console: &UseReducerHandle<Console>,
    cursor: Option<String>,
    on_signed_out: Callback<()>,
) {
    let (view, status, filter, sort) = (
        console.view,
        console.status,
        console.filter.clone(),
        console.sort,
    );
    let mut path = format!(
        "/api/v1/conversations?status={}&sort={}&limit={PAGE}",
        status.as_str(),
        sort.as_str()
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
        path.push_str(&format!(
            "&cursor={}",
            String::from(js_sys::encode_uri_component(&cursor))
        ));
    }
    let dispatch = console.dispatcher();
    spawn_local(async move {
        match api::get::<Page<Conversation>>(&path).await {
            Ok(page) => dispatch.dispatch(Action::Page {
                view,
                status,
                filter,
                sort,
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

/// The workspace's people, teams, channels (and their kinds' marks), canned responses and
/// labels, into the state.
pub async fn load_directory(dispatch: &UseReducerDispatcher<Console>) -> Result<(), Failure> {
    let agents = api::get::<Vec<Agent>>("/api/v1/agents").await?;
    let teams = api::get::<Vec<Team>>("/api/v1/teams").await?;
    let channels = api::get::<Vec<Channel>>("/api/v1/channels").await?;
    let kinds = api::get::<Vec<ChannelKindMark>>("/api/v1/channel-kinds").await?;
    let canned = api::get::<Vec<CannedResponse>>("/api/v1/canned-responses").await?;
    let labels = api::get::<Vec<Label>>("/api/v1/labels").await?;
    dispatch.dispatch(Action::Directory {
        agents,
        teams,
        channels,
        kinds,
        canned,
        labels,
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

/// The dialog open over the console, if any.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Dialog {
    None,
    Profile,
    NewConversation,
}

#[function_component(Workspace)]
pub fn workspace(props: &Props) -> Html {
    let console = use_reducer(|| Console::new(props.me.clone(), props.locale));
    let t = texts(props.locale);
    let admin = console.me.agent.role == Role::Admin;
    let onboarded = console.me.workspace.onboarded;
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
            let socket: Rc<RefCell<Option<Rc<switchboard_front::socket::Socket>>>> = Rc::default();
            let started = socket.clone();
            let dispatch = console.dispatcher();
            // Read before anything else changes the address.
            let linked = conversation_in_address();
            spawn_local(async move {
                let head = match newest_event().await {
                    Ok(head) => head,
                    Err(failure) => return signed_out_on(&failure, &on_signed_out),
                };
                started.replace(Some(crate::socket::follow(
                    Rc::new(Cell::new(head)),
                    dispatch.clone(),
                )));
                if let Err(failure) = load_directory(&dispatch).await {
                    signed_out_on(&failure, &on_signed_out);
                }
                if let Some(id) = linked
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
            (
                console.view,
                console.status,
                console.filter.clone(),
                console.sort,
            ),
            move |_| load_page(&console2, None, on_signed_out),
        );
    }
    // The views' counts, at the start and shortly after the conversations change.
    {
        let dispatch = console.dispatcher();
        let pending = use_mut_ref(|| false);
        use_effect_with(console.revision, move |_| {
            if !pending.replace(true) {
                switchboard_front::after(COUNTS_AFTER_MS, move || {
                    pending.replace(false);
                    spawn_local(async move {
                        if let Ok(counts) =
                            api::get::<InboxCounts>("/api/v1/conversations/counts").await
                        {
                            dispatch.dispatch(Action::Counts(counts));
                        }
                    });
                });
            }
        });
    }
    // An alert: the browser tells the agent (as their profile says), and the console shows it
    // for a few seconds; a customer's message is not alerted while the agent has that very
    // conversation in front of them (a mention always is).
    let shown_alert = use_state(|| None::<crate::state::Alert>);
    let latest_alert = use_mut_ref(|| 0_u64);
    {
        let shown_alert = shown_alert.clone();
        let settings = console.me.agent.notifications;
        let alert = console.alert.clone();
        let title = alert
            .as_ref()
            .and_then(|alert| console.conversations.get(&alert.conversation_id))
            .map(|conversation| console.contact_name(conversation.contact_id))
            .unwrap_or_default();
        let t = texts(console.locale);
        let selected = console.selected;
        use_effect_with(alert.as_ref().map(|alert| alert.number), move |_| {
            let looking = |alert: &crate::state::Alert| {
                !alert.mention
                    && selected == Some(alert.conversation_id)
                    && !crate::notify::tab_hidden()
            };
            if let Some(alert) = alert.filter(|alert| !looking(alert)) {
                let heading = if alert.mention {
                    format!("{title} · {}", t.mentioned_you)
                } else {
                    format!("{title} · {}", t.new_message)
                };
                crate::notify::tell(settings, &alert, &heading);
                let number = alert.number;
                *latest_alert.borrow_mut() = number;
                shown_alert.set(Some(alert));
                let shown_alert = shown_alert.setter();
                switchboard_front::after(ALERT_SHOWS_MS, move || {
                    if *latest_alert.borrow() == number {
                        shown_alert.set(None);
                    }
                });
            }
        });
    }
    {
        let settings = console.me.agent.notifications;
        use_effect_with((), move |_| crate::notify::ask_permission(settings));
    }
    // The open conversation's thread.
    {
        let dispatch = console.dispatcher();
        let on_signed_out = props.on_signed_out.clone();
        use_effect_with(console.selected, move |selected| {
            if let Some(id) = *selected {
                spawn_local(async move {
                    match load_thread(id).await {
                        Ok(messages) => dispatch.dispatch(Action::Thread {
                            conversation_id: id,
                            messages,
                        }),
                        Err(failure) => signed_out_on(&failure, &on_signed_out),
                    }
                });
            }
        });
    }
    // The inbox's address: the open conversation's.
    use_effect_with(console.selected, |selected| match selected {
        Some(id) => crate::show_path(&format!("/app/conversations/{id}")),
        None => crate::show_path("/app/"),
    });
    // The reply window and templates of the open conversation's channel, once per channel
    // (again after a failure).
    {
        let dispatch = console.dispatcher();
        let wanted = console
            .selected_conversation()
            .map(|conversation| conversation.channel_id)
            .filter(|channel_id| console.templates_wanted(*channel_id));
        use_effect_with((console.selected, wanted), move |(_, wanted)| {
            if let Some(channel_id) = *wanted {
                learn_templates(dispatch, channel_id);
            }
        });
    }
    // What the agent has open in front of them is read: its unread count goes back to zero.
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
    // The contacts of the conversations loaded, each asked for once, a batch per call.
    {
        let requested = use_mut_ref(HashSet::<Id>::new);
        let dispatch = console.dispatcher();
        let (conversations, contacts) = (console.conversations.clone(), console.contacts.clone());
        use_effect_with(console.revision, move |_| {
            let mut wanted: Vec<Id> = conversations
                .values()
                .map(|conversation| conversation.contact_id)
                .filter(|id| !contacts.contains_key(id) && !requested.borrow().contains(id))
                .collect();
            wanted.sort_unstable();
            wanted.dedup();
            requested.borrow_mut().extend(wanted.iter().copied());
            for batch in wanted.chunks(CONTACTS_PER_CALL) {
                let ids: Vec<String> = batch.iter().map(Id::to_string).collect();
                let path = format!("/api/v1/contacts?ids={}", ids.join(","));
                let dispatch = dispatch.clone();
                spawn_local(async move {
                    if let Ok(page) = api::get::<Page<Contact>>(&path).await {
                        dispatch.dispatch(Action::Contacts(page.items));
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
    let dialog = use_state(|| Dialog::None);
    let contact_shown = use_state(|| false);
    let close_dialog = {
        let dialog = dialog.setter();
        Callback::from(move |()| dialog.set(Dialog::None))
    };
    let open_dialog = |which: Dialog| {
        let dialog = dialog.setter();
        Callback::from(move |_: MouseEvent| dialog.set(which))
    };
    // A change of the agent's own profile from the top bar, saved in the background.
    let save_profile = {
        let (dispatch, on_locale) = (console.dispatcher(), props.on_locale.clone());
        Callback::from(move |update: ProfileUpdate| {
            let (dispatch, on_locale) = (dispatch.clone(), on_locale.clone());
            spawn_local(async move {
                let _ = profile::save(&dispatch, &on_locale, update).await;
            });
        })
    };
    let on_locale = {
        let (on_locale, save_profile) = (props.on_locale.clone(), save_profile.clone());
        Callback::from(move |locale: Locale| {
            on_locale.emit(locale);
            save_profile.emit(ProfileUpdate {
                language: Some(locale.tag().to_string()),
                ..ProfileUpdate::default()
            });
        })
    };
    let on_availability = Callback::from(move |event: Event| {
        let select: web_sys::HtmlSelectElement = event.target_unchecked_into();
        if let Some(availability) = AVAILABILITIES
            .iter()
            .find(|choice| availability_key(**choice) == select.value())
        {
            save_profile.emit(ProfileUpdate {
                availability: Some(*availability),
                ..ProfileUpdate::default()
            });
        }
    });

    let on_sign_out = sign_out(&props.on_signed_out);
    let view_button = |view: View, key: String, name: String| {
        let dispatch = console.dispatcher();
        let status = console.status;
        let unread = console.unread_in(view);
        let open = view.counts(&console.counts).open;
        let current = console.view == view;
        html! {
            <li>
                <button class={classes!("view", format!("view-{key}"), current.then_some("current"))}
                    aria-current={current.then_some("page")}
                    onclick={Callback::from(move |_| dispatch.dispatch(Action::Show { view, status }))}>
                    <span>{ name }</span>
                    <span class="open-count">{ open }</span>
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
        console.selected.is_some().then_some("has-selection"),
        contact_shown.then_some("has-contact")
    );
    let availability = console.me.agent.availability;
    let contact_of_selected = console
        .selected_conversation()
        .map(|conversation| conversation.contact_id);
    // A new workspace's admin sets it up first, on the settings' page.
    use_effect_with((), move |_| {
        if admin && !onboarded {
            crate::go_to(settings::FIRST_RUN_PATH);
        }
    });
    if admin && !onboarded {
        return html! { <main class="loading" aria-busy="true"></main> };
    }
    html! {
        <div class={classes}>
            <header class="topbar">
                <strong class="workspace-name">{ &console.me.workspace.name }</strong>
                if !console.online {
                    <span class="offline" role="status">{ t.offline }</span>
                }
                if admin {
                    <QuotaNotice locale={props.locale} />
                }
                <button class="new-conversation primary" onclick={open_dialog(Dialog::NewConversation)}>
                    { "+ " }{ t.new_conversation }</button>
                <span class="spacer"></span>
                if admin {
                    <a class="settings-link" href={settings::CHANNELS_PATH}
                        aria-label={t.settings} title={t.settings}>
                        <svg viewBox="0 0 24 24" width="18" height="18" aria-hidden="true">
                            <path d="M12 9a3 3 0 1 0 0 6 3 3 0 1 0 0-6M12 5a7 7 0 1 0 0 14 7 7 0 1 0 0-14M12 2v3M12 19v3M2 12h3M19 12h3M4.9 4.9 7 7M17 17l2.1 2.1M4.9 19.1 7 17M17 7l2.1-2.1"
                                fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" />
                        </svg>
                        <span>{ t.settings }</span>
                    </a>
                }
                <span class={classes!("dot", format!("is-{}", availability_key(availability)))} aria-hidden="true"></span>
                <select class="my-availability" aria-label={t.availability} onchange={on_availability}>
                    { for AVAILABILITIES.iter().map(|choice| html! {
                        <option value={availability_key(*choice)} selected={*choice == availability}>{ t.availability(*choice) }</option>
                    }) }
                </select>
                <button class="me" onclick={open_dialog(Dialog::Profile)} title={t.profile}>{ &console.me.agent.name }</button>
                <LanguagePicker locale={props.locale} label={t.language} {on_locale} />
                <button class="sign-out" onclick={on_sign_out}>{ t.sign_out }</button>
            </header>
            { views }
            <ConversationList console={console.clone()} on_signed_out={props.on_signed_out.clone()} />
            <ThreadView console={console.clone()} on_signed_out={props.on_signed_out.clone()}
                on_contact={{
                    let contact_shown = contact_shown.setter();
                    Callback::from(move |()| contact_shown.set(true))
                }} />
            if let (true, Some(contact_id)) = (*contact_shown, contact_of_selected) {
                <ContactPanel console={console.clone()} {contact_id} on_close={{
                    let contact_shown = contact_shown.setter();
                    Callback::from(move |()| contact_shown.set(false))
                }} />
            }
            if let Some(alert) = &*shown_alert {
                <button class="toast" role="status" onclick={{
                    let (dispatch, id) = (console.dispatcher(), alert.conversation_id);
                    Callback::from(move |_| dispatch.dispatch(Action::Select(Some(id))))
                }}>
                    <strong>{ if alert.mention { t.mentioned_you } else { t.new_message } }</strong>{ " " }{ &alert.text }
                </button>
            }
            { match *dialog {
                Dialog::Profile => html! {
                    <Profile console={console.clone()} on_locale={props.on_locale.clone()} on_close={close_dialog.clone()} />
                },
                Dialog::NewConversation => html! {
                    <NewConversationDialog console={console.clone()} on_close={close_dialog.clone()} />
                },
                Dialog::None => html! {},
            } }
            if *keyboard_help {
                <ShortcutHelp locale={props.locale} on_close={{
                    let keyboard_help = keyboard_help.setter();
                    Callback::from(move |()| keyboard_help.set(false))
                }} />
            }
        </div>
    }
}
