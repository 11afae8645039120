//! The open conversation: who and what it is about, its actions (assign, labels, status), the
//! messages as bubbles by direction and author with their times and delivery, and the
//! composer.

use switchboard_model::{
    Activity, Assignment, Author, Availability, ChannelKind, Conversation, ConversationStatus,
    DeliveryStatus, Direction, Id, Labels, Message, Millis, TeamAssignment,
};
use wasm_bindgen_futures::spawn_local;
use web_sys::HtmlInputElement;
use yew::prelude::*;

use crate::api;
use crate::i18n::{Texts, routing_texts, texts};
use crate::state::{Action, Console};
use crate::views::composer::Composer;
use crate::views::label_settings::label_chip;
use crate::views::list::channel_icon;

/// What an agent can do to the open conversation.
#[derive(Debug, Clone, PartialEq)]
pub enum Act {
    AssignToMe,
    Assign(Option<Id>),
    Status(ConversationStatus),
    Team(Option<Id>),
    /// Set aside until this time.
    Snooze(Millis),
    Resolve,
    Labels(Vec<String>),
}

/// Does `act` to the open conversation; `false` when none is open.
pub fn act(console: &UseReducerHandle<Console>, act: Act) -> bool {
    let Some(id) = console.selected else {
        return false;
    };
    act_on(console, id, act);
    true
}

/// Does `act` to conversation `id`.
pub fn act_on(console: &UseReducerHandle<Console>, id: Id, act: Act) {
    let me = console.me.agent.id;
    let dispatch = console.dispatcher();
    spawn_local(async move {
        let base = format!("/api/v1/conversations/{id}");
        let answer = match act {
            Act::AssignToMe => {
                api::post(
                    &format!("{base}/assign"),
                    &Assignment {
                        assignee_id: Some(me),
                    },
                )
                .await
            }
            Act::Assign(assignee_id) => {
                api::post(&format!("{base}/assign"), &Assignment { assignee_id }).await
            }
            Act::Resolve => api::post(&format!("{base}/close"), &()).await,
            Act::Status(status) => {
                api::post(
                    &format!("{base}/status"),
                    &serde_json::json!({ "status": status }),
                )
                .await
            }
            Act::Snooze(until) => {
                api::post(
                    &format!("{base}/status"),
                    &serde_json::json!({ "status": ConversationStatus::Snoozed, "snoozed_until": until }),
                )
                .await
            }
            Act::Labels(labels) => api::post(&format!("{base}/labels"), &Labels { labels }).await,
            Act::Team(team_id) => {
                api::post(&format!("{base}/team"), &TeamAssignment { team_id }).await
            }
        };
        if let Ok(conversation) = answer {
            dispatch.dispatch(Action::Conversation(conversation));
        }
    });
}

/// Nine o'clock here, `days` days from today.
fn nine_oclock_in(days: u32) -> Millis {
    let date = js_sys::Date::new_0();
    date.set_date(date.get_date() + days);
    date.set_hours(9);
    date.set_minutes(0);
    date.set_seconds(0);
    date.set_milliseconds(0);
    date.get_time() as Millis
}

/// Days from today to next Monday (a week on a Monday).
fn days_to_monday() -> u32 {
    match (8 - js_sys::Date::new_0().get_day()) % 7 {
        0 => 7,
        days => days,
    }
}

#[derive(Properties, PartialEq)]
pub struct Props {
    pub console: UseReducerHandle<Console>,
    pub on_signed_out: Callback<()>,
    /// Opens the contact panel.
    pub on_contact: Callback<()>,
}

/// Messages drawn when a conversation opens: the newest; older ones are drawn on request (or
/// when the agent scrolls to the top), so that a long conversation opens as fast as a short
/// one and every event redraws only what shows.
const SHOWN_AT_FIRST: usize = 60;
/// How many more the agent's request draws.
const SHOWN_MORE: usize = 100;

