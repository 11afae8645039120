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
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use switchboard_model::{Channel, ContactRef, Id, Identity, InboundMessage, Ingested};
use switchboard_plugins::latest::{Event, Header, HttpRequest, Transport};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::body_too_large;
use crate::extract::Path;
use crate::{ApiError, ApiResult, AppState};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(receive_webhook))
}

/// A webhook as kept in a dead letter, so that it can be replayed exactly.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StoredWebhook {
    pub method: String,
    /// The query string, if any, as `?a=b`; the path (which holds the secret) is not kept.
    pub query: String,
    pub headers: Vec<(String, String)>,
    pub body_base64: String,
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
    match deliver(&state, &channel, &webhook).await? {
        Ok(ingested) => Ok((
            StatusCode::OK,
            axum::Json(WebhookAnswer {
                ingested,
                dead_letter_id: None,
                reason: None,
            }),
        )),
        Err(reason) => {
            let payload = serde_json::to_vec(&webhook)
                .map_err(|error| ApiError::internal(error.to_string()))?;
            let letter = state
                .store
                .put_dead_letter(workspace_id, channel_id, &reason, payload)
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

/// Runs a webhook through the channel's plugin and stores the messages it found. The inner
/// error is why the webhook could not be processed (the payload is then worth keeping).
pub async fn deliver(
    state: &AppState,
    channel: &Channel,
    webhook: &StoredWebhook,
) -> ApiResult<Result<Vec<Ingested>, String>> {
    let Some(name) = &channel.plugin else {
        return Ok(Err(format!("channel {} has no plugin", channel.id)));
    };
    let plugin = match state
        .plugins
        .active(state.store.as_ref(), channel.workspace_id, name)
        .await
    {
        Ok(plugin) => plugin,
        Err(error) if error.status.is_client_error() || error.code == "plugin_disabled" => {
            return Ok(Err(error.message));
        }
        Err(error) => return Err(error),
    };
    let body = STANDARD
        .decode(&webhook.body_base64)
        .map_err(|error| ApiError::internal(error.to_string()))?;
    let payload = Transport::Webhook(HttpRequest {
        method: webhook.method.clone(),
        url: webhook.query.clone(),
        headers: webhook
            .headers
            .iter()
            .map(|(name, value)| Header {
                name: name.clone(),
                value: value.clone(),
            })
            .collect(),
        body,
    });
    let context = crate::plugins::call_context(state, channel).await?;
    let runtime = state.plugins.runtime.clone();
    let outcome = tokio::task::spawn_blocking(move || runtime.inbound(&plugin, context, &payload))
        .await
        .map_err(|error| ApiError::internal(error.to_string()))?;
    let (events, kv_writes) = match outcome {
        Ok(output) => (output.value, output.kv_writes),
        Err(error) => return Ok(Err(error.to_string())),
    };
    let mut ingested = Vec::new();
    for event in events {
        if let Event::Message(message) = event {
            let inbound = InboundMessage {
                contact: ContactRef {
                    identity: Identity::new(
                        message.contact.identity.kind,
                        message.contact.identity.value,
                    ),
                    name: message.contact.display_name,
                    email: message.contact.email,
                    phone: message.contact.phone,
                },
                external_id: message.message_id,
                text: message.text,
                title: message.subject,
            };
            ingested.push(
                state
                    .store
                    .ingest(channel.workspace_id, channel.id, inbound)
                    .await?,
            );
        }
    }
    if !kv_writes.is_empty() {
        state
            .store
            .put_plugin_kv(channel.workspace_id, channel.id, kv_writes)
            .await?;
    }
    Ok(Ok(ingested))
}
