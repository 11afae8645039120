//! Typing and read signals between a visitor and the agents.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use serde::Deserialize;
use switchboard_model::ConversationFilter;

use super::counted_visitor;
use crate::client_address::ClientAddress;
use crate::extract::{Json, Path};
use crate::{ApiError, ApiResult, AppState};
use switchboard_services::widget::{Presence, Side, SignalKind};

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub(super) struct Signal {
    /// `typing` or `read`.
    kind: String,
}

/// The visitor is typing, or has read the conversation.
#[utoipa::path(post, path = "/widget/v1/{widget}/signals", tag = "widget", security(()), params(("widget" = String, Path)),
    request_body = Signal, responses((status = 204), (status = 401, body = switchboard_model::ErrorBody), (status = 403, body = switchboard_model::ErrorBody), (status = 429, body = switchboard_model::ErrorBody)))]
pub(super) async fn signal(
    State(state): State<AppState>,
    Path(widget): Path<String>,
    headers: HeaderMap,
    client: ClientAddress,
    Json(signal): Json<Signal>,
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
    let Some(contact) = state
        .store
        .contact_by_identity(channel.workspace_id, &visitor.identity())
        .await?
    else {
        return Ok(StatusCode::NO_CONTENT);
    };
    let filter = ConversationFilter {
        contact_id: Some(contact.id),
        channel_id: Some(channel.id),
        limit: Some(1),
        ..ConversationFilter::default()
    };
    let Some(conversation) = state
        .store
        .conversations(channel.workspace_id, &filter)
        .await?
        .items
        .into_iter()
        .next()
    else {
        return Ok(StatusCode::NO_CONTENT);
    };
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
    state.widgets.presence.publish(Presence {
        workspace_id: channel.workspace_id,
        conversation_id: conversation.id,
        from: Side::Visitor,
        kind,
        author: Some(contact.name),
    });
    Ok(StatusCode::NO_CONTENT)
}
