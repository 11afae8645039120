//! The agent console's page: sign in at `/`, then the inbox at `/app/` (a conversation at
//! `/app/conversations/{id}`), kept current by the workspace's event socket. An admin's
//! settings are a page of their own (`switchboard-settings`).

use switchboard_console::i18n::Locale;
use switchboard_console::{
    api, initial_locale, profile_locale, remember_locale, set_document_language, show_path, views,
};
use switchboard_model::Me;
use wasm_bindgen_futures::spawn_local;
use yew::prelude::*;

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
