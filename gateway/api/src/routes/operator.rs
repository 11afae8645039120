//! `/api/v1/operator`: the installation's operator lists, makes, suspends and resumes
//! workspaces. The operator is no agent of any workspace: it authenticates with the token the
//! gateway's configuration names (`operator.token`), compared by digest.

use axum::body::Body;
use axum::extract::{FromRequestParts, State};
use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use switchboard_model::{
    AuditAction, CreatedWorkspace, Id, NewWorkspace, RemovedWorkspace, Workspace, WorkspaceQuotas,
    WorkspaceSummary,
};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::audit::Audit;
use crate::auth::bearer_token;
use crate::extract::{Json, Path};
use crate::{ApiError, ApiResult, AppState, operator};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_workspaces, create_workspace))
        .routes(routes!(get_workspace, delete_workspace))
        .routes(routes!(export_workspace))
        .routes(routes!(set_quotas))
        .routes(routes!(workspace_file))
        .routes(routes!(suspend_workspace))
        .routes(routes!(resume_workspace))
}

/// A request made with the operator's token.
pub struct Operator;

impl FromRequestParts<AppState> for Operator {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> ApiResult<Operator> {
        let Some(expected) = state.config.operator_token.as_deref() else {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "operator_not_configured",
                "this installation has no operator: set `operator.token` in the gateway's configuration to use these routes",
            ));
        };
        let given = bearer_token(parts)?.unwrap_or_default();
        // Compare digests, so that the time taken says nothing about the token.
        if Sha256::digest(expected.as_bytes()) != Sha256::digest(given.as_bytes()) {
            return Err(ApiError::unauthenticated(
                "invalid_operator_token",
                "these routes take the operator's token (`operator.token`) as `Authorization: Bearer <token>`",
            ));
        }
        Ok(Operator)
    }
}

/// Every workspace, with its people, channels, conversations and stored bytes.
#[utoipa::path(get, path = "/api/v1/operator/workspaces", tag = "operator", security(("bearer" = [])),
    responses((status = 200, body = Vec<WorkspaceSummary>), (status = 401, body = switchboard_model::ErrorBody),
        (status = 403, body = switchboard_model::ErrorBody)))]
async fn list_workspaces(
    State(state): State<AppState>,
    _: Operator,
) -> ApiResult<axum::Json<Vec<WorkspaceSummary>>> {
    Ok(axum::Json(operator::summaries(state.store.as_ref()).await?))
}

/// A new workspace and its first admin; the answer holds the admin's password, once.
#[utoipa::path(post, path = "/api/v1/operator/workspaces", tag = "operator", security(("bearer" = [])),
    request_body = NewWorkspace,
    responses((status = 201, body = CreatedWorkspace), (status = 409, body = switchboard_model::ErrorBody),
        (status = 422, body = switchboard_model::ErrorBody)))]
async fn create_workspace(
    State(state): State<AppState>,
    _: Operator,
    Json(new): Json<NewWorkspace>,
) -> ApiResult<(StatusCode, axum::Json<CreatedWorkspace>)> {
    let created = operator::create_workspace(state.store.as_ref(), new).await?;
    Ok((StatusCode::CREATED, axum::Json(created)))
}

/// One workspace with what it uses.
#[utoipa::path(get, path = "/api/v1/operator/workspaces/{id}", tag = "operator", security(("bearer" = [])),
    params(("id" = u64, Path)),
    responses((status = 200, body = WorkspaceSummary), (status = 404, body = switchboard_model::ErrorBody)))]
async fn get_workspace(
    State(state): State<AppState>,
    _: Operator,
    Path(id): Path<Id>,
) -> ApiResult<axum::Json<WorkspaceSummary>> {
    let workspace = state.store.workspace(id).await?;
    Ok(axum::Json(
        operator::summary(state.store.as_ref(), workspace).await?,
    ))
}

/// Suspends a workspace: its people are signed out and its live sockets closed, its API
/// tokens, widget and webhooks answer `workspace_suspended`; nothing is deleted.
#[utoipa::path(post, path = "/api/v1/operator/workspaces/{id}/suspend", tag = "operator", security(("bearer" = [])),
    params(("id" = u64, Path)),
    responses((status = 200, body = Workspace), (status = 404, body = switchboard_model::ErrorBody)))]
async fn suspend_workspace(
    State(state): State<AppState>,
    _: Operator,
    Path(id): Path<Id>,
) -> ApiResult<axum::Json<Workspace>> {
    let workspace = operator::suspend(state.store.as_ref(), id, true).await?;
    state.fanout.close_workspace(id);
    Audit::of(AuditAction::WorkspaceSuspended)
        .by_operator(&state, id)
        .await;
    Ok(axum::Json(workspace))
}

