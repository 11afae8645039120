//! Settings › Integrations (admins, `/app/settings/integrations`): API tokens (listed with
//! their scope, creation and expiry; created with a name, a scope and an expiry, the secret
//! shown once with a Copy button; revoked after asking), the outgoing webhooks
//! ([`WebhookSettings`]) and the audit log ([`AuditLog`]), which is read again after each
//! change made here.

use switchboard_model::{ApiToken, CreatedApiToken, Millis, NewApiToken, TokenScope};
use wasm_bindgen_futures::spawn_local;
use yew::prelude::*;

use crate::api;
use crate::i18n::{integration_texts, texts};
use crate::state::Console;
use crate::views::audit_log::AuditLog;
use crate::views::channel_editor::{Said, copy_on_click, said_line};
use crate::views::profile::{edit, value_of};
use crate::views::settings::{ConfirmDelete, refusal};
use crate::views::webhook_settings::WebhookSettings;
use crate::views::workspace::signed_out_on;

/// The expiries offered, in days from now (none: never), in the order of `expiries`' words.
const EXPIRY_DAYS: [Option<i64>; 4] = [None, Some(30), Some(90), Some(365)];

const DAY_MILLIS: i64 = 24 * 60 * 60 * 1000;

/// The scopes offered, in the order of `scopes`' words, with their names on the wire.
const SCOPES: [(TokenScope, &str); 3] = [
    (TokenScope::Read, "read"),
    (TokenScope::Write, "write"),
    (TokenScope::Admin, "admin"),
];

#[derive(Properties, PartialEq)]
pub struct Props {
    pub console: UseReducerHandle<Console>,
    pub on_signed_out: Callback<()>,
}

#[function_component(IntegrationSettings)]
pub fn integration_settings(props: &Props) -> Html {
    let i = integration_texts(props.console.locale);
    // Counts the changes made here, so that the audit log shows them.
    let changes = use_state(|| 0_u32);
    let on_changed = {
        let changes = changes.clone();
        Callback::from(move |()| changes.set(changes.wrapping_add(1)))
    };
    html! {
        <div class="integration-settings">
            <section class="api-tokens" aria-labelledby="api-tokens-title">
                <h2 id="api-tokens-title">{ i.api_tokens }</h2>
                <p class="hint">{ i.tokens_help }</p>
                <ApiTokens console={props.console.clone()} on_signed_out={props.on_signed_out.clone()}
                    on_changed={on_changed.clone()} />
            </section>
            <section class="webhooks" aria-labelledby="webhooks-title">
                <h2 id="webhooks-title">{ i.webhooks }</h2>
                <p class="hint">{ i.webhooks_help }</p>
                <WebhookSettings console={props.console.clone()}
                    on_signed_out={props.on_signed_out.clone()} {on_changed} />
            </section>
            <section class="audit" aria-labelledby="audit-title">
                <h2 id="audit-title">{ i.audit_log }</h2>
                <p class="hint">{ i.audit_help }</p>
                <AuditLog console={props.console.clone()} on_signed_out={props.on_signed_out.clone()}
                    changes={*changes} />
            </section>
        </div>
    }
}

/// A moment as the admin's language writes it: the date with its year, and the time if `time`.
pub fn written_date(millis: Millis, locale: &str, time: bool) -> String {
    let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(millis as f64));
    let options = js_sys::Object::new();
    let set = |key: &str, value: &str| {
        let _ = js_sys::Reflect::set(&options, &key.into(), &value.into());
    };
    set("dateStyle", "medium");
    if time {
        set("timeStyle", "short");
    }
    date.to_locale_string(locale, &options).into()
}

#[derive(Properties, PartialEq)]
struct TokensProps {
    console: UseReducerHandle<Console>,
    on_signed_out: Callback<()>,
    /// A token was created or revoked.
    on_changed: Callback<()>,
}

