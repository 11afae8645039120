//! A conversation's messages: listing them, an agent's reply or note, a message's HTML page, and
//! sending a failed reply again.

use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use switchboard_model::{Author, Direction, Id, Message, NewReply, Page};

use super::MAX_REPLY_CHARS;
use crate::auth::Caller;
use crate::extract::{Json, Path, Query};
use crate::routes::{page_size, require_text};
use crate::{ApiResult, AppState};

/// Paging for a message list.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub(super) struct MessageQuery {
    /// The `next_cursor` of the previous page.
    cursor: Option<Id>,
    limit: Option<u32>,
}

/// A conversation's messages, oldest first.
#[utoipa::path(get, path = "/api/v1/conversations/{id}/messages", tag = "conversations",
    params(("id" = u64, Path), MessageQuery), responses((status = 200, body = Page<Message>)))]
pub(super) async fn list_messages(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<Id>,
    Query(query): Query<MessageQuery>,
) -> ApiResult<axum::Json<Page<Message>>> {
    Ok(axum::Json(
        state
            .store
            .messages(
                caller.workspace_id,
                id,
                query.cursor,
                page_size(query.limit),
            )
            .await?,
    ))
}

/// Whether a message's HTML page loads remote images.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub(super) struct HtmlQuery {
    /// `load` to let the page load images from the internet (which tells the sender it was
    /// opened); by default only images inside the message show.
    images: Option<String>,
}

/// A message's sanitized HTML as a page of its own, with a policy that lets nothing run and,
/// unless `images=load`, nothing load from outside: what the console shows in a frame.
#[utoipa::path(get, path = "/api/v1/conversations/{id}/messages/{message_id}/html", tag = "conversations",
    params(("id" = u64, Path), ("message_id" = u64, Path), HtmlQuery),
    responses((status = 200, content_type = "text/html", description = "the page"),
        (status = 404, body = switchboard_model::ErrorBody, description = "no such message, or it has no HTML")))]
pub(super) async fn message_html(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, message_id)): Path<(Id, Id)>,
    Query(query): Query<HtmlQuery>,
) -> ApiResult<axum::response::Response> {
    let message = state
        .store
        .message(caller.workspace_id, id, message_id)
        .await?;
    let Some(html) = message.html else {
        return Err(crate::ApiError::new(
            StatusCode::NOT_FOUND,
            "no_html",
            format!("message {message_id} carries no HTML"),
        ));
    };
    crate::web::email_page(&html, query.images.as_deref() == Some("load"))
}

/// Sends a reply whose delivery failed once more (it goes back to the outbox, due now).
#[utoipa::path(post, path = "/api/v1/conversations/{id}/messages/{message_id}/retry", tag = "conversations",
    params(("id" = u64, Path), ("message_id" = u64, Path)),
    responses((status = 200, body = Message), (status = 409, body = switchboard_model::ErrorBody, description = "its delivery did not fail")))]
pub(super) async fn send_again(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, message_id)): Path<(Id, Id)>,
) -> ApiResult<axum::Json<Message>> {
    let message = state
        .store
        .send_again(caller.workspace_id, id, message_id)
        .await?;
    state.replies_queued.add(caller.workspace_id);
    Ok(axum::Json(message))
}

/// Sends a reply to the contact (queued for delivery), or writes a private note.
#[utoipa::path(post, path = "/api/v1/conversations/{id}/messages", tag = "conversations", request_body = NewReply,
    params(("id" = u64, Path)), responses((status = 201, body = Message)))]
#[tracing::instrument(name = "reply", skip_all, fields(workspace_id = caller.workspace_id, conversation_id = id, message_id))]
pub(super) async fn post_message(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<Id>,
    Json(mut reply): Json<NewReply>,
) -> ApiResult<(StatusCode, axum::Json<Message>)> {
    let conversation = state.store.conversation(caller.workspace_id, id).await?;
    switchboard_services::templates::prepare_reply(&state, &conversation, &mut reply).await?;
    require_text("text", &reply.text, MAX_REPLY_CHARS)?;
    if !reply.private {
        switchboard_services::quotas::ensure_message_today(&state, caller.workspace_id).await?;
    }
    let message = state
        .store
        .add_reply(
            caller.workspace_id,
            id,
            Author::Agent {
                id: caller.agent.id,
            },
            reply,
        )
        .await?;
    // A private note is not delivered; a reply waits in the outbox.
    if message.direction == Direction::Out {
        state.replies_queued.add(caller.workspace_id);
    }
    tracing::Span::current().record("message_id", message.id);
    Ok((StatusCode::CREATED, axum::Json(message)))
}
