//! The workspace's profile, which its admins set in the console's first run and change later:
//! its name, time zone, languages, and whether the first run is done.

use axum::extract::State;
use switchboard_model::{AuditAction, Workspace, WorkspaceUpdate};
use switchboard_services::workspaces;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::audit::Audit;
use crate::auth::Caller;
use crate::extract::Json;
use crate::{ApiResult, AppState};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(update_workspace))
}

/// Changes the caller's workspace: its name, IANA time zone, languages (of `en`, `es`,
/// `pt-BR`) and default language, and `onboarded` once the first run is done. Admins only;
/// absent fields stay as they are.
#[utoipa::path(patch, path = "/api/v1/workspace", tag = "session", request_body = WorkspaceUpdate,
    responses((status = 200, body = Workspace),
        (status = 403, body = switchboard_model::ErrorBody, description = "not an admin"),
        (status = 422, body = switchboard_model::ErrorBody, description = "`invalid_workspace`: the field named is not a name, a time zone or a language")))]
async fn update_workspace(
    State(state): State<AppState>,
    caller: Caller,
    Json(update): Json<WorkspaceUpdate>,
) -> ApiResult<axum::Json<Workspace>> {
    caller.require_admin()?;
    let audit = Audit::of(AuditAction::WorkspaceUpdated).change(&update);
    let workspace =
        workspaces::update_profile(&state.services, caller.workspace_id, update).await?;
    audit
        .record(workspace.id, &workspace.name)
        .by(&state, &caller)
        .await;
    tracing::info!(
        workspace_id = caller.workspace_id,
        agent_id = caller.agent.id,
        "an admin changed the workspace's profile"
    );
    Ok(axum::Json(workspace))
}
