//! The conversation list: a search box, the status tabs, filters and order, then one row per
//! conversation (channel, contact, title, waiting time, assignee, unread count) with a box to
//! tick it for a bulk action. Only the rows in sight are drawn, so a list of ten thousand
//! scrolls as one of ten; the next page is asked for near the end. A search shows the
//! conversations the gateway found instead, best first.

use switchboard_model::{ChannelKind, Conversation, ConversationSort, ConversationStatus, Page};
use wasm_bindgen_futures::spawn_local;
use web_sys::{HtmlElement, HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

use crate::api;
use crate::i18n::texts;
use crate::state::{Action, Console, Filter};
use crate::views::label_settings::label_chip;
use crate::views::thread::{Act, act_on};
use crate::views::workspace::{load_page, signed_out_on};

const SORTS: [ConversationSort; 3] = [
    ConversationSort::LastActivity,
    ConversationSort::Newest,
    ConversationSort::OldestWaiting,
];

/// Every row's height in CSS pixels (the style sheet's `.row` agrees).
pub const ROW_HEIGHT: i32 = 68;
/// Rows drawn beyond each edge of the visible part.
const OVERSCAN: i32 = 8;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub console: UseReducerHandle<Console>,
    pub on_signed_out: Callback<()>,
}

/// A channel's mark: a small line drawing (no emoji font needed), named for screen readers by
/// its kind. A plugin's kind is drawn with the `icon` its manifest gives, or as a plug.
pub fn channel_icon(kind: Option<ChannelKind>, icon: Option<&str>) -> Html {
    let name = AttrValue::from(kind.map(|kind| kind.name().to_string()).unwrap_or_default());
    let path = match (name.as_str(), icon) {
        ("email", _) => "M3 6h18v12H3z M3 6l9 7 9-7",
        ("webchat", _) => "M4 5h16v10H9l-5 4z",
        ("api", _) => "M8 7l-5 5 5 5 M16 7l5 5-5 5",
        ("", _) => "M12 12h.01",
        // A plugin's kind is drawn as its manifest says, or as a plug.
        (_, Some(icon)) => icon,
        (_, None) => "M9 3v5 M15 3v5 M6 8h12v4a6 6 0 0 1-12 0z M12 18v3",
    };
    let path = AttrValue::from(path.to_string());
    html! {
        <svg class="channel" viewBox="0 0 24 24" width="20" height="20" role="img" aria-label={name.clone()}>
            <title>{ name }</title>
            <path d={path} fill="none" stroke="currentColor" stroke-width="1.8" stroke-linejoin="round" stroke-linecap="round" />
        </svg>
    }
}

