//! Outgoing webhooks (admins only): adding, changing and removing them, each one's delivery
//! log, and "send test". The rules and the sending are `switchboard_services::webhooks`'.

use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use switchboard_model::{
    AuditAction, Id, NewWebhook, SavedWebhook, Webhook, WebhookDelivery, WebhookUpdate,
};
use switchboard_services::webhooks;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::page_size;
use crate::audit::Audit;
use crate::auth::Caller;
use crate::extract::{Json, Path, Query};
use crate::{ApiResult, AppState};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_webhooks, create_webhook))
        .routes(routes!(update_webhook, delete_webhook))
        .routes(routes!(list_deliveries))
        .routes(routes!(send_test))
}

/// The workspace's webhooks, without their secrets.
#[utoipa::path(get, path = "/api/v1/webhooks", tag = "webhooks", responses((status = 200, body = Vec<Webhook>)))]
async fn list_webhooks(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<axum::Json<Vec<Webhook>>> {
    caller.require_admin()?;
    Ok(axum::Json(state.store.webhooks(caller.workspace_id).await?))
}

/// Adds a webhook. Its signing secret is in this answer only. The URL must be one the
/// operator's fetch policy lets the gateway reach (https, never a private address unless
/// allowed); a refusal names `url`.
#[utoipa::path(post, path = "/api/v1/webhooks", tag = "webhooks", request_body = NewWebhook,
    responses((status = 201, body = SavedWebhook), (status = 422, description = "the URL or the events are refused")))]
async fn create_webhook(
    State(state): State<AppState>,
    caller: Caller,
    Json(new): Json<NewWebhook>,
) -> ApiResult<(StatusCode, axum::Json<SavedWebhook>)> {
    caller.require_admin()?;
    let saved = webhooks::create(&state, caller.workspace_id, new.clone()).await?;
    let webhook = &saved.webhook;
    Audit::of(AuditAction::WebhookCreated)
        .record(webhook.id, &webhooks::shown_url(&webhook.url))
        .change(&new)
        .by(&state, &caller)
        .await;
    Ok((StatusCode::CREATED, axum::Json(saved)))
}

/// Changes a webhook; `rotate_secret: true` makes a new signing secret, in this answer only.
#[utoipa::path(patch, path = "/api/v1/webhooks/{id}", tag = "webhooks", params(("id" = u64, Path)),
    request_body = WebhookUpdate, responses((status = 200, body = SavedWebhook)))]
async fn update_webhook(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<Id>,
    Json(change): Json<WebhookUpdate>,
) -> ApiResult<axum::Json<SavedWebhook>> {
    caller.require_admin()?;
    let saved = webhooks::update(&state, caller.workspace_id, id, change.clone()).await?;
    Audit::of(AuditAction::WebhookUpdated)
        .record(id, &webhooks::shown_url(&saved.webhook.url))
        .change(&change)
        .by(&state, &caller)
        .await;
    Ok(axum::Json(saved))
}

/// Removes a webhook with its queued deliveries and its log.
#[utoipa::path(delete, path = "/api/v1/webhooks/{id}", tag = "webhooks", params(("id" = u64, Path)), responses((status = 204)))]
async fn delete_webhook(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<Id>,
) -> ApiResult<StatusCode> {
    caller.require_admin()?;
    let removed = state.store.delete_webhook(caller.workspace_id, id).await?;
    Audit::of(AuditAction::WebhookDeleted)
        .record(id, &webhooks::shown_url(&removed.url))
        .by(&state, &caller)
        .await;
    Ok(StatusCode::NO_CONTENT)
}

/// How many deliveries to list.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
struct DeliveriesQuery {
    /// At most this many (50 unless set; the log keeps the newest 100 finished ones).
    limit: Option<u32>,
}

/// A webhook's deliveries, newest first: the event, each attempt's status or error and
/// timing, and whether it is queued, delivered or failed.
#[utoipa::path(get, path = "/api/v1/webhooks/{id}/deliveries", tag = "webhooks", params(("id" = u64, Path), DeliveriesQuery),
    responses((status = 200, body = Vec<WebhookDelivery>)))]
async fn list_deliveries(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<Id>,
    Query(query): Query<DeliveriesQuery>,
) -> ApiResult<axum::Json<Vec<WebhookDelivery>>> {
    caller.require_admin()?;
    Ok(axum::Json(
        state
            .store
            .webhook_deliveries(caller.workspace_id, id, page_size(query.limit))
            .await?,
    ))
}

/// Sends a `ping` to the webhook now and answers what its endpoint said (`attempts[0]`:
/// `status` and the start of its `response`, or the `error`); it is in the log too.
#[utoipa::path(post, path = "/api/v1/webhooks/{id}/test", tag = "webhooks", params(("id" = u64, Path)),
    responses((status = 200, body = WebhookDelivery)))]
async fn send_test(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<Id>,
) -> ApiResult<axum::Json<WebhookDelivery>> {
    caller.require_admin()?;
    Ok(axum::Json(
        webhooks::send_test(&state, caller.workspace_id, id).await?,
    ))
}
