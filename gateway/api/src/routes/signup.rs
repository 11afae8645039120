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
use switchboard_model::Role;
use switchboard_services::signup::{self, Claim, Words, checked};
use switchboard_store::{NewAgentRecord, StoreError};

use crate::client_address::ClientAddress;
use crate::extract::Query;
use crate::{ApiResult, AppState, hash_password};

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

#[derive(Debug, Default, Deserialize)]
struct Chosen {
    #[serde(default)]
    password: String,
}

fn words_for(headers: &HeaderMap) -> &'static Words {
    signup::words(super::browser_language(headers))
}

/// A page: its title, a paragraph (an error, when `failed`) and, if given, a form's fields
/// and button; the form posts back to the same address.
fn page(words: &Words, paragraph: &str, failed: bool, form: Option<(&str, &str)>) -> String {
    let text = html_escape::encode_text;
    let paragraph = if failed {
        format!("<p role=\"alert\">{}</p>", text(paragraph))
    } else {
        format!("<p>{}</p>", text(paragraph))
    };
    let form = form.map_or_else(String::new, |(fields, button)| {
        format!(
            "<form method=\"post\">{fields}<button type=\"submit\">{}</button></form>",
            text(button)
        )
    });
    format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{title}</title></head><body><main><h1>{title}</h1>{paragraph}{form}</main></body></html>",
        title = text(words.title),
    )
}

fn field(name: &str, label: &str, kind: &str, value: &str, autocomplete: &str) -> String {
    format!(
        "<p><label>{}<br><input name=\"{name}\" type=\"{kind}\" value=\"{}\" autocomplete=\"{autocomplete}\" required></label></p>",
        html_escape::encode_text(label),
        html_escape::encode_double_quoted_attribute(value)
    )
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

/// A page with `status`.
fn answer(status: StatusCode, html: String) -> ApiResult<Response> {
    let mut page = crate::web::strict_page(html)?;
    *page.status_mut() = status;
    Ok(page)
}

fn closed(words: &Words) -> ApiResult<Response> {
    answer(StatusCode::NOT_FOUND, page(words, words.closed, true, None))
}

async fn start(State(state): State<AppState>, headers: HeaderMap) -> ApiResult<Response> {
    let words = words_for(&headers);
    if !state.services.config.signup.enabled {
        return closed(words);
    }
    let form = ask_form(words, &Asked::default());
    answer(
        StatusCode::OK,
        page(words, words.intro, false, Some((&form, words.start))),
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
        Ok(()) => answer(StatusCode::OK, page(words, words.sent, false, None)),
        Err(fault) => match words.refusal(fault.code) {
            Some(told) => {
                let form = ask_form(words, &asked);
                answer(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    page(words, told, true, Some((&form, words.start))),
                )
            }
            None => Err(fault.into()),
        },
    }
}

fn password_form(words: &Words) -> String {
    field("password", words.password, "password", "", "new-password")
}

fn expired(words: &Words) -> ApiResult<Response> {
    answer(StatusCode::GONE, page(words, words.expired, true, None))
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
    let form = password_form(words);
    answer(
        StatusCode::OK,
        page(words, &question, false, Some((&form, words.finish))),
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
    let chosen: Chosen = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    let password_hash = match hash_password(chosen.password).await {
        Ok(hash) => hash,
        Err(error) if error.code == "weak_password" => {
            let form = password_form(words);
            return answer(
                StatusCode::UNPROCESSABLE_ENTITY,
                page(
                    words,
                    words.weak_password,
                    true,
                    Some((&form, words.finish)),
                ),
            );
        }
        Err(error) => return Err(error),
    };
    let admin = NewAgentRecord {
        name: claim
            .email
            .split('@')
            .next()
            .unwrap_or_default()
            .to_string(),
        email: claim.email.clone(),
        role: Role::Admin,
        password_hash,
    };
    match state
        .store
        .create_workspace_with_admin(&claim.business, admin)
        .await
    {
        Ok((workspace, _)) => {
            tracing::info!(
                workspace_id = workspace.id,
                "a workspace was made by sign-up"
            );
            let ready = words.ready.replace("{business}", &workspace.name);
            let link = format!(
                "<p><a href=\"/app/\">{}</a></p>",
                html_escape::encode_text(words.sign_in)
            );
            let html =
                page(words, &ready, false, None).replace("</main>", &format!("{link}</main>"));
            answer(StatusCode::CREATED, html)
        }
        Err(StoreError::Conflict(_)) => {
            answer(StatusCode::CONFLICT, page(words, words.taken, true, None))
        }
        Err(error) => Err(error.into()),
    }
}
