//! Messages that integrations post into API channels, and the dead letters kept when a payload
//! cannot be processed, so that nothing is lost and it can be replayed after a fix (or deleted).

use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use switchboard_model::{Channel, ChannelKind, DeadLetter, Id, InboundMessage, Ingested, Page};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::page_size;
use crate::auth::Caller;
use crate::error::body_too_large;
use crate::extract::{Path, Query};
use crate::{ApiError, ApiResult, AppState};
use switchboard_services::ingest::{StoredPayload, Unprocessed, through_plugin};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(post_inbound))
        .routes(routes!(list_dead_letters))
        .routes(routes!(get_dead_letter, delete_dead_letter))
        .routes(routes!(replay_dead_letter))
}

/// Posts a message into an API channel as if the contact had written it. A payload that cannot
/// be processed is kept as a dead letter, named in the error, and can be replayed.
#[utoipa::path(post, path = "/api/v1/channels/{id}/inbound", tag = "channels", request_body = InboundMessage,
    params(("id" = u64, Path)),
    responses((status = 201, body = Ingested), (status = 200, body = Ingested, description = "already stored (same external id)"),
        (status = 422, body = switchboard_model::ErrorBody, description = "kept as a dead letter")))]
#[tracing::instrument(name = "inbound", skip_all, fields(workspace_id = caller.workspace_id, channel_id = id))]
async fn post_inbound(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<Id>,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<(StatusCode, axum::Json<Ingested>)> {
    let body = body.map_err(|_| body_too_large())?;
    let channel = state.store.channel(caller.workspace_id, id).await?;
    if channel.kind != ChannelKind::API {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "wrong_channel_kind",
            format!("channel {id} is not an API channel; only API channels take messages here"),
        ));
    }
    match process(&state, &channel, &body).await? {
        Ok(ingested) => Ok((
            if ingested.duplicate {
                StatusCode::OK
            } else {
                StatusCode::CREATED
            },
            axum::Json(ingested),
        )),
        Err(reason) => {
            let letter = switchboard_services::ingest::keep_dead_letter(
                &state,
                caller.workspace_id,
                id,
                &reason,
                body.to_vec(),
            )
            .await?;
            tracing::warn!(dead_letter_id = letter.id, %reason, "an inbound payload was kept as a dead letter");
            Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "unprocessable_payload",
                format!(
                    "{reason}; the payload was kept as dead letter {}",
                    letter.id
                ),
            ))
        }
    }
}

/// Parses and stores one API-channel payload, which may get an automatic answer. The inner
/// error is why the payload was refused.
async fn process(
    state: &AppState,
    channel: &Channel,
    body: &[u8],
) -> ApiResult<Result<Ingested, String>> {
    let mut message: InboundMessage = match serde_json::from_slice(body) {
        Ok(message) => message,
        Err(error) => {
            return Ok(Err(format!(
                "the payload is not a valid inbound message: {error}"
            )));
        }
    };
    if let Err(reason) = switchboard_services::inbound_rules::check(&message) {
        return Ok(Err(reason));
    }
    if let Some(html) = message.html.take() {
        message.html = switchboard_services::ingest::sanitized_html(html).await?;
    }
    let automatic = message.automatic;
    let ingested = state
        .store
        .ingest(channel.workspace_id, channel.id, message)
        .await?;
    switchboard_services::routing::answers::answer(state, channel, &ingested, automatic).await?;
    Ok(Ok(ingested))
}

/// Paging through the dead letters.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
struct DeadLetterQuery {
    /// Only this channel's letters.
    channel: Option<Id>,
    /// The `next_cursor` of the previous page.
    cursor: Option<Id>,
    limit: Option<u32>,
}

