//! The routes, one file per area. Each handler carries its OpenAPI description, so the
//! description the gateway serves is generated from the very routes it serves.

mod agents;
mod attachments;
mod audit_log;
mod canned;
mod channels;
pub mod confirmation;
mod contacts;
mod conversations;
mod events;
mod form_pages;
mod hooks;
mod inbound;
pub mod invitation_page;
mod invitations;
mod labels;
mod mailboxes;
pub mod oauth_sign_in;
mod operator;
mod ops;
pub mod password_reset;
mod plugins;
mod quotas;
mod routing;
mod session;
pub mod signup;
mod teams;
mod tokens;
mod webhooks;
mod widget;
mod workspace;

use std::sync::Arc;

use axum::Router;
use axum::http::{StatusCode, Uri};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;

use crate::{ApiError, AppState};

/// The description's frame: title, version and the two ways to authenticate.
#[derive(OpenApi)]
#[openapi(
    info(title = "Switchboard API", description = "REST and WebSocket API of the Switchboard gateway. Times are Unix milliseconds; errors are `{\"error\": {\"code\", \"message\"}}`."),
    modifiers(&Security),
    security(("bearer" = []), ("session" = []))
)]
struct ApiDoc;

struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(crate::SESSION_COOKIE))),
        );
    }
}

/// Everything under `/api/v1`, with its description.
pub fn api_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(session::routes())
        .merge(workspace::routes())
        .merge(agents::routes())
        .merge(invitations::routes())
        .merge(teams::routes())
        .merge(routing::routes())
        .merge(channels::routes())
        .merge(canned::routes())
        .merge(labels::routes())
        .merge(quotas::routes())
        .merge(tokens::routes())
        .merge(webhooks::routes())
        .merge(audit_log::routes())
        .merge(contacts::routes())
        .merge(attachments::routes())
        .merge(conversations::routes())
        .merge(inbound::routes())
        .merge(events::routes())
        .merge(plugins::routes())
        .merge(hooks::routes())
        .merge(mailboxes::routes())
        .merge(oauth_sign_in::routes())
        .merge(widget::routes())
        .merge(operator::routes())
}

/// Health, metrics and the API description.
pub fn ops_routes(openapi: Arc<utoipa::openapi::OpenApi>) -> Router<AppState> {
    ops::routes(openapi)
}

pub async fn no_route(uri: Uri) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "no_route",
        format!("there is no route {}", uri.path()),
    )
}

pub async fn method_not_allowed(uri: Uri) -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        format!("{} does not take this method", uri.path()),
    )
}

/// The largest page a list returns.
const MAX_PAGE: usize = 200;

/// A page size asked for, within bounds.
fn page_size(limit: Option<u32>) -> usize {
    limit.map_or(50, |limit| (limit as usize).clamp(1, MAX_PAGE))
}

/// Rejects blank or overlong text fields, naming the field.
fn require_text(field: &str, value: &str, max_chars: usize) -> crate::ApiResult<()> {
    if value.trim().is_empty() {
        return Err(ApiError::invalid_body(format!("`{field}` must not be empty")).on_field(field));
    }
    if value.chars().count() > max_chars {
        return Err(ApiError::invalid_body(format!(
            "`{field}` is longer than {max_chars} characters"
        ))
        .on_field(field));
    }
    Ok(())
}

/// Rejects a `colour` that is not a hex colour (`#rrggbb` or `#rgb`), naming it.
fn require_colour(colour: &str) -> crate::ApiResult<()> {
    let hex = colour.strip_prefix('#').unwrap_or_default();
    if matches!(hex.len(), 3 | 6) && hex.chars().all(|c| c.is_ascii_hexdigit()) {
        Ok(())
    } else {
        Err(ApiError::invalid_body(format!(
            "`colour` must be a hex colour such as #1f6feb, not {colour:?}"
        ))
        .on_field("colour"))
    }
}

/// The language a browser asks for first among the three the gateway's pages are written in.
fn browser_language(headers: &axum::http::HeaderMap) -> switchboard_services::language::Language {
    let accepted = headers
        .get(axum::http::header::ACCEPT_LANGUAGE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default();
    switchboard_services::language::Language::first_of(accepted)
}
