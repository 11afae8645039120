//! Attachments: uploaded once, stored by their SHA-256 in the workspace's blob store, and
//! downloaded only by that workspace. Downloads are always offered as files, never rendered,
//! so an HTML or SVG attachment cannot run in the console's origin.

use axum::body::Body;
use axum::extract::State;
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE, X_CONTENT_TYPE_OPTIONS};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use switchboard_model::Attachment;
use switchboard_store::FilePurpose;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::require_text;
use crate::auth::Caller;
use crate::extract::{Path, Query};
use crate::{ApiError, ApiResult, AppState};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(upload))
        .routes(routes!(download))
}

/// The file's name, as the uploader knew it.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
struct UploadParams {
    name: String,
}

/// Stores a file sent as the raw request body; its media type is the request's Content-Type.
#[utoipa::path(post, path = "/api/v1/attachments", tag = "attachments", params(UploadParams),
    request_body(content = String, description = "the file's bytes"),
    responses((status = 201, body = Attachment), (status = 413, body = switchboard_model::ErrorBody, description = "over `http.max_attachment_bytes`")))]
async fn upload(
    State(state): State<AppState>,
    caller: Caller,
    Query(params): Query<UploadParams>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<(StatusCode, axum::Json<Attachment>)> {
    require_text("name", &params.name, 255)?;
    let limit = state.config.max_attachment_bytes;
    let too_large = || {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
            format!("the attachment is larger than the limit of {limit} bytes"),
        )
    };
    let bytes = axum::body::to_bytes(body, limit)
        .await
        .map_err(|_| too_large())?;
    let media_type = headers
        .get(CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or("application/octet-stream")
        .to_string();
    let size = bytes.len() as u64;
    let sha256 = state
        .store
        .put_blob(
            caller.workspace_id,
            bytes.to_vec(),
            limit as u64,
            FilePurpose::Attachment,
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(Attachment {
            sha256,
            name: params.name,
            media_type,
            size,
        }),
    ))
}

/// A stored file, offered as a download.
#[utoipa::path(get, path = "/api/v1/attachments/{sha256}", tag = "attachments", params(("sha256" = String, Path)),
    responses((status = 200, description = "the file's bytes"), (status = 404, body = switchboard_model::ErrorBody)))]
async fn download(
    State(state): State<AppState>,
    caller: Caller,
    Path(sha256): Path<String>,
) -> ApiResult<Response> {
    if sha256.len() != 64 || !sha256.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("attachment {sha256} not found"),
        ));
    }
    let bytes = state.store.blob(caller.workspace_id, &sha256).await?;
    let headers = [
        (CONTENT_TYPE, "application/octet-stream".to_string()),
        (
            CONTENT_DISPOSITION,
            format!("attachment; filename=\"{sha256}\""),
        ),
        (X_CONTENT_TYPE_OPTIONS, "nosniff".to_string()),
    ];
    Ok((headers, bytes).into_response())
}