#[function_component(ThreadView)]
pub fn thread_view(props: &Props) -> Html {
    let console = &props.console;
    let t = texts(console.locale);
    let end = use_node_ref();
    let count = console.thread.messages.len();
    let shown = use_state(|| SHOWN_AT_FIRST);
    {
        let shown = shown.setter();
        use_effect_with(console.selected, move |_| shown.set(SHOWN_AT_FIRST));
    }
    let hidden = count.saturating_sub(*shown);
    let show_more = {
        let shown = shown.clone();
        Callback::from(move |()| shown.set(*shown + SHOWN_MORE))
    };
    let onscroll = {
        let show_more = show_more.clone();
        Callback::from(move |event: Event| {
            let list: web_sys::Element = event.target_unchecked_into();
            if hidden > 0 && list.scroll_top() < 40 {
                show_more.emit(());
            }
        })
    };
    {
        let end = end.clone();
        use_effect_with((console.selected, count), move |_| {
            if let Some(end) = end.cast::<web_sys::Element>() {
                end.scroll_into_view();
            }
        });
    }
    let Some(conversation) = console.selected_conversation() else {
        return html! {
            <section class="thread empty"><p>{ t.pick_conversation }</p></section>
        };
    };
    let kind = console.channel_kind(conversation.channel_id);
    let email = kind == Some(ChannelKind::EMAIL);
    let now = js_sys::Date::now() as i64;
    let contact = console.contact_name(conversation.contact_id);
    let back = {
        let dispatch = console.dispatcher();
        Callback::from(move |_| dispatch.dispatch(Action::Select(None)))
    };
    html! {
        <section class="thread" aria-label={contact.clone()}>
            <header class="thread-head">
                <button class="back" onclick={back} aria-label={t.back}>{ "←" }</button>
                <div class="heading">
                    <h2>
                        { channel_icon(kind, console.kind_icon(kind)) }{ " " }{ &contact }
                        if console.contacts.get(&conversation.contact_id).is_some_and(|contact| contact.blocked) {
                            { " " }<span class="blocked-mark">{ t.blocked }</span>
                        }
                    </h2>
                    <p class="subject">
                        if email { <span class="label">{ t.subject }{ ": " }</span> }
                        { &conversation.title }
                    </p>
                    if let Some(until) = conversation.snoozed_until {
                        <p class="snoozed-until">{ t.snoozed_until }{ " " }{ written_time(until, console.locale.tag()) }</p>
                    }
                </div>
                <button class="show-contact" onclick={props.on_contact.reform(|_: MouseEvent| ())}>{ t.contact_details }</button>
                <Actions console={console.clone()} conversation={conversation.clone()} />
            </header>
            <ol class="messages" aria-live="polite" {onscroll}>
                if hidden > 0 {
                    <li class="earlier">
                        <button type="button" onclick={show_more.reform(|_: MouseEvent| ())}>
                            { t.earlier }{ format!(" ({hidden})") }</button>
                    </li>
                }
                { for console.thread.messages[hidden..].iter().map(|message| bubble(console, t, message)) }
                <li ref={end} class="end" aria-hidden="true"></li>
            </ol>
            if console.typing_in(conversation.id, now) {
                <p class="typing" role="status">{ &contact }{ " " }{ t.typing }</p>
            }
            <Composer key={conversation.id} console={console.clone()} conversation_id={conversation.id}
                contact_id={conversation.contact_id} channel_id={conversation.channel_id} {email}
                sms={kind.is_some_and(|kind| kind.name() == "sms")}
                on_signed_out={props.on_signed_out.clone()} />
        </section>
    }
}

fn author_name(console: &Console, message: &Message) -> String {
    match &message.author {
        Author::Contact { id } => console.contact_name(*id),
        Author::Agent { id } => console.agent_name(*id).unwrap_or("").to_string(),
        Author::Bot { name } => {
            let r = routing_texts(console.locale);
            match name.as_str() {
                "auto-reply" => r.auto_reply_bot.to_string(),
                "away-message" => r.away_message.to_string(),
                _ => name.clone(),
            }
        }
        Author::System => String::new(),
    }
}

/// A time as the agent's language writes it: the hour today, the date and hour before.
pub fn written_time(millis: i64, locale: &str) -> String {
    let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(millis as f64));
    let today = js_sys::Date::new_0().to_date_string() == date.to_date_string();
    let options = js_sys::Object::new();
    let set = |key: &str, value: &str| {
        let _ = js_sys::Reflect::set(&options, &key.into(), &value.into());
    };
    set("hour", "2-digit");
    set("minute", "2-digit");
    if !today {
        set("day", "numeric");
        set("month", "short");
    }
    date.to_locale_string(locale, &options).into()
}

