//! Conversations and their messages: list with filters, read, reply, note, assign, close, reopen.

use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use switchboard_model::{
    Assignment, Author, Conversation, ConversationFilter, ConversationStatus, Direction, Id,
    InboxCounts, Label, Labels, Message, Millis, NewConversation, NewReply, Page, Started,
    TeamAssignment,
};
use switchboard_store::ConversationChange;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{page_size, require_text};
use crate::auth::Caller;
use crate::extract::{Json, Path, Query};
use crate::{ApiResult, AppState};

/// Longest message an agent may send, in characters.
const MAX_REPLY_CHARS: usize = 20_000;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_conversations, start_conversation))
        .routes(routes!(counts))
        .routes(routes!(search))
        .routes(routes!(get_conversation))
        .routes(routes!(list_messages, post_message))
        .routes(routes!(message_html))
        .routes(routes!(send_again))
        .routes(routes!(assign))
        .routes(routes!(unassign))
        .routes(routes!(close))
        .routes(routes!(reopen))
        .routes(routes!(set_status))
        .routes(routes!(set_team))
        .routes(routes!(set_labels))
        .routes(routes!(mark_read))
        .routes(routes!(typing))
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

/// A search over conversations.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
struct SearchQuery {
    /// Words to find, in any case and with or without accents ("informacao" finds
    /// "informação"); every word must match a message, the title or the contact.
    q: String,
    /// At most this many conversations (50 by default, at most 200).
    limit: Option<u32>,
}

/// Longest search, in characters.
const MAX_SEARCH_CHARS: usize = 200;

/// Conversations whose messages, title or contact (name, addresses, phone numbers) hold
/// every word searched, best match first; a contact's conversations come newest first.
#[utoipa::path(get, path = "/api/v1/search", tag = "conversations", params(SearchQuery),
    responses((status = 200, body = Page<Conversation>)))]
async fn search(
    State(state): State<AppState>,
    caller: Caller,
    Query(query): Query<SearchQuery>,
) -> ApiResult<axum::Json<Page<Conversation>>> {
    require_text("q", &query.q, MAX_SEARCH_CHARS)?;
    let limit = page_size(query.limit);
    let index = state.search.clone();
    let workspace_id = caller.workspace_id;
    let found = tokio::task::spawn_blocking(move || index.search(workspace_id, &query.q, limit))
        .await
        .map_err(|error| crate::ApiError::internal(error.to_string()))?
        .map_err(|error| crate::ApiError::internal(error.to_string()))?;
    let mut items: Vec<Conversation> = Vec::new();
    for id in found.conversations.into_iter().take(limit) {
        match state.store.conversation(workspace_id, id).await {
            Ok(conversation) => items.push(conversation),
            Err(switchboard_store::StoreError::NotFound { .. }) => {}
            Err(error) => return Err(error.into()),
        }
    }
    for contact_id in found.contacts {
        if items.len() == limit {
            break;
        }
        let filter = ConversationFilter {
            contact_id: Some(contact_id),
            limit: Some(limit as u32),
            ..ConversationFilter::default()
        };
        let theirs = state.store.conversations(workspace_id, &filter).await?;
        for conversation in theirs.items {
            if items.len() < limit && !items.iter().any(|found| found.id == conversation.id) {
                items.push(conversation);
            }
        }
    }
    Ok(axum::Json(Page {
        items,
        next_cursor: None,
    }))
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

/// Paging for a message list.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
struct MessageQuery {
    /// The `next_cursor` of the previous page.
    cursor: Option<Id>,
    limit: Option<u32>,
}

/// A conversation's messages, oldest first.
#[utoipa::path(get, path = "/api/v1/conversations/{id}/messages", tag = "conversations",
    params(("id" = u64, Path), MessageQuery), responses((status = 200, body = Page<Message>)))]
async fn list_messages(
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
struct HtmlQuery {
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
async fn message_html(
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
async fn send_again(
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
async fn post_message(
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
async fn assign(
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
async fn unassign(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<Id>,
) -> ApiResult<axum::Json<Conversation>> {
    change(&state, &caller, id, ConversationChange::Assign(None)).await
}

/// Resolves (closes) the conversation.
#[utoipa::path(post, path = "/api/v1/conversations/{id}/close", tag = "conversations",
    params(("id" = u64, Path)), responses((status = 200, body = Conversation)))]
async fn close(
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
async fn reopen(
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
struct StatusChange {
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
async fn set_status(
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
async fn set_team(
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
async fn set_labels(
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
async fn mark_read(
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

/// The agent is typing: the contact's open chat widget shows it, and so does the contact's
/// channel where it can (not stored).
#[utoipa::path(post, path = "/api/v1/conversations/{id}/typing", tag = "conversations",
    params(("id" = u64, Path)), responses((status = 204)))]
async fn typing(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<Id>,
) -> ApiResult<StatusCode> {
    let conversation = state.store.conversation(caller.workspace_id, id).await?;
    state
        .widgets
        .presence
        .publish(switchboard_services::widget::Presence {
            workspace_id: caller.workspace_id,
            conversation_id: conversation.id,
            from: switchboard_services::widget::Side::Agent,
            kind: switchboard_services::widget::SignalKind::Typing,
            author: Some(caller.agent.name),
        });
    // The contact's channel shows it too where it can; the agent does not wait for that.
    let services = state.services.clone();
    tokio::spawn(async move {
        if let Err(error) =
            switchboard_services::signals::agent_typing(&services, &conversation).await
        {
            tracing::info!(code = error.code, reason = %error.message, "typing was not shown on the channel");
        }
    });
    Ok(StatusCode::NO_CONTENT)
}
