//! The workspace's routing: business hours and holidays, the away message, and the rules that
//! send new conversations to a team or give them labels.

use axum::extract::State;
use switchboard_model::{AuditAction, Routing};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::audit::Audit;
use crate::auth::Caller;
use crate::extract::Json;
use crate::{ApiResult, AppState};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_routing, put_routing))
}

/// The workspace's hours, away message and routing rules (nothing set: always open, no away
/// message, no rules).
#[utoipa::path(get, path = "/api/v1/routing", tag = "routing", responses((status = 200, body = Routing)))]
async fn get_routing(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<axum::Json<Routing>> {
    Ok(axum::Json(state.store.routing(caller.workspace_id).await?))
}

/// Replaces the workspace's routing (admins only). What cannot be used is refused with
/// `invalid_routing`, naming the field (`hours.week[0].to`, `rules[2].team_id`).
#[utoipa::path(put, path = "/api/v1/routing", tag = "routing", request_body = Routing,
    responses((status = 200, body = Routing), (status = 422, body = switchboard_model::ErrorBody)))]
async fn put_routing(
    State(state): State<AppState>,
    caller: Caller,
    Json(routing): Json<Routing>,
) -> ApiResult<axum::Json<Routing>> {
    caller.require_admin()?;
    let before = state.store.routing(caller.workspace_id).await?;
    let routing = switchboard_services::routing::set(&state, caller.workspace_id, routing).await?;
    Audit::of(AuditAction::RoutingChanged)
        .between(&before, &routing)
        .by(&state, &caller)
        .await;
    Ok(axum::Json(routing))
}
