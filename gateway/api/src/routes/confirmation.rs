//! The pages of the link that proves a website chat visitor owns the address they gave (see
//! `switchboard_services::email::confirmation`): a question with a button (a mail scanner that
//! opens the link confirms nothing), then the answer.

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::get;
use switchboard_services::email::confirmation::{Claim, Words, checked, words};

use crate::extract::{Path, Query};
use crate::{ApiError, ApiResult, AppState};

pub fn routes() -> Router<AppState> {
    Router::new().route(
        "/widget/v1/{widget}/email-confirmation",
        get(page).post(confirm),
    )
}

/// The language the browser asks for first among those the pages are written in.
fn browser_words(headers: &HeaderMap) -> &'static Words {
    words(crate::routes::browser_language(headers))
}

/// A small page: one paragraph, and a button when there is something to confirm (it posts to
/// the same address, query and all).
fn page_html(words: &Words, paragraph: &str, button: Option<&str>) -> String {
    let form = button.map_or_else(String::new, |button| {
        format!(
            "<form method=\"post\"><button type=\"submit\">{}</button></form>",
            ammonia::clean_text(button)
        )
    });
    format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{}</title></head><body><main><p>{}</p>{form}</main></body></html>",
        ammonia::clean_text(words.subject),
        ammonia::clean_text(paragraph),
    )
}

async fn business_of(state: &AppState, widget: &str) -> ApiResult<String> {
    let channel = switchboard_services::widget::channel(state, widget).await?;
    Ok(state.store.workspace(channel.workspace_id).await?.name)
}

/// The page a confirmation link opens: the question and a button (nothing is confirmed yet).
async fn page(
    State(state): State<AppState>,
    Path(widget): Path<String>,
    Query(claim): Query<Claim>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let words = browser_words(&headers);
    let Some(claim) = checked(&state, &widget, &claim) else {
        return expired(words);
    };
    let question = words
        .question
        .replace("{business}", &business_of(&state, &widget).await?)
        .replace("{email}", &claim.email);
    crate::web::strict_page(page_html(words, &question, Some(words.button)))
}

/// The page of a link that no longer works (or never did): `410 Gone`, saying what to do.
fn expired(words: &Words) -> ApiResult<Response> {
    let mut page = crate::web::strict_page(page_html(words, words.expired, None))?;
    *page.status_mut() = StatusCode::GONE;
    Ok(page)
}

/// The button: the address is the contact's, proved; replies waiting for it go out.
async fn confirm(
    State(state): State<AppState>,
    Path(widget): Path<String>,
    Query(claim): Query<Claim>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let words = browser_words(&headers);
    let Some(claim) = checked(&state, &widget, &claim) else {
        return expired(words);
    };
    let channel = switchboard_services::widget::channel(&state, &widget).await?;
    state
        .store
        .verify_email(channel.workspace_id, claim.contact, &claim.email)
        .await
        .map_err(ApiError::from)?;
    state.replies_queued.add(channel.workspace_id);
    let done = words.done.replace("{email}", &claim.email);
    crate::web::strict_page(page_html(words, &done, None))
}
