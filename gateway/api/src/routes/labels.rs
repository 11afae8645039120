//! The workspace's catalogue of labels: the colour of each label's chip. Every agent reads it;
//! admins add, rename, recolour and remove labels. Conversations carry labels by name
//! (`POST /conversations/{id}/labels`), so removing a label from the catalogue leaves the
//! conversations that carry it as they are, their chip uncoloured.

use axum::extract::State;
use axum::http::StatusCode;
use switchboard_model::{Id, Label, LabelUpdate, NewLabel};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{require_colour, require_text};
use crate::auth::Caller;
use crate::extract::{Json, Path};
use crate::{ApiResult, AppState};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_labels, create_label))
        .routes(routes!(update_label, delete_label))
}

/// The workspace's labels.
#[utoipa::path(get, path = "/api/v1/labels", tag = "labels", responses((status = 200, body = Vec<Label>)))]
async fn list_labels(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<axum::Json<Vec<Label>>> {
    Ok(axum::Json(state.store.labels(caller.workspace_id).await?))
}

/// Adds a label (admins only); its name is kept trimmed and lowercase, as conversations carry
/// it, and another label of that name is a conflict (409).
#[utoipa::path(post, path = "/api/v1/labels", tag = "labels", request_body = NewLabel, responses((status = 201, body = Label)))]
async fn create_label(
    State(state): State<AppState>,
    caller: Caller,
    Json(new): Json<NewLabel>,
) -> ApiResult<(StatusCode, axum::Json<Label>)> {
    caller.require_admin()?;
    let new = NewLabel {
        name: label_name(&new.name)?,
        colour: new.colour,
    };
    require_colour(&new.colour)?;
    Ok((
        StatusCode::CREATED,
        axum::Json(state.store.create_label(caller.workspace_id, new).await?),
    ))
}

/// Renames or recolours a label (admins only). Conversations carrying the old name keep it.
#[utoipa::path(patch, path = "/api/v1/labels/{id}", tag = "labels", request_body = LabelUpdate,
    params(("id" = u64, Path)), responses((status = 200, body = Label)))]
async fn update_label(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<Id>,
    Json(change): Json<LabelUpdate>,
) -> ApiResult<axum::Json<Label>> {
    caller.require_admin()?;
    let change = LabelUpdate {
        name: change.name.as_deref().map(label_name).transpose()?,
        colour: change.colour,
    };
    if let Some(colour) = &change.colour {
        require_colour(colour)?;
    }
    Ok(axum::Json(
        state
            .store
            .update_label(caller.workspace_id, id, change)
            .await?,
    ))
}

/// Removes a label from the catalogue (admins only); conversations keep the name.
#[utoipa::path(delete, path = "/api/v1/labels/{id}", tag = "labels", params(("id" = u64, Path)), responses((status = 204)))]
async fn delete_label(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<Id>,
) -> ApiResult<StatusCode> {
    caller.require_admin()?;
    state.store.delete_label(caller.workspace_id, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A label's name checked as a conversation's label is, then as the catalogue keeps it.
fn label_name(name: &str) -> ApiResult<String> {
    require_text("name", name, 50)?;
    Ok(Label::name_of(name))
}
