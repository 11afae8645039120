//! The settings' page (`/app/settings/…`, a Wasm of its own that only admins load): a new
//! workspace's first run until it is done (then the inbox), else a top bar and the settings.
//! Leaving it, for the inbox or on signing out, loads the console's page.

use switchboard_model::Me;
use wasm_bindgen_futures::spawn_local;
use yew::prelude::*;

use crate::i18n::{Locale, texts};
use crate::state::{Action, Console};
use crate::views::LanguagePicker;
use crate::views::first_run::FirstRun;
use crate::views::quota_notice::QuotaNotice;
use crate::views::settings::Settings;
use crate::views::workspace::{load_directory, sign_out, signed_out_on};

#[derive(Properties, PartialEq)]
pub struct Props {
    pub me: Me,
    pub locale: Locale,
    pub on_locale: Callback<Locale>,
}

#[function_component(SettingsPage)]
pub fn settings_page(props: &Props) -> Html {
    let console = use_reducer(|| Console::new(props.me.clone(), props.locale));
    let t = texts(props.locale);
    let on_signed_out = Callback::from(|()| crate::go_to("/"));
    {
        let dispatch = console.dispatcher();
        use_effect_with(props.locale, move |locale| {
            dispatch.dispatch(Action::Locale(*locale))
        });
    }
    // The directory, before anything shows (a list of teams or channels is never drawn empty
    // for want of it).
    let loaded = use_state(|| false);
    {
        let (dispatch, on_signed_out) = (console.dispatcher(), on_signed_out.clone());
        let loaded = loaded.setter();
        use_effect_with((), move |_| {
            spawn_local(async move {
                match load_directory(&dispatch).await {
                    Ok(()) => loaded.set(true),
                    Err(failure) => signed_out_on(&failure, &on_signed_out),
                }
            });
        });
    }
    // Once the first run is done, the inbox.
    let was_new = use_state(|| !props.me.workspace.onboarded);
    let onboarded = console.me.workspace.onboarded;
    use_effect_with(onboarded, move |onboarded| {
        if *onboarded && *was_new {
            crate::go_to("/app/");
        }
    });
    if !*loaded {
        return html! { <main class="loading" aria-busy="true"></main> };
    }
    if !onboarded {
        return html! {
            <FirstRun console={console.clone()} locale={props.locale}
                on_locale={props.on_locale.clone()} {on_signed_out} />
        };
    }
    html! {
        <div class="console in-settings">
            <header class="topbar">
                <strong class="workspace-name">{ &console.me.workspace.name }</strong>
                <QuotaNotice locale={props.locale} />
                <span class="spacer"></span>
                <LanguagePicker locale={props.locale} label={t.language}
                    on_locale={props.on_locale.clone()} />
                <button class="sign-out" onclick={sign_out(&on_signed_out)}>{ t.sign_out }</button>
            </header>
            <Settings console={console.clone()} {on_signed_out}
                on_close={Callback::from(|()| crate::go_to("/app/"))} />
        </div>
    }
}