/// Resumes a suspended workspace: everything works again as before.
#[utoipa::path(post, path = "/api/v1/operator/workspaces/{id}/resume", tag = "operator", security(("bearer" = [])),
    params(("id" = u64, Path)),
    responses((status = 200, body = Workspace), (status = 404, body = switchboard_model::ErrorBody)))]
async fn resume_workspace(
    State(state): State<AppState>,
    _: Operator,
    Path(id): Path<Id>,
) -> ApiResult<axum::Json<Workspace>> {
    let workspace = operator::suspend(state.store.as_ref(), id, false).await?;
    Audit::of(AuditAction::WorkspaceResumed)
        .by_operator(&state, id)
        .await;
    Ok(axum::Json(workspace))
}

/// Removes a suspended workspace for good: its records, events, files, secrets, search entries
/// and plugin folder; answers what went. An active workspace is refused (`409
/// workspace_active`): suspend it first.
#[utoipa::path(delete, path = "/api/v1/operator/workspaces/{id}", tag = "operator", security(("bearer" = [])),
    params(("id" = u64, Path)),
    responses((status = 200, body = RemovedWorkspace), (status = 404, body = switchboard_model::ErrorBody),
        (status = 409, body = switchboard_model::ErrorBody)))]
async fn delete_workspace(
    State(state): State<AppState>,
    _: Operator,
    Path(id): Path<Id>,
) -> ApiResult<axum::Json<RemovedWorkspace>> {
    let removed = switchboard_services::workspaces::remove(
        state.store.as_ref(),
        &state.search,
        state.services.config.plugins_folder.as_deref(),
        id,
    )
    .await?;
    state.fanout.close_workspace(id);
    Ok(axum::Json(removed))
}

/// A workspace's full export, as JSON lines (`application/x-ndjson`, format in
/// docs/operators.md): every record of it, then the digest of each file it keeps; the last line
/// is `end`, so that a cut-off export is told from a whole one.
#[utoipa::path(get, path = "/api/v1/operator/workspaces/{id}/export", tag = "operator", security(("bearer" = [])),
    params(("id" = u64, Path)),
    responses((status = 200, content_type = "application/x-ndjson", description = "one record per line"),
        (status = 404, body = switchboard_model::ErrorBody)))]
async fn export_workspace(
    State(state): State<AppState>,
    _: Operator,
    Path(id): Path<Id>,
) -> ApiResult<Response> {
    state.store.workspace(id).await?;
    let (lines, reader) = tokio::sync::mpsc::channel::<Vec<u8>>(64);
    let store = state.store.clone();
    tokio::spawn(async move {
        if let Err(fault) = switchboard_services::export::export(store.as_ref(), id, &lines).await {
            tracing::warn!(workspace_id = id, reason = %fault.message, "an export stopped");
        }
    });
    let body = futures_util::stream::unfold(reader, |mut reader| async move {
        let line = reader.recv().await?;
        Some((Ok::<_, std::convert::Infallible>(line), reader))
    });
    Ok((
        [(CONTENT_TYPE, "application/x-ndjson; charset=utf-8")],
        Body::from_stream(body),
    )
        .into_response())
}

/// One file a workspace keeps, by its SHA-256 (as its export lists it).
#[utoipa::path(get, path = "/api/v1/operator/workspaces/{id}/files/{sha256}", tag = "operator", security(("bearer" = [])),
    params(("id" = u64, Path), ("sha256" = String, Path)),
    responses((status = 200, content_type = "application/octet-stream", description = "the file's bytes"),
        (status = 404, body = switchboard_model::ErrorBody)))]
async fn workspace_file(
    State(state): State<AppState>,
    _: Operator,
    Path((id, sha256)): Path<(Id, String)>,
) -> ApiResult<Response> {
    let bytes = state.store.blob(id, &sha256).await?;
    Ok(([(CONTENT_TYPE, "application/octet-stream")], bytes).into_response())
}

/// Sets how many people, channels and plugins of its own the workspace may have (`null` or
/// absent: no limit). What it has beyond a lower quota stays; one more is refused with `403
/// quota_reached` naming the quota.
#[utoipa::path(put, path = "/api/v1/operator/workspaces/{id}/quotas", tag = "operator", security(("bearer" = [])),
    params(("id" = u64, Path)), request_body = WorkspaceQuotas,
    responses((status = 200, body = Workspace), (status = 404, body = switchboard_model::ErrorBody),
        (status = 422, body = switchboard_model::ErrorBody)))]
async fn set_quotas(
    State(state): State<AppState>,
    _: Operator,
    Path(id): Path<Id>,
    Json(quotas): Json<WorkspaceQuotas>,
) -> ApiResult<axum::Json<Workspace>> {
    let audit = Audit::of(AuditAction::QuotasChanged).change(&quotas);
    let workspace = operator::set_quotas(state.store.as_ref(), id, quotas).await?;
    audit.by_operator(&state, id).await;
    Ok(axum::Json(workspace))
}
