//! The visitor API that the chat widget calls, under `/widget/v1/{widget}`: its public
//! settings, visitor sessions, history, sending, uploads, typing and read signals, and the
//! event socket that resumes from the last event id. Visitors authenticate with a visitor token
//! (`Authorization: Bearer …`, or `?token=` on the socket); they see only their own messages.

use axum::http::header::{AUTHORIZATION, HOST, ORIGIN};
use axum::http::{HeaderMap, StatusCode};
use switchboard_model::Channel;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::client_address::ClientAddress;
use crate::{ApiError, ApiResult, AppState};
use switchboard_services::throttle::rate_limited;
use switchboard_services::widget::{self, Visitor};

mod config;
mod messages;
mod session;
mod signals;
mod socket;
mod uploads;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(config::widget_config))
        .routes(routes!(session::start_session))
        .routes(routes!(messages::history, messages::send_message))
        .routes(routes!(uploads::upload))
        .routes(routes!(signals::signal))
        .routes(routes!(socket::socket))
        .routes(routes!(uploads::avatar))
}

/// Origin and per-address limits, for every visitor request.
fn guard(
    state: &AppState,
    channel: &Channel,
    headers: &HeaderMap,
    client: ClientAddress,
) -> ApiResult<()> {
    check_site(channel, headers)?;
    if let Some(key) = client.limit_key() {
        state
            .widgets
            .limits
            .per_address
            .take(&key)
            .map_err(|wait| rate_limited("requests from this address", wait))?;
    }
    Ok(())
}

/// Whether the page a request comes from (its `Origin`) may use the widget.
fn check_site(channel: &Channel, headers: &HeaderMap) -> ApiResult<()> {
    let header = |name| {
        headers
            .get(name)
            .and_then(|value: &axum::http::HeaderValue| value.to_str().ok())
    };
    if widget::origin_allowed(channel, header(ORIGIN), header(HOST)) {
        Ok(())
    } else {
        Err(refused_site(channel, header(ORIGIN).unwrap_or_default()))
    }
}

/// The answer to a page whose site the widget does not allow, written for the site's owner,
/// who reads it in the browser's console.
fn refused_site(channel: &Channel, origin: &str) -> ApiError {
    ApiError::new(
        StatusCode::FORBIDDEN,
        "origin_not_allowed",
        format!(
            "the website chat `{}.{}` does not allow the site {origin}: add {origin} to the channel's `allowed_origins` setting",
            channel.workspace_id, channel.id
        ),
    )
}

/// The visitor a request's bearer token names, for this widget.
async fn visitor(
    state: &AppState,
    widget: &str,
    headers: &HeaderMap,
    token: Option<&str>,
) -> ApiResult<(Channel, Visitor)> {
    let channel = widget::channel(state, widget).await?;
    let token = token.or_else(|| {
        headers
            .get(AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.strip_prefix("Bearer "))
    });
    let visitor = token
        .and_then(|token| Visitor::from_token(&state.secrets, token))
        .filter(|visitor| {
            visitor.channel_id == channel.id && visitor.workspace_id == channel.workspace_id
        })
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::UNAUTHORIZED,
                "unauthenticated",
                "a visitor token for this widget is needed",
            )
        })?;
    state.widgets.seen.saw(&visitor);
    Ok((channel, visitor))
}

/// The visitor of a request that counts against one of their limits (messages and uploads,
/// or signals): the token's visitor, with the origin and per-address checks passed and
/// `limit` taken for `what`.
async fn counted_visitor(
    state: &AppState,
    widget: &str,
    headers: &HeaderMap,
    client: ClientAddress,
    limit: impl FnOnce(&widget::WidgetLimits) -> &switchboard_services::throttle::RateLimiter,
    what: &str,
) -> ApiResult<(Channel, Visitor)> {
    let (channel, visitor) = visitor(state, widget, headers, None).await?;
    guard(state, &channel, headers, client)?;
    limit(&state.widgets.limits)
        .take(&visitor.id)
        .map_err(|wait| rate_limited(what, wait))?;
    Ok((channel, visitor))
}
