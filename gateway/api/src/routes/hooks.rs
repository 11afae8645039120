//! Webhooks from channel providers: `POST /hooks/{workspace}/{channel}/{token}`. The token in
//! the path is the channel's secret; the channel's plugin turns the request into events. A
//! request the plugin cannot process is kept as a dead letter and answered `202`, so the
//! provider does not retry what is already safe; an admin replays it after a fix.

use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::Serialize;
use sha2::{Digest, Sha256};
use switchboard_model::{Id, Ingested};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::body_too_large;
use crate::extract::Path;
use crate::{ApiError, ApiResult, AppState};
use switchboard_services::ingest::{StoredPayload, StoredWebhook, Unprocessed, through_plugin};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(receive_webhook))
}

/// What the endpoint answers.
#[derive(Debug, Serialize, utoipa::ToSchema)]
struct WebhookAnswer {
    /// The messages stored (or recognised as already stored).
    ingested: Vec<Ingested>,
    /// Set when the request could not be processed and was kept.
    #[serde(skip_serializing_if = "Option::is_none")]
    dead_letter_id: Option<Id>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<String>,
}

/// Receives a provider's webhook for a plugin channel.
#[utoipa::path(post, path = "/hooks/{workspace_id}/{channel_id}/{token}", tag = "channels", security(()),
    request_body(content = String, description = "the provider's request body, as it sent it"),
    params(("workspace_id" = u64, Path), ("channel_id" = u64, Path), ("token" = String, Path)),
    responses((status = 200, body = WebhookAnswer), (status = 202, body = WebhookAnswer, description = "kept as a dead letter"),
        (status = 404, body = switchboard_model::ErrorBody)))]
#[tracing::instrument(name = "webhook", skip_all, fields(workspace_id, channel_id))]
async fn receive_webhook(
    State(state): State<AppState>,
    Path((workspace_id, channel_id, token)): Path<(Id, Id, String)>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<(StatusCode, axum::Json<WebhookAnswer>)> {
    tracing::Span::current()
        .record("workspace_id", workspace_id)
        .record("channel_id", channel_id);
    let body = body.map_err(|_| body_too_large())?;
    let unknown = || {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "no_route",
            "there is no webhook at this address",
        )
    };
    let channel = state
        .store
        .channel(workspace_id, channel_id)
        .await
        .map_err(|_| unknown())?;
    let expected = channel.webhook_token.as_deref().ok_or_else(unknown)?;
    // Compare digests, so that the time taken says nothing about the token.
    if Sha256::digest(expected.as_bytes()) != Sha256::digest(token.as_bytes()) {
        return Err(unknown());
    }
    if !channel.active {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "channel_inactive",
            format!("channel {channel_id} is inactive"),
        ));
    }
    let webhook = StoredWebhook {
        method: method.to_string(),
        query: uri
            .query()
            .map(|query| format!("?{query}"))
            .unwrap_or_default(),
        headers: headers
            .iter()
            .map(|(name, value)| {
                (
                    name.to_string(),
                    String::from_utf8_lossy(value.as_bytes()).into_owned(),
                )
            })
            .collect(),
        body_base64: STANDARD.encode(&body),
    };
    let payload = StoredPayload::Webhook(webhook);
    match through_plugin(&state, &channel, &payload).await? {
        Ok(ingested) => Ok((
            StatusCode::OK,
            axum::Json(WebhookAnswer {
                ingested,
                dead_letter_id: None,
                reason: None,
            }),
        )),
        // The provider keeps it and sends it again, as providers do with a 5xx answer.
        Err(Unprocessed::Busy(reason)) => Err(Unprocessed::busy(&reason).into()),
        Err(Unprocessed::Refused(reason)) => {
            let payload = serde_json::to_vec(&payload)
                .map_err(|error| ApiError::internal(error.to_string()))?;
            let letter = switchboard_services::ingest::keep_dead_letter(
                &state,
                workspace_id,
                channel_id,
                &reason,
                payload,
            )
            .await?;
            tracing::warn!(dead_letter_id = letter.id, %reason, "a webhook was kept as a dead letter");
            let answer = WebhookAnswer {
                ingested: Vec::new(),
                dead_letter_id: Some(letter.id),
                reason: Some(reason),
            };
            Ok((StatusCode::ACCEPTED, axum::Json(answer)))
        }
    }
}
