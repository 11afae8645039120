//! How much of each quota the operator set the workspace uses, for everyone in it: the console
//! shows its admins a notice when one is reached.

use axum::extract::State;
use switchboard_model::QuotaUse;
use switchboard_services::quotas;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::Caller;
use crate::{ApiResult, AppState};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_quotas))
}

/// The workspace's quotas with their use, in the order agents, channels, plugins, storage
/// (MiB), messages today (UTC); a quota the operator did not set is not listed.
#[utoipa::path(get, path = "/api/v1/quotas", tag = "session", responses((status = 200, body = Vec<QuotaUse>)))]
async fn list_quotas(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<axum::Json<Vec<QuotaUse>>> {
    Ok(axum::Json(
        quotas::uses(state.store.as_ref(), caller.workspace_id).await?,
    ))
}
