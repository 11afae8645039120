//! Installing and managing channel plugins (admins only): upload a version, list, switch the
//! active version (upgrade or roll back), disable and enable.

use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use switchboard_model::{PluginState, PluginUpload};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::Caller;
use crate::extract::{Json, Path};
use crate::{ApiResult, AppState};

/// The largest upload: a component of the largest size, in base64 (4 bytes for every 3), with
/// room for its manifest and grants.
const MAX_UPLOAD_BYTES: usize =
    switchboard_services::plugins::MAX_COMPONENT_BYTES as usize / 3 * 4 + 1024 * 1024;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_plugins, install_plugin))
        // A component is larger than the gateway's other requests may be.
        .layer(axum::extract::DefaultBodyLimit::max(MAX_UPLOAD_BYTES))
        .routes(routes!(get_plugin))
        .routes(routes!(activate_version))
        .routes(routes!(disable_plugin))
        .routes(routes!(enable_plugin))
}

/// The workspace's plugins.
#[utoipa::path(get, path = "/api/v1/plugins", tag = "plugins", responses((status = 200, body = Vec<PluginState>)))]
async fn list_plugins(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<axum::Json<Vec<PluginState>>> {
    caller.require_admin()?;
    Ok(axum::Json(state.store.plugins(caller.workspace_id).await?))
}

/// Installs a plugin, or a new version of one, which becomes the active version.
#[utoipa::path(post, path = "/api/v1/plugins", tag = "plugins", request_body = PluginUpload,
    responses((status = 201, body = PluginState), (status = 422, body = switchboard_model::ErrorBody, description = "the component or manifest was refused")))]
async fn install_plugin(
    State(state): State<AppState>,
    caller: Caller,
    Json(upload): Json<PluginUpload>,
) -> ApiResult<(StatusCode, axum::Json<PluginState>)> {
    caller.require_admin()?;
    let installed = state
        .plugins
        .install(state.store.as_ref(), caller.workspace_id, upload)
        .await?;
    Ok((StatusCode::CREATED, axum::Json(installed)))
}

/// One plugin with its versions.
#[utoipa::path(get, path = "/api/v1/plugins/{name}", tag = "plugins", params(("name" = String, Path)), responses((status = 200, body = PluginState)))]
async fn get_plugin(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
) -> ApiResult<axum::Json<PluginState>> {
    caller.require_admin()?;
    Ok(axum::Json(
        state.store.plugin(caller.workspace_id, &name).await?,
    ))
}

/// The version to run.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct Activation {
    version: String,
}

/// Switches to another installed version: an upgrade, or a rollback.
#[utoipa::path(post, path = "/api/v1/plugins/{name}/activate", tag = "plugins", request_body = Activation,
    params(("name" = String, Path)), responses((status = 200, body = PluginState)))]
async fn activate_version(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
    Json(activation): Json<Activation>,
) -> ApiResult<axum::Json<PluginState>> {
    caller.require_admin()?;
    let updated = state
        .store
        .update_plugin(caller.workspace_id, &name, Some(activation.version), None)
        .await?;
    state.plugins.forget(caller.workspace_id, &name);
    Ok(axum::Json(updated))
}

/// Stops running the plugin; its channels' webhooks are kept as dead letters meanwhile.
#[utoipa::path(post, path = "/api/v1/plugins/{name}/disable", tag = "plugins", params(("name" = String, Path)), responses((status = 200, body = PluginState)))]
async fn disable_plugin(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
) -> ApiResult<axum::Json<PluginState>> {
    caller.require_admin()?;
    Ok(axum::Json(
        state
            .store
            .update_plugin(caller.workspace_id, &name, None, Some(false))
            .await?,
    ))
}

/// Runs the plugin again.
#[utoipa::path(post, path = "/api/v1/plugins/{name}/enable", tag = "plugins", params(("name" = String, Path)), responses((status = 200, body = PluginState)))]
async fn enable_plugin(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
) -> ApiResult<axum::Json<PluginState>> {
    caller.require_admin()?;
    Ok(axum::Json(
        state
            .store
            .update_plugin(caller.workspace_id, &name, None, Some(true))
            .await?,
    ))
}
