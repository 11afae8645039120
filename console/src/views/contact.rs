//! The contact panel beside a conversation: the contact's details (edited in place), tags,
//! custom fields, every conversation of theirs on every channel, merging a duplicate in, and
//! for admins the contact's data exported or the contact erased.

use switchboard_model::{Contact, ContactUpdate, Conversation, Id, MergeContacts, Page, TagChange};
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::spawn_local;
use web_sys::HtmlInputElement;
use yew::prelude::*;

use crate::api;
use crate::i18n::{Texts, texts};
use crate::state::{Action, Console};
use crate::views::contact_files::ContactDataActions;
use crate::views::list::channel_icon;

/// A list typed one per line or separated by commas, without blanks.
fn entries(text: &str) -> Vec<String> {
    text.split(['\n', ','])
        .map(str::trim)
        .filter(|entry| !entry.is_empty())
        .map(str::to_string)
        .collect()
}

#[derive(Properties, PartialEq)]
pub struct Props {
    pub console: UseReducerHandle<Console>,
    pub contact_id: Id,
    pub on_close: Callback<()>,
}

#[function_component(ContactPanel)]
pub fn contact_panel(props: &Props) -> Html {
    let console = &props.console;
    let t = texts(console.locale);
    let id = props.contact_id;
    let theirs = use_state(Vec::<Id>::new);
    // The contact's conversations, again whenever the panel shows another contact.
    {
        let (theirs, dispatch) = (theirs.clone(), console.dispatcher());
        use_effect_with(id, move |id| {
            let id = *id;
            spawn_local(async move {
                let path = format!("/api/v1/conversations?contact_id={id}&limit=50");
                if let Ok(page) = api::get::<Page<Conversation>>(&path).await {
                    theirs.set(
                        page.items
                            .iter()
                            .map(|conversation| conversation.id)
                            .collect(),
                    );
                    for conversation in page.items {
                        dispatch.dispatch(Action::Conversation(conversation));
                    }
                }
            });
        });
    }
    let outcome = use_state(|| None::<Result<&'static str, String>>);
    let (tag, merge_from) = (use_node_ref(), use_node_ref());
    let Some(contact) = console.contacts.get(&id).cloned() else {
        return html! { <aside class="contact-panel" aria-busy="true"></aside> };
    };
    // Every change answers with the contact as it is now; the socket tells the other consoles.
    let apply = {
        let (dispatch, outcome) = (console.dispatcher(), outcome.clone());
        move |call: std::pin::Pin<
            Box<dyn std::future::Future<Output = Result<Contact, api::Failure>>>,
        >,
              done: &'static str| {
            let (dispatch, outcome) = (dispatch.clone(), outcome.clone());
            spawn_local(async move {
                match call.await {
                    Ok(contact) => {
                        dispatch.dispatch(Action::Contact(contact));
                        outcome.set(Some(Ok(done)));
                    }
                    Err(failure) => outcome.set(Some(Err(failure.said(t.unreachable)))),
                }
            });
        }
    };
    let change_tags = {
        let apply = apply.clone();
        move |change: TagChange| {
            let path = format!("/api/v1/contacts/{id}/tags");
            apply(
                Box::pin(async move { api::post::<Contact>(&path, &change).await }),
                t.saved,
            );
        }
    };
    let on_tag = {
        let (tag, change_tags) = (tag.clone(), change_tags.clone());
        Callback::from(move |event: SubmitEvent| {
            event.prevent_default();
            let Some(input) = tag.cast::<HtmlInputElement>() else {
                return;
            };
            let added = input.value().trim().to_string();
            input.set_value("");
            if !added.is_empty() {
                change_tags(TagChange {
                    add: vec![added],
                    remove: Vec::new(),
                });
            }
        })
    };
    let on_merge = {
        let (merge_from, apply, outcome) = (merge_from.clone(), apply.clone(), outcome.clone());
        Callback::from(move |event: SubmitEvent| {
            event.prevent_default();
            let Some(input) = merge_from.cast::<HtmlInputElement>() else {
                return;
            };
            let address = input.value().trim().to_lowercase();
            if address.is_empty() {
                return;
            }
            let (apply, outcome) = (apply.clone(), outcome.clone());
            spawn_local(async move {
                let path = format!(
                    "/api/v1/contacts?limit=20&q={}",
                    String::from(js_sys::encode_uri_component(&address))
                );
                let other = api::get::<Page<Contact>>(&path)
                    .await
                    .ok()
                    .and_then(|page| {
                        page.items.into_iter().find(|other| {
                            other.id != id
                                && other
                                    .emails
                                    .iter()
                                    .any(|known| known.eq_ignore_ascii_case(&address))
                        })
                    });
                let Some(other) = other else {
                    outcome.set(Some(Err(t.no_such_contact.to_string())));
                    return;
                };
                let path = format!("/api/v1/contacts/{id}/merge");
                let merge = MergeContacts { from_id: other.id };
                apply(
                    Box::pin(async move { api::post::<Contact>(&path, &merge).await }),
                    t.merged,
                );
            });
        })
    };
    let now = js_sys::Date::now() as i64;
    html! {
        <aside class="contact-panel" aria-label={t.contact_details}>
            <header>
                <h2>{ t.contact_details }</h2>
                <button class="close-panel" aria-label={t.close} title={t.close}
                    onclick={props.on_close.reform(|_: MouseEvent| ())}>{ "×" }</button>
            </header>
            <ContactForm key={format!("{id}-{}", contact.updated_at)} contact={contact.clone()}
                locale={console.locale} on_save={{
                    let apply = apply.clone();
                    Callback::from(move |update: ContactUpdate| {
                        let path = format!("/api/v1/contacts/{id}");
                        apply(Box::pin(async move { api::patch::<Contact>(&path, &update).await }), t.saved);
                    })
                }} />
            { match &*outcome {
                Some(Ok(done)) => html! { <p class="saved" role="status">{ *done }</p> },
                Some(Err(why)) => html! { <p class="error" role="alert">{ t.not_saved }{ " " }{ why }</p> },
                None => html! {},
            } }
            <section aria-label={t.tags}>
                <h3>{ t.tags }</h3>
                <ul class="tags">
                    { for contact.tags.iter().map(|tag| {
                        let (change_tags, removed) = (change_tags.clone(), tag.clone());
                        html! {
                            <li class="label-chip">{ tag }
                                <button aria-label={format!("× {tag}")} onclick={Callback::from(move |_| {
                                    change_tags(TagChange { add: Vec::new(), remove: vec![removed.clone()] });
                                })}>{ "×" }</button></li>
                        }
                    }) }
                </ul>
                <form class="add-tag" onsubmit={on_tag}>
                    <input ref={tag} name="tag" placeholder={t.add_tag} aria-label={t.add_tag} maxlength="50" />
                </form>
            </section>
            <section aria-label={t.their_conversations}>
                <h3>{ t.their_conversations }</h3>
                <ul class="their-conversations">
                    { for theirs.iter().filter_map(|id| console.conversations.get(id)).map(|conversation| {
                        let (dispatch, id) = (console.dispatcher(), conversation.id);
                        html! {
                            <li><button onclick={Callback::from(move |_| dispatch.dispatch(Action::Select(Some(id))))}>
                                { {
                                    let kind = console.channel_kind(conversation.channel_id);
                                    channel_icon(kind, console.kind_icon(kind))
                                } }
                                <span class="title">{ &conversation.title }</span>
                                <span class="status">{ t.status(conversation.status) }</span>
                                <span class="age">{ t.age(now - conversation.last_activity_at) }</span>
                            </button></li>
                        }
                    }) }
                </ul>
            </section>
            <button class={classes!("block", contact.blocked.then_some("blocked"))} onclick={{
                let apply = apply.clone();
                let blocked = !contact.blocked;
                Callback::from(move |_| {
                    let path = format!("/api/v1/contacts/{id}");
                    let update = ContactUpdate { blocked: Some(blocked), ..ContactUpdate::default() };
                    apply(Box::pin(async move { api::patch::<Contact>(&path, &update).await }), t.saved);
                })
            }}>{ if contact.blocked { t.unblock } else { t.block } }</button>
            <form class="merge" onsubmit={on_merge}>
                <label>{ t.merge }<input ref={merge_from} type="email" name="merge" placeholder={t.merge_hint} /></label>
                <button type="submit">{ t.merge }</button>
            </form>
            if console.me.agent.role == switchboard_model::Role::Admin {
                <ContactDataActions console={console.clone()} contact_id={id}
                    name={contact.name.clone()} on_erased={props.on_close.clone()} />
            }
        </aside>
    }
}

