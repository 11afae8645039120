//! Conversations and their messages: list with filters, read, reply, note, assign, close, reopen.
//! Here, the list, the inbox's counts, one conversation and starting one; searching in
//! `search`, a conversation's messages in `messages`, changing one in `changes`, and an agent's
//! typing in `typing`.

use axum::extract::State;
use axum::http::StatusCode;
use switchboard_model::{
    Conversation, ConversationFilter, Id, InboxCounts, NewConversation, Page, Started,
};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::require_text;
use crate::auth::Caller;
use crate::extract::{Json, Path, Query};
use crate::{ApiResult, AppState};

mod changes;
mod messages;
mod search;
mod typing;

/// Longest message an agent may send, in characters.
const MAX_REPLY_CHARS: usize = 20_000;
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_conversations, start_conversation))
        .routes(routes!(counts))
        .routes(routes!(search::search))
        .routes(routes!(get_conversation))
        .routes(routes!(messages::list_messages, messages::post_message))
        .routes(routes!(messages::message_html))
        .routes(routes!(messages::send_again))
        .routes(routes!(changes::assign))
        .routes(routes!(changes::unassign))
        .routes(routes!(changes::close))
        .routes(routes!(changes::reopen))
        .routes(routes!(changes::set_status))
        .routes(routes!(changes::set_team))
        .routes(routes!(changes::set_labels))
        .routes(routes!(changes::mark_read))
        .routes(routes!(typing::typing))
}

/// Conversations, most recent activity first.
#[utoipa::path(get, path = "/api/v1/conversations", tag = "conversations", params(ConversationFilter),
    responses((status = 200, body = Page<Conversation>)))]
async fn list_conversations(
    State(state): State<AppState>,
    caller: Caller,
    Query(filter): Query<ConversationFilter>,
) -> ApiResult<axum::Json<Page<Conversation>>> {
    Ok(axum::Json(
        state
            .store
            .conversations(caller.workspace_id, &filter)
            .await?,
    ))
}

/// How many open conversations each view of the inbox holds for the caller, and how many of
/// them have messages nobody read.
#[utoipa::path(get, path = "/api/v1/conversations/counts", tag = "conversations",
    responses((status = 200, body = InboxCounts)))]
async fn counts(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<axum::Json<InboxCounts>> {
    Ok(axum::Json(
        state
            .store
            .inbox_counts(caller.workspace_id, caller.agent.id)
            .await?,
    ))
}

/// Longest title of a conversation an agent starts, in characters.
const MAX_TITLE_CHARS: usize = 200;

/// Starts a conversation: the agent writes first (a new email to a contact, a message on a
/// channel that can start one). It is assigned to the agent and its first message is queued
/// for delivery. A website chat cannot start one (the visitor writes first); an email channel
/// needs a contact with an email address.
#[utoipa::path(post, path = "/api/v1/conversations", tag = "conversations", request_body = NewConversation,
    responses((status = 201, body = Started),
        (status = 404, body = switchboard_model::ErrorBody, description = "no such channel or contact"),
        (status = 422, body = switchboard_model::ErrorBody, description = "the channel cannot start a conversation with this contact, or a field is invalid")))]
async fn start_conversation(
    State(state): State<AppState>,
    caller: Caller,
    Json(mut new): Json<NewConversation>,
) -> ApiResult<(StatusCode, axum::Json<Started>)> {
    switchboard_services::templates::prepare_start(&state, caller.workspace_id, &mut new).await?;
    require_text("text", &new.text, MAX_REPLY_CHARS)?;
    switchboard_services::quotas::ensure_message_today(&state, caller.workspace_id).await?;
    if let Some(title) = &new.title
        && title.chars().count() > MAX_TITLE_CHARS
    {
        return Err(crate::ApiError::invalid_body(format!(
            "`title` is longer than {MAX_TITLE_CHARS} characters"
        )));
    }
    let started = state
        .store
        .start_conversation(caller.workspace_id, caller.agent.id, new)
        .await?;
    state.replies_queued.add(caller.workspace_id);
    tracing::info!(
        workspace_id = caller.workspace_id,
        conversation_id = started.conversation.id,
        "an agent started a conversation"
    );
    Ok((StatusCode::CREATED, axum::Json(started)))
}

/// One conversation.
#[utoipa::path(get, path = "/api/v1/conversations/{id}", tag = "conversations", params(("id" = u64, Path)),
    responses((status = 200, body = Conversation)))]
async fn get_conversation(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<Id>,
) -> ApiResult<axum::Json<Conversation>> {
    Ok(axum::Json(
        state.store.conversation(caller.workspace_id, id).await?,
    ))
}
