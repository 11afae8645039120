//! A visitor's history and the messages they send.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use switchboard_model::{
    Author, Channel, ChatSide, ConversationFilter, Message, VisitorAccepted, VisitorHistory,
    VisitorMessage, VisitorOutgoing,
};

use super::{counted_visitor, guard, visitor};
use crate::client_address::ClientAddress;
use crate::extract::{Json, Path};
use crate::{ApiError, ApiResult, AppState};
use switchboard_services::ingest::{StoredPayload, StoredWidgetEvent, Unprocessed, through_plugin};

pub(super) async fn visitor_view(
    state: &AppState,
    channel: &Channel,
    message: &Message,
) -> Option<VisitorMessage> {
    let (from, agent) = match &message.author {
        Author::Contact { .. } => (ChatSide::Visitor, None),
        Author::Agent { id } => (
            ChatSide::Agent,
            state.store.agent(message.workspace_id, *id).await.ok(),
        ),
        Author::Bot { .. } | Author::System => (ChatSide::Agent, None),
    };
    let avatar = agent
        .as_ref()
        .and_then(|agent| agent.avatar.as_ref())
        .map(|picture| {
            format!(
                "/widget/v1/{}.{}/avatars/{}",
                channel.workspace_id, channel.id, picture.sha256
            )
        });
    let author = agent.map(|agent| agent.name);
    if !message.direction.seen_by_contact() {
        return None;
    }
    Some(VisitorMessage {
        id: message.id,
        from,
        author,
        avatar,
        text: message.text.clone(),
        attachments: message.attachments.clone(),
        created_at: message.created_at,
        client_id: (from == ChatSide::Visitor)
            .then(|| message.external_id.clone())
            .flatten(),
        read: false,
    })
}

/// The newest messages of each conversation that the history shows.
pub(super) const HISTORY_PER_CONVERSATION: usize = 500;

/// The visitor's conversation history on this widget, oldest first.
#[utoipa::path(get, path = "/widget/v1/{widget}/messages", tag = "widget", security(()), params(("widget" = String, Path)),
    responses((status = 200, body = VisitorHistory), (status = 401, body = switchboard_model::ErrorBody), (status = 403, body = switchboard_model::ErrorBody), (status = 429, body = switchboard_model::ErrorBody)))]
pub(super) async fn history(
    State(state): State<AppState>,
    Path(widget): Path<String>,
    headers: HeaderMap,
    client: ClientAddress,
) -> ApiResult<axum::Json<VisitorHistory>> {
    let (channel, visitor) = visitor(&state, &widget, &headers, None).await?;
    guard(&state, &channel, &headers, client)?;
    let mut messages = Vec::new();
    let mut last_event_id = 0;
    if let Some(contact) = state
        .store
        .contact_by_identity(channel.workspace_id, &visitor.identity())
        .await?
    {
        let filter = ConversationFilter {
            contact_id: Some(contact.id),
            channel_id: Some(channel.id),
            limit: Some(20),
            ..ConversationFilter::default()
        };
        let mut conversations = state
            .store
            .conversations(channel.workspace_id, &filter)
            .await?
            .items;
        conversations.reverse();
        for conversation in conversations {
            last_event_id = last_event_id.max(conversation.last_event_id);
            let newest = state
                .store
                .latest_messages(
                    channel.workspace_id,
                    conversation.id,
                    HISTORY_PER_CONVERSATION,
                )
                .await?;
            let first = messages.len();
            for message in &newest {
                messages.extend(visitor_view(&state, &channel, message).await);
            }
            // The visitor's messages before the conversation's unread ones were read by agents.
            let mut unread = conversation.unread_count;
            for message in messages[first..].iter_mut().rev() {
                if message.from != ChatSide::Visitor {
                    continue;
                }
                if unread > 0 {
                    unread -= 1;
                } else {
                    message.read = true;
                }
            }
        }
    }
    Ok(axum::Json(VisitorHistory {
        messages,
        last_event_id,
    }))
}

/// The longest message a visitor may send, in characters.
const MAX_TEXT_CHARS: usize = 10_000;

/// Sends the visitor's message into their conversation.
#[utoipa::path(post, path = "/widget/v1/{widget}/messages", tag = "widget", security(()), params(("widget" = String, Path)),
    request_body = VisitorOutgoing, responses((status = 201, body = VisitorAccepted), (status = 422, body = switchboard_model::ErrorBody), (status = 429, body = switchboard_model::ErrorBody)))]
pub(super) async fn send_message(
    State(state): State<AppState>,
    Path(widget): Path<String>,
    headers: HeaderMap,
    client: ClientAddress,
    Json(outgoing): Json<VisitorOutgoing>,
) -> ApiResult<(StatusCode, axum::Json<VisitorAccepted>)> {
    let (channel, visitor) = counted_visitor(
        &state,
        &widget,
        &headers,
        client,
        |limits| &limits.per_visitor,
        "messages",
    )
    .await?;
    if outgoing.text.chars().count() > MAX_TEXT_CHARS {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "too_long",
            format!("a message holds at most {MAX_TEXT_CHARS} characters"),
        ));
    }
    let payload = StoredPayload::Widget(StoredWidgetEvent {
        visitor_id: visitor.id.clone(),
        kind: "message".into(),
        payload: serde_json::to_string(&outgoing)
            .map_err(|error| ApiError::internal(error.to_string()))?,
    });
    match through_plugin(&state, &channel, &payload).await? {
        Ok(taken) => {
            let first = taken
                .ingested
                .first()
                .ok_or_else(|| ApiError::internal("the webchat adapter stored nothing"))?;
            Ok((
                StatusCode::CREATED,
                axum::Json(VisitorAccepted {
                    message_id: first.message_id,
                    conversation_id: first.conversation_id,
                }),
            ))
        }
        Err(Unprocessed::Busy(reason)) => Err(Unprocessed::busy(&reason).into()),
        Err(Unprocessed::Refused(reason) | Unprocessed::Forged(reason)) => Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_message",
            reason,
        )),
    }
}