/// The (name, value) pairs typed into the rows of `fieldset`, without blank ones.
fn typed_fields(fieldset: &NodeRef) -> std::collections::BTreeMap<String, String> {
    let Some(fieldset) = fieldset.cast::<web_sys::Element>() else {
        return Default::default();
    };
    let cell = |row: &web_sys::Element, name: &str| {
        row.query_selector(&format!("input[name={name}]"))
            .ok()
            .flatten()
            .and_then(|input| input.dyn_into::<HtmlInputElement>().ok())
            .map(|input| input.value().trim().to_string())
            .unwrap_or_default()
    };
    let Ok(rows) = fieldset.query_selector_all(".field-row") else {
        return Default::default();
    };
    (0..rows.length())
        .filter_map(|index| rows.get(index)?.dyn_into::<web_sys::Element>().ok())
        .map(|row| (cell(&row, "field"), cell(&row, "value")))
        .filter(|(field, value)| !field.is_empty() && !value.is_empty())
        .collect()
}

#[derive(Properties, PartialEq)]
struct FormProps {
    contact: Contact,
    locale: crate::i18n::Locale,
    on_save: Callback<ContactUpdate>,
}

/// The contact's details as the agent edits them; a new state of the contact (keyed by its
/// update time) starts the form again.
#[function_component(ContactForm)]
fn contact_form(props: &FormProps) -> Html {
    let t = texts(props.locale);
    let contact = &props.contact;
    let name = use_state(|| contact.name.clone());
    let emails = use_state(|| contact.emails.join(", "));
    let phones = use_state(|| contact.phones.join(", "));
    let notes = use_state(|| contact.notes.clone());
    // The custom fields' rows are read from the page when saved (typing redraws nothing);
    // "+" adds an empty row.
    let fieldset = use_node_ref();
    let extra_rows = use_state(|| 1_usize);
    // The inputs hold what is typed, not a value the page would set again on every redraw: the
    // known fields are put in once, when the form appears.
    {
        let (fieldset, known) = (fieldset.clone(), contact.custom_fields.clone());
        use_effect_with((), move |_| {
            let Some(rows) = fieldset
                .cast::<web_sys::Element>()
                .and_then(|fieldset| fieldset.query_selector_all(".field-row").ok())
            else {
                return;
            };
            for (index, (field, value)) in known.iter().enumerate() {
                let Some(row) = rows
                    .get(index as u32)
                    .and_then(|row| row.dyn_into::<web_sys::Element>().ok())
                else {
                    continue;
                };
                for (name, text) in [("field", field), ("value", value)] {
                    if let Some(input) = row
                        .query_selector(&format!("input[name={name}]"))
                        .ok()
                        .flatten()
                        .and_then(|input| input.dyn_into::<HtmlInputElement>().ok())
                    {
                        input.set_value(text);
                    }
                }
            }
        });
    }
    let onsubmit = {
        let (name, emails, phones, notes) =
            (name.clone(), emails.clone(), phones.clone(), notes.clone());
        let fieldset = fieldset.clone();
        let on_save = props.on_save.clone();
        Callback::from(move |event: SubmitEvent| {
            event.prevent_default();
            on_save.emit(ContactUpdate {
                name: Some((*name).clone()),
                emails: Some(entries(&emails)),
                phones: Some(entries(&phones)),
                custom_fields: Some(typed_fields(&fieldset)),
                notes: Some((*notes).clone()),
                blocked: None,
            });
        })
    };
    let edit = super::profile::edit;
    html! {
        <form class="contact-form" {onsubmit}>
            <label>{ t.name }<input name="name" value={(*name).clone()} maxlength="120" oninput={edit(&name)} /></label>
            <label>{ t.email }<input name="emails" value={(*emails).clone()} oninput={edit(&emails)} /></label>
            <label>{ t.phone }<input name="phones" value={(*phones).clone()} oninput={edit(&phones)} /></label>
            <label>{ t.notes }<textarea name="notes" rows="3" value={(*notes).clone()} oninput={edit(&notes)} /></label>
            <fieldset class="custom-fields" ref={fieldset}>
                <legend>{ t.custom_fields }</legend>
                { for (0..contact.custom_fields.len() + *extra_rows).map(|_| field_row(t)) }
                <button type="button" class="add-field" aria-label={t.add_field} title={t.add_field}
                    onclick={{
                        let extra_rows = extra_rows.clone();
                        Callback::from(move |_| extra_rows.set(*extra_rows + 1))
                    }}>{ "+" }</button>
            </fieldset>
            <button type="submit">{ t.save }</button>
        </form>
    }
}

/// One custom field's name and value, as typed.
fn field_row(t: &Texts) -> Html {
    html! {
        <div class="field-row">
            <input name="field" placeholder={t.field} aria-label={t.field} maxlength="50" />
            <input name="value" placeholder={t.value} aria-label={t.value} maxlength="500" />
        </div>
    }
}
