//! The agent console: sign in at `/`, then the inbox at `/app/` (a conversation at
//! `/app/conversations/{id}`; an admin's settings at `/app/settings/channels`), kept current by
//! the workspace's event socket. It talks to the gateway only through the REST API, the event
//! socket and the session cookie.

mod api;
mod i18n;
mod notify;
mod socket;
mod state;
mod views;

use switchboard_model::Me;
use wasm_bindgen_futures::spawn_local;
use yew::prelude::*;

use i18n::Locale;

/// Talc instead of Rust's default dlmalloc: made for single-threaded WebAssembly, and smaller.
#[cfg(all(target_family = "wasm", not(target_feature = "atomics")))]
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();

/// Where the agent's choice of language is kept in the browser.
const LOCALE_KEY: &str = "switchboard.console.locale";

/// The language the agent chose here before, else the browser's, else English.
fn initial_locale() -> Locale {
    let window = web_sys::window();
    let chosen = window
        .as_ref()
        .and_then(|window| window.local_storage().ok().flatten())
        .and_then(|storage| storage.get_item(LOCALE_KEY).ok().flatten());
    let browser = window.and_then(|window| window.navigator().language());
    chosen
        .or(browser)
        .and_then(|tag| Locale::from_tag(&tag))
        .unwrap_or(Locale::En)
}

/// The language the agent chose in their profile, if they chose one.
fn profile_locale(me: &Me) -> Option<Locale> {
    me.agent.language.as_deref().and_then(Locale::from_tag)
}

/// Keeps the agent's choice for the next visit.
pub fn remember_locale(locale: Locale) {
    if let Some(storage) =
        web_sys::window().and_then(|window| window.local_storage().ok().flatten())
    {
        let _ = storage.set_item(LOCALE_KEY, locale.tag());
    }
    set_document_language(locale);
}

fn set_document_language(locale: Locale) {
    if let Some(root) = web_sys::window()
        .and_then(|window| window.document())
        .and_then(|document| document.document_element())
    {
        let _ = root.set_attribute("lang", locale.tag());
    }
}

/// Shows `path` in the address bar without loading a page.
pub fn show_path(path: &str) {
    if let Some(history) = web_sys::window().and_then(|window| window.history().ok()) {
        let _ = history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(path));
    }
}

/// Goes to `path` without loading a page, as a step the browser's Back button undoes.
pub fn push_path(path: &str) {
    if let Some(history) = web_sys::window().and_then(|window| window.history().ok()) {
        let _ = history.push_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(path));
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Session {
    Checking,
    SignedOut,
    SignedIn(Box<Me>),
}

#[function_component(App)]
fn app() -> Html {
    let session = use_state(|| Session::Checking);
    let locale = use_state(initial_locale);
    {
        let (session, locale) = (session.setter(), locale.setter());
        use_effect_with((), move |_| {
            spawn_local(async move {
                session.set(match api::get::<Me>("/api/v1/auth/me").await {
                    Ok(me) => {
                        if let Some(chosen) = profile_locale(&me) {
                            locale.set(chosen);
                        }
                        Session::SignedIn(Box::new(me))
                    }
                    Err(_) => Session::SignedOut,
                });
            });
        });
    }
    set_document_language(*locale);
    let on_locale = {
        let locale = locale.setter();
        Callback::from(move |chosen: Locale| {
            remember_locale(chosen);
            locale.set(chosen);
        })
    };
    match &*session {
        Session::Checking => html! { <main class="loading" aria-busy="true"></main> },
        Session::SignedOut => {
            let on_signed_in = {
                let session = session.setter();
                let locale = locale.setter();
                Callback::from(move |me: Me| {
                    if let Some(chosen) = profile_locale(&me) {
                        remember_locale(chosen);
                        locale.set(chosen);
                    }
                    if !web_sys::window()
                        .and_then(|window| window.location().pathname().ok())
                        .is_some_and(|path| path.starts_with("/app/"))
                    {
                        show_path("/app/");
                    }
                    session.set(Session::SignedIn(Box::new(me)));
                })
            };
            html! { <views::sign_in::SignIn locale={*locale} {on_locale} {on_signed_in} /> }
        }
        Session::SignedIn(me) => {
            let on_signed_out = {
                let session = session.setter();
                Callback::from(move |()| {
                    show_path("/");
                    session.set(Session::SignedOut);
                })
            };
            // A generated password is exchanged for one's own before the console shows.
            if me.agent.must_choose_password {
                let on_chosen = {
                    let session = session.setter();
                    Callback::from(move |me: Me| session.set(Session::SignedIn(Box::new(me))))
                };
                return html! {
                    <views::choose_password::ChoosePassword locale={*locale} {on_locale} {on_chosen} {on_signed_out} />
                };
            }
            html! {
                <views::workspace::Workspace me={(**me).clone()} locale={*locale} {on_locale} {on_signed_out} />
            }
        }
    }
}

fn main() {
    yew::Renderer::<App>::new().render();
}
