//! Changing a conversation: its assignee, status (closing, reopening, snoozing), team and
//! labels, and marking it read.

use axum::extract::State;
use serde::Deserialize;
use switchboard_model::{
    Assignment, Author, Conversation, ConversationStatus, Id, Label, Labels, Millis, TeamAssignment,
};
use switchboard_store::ConversationChange;

use crate::auth::Caller;
use crate::extract::{Json, Path};
use crate::routes::require_text;
use crate::{ApiResult, AppState};

async fn change(
    state: &AppState,
    caller: &Caller,
    id: Id,
    change: ConversationChange,
) -> ApiResult<axum::Json<Conversation>> {
    tracing::info!(
        workspace_id = caller.workspace_id,
        conversation_id = id,
        ?change,
        "conversation changed"
    );
    Ok(axum::Json(
        state
            .store
            .update_conversation(
                caller.workspace_id,
                id,
                change,
                Author::Agent {
                    id: caller.agent.id,
                },
            )
            .await?,
    ))
}

/// Assigns the conversation to an agent (`null` unassigns).
#[utoipa::path(post, path = "/api/v1/conversations/{id}/assign", tag = "conversations", request_body = Assignment,
    params(("id" = u64, Path)), responses((status = 200, body = Conversation)))]
pub(super) async fn assign(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<Id>,
    Json(body): Json<Assignment>,
) -> ApiResult<axum::Json<Conversation>> {
    change(
        &state,
        &caller,
        id,
        ConversationChange::Assign(body.assignee_id),
    )
    .await
}

/// Takes the conversation off its assignee.
#[utoipa::path(post, path = "/api/v1/conversations/{id}/unassign", tag = "conversations",
    params(("id" = u64, Path)), responses((status = 200, body = Conversation)))]
pub(super) async fn unassign(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<Id>,
) -> ApiResult<axum::Json<Conversation>> {
    change(&state, &caller, id, ConversationChange::Assign(None)).await
}

/// Resolves (closes) the conversation.
#[utoipa::path(post, path = "/api/v1/conversations/{id}/close", tag = "conversations",
    params(("id" = u64, Path)), responses((status = 200, body = Conversation)))]
pub(super) async fn close(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<Id>,
) -> ApiResult<axum::Json<Conversation>> {
    change(
        &state,
        &caller,
        id,
        ConversationChange::Status(ConversationStatus::Resolved),
    )
    .await
}

/// Opens the conversation again.
#[utoipa::path(post, path = "/api/v1/conversations/{id}/reopen", tag = "conversations",
    params(("id" = u64, Path)), responses((status = 200, body = Conversation)))]
pub(super) async fn reopen(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<Id>,
) -> ApiResult<axum::Json<Conversation>> {
    change(
        &state,
        &caller,
        id,
        ConversationChange::Status(ConversationStatus::Open),
    )
    .await
}

/// The new status of a conversation.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct StatusChange {
    status: ConversationStatus,
    /// With `snoozed`: when it opens again by itself (milliseconds since the epoch, in the
    /// future). It also opens when the contact writes.
    #[serde(default)]
    snoozed_until: Option<Millis>,
}

/// Sets the status: open, pending, snoozed until a time, or resolved.
#[utoipa::path(post, path = "/api/v1/conversations/{id}/status", tag = "conversations", request_body = StatusChange,
    params(("id" = u64, Path)), responses((status = 200, body = Conversation),
        (status = 422, body = switchboard_model::ErrorBody, description = "`snoozed` without a future `snoozed_until`, or a time with another status")))]
pub(super) async fn set_status(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<Id>,
    Json(body): Json<StatusChange>,
) -> ApiResult<axum::Json<Conversation>> {
    let step = match (body.status, body.snoozed_until) {
        (ConversationStatus::Snoozed, Some(until)) => ConversationChange::Snooze { until },
        (status, None) => ConversationChange::Status(status),
        (status, Some(_)) => {
            return Err(crate::ApiError::invalid_body(format!(
                "`snoozed_until` goes with the status `snoozed`, not `{}`",
                status.as_str()
            )));
        }
    };
    change(&state, &caller, id, step).await
}

/// Routes the conversation to a team (`null` removes it).
#[utoipa::path(post, path = "/api/v1/conversations/{id}/team", tag = "conversations", request_body = TeamAssignment,
    params(("id" = u64, Path)), responses((status = 200, body = Conversation)))]
pub(super) async fn set_team(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<Id>,
    Json(body): Json<TeamAssignment>,
) -> ApiResult<axum::Json<Conversation>> {
    change(&state, &caller, id, ConversationChange::Team(body.team_id)).await
}

/// Replaces the conversation's labels.
#[utoipa::path(post, path = "/api/v1/conversations/{id}/labels", tag = "conversations", request_body = Labels,
    params(("id" = u64, Path)), responses((status = 200, body = Conversation)))]
pub(super) async fn set_labels(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<Id>,
    Json(body): Json<Labels>,
) -> ApiResult<axum::Json<Conversation>> {
    for label in &body.labels {
        require_text("label", label, 50)?;
    }
    let mut labels: Vec<String> = body
        .labels
        .iter()
        .map(|label| Label::name_of(label))
        .collect();
    labels.sort();
    labels.dedup();
    change(&state, &caller, id, ConversationChange::Labels(labels)).await
}

/// Marks the conversation read: its unread count goes back to zero, and the contact's channel
/// shows their messages as read where it can (WhatsApp's read ticks).
#[utoipa::path(post, path = "/api/v1/conversations/{id}/read", tag = "conversations",
    params(("id" = u64, Path)), responses((status = 200, body = Conversation)))]
pub(super) async fn mark_read(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<Id>,
) -> ApiResult<axum::Json<Conversation>> {
    let read = change(&state, &caller, id, ConversationChange::MarkRead).await?;
    let (services, conversation) = (state.services.clone(), read.0.clone());
    tokio::spawn(async move {
        if let Err(error) =
            switchboard_services::signals::agent_read(&services, &conversation).await
        {
            tracing::info!(code = error.code, reason = %error.message, "reading was not shown on the channel");
        }
    });
    Ok(read)
}
