//! The first run's first step, for a person whose password the gateway generated (the first
//! admin, or one the operator made): they choose their own, typed twice, before anything else
//! of the console shows. The generated one stops working once they have.

use switchboard_model::{ChosenPassword, Me};
use wasm_bindgen_futures::spawn_local;
use web_sys::HtmlInputElement;
use yew::prelude::*;

use crate::api::{self, Failure};
use crate::i18n::{Locale, first_run_texts, texts};
use crate::views::LanguagePicker;
use crate::views::workspace::sign_out;

/// The shortest password the gateway takes.
const MIN_PASSWORD_CHARS: usize = 10;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub locale: Locale,
    pub on_locale: Callback<Locale>,
    /// The person as they are once their password is their own.
    pub on_chosen: Callback<Me>,
    pub on_signed_out: Callback<()>,
}

#[function_component(ChoosePassword)]
pub fn choose_password(props: &Props) -> Html {
    let (t, f) = (texts(props.locale), first_run_texts(props.locale));
    let password = use_node_ref();
    let again = use_node_ref();
    let busy = use_state(|| false);
    let error = use_state(|| None::<&'static str>);
    let onsubmit = {
        let (password, again) = (password.clone(), again.clone());
        let (busy, error) = (busy.clone(), error.clone());
        let (on_chosen, on_signed_out) = (props.on_chosen.clone(), props.on_signed_out.clone());
        Callback::from(move |event: SubmitEvent| {
            event.prevent_default();
            let value = |node: &NodeRef| {
                node.cast::<HtmlInputElement>()
                    .map(|input| input.value())
                    .unwrap_or_default()
            };
            let chosen = ChosenPassword {
                password: value(&password),
            };
            if chosen.password.chars().count() < MIN_PASSWORD_CHARS {
                error.set(Some(f.too_short));
                return;
            }
            if chosen.password != value(&again) {
                error.set(Some(f.mismatch));
                return;
            }
            let (busy, error) = (busy.clone(), error.clone());
            let (on_chosen, on_signed_out) = (on_chosen.clone(), on_signed_out.clone());
            busy.set(true);
            error.set(None);
            spawn_local(async move {
                match api::post::<Me>("/api/v1/auth/password", &chosen).await {
                    Ok(me) => on_chosen.emit(me),
                    Err(Failure::SignedOut) => on_signed_out.emit(()),
                    Err(failure) => {
                        error.set(Some(match failure {
                            Failure::Refused { code, .. } if code == "same_password" => {
                                f.same_password
                            }
                            Failure::Refused { code, .. } if code == "weak_password" => f.too_short,
                            _ => t.unreachable,
                        }));
                        busy.set(false);
                    }
                }
            });
        })
    };
    let on_sign_out = sign_out(&props.on_signed_out);
    html! {
        <main class="sign-in first-run-password">
            <form class="card" {onsubmit} aria-labelledby="choose-password-title" novalidate=true>
                <p class="step-of">{ f.step_of.replace("{n}", "1") }</p>
                <h1 id="choose-password-title">{ f.choose_title }</h1>
                <p>{ f.choose_intro }</p>
                <label>{ f.new_password }
                    <input ref={password} type="password" name="new-password" autocomplete="new-password"
                        minlength="10" required=true aria-describedby="password-rule" />
                </label>
                <small id="password-rule">{ f.password_rule }</small>
                <label>{ f.repeat_password }
                    <input ref={again} type="password" name="repeat-password" autocomplete="new-password" required=true />
                </label>
                if let Some(error) = *error {
                    <p class="error" role="alert">{ error }</p>
                }
                <button type="submit" class="primary" disabled={*busy}>{ f.save_password }</button>
                <p class="first-run-foot">
                    <LanguagePicker locale={props.locale} label={t.language} on_locale={props.on_locale.clone()} />
                    <button type="button" class="sign-out" onclick={on_sign_out}>{ t.sign_out }</button>
                </p>
            </form>
        </main>
    }
}
