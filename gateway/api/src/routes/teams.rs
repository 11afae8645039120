//! The workspace's teams, which conversations are routed to.

use axum::extract::State;
use axum::http::StatusCode;
use switchboard_model::{AuditAction, Id, NewTeam, Team, TeamUpdate};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{require_colour, require_text};
use crate::audit::Audit;
use crate::auth::Caller;
use crate::extract::{Json, Path};
use crate::{ApiResult, AppState};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_teams, create_team))
        .routes(routes!(update_team, delete_team))
}

/// The workspace's teams.
#[utoipa::path(get, path = "/api/v1/teams", tag = "teams", responses((status = 200, body = Vec<Team>)))]
async fn list_teams(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<axum::Json<Vec<Team>>> {
    Ok(axum::Json(state.store.teams(caller.workspace_id).await?))
}

/// Creates a team (admins only).
#[utoipa::path(post, path = "/api/v1/teams", tag = "teams", request_body = NewTeam, responses((status = 201, body = Team)))]
async fn create_team(
    State(state): State<AppState>,
    caller: Caller,
    Json(new): Json<NewTeam>,
) -> ApiResult<(StatusCode, axum::Json<Team>)> {
    caller.require_admin()?;
    require_text("name", &new.name, 80)?;
    require_colour(&new.colour)?;
    if let Some(hours) = &new.hours {
        switchboard_services::routing::check_team_hours(hours)?;
    }
    let audit = Audit::of(AuditAction::TeamCreated).change(&new);
    let team = state.store.create_team(caller.workspace_id, new).await?;
    audit.record(team.id, &team.name).by(&state, &caller).await;
    Ok((StatusCode::CREATED, axum::Json(team)))
}

/// Renames, recolours or changes the members, automatic assignment or hours of a team (admins
/// only).
#[utoipa::path(patch, path = "/api/v1/teams/{id}", tag = "teams", request_body = TeamUpdate,
    params(("id" = u64, Path)), responses((status = 200, body = Team)))]
async fn update_team(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<Id>,
    Json(update): Json<TeamUpdate>,
) -> ApiResult<axum::Json<Team>> {
    caller.require_admin()?;
    if let Some(colour) = &update.colour {
        require_colour(colour)?;
    }
    if let Some(Some(hours)) = &update.hours {
        switchboard_services::routing::check_team_hours(hours)?;
    }
    let audit = Audit::of(AuditAction::TeamUpdated).change(&update);
    let team = state
        .store
        .update_team(caller.workspace_id, id, update)
        .await?;
    audit.record(id, &team.name).by(&state, &caller).await;
    Ok(axum::Json(team))
}

/// Deletes a team (admins only): its conversations keep their history without it, and channels
/// that routed new conversations to it route them to no team.
#[utoipa::path(delete, path = "/api/v1/teams/{id}", tag = "teams", params(("id" = u64, Path)),
    responses((status = 204), (status = 404, body = switchboard_model::ErrorBody)))]
async fn delete_team(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<Id>,
) -> ApiResult<StatusCode> {
    caller.require_admin()?;
    state.store.delete_team(caller.workspace_id, id).await?;
    Audit::of(AuditAction::TeamDeleted)
        .id(id)
        .by(&state, &caller)
        .await;
    Ok(StatusCode::NO_CONTENT)
}
