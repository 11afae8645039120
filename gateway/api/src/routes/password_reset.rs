//! The password reset pages (see `switchboard_services::password_reset`): `/password-reset`
//! asks for the email address and sends the link; the link's page, `/password-reset/finish`,
//! asks for the new password, saves it and ends the person's other sessions and tokens.

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::get;
use serde::Deserialize;
use switchboard_services::password_reset::{self, Claim, Words, checked};
use switchboard_store::AgentChange;

use super::form_pages::{
    PasswordPage, answer, chosen_password, field, page, password_field, with_sign_in,
};
use crate::client_address::ClientAddress;
use crate::extract::Query;
use crate::{ApiResult, AppState};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/password-reset", get(start).post(ask))
        .route("/password-reset/finish", get(finish_page).post(finish))
}

#[derive(Debug, Default, Deserialize)]
struct Asked {
    #[serde(default)]
    email: String,
}

fn words_for(headers: &HeaderMap) -> &'static Words {
    password_reset::words(super::browser_language(headers))
}

/// Without the installation's own mail no link can go out: the page says whom to ask.
fn without_mail(state: &AppState, words: &Words) -> Option<ApiResult<Response>> {
    state.services.config.system_mail.is_none().then(|| {
        answer(
            StatusCode::NOT_FOUND,
            page(words.title, words.no_mail, true, None),
        )
    })
}

fn email_form(words: &Words) -> String {
    field("email", words.email_label, "email", "", "email")
}

async fn start(State(state): State<AppState>, headers: HeaderMap) -> ApiResult<Response> {
    let words = words_for(&headers);
    if let Some(page) = without_mail(&state, words) {
        return page;
    }
    let form = email_form(words);
    answer(
        StatusCode::OK,
        page(words.title, words.intro, false, Some((&form, words.send))),
    )
}

async fn ask(
    State(state): State<AppState>,
    headers: HeaderMap,
    client: ClientAddress,
    body: Bytes,
) -> ApiResult<Response> {
    let words = words_for(&headers);
    if let Some(page) = without_mail(&state, words) {
        return page;
    }
    let asked: Asked = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    let client = client.limit_key();
    let language = super::browser_language(&headers);
    if let Err(fault) = password_reset::ask(&state, client.as_deref(), &asked.email, language).await
    {
        // The page says the same whatever happened; the operator reads why in the log.
        tracing::warn!(reason = %fault.message, "a password reset link was not sent");
    }
    answer(StatusCode::OK, page(words.title, words.sent, false, None))
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
    if checked(&state, &claim).await?.is_none() {
        return expired(words);
    }
    let form = password_field(words.password);
    answer(
        StatusCode::OK,
        page(words.title, words.choose, false, Some((&form, words.save))),
    )
}

async fn finish(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(claim): Query<Claim>,
    body: Bytes,
) -> ApiResult<Response> {
    let words = words_for(&headers);
    let Some(agent) = checked(&state, &claim).await? else {
        return expired(words);
    };
    let texts = PasswordPage {
        title: words.title,
        label: words.password,
        button: words.save,
        too_short: words.weak_password,
    };
    let password_hash = match chosen_password(&body, texts).await? {
        Ok(hash) => hash,
        Err(asked_again) => return Ok(asked_again),
    };
    let change = AgentChange {
        password_hash: Some(password_hash),
        ..AgentChange::default()
    };
    state
        .store
        .update_agent(agent.workspace_id, agent.id, change)
        .await?;
    // Whoever knew the old password is out.
    state
        .store
        .revoke_agent_access(agent.workspace_id, agent.id, None)
        .await?;
    tracing::info!(agent_id = agent.id, "a password was reset by email");
    let html = with_sign_in(page(words.title, words.done, false, None), words.sign_in);
    answer(StatusCode::OK, html)
}
