//! The workspace's canned responses, which every agent may add, change and remove.

use axum::extract::State;
use axum::http::StatusCode;
use switchboard_model::{CannedResponse, CannedResponseUpdate, Id, NewCannedResponse};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::require_text;
use crate::auth::Caller;
use crate::extract::{Json, Path};
use crate::{ApiError, ApiResult, AppState};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_canned, create_canned))
        .routes(routes!(update_canned, delete_canned))
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

/// Adds a canned response; another with the same shortcut is a conflict (409).
#[utoipa::path(post, path = "/api/v1/canned-responses", tag = "canned responses", request_body = NewCannedResponse,
    responses((status = 201, body = CannedResponse)))]
async fn create_canned(
    State(state): State<AppState>,
    caller: Caller,
    Json(new): Json<NewCannedResponse>,
) -> ApiResult<(StatusCode, axum::Json<CannedResponse>)> {
    require_shortcut(&new.shortcut)?;
    require_content(&new.content)?;
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

/// Changes a canned response's shortcut or text, checked as when it is added.
#[utoipa::path(patch, path = "/api/v1/canned-responses/{id}", tag = "canned responses", request_body = CannedResponseUpdate,
    params(("id" = u64, Path)), responses((status = 200, body = CannedResponse)))]
async fn update_canned(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<Id>,
    Json(change): Json<CannedResponseUpdate>,
) -> ApiResult<axum::Json<CannedResponse>> {
    if let Some(shortcut) = &change.shortcut {
        require_shortcut(shortcut)?;
    }
    if let Some(content) = &change.content {
        require_content(content)?;
    }
    Ok(axum::Json(
        state
            .store
            .update_canned_response(caller.workspace_id, id, change)
            .await?,
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

/// A shortcut is typed after `/` in the composer: one word of letters, digits, `-` and `_`.
fn require_shortcut(shortcut: &str) -> ApiResult<()> {
    require_text("shortcut", shortcut, 40)?;
    if shortcut
        .chars()
        .all(|c| c.is_alphanumeric() || c == '-' || c == '_')
    {
        Ok(())
    } else {
        Err(
            ApiError::invalid_body("`shortcut` may hold only letters, digits, `-` and `_`")
                .on_field("shortcut"),
        )
    }
}

fn require_content(content: &str) -> ApiResult<()> {
    require_text("content", content, 10_000)
}