/// A file size as people read it: "31.5 MB", "820 kB".
fn readable_size(bytes: u64) -> String {
    if bytes >= 1_000_000 {
        // In whole tenths: formatting a float would bring the float printer into the console.
        let tenths = (bytes + 50_000) / 100_000;
        format!("{}.{} MB", tenths / 10, tenths % 10)
    } else {
        format!("{} kB", bytes.div_ceil(1000))
    }
}

/// The message's HTML, folded away, in a sandboxed frame the gateway serves with a policy that
/// runs nothing and loads no remote image until the agent asks (the link reloads the frame).
fn formatted(t: &Texts, message: &Message) -> Html {
    let page = format!(
        "/api/v1/conversations/{}/messages/{}/html",
        message.conversation_id, message.id
    );
    let frame = format!("email-{}", message.id);
    html! {
        <details class="formatted">
            <summary>{ t.show_formatted }</summary>
            <p class="images-hidden">{ t.images_hidden }{ " " }
                <a href={format!("{page}?images=load")} target={frame.clone()}>{ t.load_images }</a></p>
            <iframe name={frame} src={page} title={t.show_formatted} loading="lazy"
                sandbox="allow-popups allow-popups-to-escape-sandbox" referrerpolicy="no-referrer"></iframe>
        </details>
    }
}

/// Hides a preview the gateway refused (the file is no image it draws): the link stays.
fn hide_broken_preview() -> Callback<Event> {
    Callback::from(|event: Event| {
        if let Some(image) = event.target_dyn_into::<web_sys::HtmlElement>() {
            let _ = image.style().set_property("display", "none");
        }
    })
}

/// Images the gateway shows in place (it checks the bytes themselves).
fn shown_in_place(media_type: &str) -> bool {
    matches!(
        media_type,
        "image/png" | "image/jpeg" | "image/gif" | "image/webp"
    )
}

/// A step on the conversation, in a line between the messages: who did what, and when.
fn step(console: &Console, t: &Texts, message: &Message, activity: &Activity) -> Html {
    let by = match &message.author {
        Author::Agent { id } => console.agent_name(*id).unwrap_or("").to_string(),
        _ => t.switchboard.to_string(),
    };
    let agent = |id: Option<Id>| id.and_then(|id| console.agent_name(id)).unwrap_or("");
    let team = |id: Option<Id>| {
        id.and_then(|id| console.teams.iter().find(|team| team.id == id))
            .map_or("", |team| team.name.as_str())
    };
    let locale = console.locale.tag();
    let what = match activity {
        Activity::Assigned { agent_id: Some(id) } => {
            t.step_assigned.replace("{to}", agent(Some(*id)))
        }
        Activity::Assigned { agent_id: None } => t.step_unassigned.to_string(),
        Activity::Requeued { agent_id } => t.step_requeued.replace("{to}", agent(Some(*agent_id))),
        Activity::Team { team_id: Some(id) } => t.step_team.replace("{to}", team(Some(*id))),
        Activity::Team { team_id: None } => t.step_no_team.to_string(),
        Activity::Labelled { labels } if labels.is_empty() => t.step_no_labels.to_string(),
        Activity::Labelled { labels } => t.step_labelled.replace("{to}", &labels.join(", ")),
        Activity::Status {
            status: ConversationStatus::Snoozed,
            until,
        } => t.step_snoozed.replace(
            "{to}",
            &until
                .map(|until| written_time(until, locale))
                .unwrap_or_default(),
        ),
        Activity::Status {
            status: ConversationStatus::Open,
            ..
        } => t.step_opened.to_string(),
        Activity::Status {
            status: ConversationStatus::Pending,
            ..
        } => t.step_pending.to_string(),
        Activity::Status {
            status: ConversationStatus::Resolved,
            ..
        } => t.step_resolved.to_string(),
    };
    html! {
        <li key={message.id} class="message system" data-id={message.id.to_string()}>
            <span class="step">{ t.step.replace("{by}", &by).replace("{what}", &what) }</span>
            { " · " }<time>{ written_time(message.created_at, locale) }</time>
        </li>
    }
}

