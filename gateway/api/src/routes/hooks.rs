//! Webhooks from channel providers: `POST` (or `GET`, for providers that verify an address
//! with one) `/hooks/{workspace}/{channel}/{token}`. The token in the path is the channel's
//! secret; the channel's plugin turns the request into events and may say what to answer (a
//! verification challenge, an XML document). A request the plugin cannot process is kept as a
//! dead letter and answered `202`, so the provider does not retry what is already safe; an
//! admin replays it after a fix. One the plugin finds forged is refused with `403` and counted.

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
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
use switchboard_plugins::latest::HttpResponse;
use switchboard_services::ingest::{StoredPayload, StoredWebhook, Unprocessed, through_plugin};

/// When a provider should send again a webhook of a suspended workspace.
const SUSPENDED_RETRY_SECONDS: u64 = 3600;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(receive_webhook, verify_webhook))
}

/// Answers a provider's check of the webhook address (WhatsApp's `hub.challenge`): the
/// channel's plugin reads the request and says what to answer.
#[utoipa::path(get, path = "/hooks/{workspace_id}/{channel_id}/{token}", tag = "channels", security(()),
    params(("workspace_id" = u64, Path), ("channel_id" = u64, Path), ("token" = String, Path)),
    responses((status = 200, description = "the plugin's answer"), (status = 403, body = switchboard_model::ErrorBody),
        (status = 404, body = switchboard_model::ErrorBody)))]
#[tracing::instrument(name = "webhook", skip_all, fields(workspace_id, channel_id))]
async fn verify_webhook(
    state: State<AppState>,
    path: Path<(Id, Id, String)>,
    uri: Uri,
    headers: HeaderMap,
) -> ApiResult<Response> {
    receive(state, path, Method::GET, uri, headers, Bytes::new()).await
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
    responses((status = 200, body = WebhookAnswer, description = "taken in (or the plugin's own answer)"),
        (status = 202, body = WebhookAnswer, description = "kept as a dead letter"),
        (status = 403, body = switchboard_model::ErrorBody, description = "refused as forged"),
        (status = 404, body = switchboard_model::ErrorBody)))]
#[tracing::instrument(name = "webhook", skip_all, fields(workspace_id, channel_id))]
async fn receive_webhook(
    state: State<AppState>,
    path: Path<(Id, Id, String)>,
    uri: Uri,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<Response> {
    let body = body.map_err(|_| body_too_large())?;
    receive(state, path, Method::POST, uri, headers, body).await
}

async fn receive(
    State(state): State<AppState>,
    Path((workspace_id, channel_id, token)): Path<(Id, Id, String)>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Response> {
    tracing::Span::current()
        .record("workspace_id", workspace_id)
        .record("channel_id", channel_id);
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
    // The provider keeps the request and sends it again later, when the workspace may be
    // back: nothing is lost while it is suspended.
    if let Err(fault) =
        switchboard_services::workspaces::require_active(&state.services, workspace_id).await
    {
        return Err(
            ApiError::new(StatusCode::SERVICE_UNAVAILABLE, fault.code, fault.message)
                .retry_after(SUSPENDED_RETRY_SECONDS),
        );
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
        Ok(taken) => Ok(match taken.answer {
            Some(answer) => plugin_answer(answer),
            None => (
                StatusCode::OK,
                axum::Json(WebhookAnswer {
                    ingested: taken.ingested,
                    dead_letter_id: None,
                    reason: None,
                }),
            )
                .into_response(),
        }),
        Err(Unprocessed::Forged(reason)) => {
            tracing::warn!(%reason, "a webhook was refused as forged");
            Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "forged_request",
                reason,
            ))
        }
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
            Ok((StatusCode::ACCEPTED, axum::Json(answer)).into_response())
        }
    }
}

/// The answer a plugin asked for: its status (`200` if it named none that HTTP has), its
/// `content-type` (no other header: a plugin sets no cookies and no caching), and its body.
fn plugin_answer(answer: HttpResponse) -> Response {
    let status = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::OK);
    let mut response = (status, Body::from(answer.body)).into_response();
    let content_type = answer
        .headers
        .iter()
        .find(|header| header.name.eq_ignore_ascii_case("content-type"))
        .and_then(|header| HeaderValue::from_str(&header.value).ok())
        .unwrap_or(HeaderValue::from_static("text/plain; charset=utf-8"));
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, content_type);
    response
}
