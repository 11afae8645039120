//! The sign-in form at `/`, with the gateway's refusals said in the agent's language.

use switchboard_model::{LoginRequest, Me};
use wasm_bindgen_futures::spawn_local;
use web_sys::HtmlInputElement;
use yew::prelude::*;

use crate::api::{self, Failure};
use crate::i18n::{Locale, texts};
use crate::views::LanguagePicker;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub locale: Locale,
    pub on_locale: Callback<Locale>,
    pub on_signed_in: Callback<Me>,
}

#[function_component(SignIn)]
pub fn sign_in(props: &Props) -> Html {
    let t = texts(props.locale);
    let email = use_node_ref();
    let password = use_node_ref();
    let busy = use_state(|| false);
    let error = use_state(|| None::<&'static str>);
    let onsubmit = {
        let (email, password) = (email.clone(), password.clone());
        let (busy, error) = (busy.clone(), error.clone());
        let on_signed_in = props.on_signed_in.clone();
        Callback::from(move |event: SubmitEvent| {
            event.prevent_default();
            let value = |node: &NodeRef| {
                node.cast::<HtmlInputElement>()
                    .map(|input| input.value())
                    .unwrap_or_default()
            };
            let request = LoginRequest {
                email: value(&email),
                password: value(&password),
            };
            let (busy, error, on_signed_in) = (busy.clone(), error.clone(), on_signed_in.clone());
            busy.set(true);
            spawn_local(async move {
                match api::post::<Me>("/api/v1/auth/login", &request).await {
                    Ok(me) => on_signed_in.emit(me),
                    Err(failure) => {
                        error.set(Some(match failure {
                            Failure::Offline => t.unreachable,
                            Failure::Refused {
                                status: 429 | 503, ..
                            } => t.too_many_attempts,
                            Failure::Refused { code, .. } if code == "agent_deactivated" => {
                                t.account_deactivated
                            }
                            _ => t.wrong_credentials,
                        }));
                        busy.set(false);
                    }
                }
            });
        })
    };
    html! {
        <main class="sign-in">
            <form class="card" {onsubmit} aria-labelledby="sign-in-title">
                <h1 id="sign-in-title">{ t.sign_in_title }</h1>
                <label>{ t.email }
                    <input ref={email} type="email" name="email" autocomplete="username" required=true />
                </label>
                <label>{ t.password }
                    <input ref={password} type="password" name="password" autocomplete="current-password" required=true />
                </label>
                if let Some(error) = *error {
                    <p class="error" role="alert">{ error }</p>
                }
                <button type="submit" disabled={*busy}>{ if *busy { t.signing_in } else { t.sign_in } }</button>
                <p><a class="forgot-password" href="/password-reset">{ t.forgot_password }</a></p>
                <LanguagePicker locale={props.locale} label={t.language} on_locale={props.on_locale.clone()} />
            </form>
        </main>
    }
}
