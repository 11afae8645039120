//! The sign-up pages (see `switchboard_services::signup`): `/signup` asks for the business's
//! name and an email address and sends the link; the link's page, `/signup/finish`, asks for a
//! password and makes the workspace. Plain pages with forms that post back, in the browser's
//! language; none of them exists while the operator keeps sign-up closed.

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::get;
use serde::Deserialize;
use switchboard_model::{Role, name_from_email};
use switchboard_services::signup::{self, Claim, Words, checked};
use switchboard_store::{NewAgentRecord, StoreError};

use super::form_pages::{
    PasswordPage, answer, chosen_password, field, page, password_field, with_sign_in,
};
use crate::client_address::ClientAddress;
use crate::extract::Query;
use crate::{ApiResult, AppState};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/signup", get(start).post(ask))
        .route("/signup/finish", get(finish_page).post(finish))
}

#[derive(Debug, Default, Deserialize)]
struct Asked {
    #[serde(default)]
    business: String,
    #[serde(default)]
    email: String,
}

fn words_for(headers: &HeaderMap) -> &'static Words {
    signup::words(super::browser_language(headers))
}

fn ask_form(words: &Words, asked: &Asked) -> String {
    field(
        "business",
        words.business,
        "text",
        &asked.business,
        "organization",
    ) + &field("email", words.email_label, "email", &asked.email, "email")
}

fn closed(words: &Words) -> ApiResult<Response> {
    answer(
        StatusCode::NOT_FOUND,
        page(words.title, words.closed, true, None),
    )
}

async fn start(State(state): State<AppState>, headers: HeaderMap) -> ApiResult<Response> {
    let words = words_for(&headers);
    if !state.services.config.signup.enabled {
        return closed(words);
    }
    let form = ask_form(words, &Asked::default());
    answer(
        StatusCode::OK,
        page(words.title, words.intro, false, Some((&form, words.start))),
    )
}

async fn ask(
    State(state): State<AppState>,
    headers: HeaderMap,
    client: ClientAddress,
    body: Bytes,
) -> ApiResult<Response> {
    let words = words_for(&headers);
    if !state.services.config.signup.enabled {
        return closed(words);
    }
    let asked: Asked = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    let language = super::browser_language(&headers);
    let client = client.limit_key();
    match signup::ask(
        &state,
        client.as_deref(),
        &asked.email,
        &asked.business,
        language,
    )
    .await
    {
        Ok(()) => answer(StatusCode::OK, page(words.title, words.sent, false, None)),
        Err(fault) => match words.refusal(fault.code) {
            Some(told) => {
                let form = ask_form(words, &asked);
                answer(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    page(words.title, told, true, Some((&form, words.start))),
                )
            }
            None => Err(fault.into()),
        },
    }
}

fn expired(words: &Words) -> ApiResult<Response> {
    answer(
        StatusCode::GONE,
        page(words.title, words.expired, true, None),
    )
}

async fn finish_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(claim): Query<Claim>,
) -> ApiResult<Response> {
    let words = words_for(&headers);
    if !state.services.config.signup.enabled {
        return closed(words);
    }
    let Some(claim) = checked(&state, &claim) else {
        return expired(words);
    };
    let question = words.choose_password.replace("{business}", &claim.business);
    let form = password_field(words.password);
    answer(
        StatusCode::OK,
        page(words.title, &question, false, Some((&form, words.finish))),
    )
}

async fn finish(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(claim): Query<Claim>,
    body: Bytes,
) -> ApiResult<Response> {
    let words = words_for(&headers);
    if !state.services.config.signup.enabled {
        return closed(words);
    }
    let Some(claim) = checked(&state, &claim) else {
        return expired(words);
    };
    let texts = PasswordPage {
        title: words.title,
        label: words.password,
        button: words.finish,
        too_short: words.weak_password,
    };
    let password_hash = match chosen_password(&body, texts).await? {
        Ok(hash) => hash,
        Err(asked_again) => return Ok(asked_again),
    };
    let admin = NewAgentRecord {
        name: name_from_email(&claim.email).to_string(),
        email: claim.email.clone(),
        role: Role::Admin,
        password_hash,
        must_choose_password: false,
    };
    let quotas = state.services.config.signup.quotas;
    match state
        .store
        .create_workspace_with_admin(&claim.business, admin, quotas)
        .await
    {
        Ok((workspace, _)) => {
            tracing::info!(
                workspace_id = workspace.id,
                "a workspace was made by sign-up"
            );
            let ready = words.ready.replace("{business}", &workspace.name);
            let html = with_sign_in(page(words.title, &ready, false, None), words.sign_in);
            answer(StatusCode::CREATED, html)
        }
        Err(StoreError::Conflict(_)) => answer(
            StatusCode::CONFLICT,
            page(words.title, words.taken, true, None),
        ),
        Err(error) => Err(error.into()),
    }
}
