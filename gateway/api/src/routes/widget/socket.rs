//! The visitor's event socket: what they missed since their last event id, then live.

use axum::extract::State;
use axum::extract::ws::WebSocket;
use axum::http::HeaderMap;
use axum::response::Response;
use serde::Deserialize;
use switchboard_model::{Channel, ConversationFilter, EventId, EventKind, Id, VisitorEvent};

use super::messages::{HISTORY_PER_CONVERSATION, visitor_view};
use super::{guard, visitor};
use crate::client_address::ClientAddress;
use crate::extract::{Path, Query, Upgrade};
use crate::live::{LiveSocket, send_json};
use crate::{ApiResult, AppState};
use switchboard_services::widget::{Live, Visitor};

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub(super) struct SocketQuery {
    token: String,
    /// The last event id the widget saw.
    after: Option<EventId>,
}

/// The visitor's events: their messages and agents' replies after `after`, then live ones;
/// agents typing; read receipts.
#[utoipa::path(get, path = "/widget/v1/{widget}/socket", tag = "widget", security(()), params(("widget" = String, Path), SocketQuery),
    responses((status = 101, description = "switching to the WebSocket protocol"),
        (status = 400, body = switchboard_model::ErrorBody, description = "`not_a_websocket`: a request that is no WebSocket handshake")))]
pub(super) async fn socket(
    State(state): State<AppState>,
    Path(widget): Path<String>,
    Query(query): Query<SocketQuery>,
    headers: HeaderMap,
    client: ClientAddress,
    Upgrade(upgrade): Upgrade,
) -> ApiResult<Response> {
    let (channel, visitor) = visitor(&state, &widget, &headers, Some(&query.token)).await?;
    guard(&state, &channel, &headers, client)?;
    let after = query.after.unwrap_or(0);
    Ok(upgrade
        .max_message_size(4 * 1024)
        .on_upgrade(move |socket| async move {
            if let Err(error) = stream(socket, state, channel, visitor, after).await {
                tracing::debug!(%error, "a visitor socket closed");
            }
        }))
}

async fn stream(
    socket: WebSocket,
    state: AppState,
    channel: Channel,
    visitor: Visitor,
    mut last: EventId,
) -> Result<(), String> {
    let workspace_id = channel.workspace_id;
    let _in_chat = state.widgets.seen.enter(&visitor);
    // Joined first, then the backlog is read: an event is sent once, in order.
    let mut live = state.widgets.feeds.join(
        state.bus.as_ref(),
        &state.widgets.presence,
        state.store.clone(),
        workspace_id,
        channel.id,
        &visitor.id,
    );
    let mut contact = None;
    let mut socket = LiveSocket::new(socket);
    let visitor_socket = socket.socket();
    catch_up(
        visitor_socket,
        &state,
        &channel,
        &visitor,
        &mut contact,
        &mut last,
    )
    .await?;
    while let Some(next) = socket.next(live.next()).await? {
        let visitor_socket = socket.socket();
        match next {
            Some(Live::Event(event)) if event.id > last => {
                send_event(
                    visitor_socket,
                    &state,
                    &channel,
                    &visitor,
                    &mut contact,
                    event.id,
                    &event.kind,
                )
                .await?;
                last = event.id;
            }
            Some(Live::Event(_)) => {}
            Some(Live::Typing(author)) => {
                let typing = VisitorEvent::Typing {
                    typing: true,
                    author,
                };
                send_json(visitor_socket, &typing).await?;
            }
            // Some could not wait for this socket: the store has them.
            None => {
                catch_up(
                    visitor_socket,
                    &state,
                    &channel,
                    &visitor,
                    &mut contact,
                    &mut last,
                )
                .await?
            }
        }
    }
    Ok(())
}

/// Sends the visitor's stored events after `last`.
/// Sends what the visitor missed after `last`: the messages of their own conversations on this
/// widget (at most the newest of each that the history shows), and a read receipt for each that
/// agents have read since. Only those conversations are read, never the workspace's log, so a
/// socket opened with `after=0` costs no more than the history.
async fn catch_up(
    socket: &mut WebSocket,
    state: &AppState,
    channel: &Channel,
    visitor: &Visitor,
    contact: &mut Option<Id>,
    last: &mut EventId,
) -> Result<(), String> {
    if contact.is_none() {
        *contact = state
            .store
            .contact_by_identity(channel.workspace_id, &visitor.identity())
            .await
            .map_err(|e| e.to_string())?
            .map(|c| c.id);
    }
    let Some(contact_id) = *contact else {
        return Ok(());
    };
    let filter = ConversationFilter {
        contact_id: Some(contact_id),
        channel_id: Some(channel.id),
        limit: Some(20),
        ..ConversationFilter::default()
    };
    let conversations = state
        .store
        .conversations(channel.workspace_id, &filter)
        .await
        .map_err(|e| e.to_string())?
        .items;
    let mut missed = Vec::new();
    let mut read = false;
    let mut newest = *last;
    for conversation in conversations {
        if conversation.last_event_id <= *last {
            continue;
        }
        newest = newest.max(conversation.last_event_id);
        read |= conversation.unread_count == 0;
        missed.extend(
            state
                .store
                .messages_since(
                    channel.workspace_id,
                    conversation.id,
                    *last,
                    HISTORY_PER_CONVERSATION,
                )
                .await
                .map_err(|e| e.to_string())?,
        );
    }
    missed.sort_by_key(|(event_id, _)| *event_id);
    for (id, message) in missed {
        if let Some(message) = visitor_view(state, channel, &message).await {
            send_json(socket, &VisitorEvent::Message { id, message }).await?;
        }
    }
    if read {
        send_json(socket, &VisitorEvent::Read { up_to: Id::MAX }).await?;
    }
    *last = newest;
    Ok(())
}

async fn send_event(
    socket: &mut WebSocket,
    state: &AppState,
    channel: &Channel,
    visitor: &Visitor,
    contact: &mut Option<Id>,
    id: EventId,
    kind: &EventKind,
) -> Result<(), String> {
    let event = match kind {
        EventKind::MessageCreated {
            conversation,
            message,
        } if conversation.channel_id == channel.id => {
            if contact.is_none() {
                *contact = state
                    .store
                    .contact_by_identity(channel.workspace_id, &visitor.identity())
                    .await
                    .map_err(|e| e.to_string())?
                    .map(|c| c.id);
            }
            if Some(conversation.contact_id) != *contact {
                return Ok(());
            }
            let Some(message) = visitor_view(state, channel, message).await else {
                return Ok(());
            };
            VisitorEvent::Message { id, message }
        }
        // An agent opened the conversation: everything the visitor wrote so far is read.
        EventKind::ConversationUpdated(conversation)
            if conversation.channel_id == channel.id
                && Some(conversation.contact_id) == *contact
                && conversation.unread_count == 0 =>
        {
            VisitorEvent::Read { up_to: Id::MAX }
        }
        _ => return Ok(()),
    };
    send_json(socket, &event).await
}
