//! Attachments: uploaded once, stored by their SHA-256 in the workspace's blob store, and
//! downloaded only by that workspace. Downloads are always offered as files, never rendered,
//! so an HTML or SVG attachment cannot run in the console's origin.

use axum::body::Body;
use axum::extract::State;
use axum::http::header::{
    CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_SECURITY_POLICY, CONTENT_TYPE,
    X_CONTENT_TYPE_OPTIONS,
};
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
    let limit = state.services.config.max_attachment_bytes;
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
    switchboard_services::quotas::ensure_storage(&state, caller.workspace_id, &bytes).await?;
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

/// How a stored file is wanted.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
struct DownloadParams {
    /// `true` to show an image (PNG, JPEG, GIF or WebP) or a PDF in place, as its bytes say,
    /// whatever the sender claimed; anything else has no preview.
    #[serde(default)]
    preview: bool,
}

/// What may be shown in place: images that browsers draw without running anything (no SVG),
/// and PDF, which the browser's own viewer shows.
const SHOWN_IN_PLACE: [&str; 5] = [
    "image/png",
    "image/jpeg",
    "image/gif",
    "image/webp",
    "application/pdf",
];

/// The type of `bytes` shown in place, told by their first bytes (the `infer` crate's magic
/// numbers), never by what the uploader claims. A PDF must begin as one: `infer`, like PDF
/// readers, finds the header anywhere in the first kilobyte, after what could be a page.
fn previewed_type(bytes: &[u8]) -> Option<&'static str> {
    infer::get(bytes)
        .map(|kind| kind.mime_type())
        .filter(|media_type| SHOWN_IN_PLACE.contains(media_type))
        .filter(|media_type| *media_type != "application/pdf" || bytes.starts_with(b"%PDF-"))
}

/// The media type of a PNG, JPEG, GIF or WebP image, told by its first bytes.
pub(super) fn image_type(bytes: &[u8]) -> Option<&'static str> {
    previewed_type(bytes).filter(|media_type| media_type.starts_with("image/"))
}

/// A stored file, offered as a download, or with `preview=true` an image or a PDF shown in
/// place.
#[utoipa::path(get, path = "/api/v1/attachments/{sha256}", tag = "attachments", params(("sha256" = String, Path), DownloadParams),
    responses((status = 200, description = "the file's bytes"), (status = 404, body = switchboard_model::ErrorBody, description = "no such file, or no image or PDF to preview")))]
async fn download(
    State(state): State<AppState>,
    caller: Caller,
    Path(sha256): Path<String>,
    Query(params): Query<DownloadParams>,
) -> ApiResult<Response> {
    if sha256.len() != 64 || !sha256.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("attachment {sha256} not found"),
        ));
    }
    let bytes = state.store.blob(caller.workspace_id, &sha256).await?;
    if params.preview {
        let Some(media_type) = previewed_type(&bytes) else {
            return Err(ApiError::new(
                StatusCode::NOT_FOUND,
                "no_preview",
                format!("attachment {sha256} is not an image or a PDF that can be shown"),
            ));
        };
        // An image runs nothing even unsandboxed, but is sandboxed all the same; a PDF is shown
        // by the browser's own viewer, which a sandbox would stop: it gets a policy that lets
        // it load nothing and be framed only by the console.
        let policy = if media_type == "application/pdf" {
            "default-src 'none'; frame-ancestors 'self'"
        } else {
            "default-src 'none'; sandbox"
        };
        let headers = [
            (CONTENT_TYPE, media_type.to_string()),
            (CONTENT_DISPOSITION, "inline".to_string()),
            (X_CONTENT_TYPE_OPTIONS, "nosniff".to_string()),
            (CONTENT_SECURITY_POLICY, policy.to_string()),
            // Named by its hash, a file never changes.
            (
                CACHE_CONTROL,
                "private, max-age=31536000, immutable".to_string(),
            ),
        ];
        return Ok((headers, bytes).into_response());
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_bytes_of_a_drawable_image_or_a_pdf_give_a_preview() {
        assert_eq!(previewed_type(b"\x89PNG\r\n\x1a\n...."), Some("image/png"));
        assert_eq!(
            previewed_type(&[0xFF, 0xD8, 0xFF, 0xE0]),
            Some("image/jpeg")
        );
        assert_eq!(previewed_type(b"GIF89a.."), Some("image/gif"));
        assert_eq!(previewed_type(b"RIFF\0\0\0\0WEBPVP8 "), Some("image/webp"));
        assert_eq!(previewed_type(b"%PDF-1.7\n"), Some("application/pdf"));
        assert_eq!(previewed_type(b"<svg onload=alert(1)>"), None);
        assert_eq!(
            previewed_type(b"<html><script>"),
            None,
            "a page named .png or .pdf"
        );
        assert_eq!(previewed_type(b" %PDF-1.7"), None);
        assert_eq!(previewed_type(b"RIFF"), None);
    }
}
