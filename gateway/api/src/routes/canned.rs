//! The workspace's canned responses.

use axum::extract::State;
use axum::http::StatusCode;
use switchboard_model::{CannedResponse, Id, NewCannedResponse};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::require_text;
use crate::auth::Caller;
use crate::extract::{Json, Path};
use crate::{ApiError, ApiResult, AppState};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_canned, create_canned))
        .routes(routes!(delete_canned))
}

/// The workspace's canned responses.
#[utoipa::path(get, path = "/api/v1/canned-responses", tag = "canned responses", responses((status = 200, body = Vec<CannedResponse>)))]
async fn list_canned(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<axum::Json<Vec<CannedResponse>>> {
    Ok(axum::Json(
        state.store.canned_responses(caller.workspace_id).await?,
    ))
}

/// Adds a canned response.
#[utoipa::path(post, path = "/api/v1/canned-responses", tag = "canned responses", request_body = NewCannedResponse,
    responses((status = 201, body = CannedResponse)))]
async fn create_canned(
    State(state): State<AppState>,
    caller: Caller,
    Json(new): Json<NewCannedResponse>,
) -> ApiResult<(StatusCode, axum::Json<CannedResponse>)> {
    require_text("shortcut", &new.shortcut, 40)?;
    if !new
        .shortcut
        .chars()
        .all(|c| c.is_alphanumeric() || c == '-' || c == '_')
    {
        return Err(ApiError::invalid_body(
            "`shortcut` may hold only letters, digits, `-` and `_`",
        ));
    }
    require_text("content", &new.content, 10_000)?;
    Ok((
        StatusCode::CREATED,
        axum::Json(
            state
                .store
                .create_canned_response(caller.workspace_id, new)
                .await?,
        ),
    ))
}

/// Removes a canned response.
#[utoipa::path(delete, path = "/api/v1/canned-responses/{id}", tag = "canned responses", params(("id" = u64, Path)), responses((status = 204)))]
async fn delete_canned(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<Id>,
) -> ApiResult<StatusCode> {
    state
        .store
        .delete_canned_response(caller.workspace_id, id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
