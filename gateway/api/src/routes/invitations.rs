//! Inviting people to the workspace (admins only; see `switchboard_services::invitations`):
//! the pending invitations, sending one, sending it again, withdrawing it.

use axum::extract::State;
use axum::http::StatusCode;
use switchboard_model::{AuditAction, Id, Invitation, NewInvitation, SentInvitation};
use switchboard_services::invitations;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::agents::require_email;
use super::require_text;
use crate::audit::Audit;
use crate::auth::Caller;
use crate::extract::{Json, Path};
use crate::{ApiResult, AppState};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_invitations, create_invitation))
        .routes(routes!(delete_invitation))
        .routes(routes!(resend_invitation))
}

/// The workspace's pending invitations, oldest first (admins only).
#[utoipa::path(get, path = "/api/v1/invitations", tag = "agents",
    responses((status = 200, body = Vec<Invitation>), (status = 403, body = switchboard_model::ErrorBody)))]
async fn list_invitations(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<axum::Json<Vec<Invitation>>> {
    caller.require_admin()?;
    Ok(axum::Json(
        state.store.invitations(caller.workspace_id).await?,
    ))
}

/// Invites a person (admins only): they get a link through the installation's own mail that
/// works for 7 days, whose page lets them choose their password. Without `system_mail`, or when
/// the mail does not go out, the answer holds the `link` to give them instead.
#[utoipa::path(post, path = "/api/v1/invitations", tag = "agents", request_body = NewInvitation,
    responses((status = 201, body = SentInvitation),
        (status = 403, body = switchboard_model::ErrorBody, description = "not an admin, or the workspace's quota of people is reached"),
        (status = 409, body = switchboard_model::ErrorBody, description = "the address already has an account or is already invited"),
        (status = 422, body = switchboard_model::ErrorBody)))]
async fn create_invitation(
    State(state): State<AppState>,
    caller: Caller,
    Json(new): Json<NewInvitation>,
) -> ApiResult<(StatusCode, axum::Json<SentInvitation>)> {
    caller.require_admin()?;
    require_text("name", &new.name, 120)?;
    require_email("email", new.email.trim())?;
    let sent = invitations::invite(&state, &caller.agent, new).await?;
    tracing::info!(
        invitation_id = sent.invitation.id,
        mailed = sent.mailed,
        "an admin invited someone"
    );
    let invited = &sent.invitation;
    Audit::of(AuditAction::PersonInvited)
        .record(invited.id, &invited.email)
        .change(&serde_json::json!({ "role": invited.role, "team_ids": invited.team_ids }))
        .by(&state, &caller)
        .await;
    Ok((StatusCode::CREATED, axum::Json(sent)))
}

/// Sends an invitation again with a new link valid for 7 days; the earlier links stop working
/// (admins only).
#[utoipa::path(post, path = "/api/v1/invitations/{id}/resend", tag = "agents", params(("id" = u64, Path)),
    responses((status = 200, body = SentInvitation), (status = 404, body = switchboard_model::ErrorBody)))]
async fn resend_invitation(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<Id>,
) -> ApiResult<axum::Json<SentInvitation>> {
    caller.require_admin()?;
    Ok(axum::Json(
        invitations::resend(&state, &caller.agent, id).await?,
    ))
}

/// Withdraws an invitation: its links stop working (admins only).
#[utoipa::path(delete, path = "/api/v1/invitations/{id}", tag = "agents", params(("id" = u64, Path)),
    responses((status = 204), (status = 404, body = switchboard_model::ErrorBody)))]
async fn delete_invitation(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<Id>,
) -> ApiResult<StatusCode> {
    caller.require_admin()?;
    state
        .store
        .delete_invitation(caller.workspace_id, id)
        .await?;
    Audit::of(AuditAction::InvitationWithdrawn)
        .id(id)
        .by(&state, &caller)
        .await;
    Ok(StatusCode::NO_CONTENT)
}