#[function_component(ConversationList)]
pub fn conversation_list(props: &Props) -> Html {
    let console = &props.console;
    let t = texts(console.locale);
    let list_ref = use_node_ref();
    // (scroll position, height) of the list's box.
    let window = use_state(|| (0, 1200));
    // The list's order, worked out again only when a conversation, the view, its filters or
    // the search changed: scrolling redraws rows, it does not sort the list again.
    let list = {
        let console = (**console).clone();
        use_memo(
            (
                console.revision,
                console.view,
                console.status,
                console.filter.clone(),
                console.sort,
                console.search.clone(),
            ),
            move |_| {
                console
                    .visible()
                    .iter()
                    .map(|conversation| conversation.id)
                    .collect::<Vec<_>>()
            },
        )
    };
    let total = list.len() as i32;
    let (top, height) = *window;
    let first = (top / ROW_HEIGHT - OVERSCAN).max(0);
    let last = ((top + height) / ROW_HEIGHT + OVERSCAN).min(total);
    let onscroll = {
        let (list_ref, window) = (list_ref.clone(), window.clone());
        let console = console.clone();
        let on_signed_out = props.on_signed_out.clone();
        Callback::from(move |_: Event| {
            let Some(element) = list_ref.cast::<HtmlElement>() else {
                return;
            };
            let (top, height) = (element.scroll_top(), element.client_height());
            window.set((top, height));
            let near_end = top + height + 4 * ROW_HEIGHT >= element.scroll_height();
            if near_end
                && console.search.is_none()
                && let Some(cursor) = console.next_cursor.clone()
            {
                load_page(&console, Some(cursor), on_signed_out.clone());
            }
        })
    };
    let now = js_sys::Date::now() as i64;
    let status_tab = |status: ConversationStatus| {
        let dispatch = console.dispatcher();
        let view = console.view;
        let current = console.status == status;
        html! {
            <button role="tab" aria-selected={current.to_string()}
                class={classes!(format!("status-{}", status.as_str()), current.then_some("current"))}
                onclick={Callback::from(move |_| dispatch.dispatch(Action::Show { view, status }))}>
                { t.status(status) }
            </button>
        }
    };
    let row = |index: i32, conversation: &Conversation| {
        let id = conversation.id;
        let dispatch = console.dispatcher();
        let selected = console.selected == Some(id);
        let kind = console.channel_kind(conversation.channel_id);
        let assignee = conversation
            .assignee_id
            .and_then(|agent| console.agent_name(agent))
            .unwrap_or("");
        let unread = conversation.unread_count;
        let picked = console.picked.contains(&id);
        let on_pick = {
            let dispatch = console.dispatcher();
            Callback::from(move |event: Event| {
                event.stop_propagation();
                let input: HtmlInputElement = event.target_unchecked_into();
                dispatch.dispatch(Action::Pick(id, input.checked()));
            })
        };
        // How long the contact has waited for an answer, else how long since the last activity.
        let age = match conversation.waiting_since {
            Some(since) => html! {
                <span class="age waiting" title={t.sort_oldest_waiting}>{ t.age(now - since) }</span>
            },
            None => {
                html! { <span class="age">{ t.age(now - conversation.last_activity_at) }</span> }
            }
        };
        html! {
            <li key={id} role="option" aria-selected={selected.to_string()}
                class={classes!("row", selected.then_some("selected"), (unread > 0).then_some("unread"), picked.then_some("picked"))}
                style={format!("top:{}px", index * ROW_HEIGHT)} data-id={id.to_string()}
                onclick={Callback::from(move |_| dispatch.dispatch(Action::Select(Some(id))))}>
                <input type="checkbox" class="pick" checked={picked} aria-label={t.pick}
                    onclick={Callback::from(|event: MouseEvent| event.stop_propagation())} onchange={on_pick} />
                { channel_icon(kind, console.kind_icon(kind)) }
                <span class="who">{ console.contact_name(conversation.contact_id) }</span>
                { age }
                <div class="title">
                    if !conversation.labels.is_empty() {
                        <ul class="labels" aria-label={t.labels}>
                            { for conversation.labels.iter().map(|label| label_chip(console, label, html! {})) }
                        </ul>
                    }
                    { &conversation.title }
                </div>
                <span class="assignee">{ assignee }</span>
                if unread > 0 {
                    <span class="count" aria-label={format!("{unread} {}", t.unread)}>{ unread }</span>
                }
            </li>
        }
    };
    let search_ref = use_node_ref();
    let onsubmit = {
        let (search_ref, dispatch) = (search_ref.clone(), console.dispatcher());
        let on_signed_out = props.on_signed_out.clone();
        Callback::from(move |event: SubmitEvent| {
            event.prevent_default();
            let Some(input) = search_ref.cast::<HtmlInputElement>() else {
                return;
            };
            let query = input.value().trim().to_string();
            if query.is_empty() {
                dispatch.dispatch(Action::EndSearch);
                return;
            }
            dispatch.dispatch(Action::Search(query.clone()));
            let (dispatch, on_signed_out) = (dispatch.clone(), on_signed_out.clone());
            spawn_local(async move {
                let path = format!(
                    "/api/v1/search?q={}",
                    String::from(js_sys::encode_uri_component(&query))
                );
                match api::get::<Page<Conversation>>(&path).await {
                    Ok(page) => dispatch.dispatch(Action::Found {
                        query,
                        conversations: page.items,
                    }),
                    Err(failure) => signed_out_on(&failure, &on_signed_out),
                }
            });
        })
    };
    let end_search = {
        let (search_ref, dispatch) = (search_ref.clone(), console.dispatcher());
        Callback::from(move |_| {
            if let Some(input) = search_ref.cast::<HtmlInputElement>() {
                input.set_value("");
            }
            dispatch.dispatch(Action::EndSearch);
        })
    };
    let onkeydown = {
        let end_search = end_search.clone();
        Callback::from(move |event: KeyboardEvent| {
            if event.key() == "Escape" {
                end_search.emit(());
            }
        })
    };
    let searching = console.search.is_some();
    // The channel and label filters; an empty choice means every one.
    let on_choice = |change: fn(&mut Filter, String)| {
        let (dispatch, filter) = (console.dispatcher(), console.filter.clone());
        Callback::from(move |event: Event| {
            let Some(select) = event.target_dyn_into::<HtmlSelectElement>() else {
                return;
            };
            let mut chosen = filter.clone();
            change(&mut chosen, select.value());
            dispatch.dispatch(Action::Filter(chosen));
        })
    };
    let on_channel = on_choice(|filter, value| filter.channel = value.parse().ok());
    let on_label = on_choice(|filter, value| filter.label = (!value.is_empty()).then_some(value));
    let on_sort = {
        let dispatch = console.dispatcher();
        Callback::from(move |event: Event| {
            let select: HtmlSelectElement = event.target_unchecked_into();
            if let Some(sort) = SORTS.iter().find(|sort| sort.as_str() == select.value()) {
                dispatch.dispatch(Action::Sort(*sort));
            }
        })
    };
    let filters = html! {
        <div class="filters">
            <select class="channel-filter" aria-label={t.channel_filter} onchange={on_channel}>
                <option value="" selected={console.filter.channel.is_none()}>{ t.every_channel }</option>
                { for console.channels.iter().map(|channel| html! {
                    <option value={channel.id.to_string()} selected={console.filter.channel == Some(channel.id)}>
                        { &channel.name }</option>
                }) }
            </select>
            <select class="label-filter" aria-label={t.label_filter} onchange={on_label}>
                <option value="" selected={console.filter.label.is_none()}>{ t.every_label }</option>
                { for console.labels_in_use().into_iter().map(|label| html! {
                    <option selected={console.filter.label.as_ref() == Some(&label)} value={label.clone()}>
                        { label }</option>
                }) }
            </select>
            <select class="sort" aria-label={t.sort} onchange={on_sort}>
                { for SORTS.iter().map(|sort| html! {
                    <option value={sort.as_str()} selected={console.sort == *sort}>{ t.sort(*sort) }</option>
                }) }
            </select>
        </div>
    };
    let bulk = (!console.picked.is_empty()).then(|| {
        let picked: Vec<_> = console.picked.iter().copied().collect();
        let on_all = |what: Act| {
            let (console, picked) = (console.clone(), picked.clone());
            Callback::from(move |_: MouseEvent| {
                for id in &picked {
                    act_on(&console, *id, what.clone());
                }
                console.dispatch(Action::PickNone);
            })
        };
        let dispatch = console.dispatcher();
        html! {
            <div class="bulk" role="toolbar" aria-label={t.picked_count(picked.len())}>
                <span>{ t.picked_count(picked.len()) }</span>
                <button class="bulk-assign-me" onclick={on_all(Act::AssignToMe)}>{ t.assign_to_me }</button>
                if console.status == ConversationStatus::Resolved {
                    <button class="bulk-reopen" onclick={on_all(Act::Status(ConversationStatus::Open))}>{ t.reopen }</button>
                } else {
                    <button class="bulk-resolve" onclick={on_all(Act::Resolve)}>{ t.resolve }</button>
                }
                <button class="bulk-clear" onclick={Callback::from(move |_| dispatch.dispatch(Action::PickNone))}>
                    { t.clear_picked }</button>
            </div>
        }
    });
    html! {
        <section class="list" aria-label={t.conversations}>
            <form class="search" role="search" {onsubmit}>
                <input type="search" ref={search_ref} placeholder={t.search} aria-label={t.search}
                    maxlength="200" {onkeydown} />
                if searching {
                    <button type="button" class="end-search" aria-label={t.close} title={t.close}
                        onclick={end_search.reform(|_| ())}>{ "×" }</button>
                }
            </form>
            if searching {
                <p class="search-results" role="status">
                    if console.search.as_ref().is_some_and(|search| search.found.is_none()) {
                        { t.searching }
                    } else if list.is_empty() {
                        { t.nothing_found }
                    } else {
                        { t.found(list.len()) }
                    }
                </p>
            } else {
                <div class="tabs" role="tablist" aria-label={t.status}>
                    { status_tab(ConversationStatus::Open) }
                    { status_tab(ConversationStatus::Pending) }
                    { status_tab(ConversationStatus::Snoozed) }
                    { status_tab(ConversationStatus::Resolved) }
                </div>
                { filters }
            }
            { for bulk }
            <div class="rows" ref={list_ref} {onscroll}>
                if console.list_loaded && list.is_empty() && !searching {
                    <p class="empty">{ t.no_conversations }</p>
                }
                <ul role="listbox" aria-label={t.conversations}
                    style={format!("height:{}px", total * ROW_HEIGHT)}>
                    { for (first..last)
                        .filter_map(|index| Some((index, console.conversations.get(&list[index as usize])?)))
                        .map(|(index, conversation)| row(index, conversation)) }
                </ul>
            </div>
        </section>
    }
}
