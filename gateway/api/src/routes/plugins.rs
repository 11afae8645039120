//! Installing and managing channel plugins (admins only): read what a manifest or a signed
//! package asks for before installing it, upload a version or a signed package, the publishers'
//! keys the workspace trusts, list, switch the active version (upgrade or roll back), disable
//! and enable.

use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use switchboard_model::{
    AuditAction, PluginPreview, PluginPreviewRequest, PluginState, PluginUpload, TrustedKeys,
    plugin_label,
};
use switchboard_services::quotas;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::audit::Audit;
use crate::auth::Caller;
use crate::extract::{Json, Path};
use crate::{ApiError, ApiResult, AppState};

/// The largest upload: a component of the largest size, in base64 (4 bytes for every 3), with
/// room for its manifest and grants.
const MAX_UPLOAD_BYTES: usize =
    switchboard_services::plugins::MAX_COMPONENT_BYTES as usize / 3 * 4 + 1024 * 1024;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_plugins, install_plugin))
        .routes(routes!(install_package))
        .routes(routes!(preview_plugin))
        // A component is larger than the gateway's other requests may be.
        .layer(axum::extract::DefaultBodyLimit::max(MAX_UPLOAD_BYTES))
        .routes(routes!(trusted_keys, set_trusted_keys))
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

/// Installs a signed plugin package (`cargo xtask plugin pack` makes one): the body is the
/// file as it is. It must be signed by one of the workspace's trusted keys; it is granted what
/// its manifest asks for.
#[utoipa::path(post, path = "/api/v1/plugins/packages", tag = "plugins",
    request_body(content = Vec<u8>, content_type = "application/octet-stream", description = "the .sbplugin file"),
    responses((status = 201, body = PluginState),
        (status = 422, body = switchboard_model::ErrorBody, description = "not a package, tampered with, or signed by a key the workspace does not trust")))]
async fn install_package(
    State(state): State<AppState>,
    caller: Caller,
    body: Result<axum::body::Bytes, axum::extract::rejection::BytesRejection>,
) -> ApiResult<(StatusCode, axum::Json<PluginState>)> {
    caller.require_admin()?;
    let file = body.map_err(|_| crate::error::body_too_large())?;
    let installed = state
        .plugins
        .install_package(state.store.as_ref(), caller.workspace_id, &file)
        .await;
    let installed = quotas::told(&state, caller.workspace_id, installed)?;
    audit_plugin(&state, &caller, AuditAction::PluginInstalled, &installed).await;
    Ok((StatusCode::CREATED, axum::Json(installed)))
}

/// What a manifest, or a signed package, asks for (hosts, settings, secrets, budgets), checked
/// as installing would check it; nothing is installed. The admin approves this first.
#[utoipa::path(post, path = "/api/v1/plugins/preview", tag = "plugins", request_body = PluginPreviewRequest,
    responses((status = 200, body = PluginPreview),
        (status = 422, body = switchboard_model::ErrorBody, description = "the manifest or package was refused")))]
async fn preview_plugin(
    State(state): State<AppState>,
    caller: Caller,
    Json(request): Json<PluginPreviewRequest>,
) -> ApiResult<axum::Json<PluginPreview>> {
    caller.require_admin()?;
    Ok(axum::Json(
        state
            .plugins
            .preview(state.store.as_ref(), caller.workspace_id, request)
            .await?,
    ))
}

/// The plugin publishers' keys the workspace trusts (admins only).
#[utoipa::path(get, path = "/api/v1/plugins/trusted-keys", tag = "plugins", responses((status = 200, body = TrustedKeys)))]
async fn trusted_keys(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<axum::Json<TrustedKeys>> {
    caller.require_admin()?;
    Ok(axum::Json(
        state.store.trusted_keys(caller.workspace_id).await?,
    ))
}

/// Replaces the keys the workspace trusts for plugin packages (admins only); each must be an
/// ed25519 public key in base64, with a name.
#[utoipa::path(put, path = "/api/v1/plugins/trusted-keys", tag = "plugins", request_body = TrustedKeys,
    responses((status = 200, body = TrustedKeys), (status = 422, body = switchboard_model::ErrorBody)))]
async fn set_trusted_keys(
    State(state): State<AppState>,
    caller: Caller,
    Json(mut trusted): Json<TrustedKeys>,
) -> ApiResult<axum::Json<TrustedKeys>> {
    caller.require_admin()?;
    if trusted.keys.len() > 50 {
        return Err(ApiError::invalid_body("a workspace trusts at most 50 keys"));
    }
    for entry in &mut trusted.keys {
        super::require_text("key name", &entry.name, 120)?;
        entry.key = entry.key.trim().to_string();
        if !switchboard_package::is_public_key(&entry.key) {
            return Err(ApiError::invalid_body(format!(
                "the key of {:?} is not an ed25519 public key in base64 (`cargo xtask plugin keygen` prints one)",
                entry.name
            )));
        }
    }
    state
        .store
        .set_trusted_keys(caller.workspace_id, trusted.clone())
        .await?;
    Audit::of(AuditAction::TrustedKeysChanged)
        .by(&state, &caller)
        .await;
    Ok(axum::Json(trusted))
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
        .await;
    let installed = quotas::told(&state, caller.workspace_id, installed)?;
    audit_plugin(&state, &caller, AuditAction::PluginInstalled, &installed).await;
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
    audit_plugin(&state, &caller, AuditAction::PluginActivated, &updated).await;
    Ok(axum::Json(updated))
}

/// Records what was done to a plugin, naming it with its active version.
async fn audit_plugin(
    state: &AppState,
    caller: &Caller,
    action: AuditAction,
    plugin: &PluginState,
) {
    Audit::of(action)
        .named(&plugin_label(plugin))
        .by(state, caller)
        .await;
}

/// Stops running the plugin; its channels' webhooks are kept as dead letters meanwhile.
#[utoipa::path(post, path = "/api/v1/plugins/{name}/disable", tag = "plugins", params(("name" = String, Path)), responses((status = 200, body = PluginState)))]
async fn disable_plugin(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
) -> ApiResult<axum::Json<PluginState>> {
    caller.require_admin()?;
    let disabled = state
        .store
        .update_plugin(caller.workspace_id, &name, None, Some(false))
        .await?;
    audit_plugin(&state, &caller, AuditAction::PluginDisabled, &disabled).await;
    Ok(axum::Json(disabled))
}

/// Runs the plugin again.
#[utoipa::path(post, path = "/api/v1/plugins/{name}/enable", tag = "plugins", params(("name" = String, Path)), responses((status = 200, body = PluginState)))]
async fn enable_plugin(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
) -> ApiResult<axum::Json<PluginState>> {
    caller.require_admin()?;
    let enabled = state
        .store
        .update_plugin(caller.workspace_id, &name, None, Some(true))
        .await?;
    audit_plugin(&state, &caller, AuditAction::PluginEnabled, &enabled).await;
    Ok(axum::Json(enabled))
}
