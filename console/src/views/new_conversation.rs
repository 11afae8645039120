//! Starting a conversation: the agent picks a channel that can start one (not a website chat,
//! where the visitor writes first), finds the contact by name, address or phone or makes a new
//! one from an email address or a phone number, and writes the first message (with a subject on
//! email). Where the provider lets a business write first only with an approved template
//! (WhatsApp), the agent picks one and fills in its values instead.

use std::rc::Rc;

use switchboard_model::{
    Channel, ChannelKind, Contact, NewContact, NewConversation, Page, Started, TemplateUse,
};
use wasm_bindgen_futures::spawn_local;
use web_sys::{HtmlInputElement, HtmlSelectElement, HtmlTextAreaElement};
use yew::prelude::*;

use crate::api::{self, Failure};
use crate::i18n::texts;
use crate::state::{Action, Console, Templates};
use crate::views::template_picker::{TemplatePicker, learn_templates, unavailable};

/// Channels on which an agent may write first.
pub fn can_start(channel: &Channel) -> bool {
    channel.active && channel.kind != ChannelKind::WEBCHAT
}

/// Whether `typed` reads as a phone number: digits, with `+`, spaces, dots, dashes or
/// parentheses between them, eight digits at least.
fn is_phone_number(typed: &str) -> bool {
    let digits = typed.chars().filter(char::is_ascii_digit).count();
    digits >= 8
        && typed
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '+' | ' ' | '.' | '-' | '(' | ')'))
}

#[derive(Properties, PartialEq)]
pub struct Props {
    pub console: UseReducerHandle<Console>,
    pub on_close: Callback<()>,
}