fn bubble(console: &Console, t: &Texts, message: &Message) -> Html {
    if let Some(activity) = &message.activity {
        return step(console, t, message, activity);
    }
    let class = match message.direction {
        Direction::In => "in",
        Direction::Out => "out",
        Direction::Note => "note",
        Direction::System => "system",
    };
    let delivery = message.delivery.as_ref().map(|delivery| {
        let reason = match delivery {
            DeliveryStatus::Queued { reason } => reason.clone(),
            DeliveryStatus::Failed { reason } => Some(reason.clone()),
            DeliveryStatus::Sent { via } => via.clone(),
            _ => None,
        };
        let failed = matches!(delivery, DeliveryStatus::Failed { .. });
        // The socket's delivery event shows it queued again.
        let send_again = {
            let path = format!(
                "/api/v1/conversations/{}/messages/{}/retry",
                message.conversation_id, message.id
            );
            Callback::from(move |_| {
                let path = path.clone();
                spawn_local(async move {
                    let _ = api::post::<Message>(&path, &()).await;
                });
            })
        };
        html! {
            <span class={classes!("delivery", failed.then_some("failed"))} title={reason.clone()}>
                { t.delivery(delivery) }
                if let Some(reason) = reason { { ": " }{ reason } }
                if failed {
                    { " " }<button type="button" class="send-again" onclick={send_again}>{ t.send_again }</button>
                }
            </span>
        }
    });
    html! {
        <li key={message.id} class={classes!("message", class)} data-id={message.id.to_string()}>
            <div class="meta">
                if message.direction == Direction::Note {
                    <span class="note-mark">{ t.private_note }{ " · " }</span>
                }
                <span class="author">{ author_name(console, message) }</span>
                <time>{ written_time(message.created_at, console.locale.tag()) }</time>
                if message.automatic { <span class="automatic">{ t.automatic }</span> }
            </div>
            if !message.to.is_empty() || !message.cc.is_empty() {
                <div class="recipients">
                    if !message.to.is_empty() { <span>{ t.to }{ ": " }{ message.to.join(", ") }</span> }
                    if !message.cc.is_empty() { <span>{ t.cc }{ ": " }{ message.cc.join(", ") }</span> }
                </div>
            }
            <div class="text">{ &message.text }</div>
            if let Some(quoted) = &message.quoted {
                <details class="quoted">
                    <summary title={t.show_quoted} aria-label={t.show_quoted}>{ "…" }</summary>
                    <div class="text">{ quoted }</div>
                </details>
            }
            if message.html.is_some() {
                { formatted(t, message) }
            }
            if !message.attachments.is_empty() {
                <ul class="attachments">
                    { for message.attachments.iter().map(|file| html! {
                        <li>
                            if shown_in_place(&file.media_type) {
                                <img class="preview" src={format!("/api/v1/attachments/{}?preview=true", file.sha256)}
                                    alt={file.name.clone()} loading="lazy" onerror={hide_broken_preview()} />
                            }
                            <a href={format!("/api/v1/attachments/{}", file.sha256)} target="_blank" rel="noopener"
                                download={file.name.clone()}>{ super::paperclip() }{ " " }{ &file.name }</a>
                            if file.media_type == "application/pdf" {
                                <PdfPreview sha256={file.sha256.clone()} name={file.name.clone()} locale={console.locale} />
                            }
                            </li>
                    }) }
                </ul>
            }
            if !message.left_out.is_empty() {
                <ul class="attachments left-out">
                    { for message.left_out.iter().map(|file| html! {
                        <li>{ super::paperclip() }{ " " }{ &file.name }
                            if let Some(size) = file.size { { format!(" ({})", readable_size(size)) } }
                            { " — " }{ t.left_out(file.reason) }</li>
                    }) }
                </ul>
            }
            if let Some(original) = &message.original {
                <a class="original" href={format!("/api/v1/attachments/{}", original.sha256)} target="_blank"
                    rel="noopener">{ t.show_original }</a>
            }
            { for delivery }
        </li>
    }
}

#[derive(Properties, PartialEq)]
struct ActionsProps {
    console: UseReducerHandle<Console>,
    conversation: Conversation,
}

