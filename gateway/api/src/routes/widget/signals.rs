//! Typing and read signals between a visitor and the agents.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use switchboard_model::VisitorSignal;

use super::counted_visitor;
use crate::client_address::ClientAddress;
use crate::extract::{Json, Path};
use crate::{ApiError, ApiResult, AppState};
use switchboard_services::widget::SignalKind;

/// The visitor is typing, or has read the conversation.
#[utoipa::path(post, path = "/widget/v1/{widget}/signals", tag = "widget", security(()), params(("widget" = String, Path)),
    request_body = VisitorSignal, responses((status = 204), (status = 401, body = switchboard_model::ErrorBody), (status = 403, body = switchboard_model::ErrorBody), (status = 429, body = switchboard_model::ErrorBody)))]
pub(super) async fn signal(
    State(state): State<AppState>,
    Path(widget): Path<String>,
    headers: HeaderMap,
    client: ClientAddress,
    Json(signal): Json<VisitorSignal>,
) -> ApiResult<StatusCode> {
    // Every agent socket of the workspace wakes for a signal: a visitor gets a few a second.
    let (channel, visitor) = counted_visitor(
        &state,
        &widget,
        &headers,
        client,
        |limits| &limits.signals_per_visitor,
        "typing and read signals",
    )
    .await?;
    let kind = match signal.kind.as_str() {
        "typing" => SignalKind::Typing,
        "read" => SignalKind::Read,
        other => {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid",
                format!("`{other}` is not a signal: use typing or read"),
            ));
        }
    };
    switchboard_services::contact_signals::show(&state, &channel, &visitor.identity(), kind)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
