//! Files visitors send, and the agents' pictures the widget shows.

use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::Deserialize;
use switchboard_model::{Attachment, WebchatSettings};
use switchboard_store::{FilePurpose, UploadQuota};

use super::config::{upload_limit, upload_types};
use super::counted_visitor;
use crate::client_address::ClientAddress;
use crate::error::body_too_large;
use crate::extract::{Path, Query};
use crate::{ApiError, ApiResult, AppState};
use switchboard_services::widget::{self};

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub(super) struct UploadQuery {
    /// The file's name.
    name: String,
}

/// Uploads a file for the next message (size and type limits from the widget's settings).
#[utoipa::path(post, path = "/widget/v1/{widget}/attachments", tag = "widget", security(()), params(("widget" = String, Path), UploadQuery),
    request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses((status = 201, body = Attachment), (status = 413, body = switchboard_model::ErrorBody), (status = 415, body = switchboard_model::ErrorBody),
        (status = 429, body = switchboard_model::ErrorBody, description = "`over_quota`: the visitor's or the site's files for today add up to the daily quota"),
        (status = 507, body = switchboard_model::ErrorBody, description = "`insufficient_storage`: the gateway's disk is under its reserve")))]
pub(super) async fn upload(
    State(state): State<AppState>,
    Path(widget): Path<String>,
    Query(query): Query<UploadQuery>,
    headers: HeaderMap,
    client: ClientAddress,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<(StatusCode, axum::Json<Attachment>)> {
    let (channel, visitor) = counted_visitor(
        &state,
        &widget,
        &headers,
        client,
        |limits| &limits.per_visitor,
        "uploads",
    )
    .await?;
    let body = body.map_err(|_| body_too_large())?;
    let settings = WebchatSettings::read(&channel.settings);
    let limit = upload_limit(&state, &settings);
    if body.len() as u64 > limit {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
            format!("files may be at most {limit} bytes"),
        ));
    }
    let claimed = headers
        .get(CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or("application/octet-stream");
    let parsed = claimed.parse::<mime::Mime>().ok();
    let media_type = parsed.as_ref().map_or_else(
        || claimed.trim().to_ascii_lowercase(),
        |parsed| parsed.essence_str().to_string(),
    );
    if !parsed.is_some_and(|parsed| accepts(&upload_types(&settings), &parsed)) {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "file_type",
            format!("files of type {media_type} cannot be sent here"),
        ));
    }
    let name: String = query
        .name
        .chars()
        .filter(|c| !c.is_control() && !matches!(c, '/' | '\\'))
        .take(200)
        .collect();
    let size = body.len() as u64;
    // Past the workspace's storage quota a visitor is told, as past the daily quota, that
    // they can still write.
    if let Err(fault) =
        switchboard_services::quotas::ensure_storage(&state, channel.workspace_id, &body).await
    {
        return Err(ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "over_quota",
            fault.message,
        ));
    }
    let quota = UploadQuota {
        visitor: visitor.id.to_string(),
        visitor_bytes_per_day: state.services.config.uploads.visitor_bytes_per_day,
        workspace_bytes_per_day: state.services.config.uploads.workspace_bytes_per_day,
    };
    let sha256 = state
        .store
        .put_blob(
            channel.workspace_id,
            body.to_vec(),
            limit,
            FilePurpose::VisitorUpload(quota),
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(Attachment {
            sha256,
            name,
            media_type,
            size,
        }),
    ))
}

/// An agent's avatar, for the widget's `<img>`. Public, since an image request carries no
/// token; only pictures of the widget's own workspace's agents are served, by their hash.
#[utoipa::path(get, path = "/widget/v1/{widget}/avatars/{sha256}", tag = "widget", security(()), params(("widget" = String, Path), ("sha256" = String, Path)),
    responses((status = 200, content_type = "image/png"), (status = 404, body = switchboard_model::ErrorBody)))]
pub(super) async fn avatar(
    State(state): State<AppState>,
    Path((widget, sha256)): Path<(String, String)>,
) -> ApiResult<Response> {
    use axum::http::header::{CACHE_CONTROL, X_CONTENT_TYPE_OPTIONS};
    use axum::response::IntoResponse;

    let channel = widget::channel(&state, &widget).await?;
    let agents = state.store.agents(channel.workspace_id).await?;
    let picture = agents
        .iter()
        .filter_map(|agent| agent.avatar.as_ref())
        .find(|picture| picture.sha256 == sha256)
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::NOT_FOUND,
                "no_avatar",
                format!("no agent of this widget has the avatar {sha256}"),
            )
        })?;
    let bytes = state.store.blob(channel.workspace_id, &sha256).await?;
    Ok((
        [
            (CONTENT_TYPE, picture.media_type.clone()),
            (X_CONTENT_TYPE_OPTIONS, "nosniff".into()),
            // Named by its hash: the same address always holds the same picture.
            (CACHE_CONTROL, "public, max-age=31536000, immutable".into()),
        ],
        bytes,
    )
        .into_response())
}

/// Whether `media_type` is one of `accepted`, which may name a whole family (`image/*`).
fn accepts(accepted: &[String], media_type: &mime::Mime) -> bool {
    accepted.iter().any(|kind| {
        kind.parse::<mime::Mime>().is_ok_and(|kind| {
            kind.type_() == media_type.type_()
                && (kind.subtype() == mime::STAR || kind.subtype() == media_type.subtype())
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_type_is_accepted_by_its_own_name_or_its_family() {
        let accepted = ["image/*".to_string(), "application/pdf".to_string()];
        let accepts = |claimed: &str| accepts(&accepted, &claimed.parse().expect(claimed));
        assert!(accepts("image/png"));
        assert!(accepts("IMAGE/JPEG"), "case does not matter");
        assert!(accepts("application/pdf; name=pedido.pdf"));
        assert!(!accepts("application/zip"));
        assert!(!accepts("text/html"));
        assert!(!accepts("imagery/png"), "a family is a whole type");
    }
}