#[function_component(NewConversationDialog)]
pub fn new_conversation(props: &Props) -> Html {
    let console = &props.console;
    let t = texts(console.locale);
    let channels: Vec<Channel> = console
        .channels
        .iter()
        .filter(|c| can_start(c))
        .cloned()
        .collect();
    let channel_id = use_state(|| channels.first().map(|channel| channel.id));
    let query = use_state(String::new);
    let found = use_state(Vec::<Contact>::new);
    let chosen = use_state(|| None::<Contact>);
    let (title, text) = (use_node_ref(), use_node_ref());
    let failure = use_state(|| None::<String>);
    let email = channels
        .iter()
        .find(|channel| Some(channel.id) == *channel_id)
        .is_some_and(|channel| channel.kind == ChannelKind::EMAIL);
    // The chosen channel's reply window and templates, asked for once per channel.
    {
        let dispatch = console.dispatcher();
        let wanted = (*channel_id).filter(|id| console.templates_wanted(*id));
        use_effect_with(wanted, move |wanted| {
            if let Some(channel_id) = *wanted {
                learn_templates(dispatch, channel_id);
            }
        });
    }
    // On a channel with a reply window, a conversation starts only with a template.
    let templates = (*channel_id).and_then(|id| match console.templates.get(&id) {
        Some(Templates::Known(known)) if known.reply_window_hours.is_some() => {
            Some(Ok(Rc::new(known.templates.clone())))
        }
        Some(Templates::Unavailable(why)) => Some(Err(why.clone())),
        _ => None,
    });
    let starting = use_state(|| false);
    let on_channel = {
        let channel_id = channel_id.clone();
        Callback::from(move |event: Event| {
            let select: HtmlSelectElement = event.target_unchecked_into();
            channel_id.set(select.value().parse().ok());
        })
    };
    let on_query = {
        let (query, found, chosen) = (query.clone(), found.clone(), chosen.clone());
        Callback::from(move |event: InputEvent| {
            let input: HtmlInputElement = event.target_unchecked_into();
            let typed = input.value();
            query.set(typed.clone());
            chosen.set(None);
            if typed.trim().chars().count() < 2 {
                found.set(Vec::new());
                return;
            }
            let found = found.clone();
            spawn_local(async move {
                let path = format!(
                    "/api/v1/contacts?limit=8&q={}",
                    String::from(js_sys::encode_uri_component(typed.trim()))
                );
                if let Ok(page) = api::get::<Page<Contact>>(&path).await {
                    found.set(page.items);
                }
            });
        })
    };
    let pick = |contact: Contact| {
        let (chosen, found) = (chosen.clone(), found.clone());
        Callback::from(move |_| {
            chosen.set(Some(contact.clone()));
            found.set(Vec::new());
        })
    };
    let create = {
        let (query, chosen, failure) = (query.clone(), chosen.clone(), failure.clone());
        Callback::from(move |_| {
            let address = query.trim().to_string();
            let (chosen, failure) = (chosen.clone(), failure.clone());
            spawn_local(async move {
                let phone = is_phone_number(&address);
                let new = NewContact {
                    name: address.clone(),
                    emails: if phone {
                        Vec::new()
                    } else {
                        vec![address.clone()]
                    },
                    phones: if phone { vec![address] } else { Vec::new() },
                    identities: Vec::new(),
                    tags: Vec::new(),
                    custom_fields: Default::default(),
                    notes: String::new(),
                };
                match api::post::<Contact>("/api/v1/contacts", &new).await {
                    Ok(contact) => chosen.set(Some(contact)),
                    Err(refused) => failure.set(Some(refused.said(t.unreachable))),
                }
            });
        })
    };
    // Starts the conversation with free text, or with `template` where one is chosen.
    let start = {
        let (channel_id, chosen, failure) = (channel_id.clone(), chosen.clone(), failure.clone());
        let (title, text, starting) = (title.clone(), text.clone(), starting.clone());
        let dispatch = console.dispatcher();
        let on_close = props.on_close.clone();
        Callback::from(move |template: Option<TemplateUse>| {
            let (Some(channel_id), Some(contact)) = (*channel_id, (*chosen).clone()) else {
                return;
            };
            if *starting {
                return;
            }
            let new = NewConversation {
                channel_id,
                contact_id: contact.id,
                title: title.cast::<HtmlInputElement>().map(|input| input.value()),
                // A template's text is filled in by the gateway.
                text: text
                    .cast::<HtmlTextAreaElement>()
                    .map(|input| input.value())
                    .filter(|_| template.is_none())
                    .unwrap_or_default(),
                template,
                attachments: Vec::new(),
            };
            let (dispatch, on_close, failure) =
                (dispatch.clone(), on_close.clone(), failure.clone());
            let starting = starting.clone();
            starting.set(true);
            spawn_local(async move {
                match api::post::<Started>("/api/v1/conversations", &new).await {
                    Ok(started) => {
                        let id = started.conversation.id;
                        dispatch.dispatch(Action::Contact(contact));
                        dispatch.dispatch(Action::Conversation(started.conversation));
                        dispatch.dispatch(Action::Select(Some(id)));
                        on_close.emit(());
                    }
                    Err(Failure::SignedOut) => on_close.emit(()),
                    Err(refused) => {
                        failure.set(Some(refused.said(t.unreachable)));
                        starting.set(false);
                    }
                }
            });
        })
    };
    let onsubmit = {
        let start = start.clone();
        Callback::from(move |event: SubmitEvent| {
            event.prevent_default();
            start.emit(None);
        })
    };
    let offer_new = chosen.is_none()
        && (switchboard_model::is_email_address(query.trim())
            || (!email && is_phone_number(query.trim())))
        && !found.iter().any(|contact| {
            contact
                .emails
                .iter()
                .any(|known| known.eq_ignore_ascii_case(query.trim()))
        });
    let first_message = match &templates {
        Some(Ok(templates)) => html! {
            <>
                <p class="window closed" role="status">{ t.window_never }</p>
                <TemplatePicker locale={console.locale} templates={templates.clone()}
                    sending={chosen.is_none() || *starting}
                    on_send={start.reform(Some)} />
            </>
        },
        Some(Err(why)) => html! { <p class="error" role="alert">{ unavailable(t, why) }</p> },
        None => html! {
            <label>{ t.message }<textarea ref={text} name="text" rows="6" required=true /></label>
        },
    };
    let free_text = templates.is_none();
    html! {
        <div class="overlay" role="dialog" aria-modal="true" aria-labelledby="new-conversation-title">
            <form class="card new-conversation" {onsubmit}>
                <h2 id="new-conversation-title">{ t.new_conversation }</h2>
                <label>{ t.channel }
                    <select name="channel" onchange={on_channel}>
                        { for channels.iter().map(|channel| html! {
                            <option value={channel.id.to_string()} selected={Some(channel.id) == *channel_id}>{ &channel.name }</option>
                        }) }
                    </select></label>
                <label>{ t.to }
                    if let Some(contact) = &*chosen {
                        <span class="chosen-contact">{ &contact.name }
                            if let Some(address) = contact.email_to_write() { { " <" }{ address }{ ">" } }
                            else if let Some(phone) = contact.phones.first().filter(|phone| **phone != contact.name) {
                                { " (" }{ phone }{ ")" }
                            }
                        </span>
                    }
                    <input name="contact" type="search" autocomplete="off" placeholder={t.find_contact}
                        aria-label={t.find_contact} value={(*query).clone()} oninput={on_query} />
                </label>
                if !found.is_empty() || offer_new {
                    <ul class="contact-choices" role="listbox" aria-label={t.contact}>
                        { for found.iter().map(|contact| html! {
                            <li role="option" aria-selected="false" onclick={pick(contact.clone())}>
                                <strong>{ &contact.name }</strong>{ " " }
                                <span>{ contact.emails.first().or(contact.phones.first()).cloned().unwrap_or_default() }</span></li>
                        }) }
                        if offer_new {
                            <li role="option" aria-selected="false" class="create-contact" onclick={create}>
                                { t.create_contact }{ ": " }<strong>{ query.trim() }</strong></li>
                        }
                    </ul>
                }
                if email {
                    <label>{ t.subject }<input ref={title} name="subject" maxlength="200" required=true /></label>
                }
                { first_message }
                if let Some(why) = &*failure {
                    <p class="error" role="alert">{ t.not_started }{ " " }{ why }</p>
                }
                <div class="buttons">
                    <button type="button" onclick={props.on_close.reform(|_: MouseEvent| ())}>{ t.cancel }</button>
                    if free_text {
                        <button type="submit" class="primary"
                            disabled={chosen.is_none() || channel_id.is_none() || *starting}>{ t.send }</button>
                    }
                </div>
            </form>
        </div>
    }
}