/// Payloads that could not be processed and wait for a replay, newest first, the workspace's
/// or one channel's (admins only).
#[utoipa::path(get, path = "/api/v1/dead-letters", tag = "dead letters", params(DeadLetterQuery), responses((status = 200, body = Page<DeadLetter>)))]
async fn list_dead_letters(
    State(state): State<AppState>,
    caller: Caller,
    Query(query): Query<DeadLetterQuery>,
) -> ApiResult<axum::Json<Page<DeadLetter>>> {
    caller.require_admin()?;
    let (workspace_id, limit) = (caller.workspace_id, page_size(query.limit));
    let page = match query.channel {
        Some(channel) => {
            state
                .store
                .channel_dead_letters(workspace_id, channel, query.cursor, limit)
                .await?
        }
        None => {
            state
                .store
                .dead_letters(workspace_id, query.cursor, limit)
                .await?
        }
    };
    Ok(axum::Json(page))
}

/// A dead letter with its payload as text (lossy for binary payloads).
#[derive(Debug, Serialize, utoipa::ToSchema)]
struct DeadLetterDetail {
    #[serde(flatten)]
    letter: DeadLetter,
    payload: String,
}

/// One dead letter and its payload (admins only).
#[utoipa::path(get, path = "/api/v1/dead-letters/{id}", tag = "dead letters", params(("id" = u64, Path)),
    responses((status = 200, body = DeadLetterDetail)))]
async fn get_dead_letter(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<Id>,
) -> ApiResult<axum::Json<DeadLetterDetail>> {
    caller.require_admin()?;
    let (letter, payload) = state.store.dead_letter(caller.workspace_id, id).await?;
    Ok(axum::Json(DeadLetterDetail {
        letter,
        payload: String::from_utf8_lossy(&payload).into_owned(),
    }))
}

/// Removes a dead letter and its payload for good (admins only).
#[utoipa::path(delete, path = "/api/v1/dead-letters/{id}", tag = "dead letters", params(("id" = u64, Path)),
    responses((status = 204)))]
async fn delete_dead_letter(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<Id>,
) -> ApiResult<StatusCode> {
    caller.require_admin()?;
    let letter = state
        .store
        .delete_dead_letter(caller.workspace_id, id)
        .await?;
    tracing::info!(
        dead_letter_id = id,
        channel_id = letter.channel_id,
        "a dead letter was deleted"
    );
    Ok(StatusCode::NO_CONTENT)
}

/// Processes a dead letter's payload again; on success it leaves the list (admins only).
#[utoipa::path(post, path = "/api/v1/dead-letters/{id}/replay", tag = "dead letters", params(("id" = u64, Path)),
    responses((status = 200, body = Ingested), (status = 422, body = switchboard_model::ErrorBody, description = "still cannot be processed")))]
#[tracing::instrument(name = "replay", skip_all, fields(workspace_id = caller.workspace_id, dead_letter_id = id))]
async fn replay_dead_letter(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<Id>,
) -> ApiResult<axum::Json<Ingested>> {
    caller.require_admin()?;
    let (letter, payload) = state.store.dead_letter(caller.workspace_id, id).await?;
    if letter.resolved {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "already_replayed",
            format!("dead letter {id} was already replayed"),
        ));
    }
    let channel = state
        .store
        .channel(caller.workspace_id, letter.channel_id)
        .await?;
    let outcome = match &channel.plugin {
        Some(_) => match serde_json::from_slice::<StoredPayload>(&payload) {
            Ok(payload) => match through_plugin(&state, &channel, &payload).await? {
                Ok(taken) => taken
                    .ingested
                    .into_iter()
                    .next()
                    .ok_or_else(|| "the plugin found no message in the payload".to_string()),
                // Not a failed replay: the letter waits for a moment the host can run it.
                Err(Unprocessed::Busy(reason)) => return Err(Unprocessed::busy(&reason).into()),
                Err(Unprocessed::Refused(reason) | Unprocessed::Forged(reason)) => Err(reason),
            },
            Err(error) => Err(format!("the kept payload cannot be read: {error}")),
        },
        None => process(&state, &channel, &payload).await?,
    };
    match outcome {
        Ok(ingested) => {
            state
                .store
                .record_replay(caller.workspace_id, id, true, None)
                .await?;
            Ok(axum::Json(ingested))
        }
        Err(reason) => {
            state
                .store
                .record_replay(caller.workspace_id, id, false, Some(reason.clone()))
                .await?;
            Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "unprocessable_payload",
                format!("{reason}; dead letter {id} is kept"),
            ))
        }
    }
}