/// Assignee, status and labels of the open conversation.
#[function_component(Actions)]
fn actions(props: &ActionsProps) -> Html {
    let console = &props.console;
    let conversation = &props.conversation;
    let t = texts(console.locale);
    let me = console.me.agent.id;
    let button = |label: &'static str, class: &'static str, what: Act| {
        let console = console.clone();
        html! {
            <button class={class} onclick={Callback::from(move |_| { act(&console, what.clone()); })}>{ label }</button>
        }
    };
    let on_pick = |to_act: fn(Option<Id>) -> Act| {
        let console = console.clone();
        Callback::from(move |event: Event| {
            let select: web_sys::HtmlSelectElement = event.target_unchecked_into();
            act(&console, to_act(select.value().parse().ok()));
        })
    };
    let label_input = use_node_ref();
    let add_label = {
        let console = console.clone();
        let labels = conversation.labels.clone();
        let label_input = label_input.clone();
        Callback::from(move |event: SubmitEvent| {
            event.prevent_default();
            let Some(input) = label_input.cast::<HtmlInputElement>() else {
                return;
            };
            let label = input.value().trim().to_string();
            if label.is_empty() {
                return;
            }
            input.set_value("");
            let mut labels = labels.clone();
            labels.push(label);
            act(&console, Act::Labels(labels));
        })
    };
    html! {
        <div class="actions">
            <label class="assignee">{ t.assigned_to }
                <select onchange={on_pick(Act::Assign)}>
                    <option value="" selected={conversation.assignee_id.is_none()}>{ t.nobody }</option>
                    { for console.agents.iter().filter(|agent| agent.active).map(|agent| html! {
                        <option value={agent.id.to_string()} selected={conversation.assignee_id == Some(agent.id)}>
                            { &agent.name }
                            if agent.availability != Availability::Online { { " · " }{ t.availability(agent.availability) } }
                        </option>
                    }) }
                </select>
            </label>
            if conversation.assignee_id != Some(me) {
                { button(t.assign_to_me, "assign-me", Act::AssignToMe) }
            }
            if !console.teams.is_empty() {
                <label class="team">{ t.team }
                    <select onchange={on_pick(Act::Team)}>
                        <option value="" selected={conversation.team_id.is_none()}>{ t.no_team }</option>
                        { for console.teams.iter().map(|team| html! {
                            <option value={team.id.to_string()} selected={conversation.team_id == Some(team.id)}>{ &team.name }</option>
                        }) }
                    </select>
                </label>
            }
            if conversation.status == ConversationStatus::Resolved {
                { button(t.reopen, "reopen", Act::Status(ConversationStatus::Open)) }
            } else {
                if conversation.status == ConversationStatus::Open {
                    { button(t.mark_pending, "pending", Act::Status(ConversationStatus::Pending)) }
                }
                if conversation.status == ConversationStatus::Snoozed {
                    { button(t.reopen, "reopen", Act::Status(ConversationStatus::Open)) }
                } else {
                    <SnoozeMenu console={console.clone()} />
                }
                { button(t.resolve, "resolve", Act::Resolve) }
            }
            <ul class="labels" aria-label={t.labels}>
                { for conversation.labels.iter().map(|label| {
                    let remaining: Vec<String> = conversation.labels.iter().filter(|other| *other != label).cloned().collect();
                    let console = console.clone();
                    label_chip(&props.console, label, html! {
                        <button aria-label={format!("× {label}")}
                            onclick={Callback::from(move |_| { act(&console, Act::Labels(remaining.clone())); })}>{ "×" }</button>
                    })
                }) }
            </ul>
            <form class="add-label" onsubmit={add_label}>
                <input ref={label_input} name="label" placeholder={t.add_label} aria-label={t.add_label} maxlength="50"
                    list="catalogue-labels" autocomplete="off" />
                <datalist id="catalogue-labels">
                    { for console.labels.iter().filter(|label| !conversation.labels.contains(&label.name))
                        .map(|label| html! { <option value={label.name.clone()} /> }) }
                </datalist>
            </form>
            <TranscriptMenu console={console.clone()} conversation_id={conversation.id}
                contact_email={console.contacts.get(&conversation.contact_id)
                    .and_then(|contact| contact.email_to_write().map(str::to_string))
                    .unwrap_or_default()} />
        </div>
    }
}

#[derive(Properties, PartialEq)]
struct SnoozeProps {
    console: UseReducerHandle<Console>,
}

