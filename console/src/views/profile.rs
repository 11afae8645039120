//! The agent's own profile: name, email signature, the console's language, availability
//! (which other agents see, and which automatic assignment follows) and notifications.

use switchboard_model::{Agent, Availability, Me, NotificationSettings, ProfileUpdate};
use wasm_bindgen_futures::spawn_local;
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

use crate::api;
use crate::i18n::{Locale, texts};
use crate::state::{Action, Console};

pub const AVAILABILITIES: [Availability; 3] = [
    Availability::Online,
    Availability::Away,
    Availability::Offline,
];

/// An availability's name in forms (and, after `is-`, in class names).
pub fn availability_key(availability: Availability) -> &'static str {
    match availability {
        Availability::Online => "online",
        Availability::Away => "away",
        Availability::Offline => "offline",
    }
}

/// Changes the agent's own profile; the new one goes into the state (and the language into
/// the page) when the gateway took it.
pub async fn save(
    dispatch: &UseReducerDispatcher<Console>,
    on_locale: &Callback<Locale>,
    update: ProfileUpdate,
) -> Result<(), api::Failure> {
    let me = api::patch::<Me>("/api/v1/auth/me", &update).await?;
    if let Some(locale) = me.agent.language.as_deref().and_then(Locale::from_tag) {
        on_locale.emit(locale);
    }
    dispatch.dispatch(Action::Me(me));
    Ok(())
}

/// Keeps what the agent types into `field` (an input or a text area).
pub fn edit(field: &UseStateHandle<String>) -> Callback<InputEvent> {
    let field = field.clone();
    Callback::from(move |event: InputEvent| field.set(value_of(&event)))
}

/// The value of the input, select or text area an event came from.
pub fn value_of(event: &Event) -> String {
    event
        .target()
        .and_then(|target| js_sys::Reflect::get(&target, &"value".into()).ok())
        .and_then(|value| value.as_string())
        .unwrap_or_default()
}

/// Whether the checkbox an event came from is ticked.
pub fn checked_of(event: &Event) -> bool {
    event
        .target()
        .and_then(|target| js_sys::Reflect::get(&target, &"checked".into()).ok())
        .and_then(|value| value.as_bool())
        .unwrap_or(false)
}

#[derive(Properties, PartialEq)]
pub struct Props {
    pub console: UseReducerHandle<Console>,
    pub on_locale: Callback<Locale>,
    pub on_close: Callback<()>,
}

