//! Operations: liveness, readiness, Prometheus metrics and the API description.

use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;
use axum::response::IntoResponse;
use axum::routing::get;

use crate::auth::Caller;
use crate::{ApiResult, AppState};

pub fn routes(openapi: Arc<utoipa::openapi::OpenApi>) -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .route(
            "/api/v1/openapi.json",
            get(move || async move { axum::Json(openapi.as_ref().clone()) }),
        )
}

/// Alive and able to read the store.
async fn healthz(State(state): State<AppState>) -> ApiResult<axum::Json<serde_json::Value>> {
    state.store.workspaces().await?;
    Ok(axum::Json(serde_json::json!({ "status": "ok" })))
}

/// Ready to take traffic: the store takes writes. `503` while writes fail (a disk under its
/// reserve, a failed write), so that a load balancer sends traffic elsewhere meanwhile; the
/// reason itself is in the gateway's log, not told to anonymous callers.
async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    match state.store.write_health() {
        Ok(()) => (
            StatusCode::OK,
            axum::Json(serde_json::json!({ "status": "ready" })),
        ),
        Err(reason) => {
            tracing::warn!(%reason, "not ready: the store takes no writes");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                axum::Json(
                    serde_json::json!({ "status": "not_ready", "reason": "store_writes_failing" }),
                ),
            )
        }
    }
}

/// Prometheus text format, for admins (a scraper uses an admin's API token).
async fn metrics(State(state): State<AppState>, caller: Caller) -> ApiResult<impl IntoResponse> {
    caller.require_admin()?;
    Ok((
        [(CONTENT_TYPE, "text/plain; version=0.0.4")],
        state.metrics.render(),
    ))
}
