//! An admin's settings (`/app/settings/…`), a page of its own so that the agents' console does
//! not carry them: it signs nobody in (the console's page does) and sends anyone who is not an
//! admin ready to work there.

use switchboard_console::views::settings_page::SettingsPage;
use switchboard_console::{
    api, go_to, initial_locale, profile_locale, remember_locale, set_document_language,
};
use switchboard_model::{Me, Role};
use wasm_bindgen_futures::spawn_local;
use yew::prelude::*;

#[function_component(App)]
fn app() -> Html {
    let me = use_state(|| None::<Me>);
    let locale = use_state(initial_locale);
    {
        let (me, locale) = (me.setter(), locale.setter());
        use_effect_with((), move |_| {
            spawn_local(async move {
                match api::get::<Me>("/api/v1/auth/me").await {
                    Ok(found)
                        if found.agent.role == Role::Admin && !found.agent.must_choose_password =>
                    {
                        if let Some(chosen) = profile_locale(&found) {
                            locale.set(chosen);
                        }
                        me.set(Some(found));
                    }
                    // An agent, a supervisor, or an admin still to choose a password.
                    Ok(_) => go_to("/app/"),
                    Err(_) => go_to("/"),
                }
            });
        });
    }
    set_document_language(*locale);
    let on_locale = {
        let locale = locale.setter();
        Callback::from(move |chosen| {
            remember_locale(chosen);
            locale.set(chosen);
        })
    };
    match &*me {
        None => html! { <main class="loading" aria-busy="true"></main> },
        Some(me) => html! { <SettingsPage me={me.clone()} locale={*locale} {on_locale} /> },
    }
}

fn main() {
    yew::Renderer::<App>::new().render();
}