#[function_component(Profile)]
pub fn profile(props: &Props) -> Html {
    let console = &props.console;
    let t = texts(console.locale);
    let agent = &console.me.agent;
    let name = use_state(|| agent.name.clone());
    let signature = use_state(|| agent.signature.clone());
    let language = use_node_ref();
    let availability = use_state(|| agent.availability);
    let notifications = use_state(|| agent.notifications);
    // `None` while nothing was said; `Some(Ok)` saved, `Some(Err(why))` refused.
    let outcome = use_state(|| None::<Result<(), String>>);
    let onsubmit = {
        let (name, signature, language) = (name.clone(), signature.clone(), language.clone());
        let (availability, notifications, outcome) =
            (availability.clone(), notifications.clone(), outcome.clone());
        let dispatch = console.dispatcher();
        let on_locale = props.on_locale.clone();
        Callback::from(move |event: SubmitEvent| {
            event.prevent_default();
            let update = ProfileUpdate {
                name: Some((*name).clone()),
                signature: Some((*signature).clone()),
                language: language
                    .cast::<HtmlSelectElement>()
                    .map(|input| input.value()),
                availability: Some(*availability),
                notifications: Some(*notifications),
            };
            if update.notifications.is_some_and(|wanted| wanted.desktop) {
                crate::notify::ask_permission(*notifications);
            }
            let (dispatch, on_locale, outcome) =
                (dispatch.clone(), on_locale.clone(), outcome.clone());
            spawn_local(async move {
                let saved = save(&dispatch, &on_locale, update).await;
                outcome.set(Some(saved.map_err(|failure| failure.said(t.unreachable))));
            });
        })
    };
    let on_close = props.on_close.reform(|_: MouseEvent| ());
    // A new picture is saved at once; the gateway checks it is an image.
    let on_avatar = {
        let (dispatch, outcome) = (console.dispatcher(), outcome.clone());
        let me = console.me.clone();
        Callback::from(move |event: Event| {
            let input: HtmlInputElement = event.target_unchecked_into();
            let Some(file) = input.files().and_then(|files| files.get(0)) else {
                return;
            };
            let (dispatch, outcome, me) = (dispatch.clone(), outcome.clone(), me.clone());
            spawn_local(async move {
                let path = format!("/api/v1/agents/{}/avatar", me.agent.id);
                match api::put_file::<Agent>(&path, &file).await {
                    Ok(agent) => {
                        dispatch.dispatch(Action::Me(Me { agent, ..me }));
                        outcome.set(Some(Ok(())));
                    }
                    Err(failure) => outcome.set(Some(Err(failure.said(t.unreachable)))),
                }
            });
        })
    };
    let toggle = |pick: fn(&mut NotificationSettings) -> &mut bool| {
        let notifications = notifications.clone();
        Callback::from(move |event: Event| {
            let input: HtmlInputElement = event.target_unchecked_into();
            let mut chosen = *notifications;
            *pick(&mut chosen) = input.checked();
            notifications.set(chosen);
        })
    };
    let chosen_language = agent.language.clone().unwrap_or_default();

    html! {
        <div class="overlay" role="dialog" aria-modal="true" aria-labelledby="profile-title">
            <form class="card profile" {onsubmit}>
                <h2 id="profile-title">{ t.profile }</h2>
                <div class="avatar">
                    if let Some(picture) = &agent.avatar {
                        <img src={format!("/api/v1/attachments/{}?preview=true", picture.sha256)} alt="" />
                    }
                    <label>{ t.avatar }
                        <input type="file" name="avatar" accept="image/png,image/jpeg,image/gif,image/webp"
                            onchange={on_avatar} /></label>
                </div>
                <label>{ t.name }
                    <input name="name" value={(*name).clone()} maxlength="120" required=true
                        oninput={edit(&name)} /></label>
                <label>{ t.signature }
                    <textarea name="signature" rows="3" maxlength="2000" value={(*signature).clone()}
                        oninput={edit(&signature)} /></label>
                <label>{ t.language }
                    <select ref={language} name="language">
                        <option value="" selected={chosen_language.is_empty()}>{ t.browser_language }</option>
                        { for Locale::ALL.iter().map(|locale| html! {
                            <option value={locale.tag()} selected={chosen_language == locale.tag()}>{ locale.name() }</option>
                        }) }
                    </select></label>
                <fieldset class="availability">
                    <legend>{ t.availability }</legend>
                    { for AVAILABILITIES.iter().map(|choice| {
                        let availability = availability.clone();
                        let choice = *choice;
                        html! {
                            <label class={format!("is-{}", availability_key(choice))}>
                                <input type="radio" name="availability" value={availability_key(choice)}
                                    checked={*availability == choice}
                                    onchange={Callback::from(move |_| availability.set(choice))} />
                                <span class="dot" aria-hidden="true"></span>{ t.availability(choice) }
                            </label>
                        }
                    }) }
                </fieldset>
                <fieldset>
                    <legend>{ t.notifications }</legend>
                    <label><input type="checkbox" name="desktop" checked={notifications.desktop}
                        onchange={toggle(|chosen| &mut chosen.desktop)} />{ t.notify_desktop }</label>
                    <label><input type="checkbox" name="sound" checked={notifications.sound}
                        onchange={toggle(|chosen| &mut chosen.sound)} />{ t.notify_sound }</label>
                </fieldset>
                { match &*outcome {
                    Some(Ok(())) => html! { <p class="saved" role="status">{ t.saved }</p> },
                    Some(Err(why)) => html! { <p class="error" role="alert">{ t.not_saved }{ " " }{ why }</p> },
                    None => html! {},
                } }
                <div class="buttons">
                    <button type="button" onclick={on_close}>{ t.close }</button>
                    <button type="submit" class="primary">{ t.save }</button>
                </div>
            </form>
        </div>
    }
}