#[function_component(ApiTokens)]
fn api_tokens(props: &TokensProps) -> Html {
    let locale = props.console.locale;
    let (t, i) = (texts(locale), integration_texts(locale));
    let tokens = use_state(|| None::<Vec<ApiToken>>);
    let creating = use_state(|| false);
    let name = use_state(String::new);
    let scope = use_state(|| TokenScope::Read);
    let expiry = use_state(|| 2_usize);
    // The token just made, shown until the admin says Done.
    let created = use_state(|| None::<CreatedApiToken>);
    let said: Said = use_state(|| None);
    let busy = use_state(|| false);
    let generation = use_state(|| 0_u32);
    {
        let (tokens, said, on_signed_out) =
            (tokens.clone(), said.clone(), props.on_signed_out.clone());
        use_effect_with(*generation, move |_| {
            spawn_local(async move {
                match api::get::<Vec<ApiToken>>("/api/v1/api-tokens").await {
                    Ok(listed) => tokens.set(Some(listed)),
                    Err(failure) => {
                        signed_out_on(&failure, &on_signed_out);
                        said.set(Some(Err(failure.said(t.unreachable))));
                    }
                }
            });
        });
    }
    let changed = {
        let (generation, on_changed) = (generation.clone(), props.on_changed.clone());
        Callback::from(move |()| {
            generation.set(generation.wrapping_add(1));
            on_changed.emit(());
        })
    };
    let toggle_form = {
        let (creating, name, said) = (creating.clone(), name.setter(), said.setter());
        Callback::from(move |_: MouseEvent| {
            name.set(String::new());
            said.set(None);
            creating.set(!*creating);
        })
    };
    let onsubmit = {
        let (name, scope, expiry) = (name.clone(), scope.clone(), expiry.clone());
        let (creating, created, said, busy) = (
            creating.clone(),
            created.clone(),
            said.clone(),
            busy.clone(),
        );
        let (changed, on_signed_out) = (changed.clone(), props.on_signed_out.clone());
        Callback::from(move |event: SubmitEvent| {
            event.prevent_default();
            let new = NewApiToken {
                name: name.trim().to_string(),
                scope: *scope,
                expires_at: EXPIRY_DAYS[*expiry]
                    .map(|days| js_sys::Date::now() as Millis + days * DAY_MILLIS),
            };
            let (creating, created, said, busy) = (
                creating.clone(),
                created.clone(),
                said.clone(),
                busy.clone(),
            );
            let (changed, on_signed_out) = (changed.clone(), on_signed_out.clone());
            busy.set(true);
            spawn_local(async move {
                let answer = api::post::<CreatedApiToken>("/api/v1/api-tokens", &new).await;
                busy.set(false);
                match answer {
                    Ok(token) => {
                        said.set(None);
                        created.set(Some(token));
                        creating.set(false);
                        changed.emit(());
                    }
                    Err(failure) => said.set(Some(Err(refusal(
                        &failure,
                        t,
                        &[("name", t.name), ("expires_at", i.expires)],
                        String::new(),
                        &on_signed_out,
                    )))),
                }
            });
        })
    };
    let revoke = |id| {
        let (said, busy, changed) = (said.clone(), busy.clone(), changed.clone());
        let on_signed_out = props.on_signed_out.clone();
        Callback::from(move |()| {
            let (said, busy, changed) = (said.clone(), busy.clone(), changed.clone());
            let on_signed_out = on_signed_out.clone();
            busy.set(true);
            spawn_local(async move {
                let revoked = api::delete_only(&format!("/api/v1/api-tokens/{id}")).await;
                busy.set(false);
                match revoked {
                    Ok(()) => {
                        said.set(Some(Ok(i.revoked.to_string())));
                        changed.emit(());
                    }
                    Err(failure) => {
                        signed_out_on(&failure, &on_signed_out);
                        said.set(Some(Err(failure.said(t.unreachable))));
                    }
                }
            });
        })
    };
    let shown_once = created.as_ref().map(|token| {
        let done = {
            let created = created.setter();
            Callback::from(move |_: MouseEvent| created.set(None))
        };
        html! {
            <div class="card handed token-once" role="status">
                <p>{ i.token_ready.replace("{name}", &token.info.name) }</p>
                <input class="secret" readonly=true value={token.token.clone()}
                    aria-label={i.api_tokens} />
                <button type="button" class="copy" onclick={copy_on_click(token.token.clone(), &said, t)}>
                    { t.copy }</button>
                <p class="warning">{ i.shown_once }</p>
                <button type="button" class="done" onclick={done}>{ i.done }</button>
            </div>
        }
    });
    let on_scope = {
        let scope = scope.setter();
        Callback::from(move |event: Event| {
            let picked = value_of(&event);
            if let Some((known, _)) = SCOPES.iter().find(|(_, wire)| *wire == picked) {
                scope.set(*known);
            }
        })
    };
    let on_expiry = {
        let expiry = expiry.setter();
        Callback::from(move |event: Event| expiry.set(value_of(&event).parse().unwrap_or(0)))
    };
    let form = html! {
        <form class="card token-editor" novalidate=true {onsubmit}>
            <h3>{ i.new_token }</h3>
            <label><span>{ t.name }</span>
                <input name="token-name" maxlength="80" autocomplete="off" required=true
                    value={(*name).clone()} oninput={edit(&name)} /></label>
            <label><span>{ i.scope }</span>
                <select name="token-scope" onchange={on_scope}>
                    { for SCOPES.iter().map(|(known, wire)| html! {
                        <option value={*wire} selected={*scope == *known}>{ i.scope_name(*known) }</option>
                    }) }
                </select></label>
            <label><span>{ i.expires }</span>
                <select name="token-expiry" onchange={on_expiry}>
                    { for i.expiries.iter().enumerate().map(|(index, words)| html! {
                        <option value={index.to_string()} selected={*expiry == index}>{ *words }</option>
                    }) }
                </select></label>
            { said_line(&said) }
            <div class="buttons">
                <button type="button" class="back-to-list" onclick={toggle_form.clone()}>{ t.cancel }</button>
                <button type="submit" class="primary" disabled={*busy}>{ i.create }</button>
            </div>
        </form>
    };
    let language = locale.tag();
    let row = |token: &ApiToken| {
        let expires = token.expires_at.map_or(i.never_expires.to_string(), |at| {
            i.expires_on
                .replace("{date}", &written_date(at, language, false))
        });
        html! {
            <li class="settings-row token-row" data-token={token.name.clone()}>
                <span class="name">{ &token.name }</span>
                <span class="role">{ i.scope_name(token.scope) }</span>
                <span class="preview">
                    { i.created_on.replace("{date}", &written_date(token.created_at, language, false)) }
                    { " · " }{ expires }</span>
                <ConfirmDelete question={i.revoke_confirm} delete={i.revoke} keep={t.keep}
                    busy={*busy} on_delete={revoke(token.id)} />
            </li>
        }
    };
    html! {
        <>
            { for shown_once }
            if *creating {
                { form }
            } else {
                <button class="primary new-token" onclick={toggle_form}>{ "+ " }{ i.new_token }</button>
                { said_line(&said) }
            }
            { match tokens.as_deref() {
                Some([]) => html! { <p class="later">{ i.no_tokens }</p> },
                Some(listed) => html! {
                    <ul class="settings-rows token-rows" aria-label={i.api_tokens}>
                        { for listed.iter().map(row) }
                    </ul>
                },
                None => html! {},
            } }
        </>
    }
}