/// Snooze for an hour, until tomorrow or Monday at nine, or until a time the agent picks.
#[function_component(SnoozeMenu)]
fn snooze_menu(props: &SnoozeProps) -> Html {
    let console = &props.console;
    let t = texts(console.locale);
    let custom = use_node_ref();
    let choice = |label: &'static str, class: &'static str, until: fn() -> Millis| {
        let console = console.clone();
        html! {
            <li><button type="button" class={class}
                onclick={Callback::from(move |_| { act(&console, Act::Snooze(until())); })}>{ label }</button></li>
        }
    };
    let on_custom = {
        let (console, custom) = (console.clone(), custom.clone());
        Callback::from(move |event: SubmitEvent| {
            event.prevent_default();
            let Some(input) = custom.cast::<HtmlInputElement>() else {
                return;
            };
            // A `datetime-local` value is read in the browser's time zone.
            let until = js_sys::Date::new(&input.value().into()).get_time();
            if until.is_finite() {
                act(&console, Act::Snooze(until as Millis));
            }
        })
    };
    html! {
        <details class="snooze">
            <summary>{ t.snooze }</summary>
            <ul role="menu">
                { choice(t.snooze_hour, "snooze-hour", || js_sys::Date::now() as Millis + 3_600_000) }
                { choice(t.snooze_tomorrow, "snooze-tomorrow", || nine_oclock_in(1)) }
                { choice(t.snooze_week, "snooze-monday", || nine_oclock_in(days_to_monday())) }
                <li>
                    <form class="snooze-custom" onsubmit={on_custom}>
                        <label>{ t.snooze_until }<input ref={custom} type="datetime-local" name="until" required=true /></label>
                        <button type="submit">{ t.snooze }</button>
                    </form>
                </li>
            </ul>
        </details>
    }
}

#[derive(Properties, PartialEq)]
struct TranscriptProps {
    console: UseReducerHandle<Console>,
    conversation_id: Id,
    /// Where it goes unless the agent writes another address.
    contact_email: String,
}

/// Emails the conversation's transcript (its messages, never its notes) to an address, the
/// contact's by default; says what the mail server answered.
#[function_component(TranscriptMenu)]
fn transcript_menu(props: &TranscriptProps) -> Html {
    let t = texts(props.console.locale);
    let to = use_node_ref();
    // `None` before sending; `Some(Ok)` sent, `Some(Err(why))` refused.
    let outcome = use_state(|| None::<Result<(), String>>);
    let onsubmit = {
        let (to, outcome) = (to.clone(), outcome.clone());
        let (id, locale) = (props.conversation_id, props.console.locale);
        Callback::from(move |event: SubmitEvent| {
            event.prevent_default();
            let Some(address) = to.cast::<HtmlInputElement>().map(|input| input.value()) else {
                return;
            };
            let outcome = outcome.clone();
            spawn_local(async move {
                let body = serde_json::json!({ "to": address.trim(), "locale": locale.tag() });
                let sent = api::post::<serde_json::Value>(
                    &format!("/api/v1/conversations/{id}/transcript"),
                    &body,
                )
                .await;
                outcome.set(Some(
                    sent.map(drop)
                        .map_err(|failure| failure.said(t.unreachable)),
                ));
            });
        })
    };
    html! {
        <details class="transcript">
            <summary>{ t.send_transcript }</summary>
            <form {onsubmit}>
                <label>{ t.email }<input ref={to} type="email" name="to" required=true
                    value={props.contact_email.clone()} /></label>
                <button type="submit">{ t.send }</button>
                { match &*outcome {
                    Some(Ok(())) => html! { <p class="saved" role="status">{ t.transcript_sent }</p> },
                    Some(Err(why)) => html! { <p class="error" role="alert">{ t.not_sent }{ " " }{ why }</p> },
                    None => html! {},
                } }
            </form>
        </details>
    }
}

#[derive(Properties, PartialEq)]
struct PdfProps {
    sha256: String,
    name: String,
    locale: crate::i18n::Locale,
}

/// A PDF shown in place on request, by the browser's own viewer (the gateway serves it only
/// when its bytes are a PDF, and lets only the console frame it).
#[function_component(PdfPreview)]
fn pdf_preview(props: &PdfProps) -> Html {
    let t = texts(props.locale);
    let shown = use_state(|| false);
    let toggle = {
        let shown = shown.clone();
        Callback::from(move |_| shown.set(!*shown))
    };
    html! {
        <>
            { " " }<button type="button" class="show-pdf" aria-expanded={shown.to_string()} onclick={toggle}>
                { if *shown { t.hide_preview } else { t.preview } }</button>
            if *shown {
                <iframe class="pdf-preview" title={props.name.clone()}
                    src={format!("/api/v1/attachments/{}?preview=true", props.sha256)}></iframe>
            }
        </>
    }
}
