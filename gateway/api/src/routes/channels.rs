//! The workspace's channels: their settings and sealed secrets, and the check of their
//! connection with the provider (run before new settings or secrets are saved).

use axum::extract::State;
use axum::http::StatusCode;
use std::collections::BTreeMap;

use switchboard_model::AuditAction;
use switchboard_model::{
    Channel, ChannelForm, ChannelKindMark, ChannelSecrets, ChannelTemplates, ChannelUpdate,
    Connection, Id, NewChannel, Quota, RefusedOrigin, SecretChanges, SecretNames,
};
use switchboard_services::plugins::{keep_channel_secrets, secrets_of};
use switchboard_services::quotas;
use switchboard_services::{connection, settings};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::require_text;

use crate::audit::Audit;
use crate::auth::{self, Caller};
use crate::extract::{Json, Path};
use crate::{ApiError, ApiResult, AppState};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_channels, create_channel))
        .routes(routes!(get_channel, update_channel, delete_channel))
        .routes(routes!(
            channel_secret_names,
            put_channel_secrets,
            patch_channel_secrets
        ))
        .routes(routes!(channel_forms))
        .routes(routes!(channel_kinds))
        .routes(routes!(connect_channel))
        .routes(routes!(channel_templates))
        .routes(routes!(refused_origins))
}

/// The sites the channel's website chat refused in the last 7 days because they are not
/// among its `allowed_origins`, the latest refused first, with how many times today (UTC);
/// sites allowed since are left out (admins only). To allow one, add it with
/// `PATCH /api/v1/channels/{id}` and `{"settings": {"allowed_origins": [...]}}`. Empty for
/// other channels.
#[utoipa::path(get, path = "/api/v1/channels/{id}/refused-origins", tag = "channels", params(("id" = u64, Path)),
    responses((status = 200, body = Vec<RefusedOrigin>), (status = 403, body = switchboard_model::ErrorBody)))]
async fn refused_origins(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<Id>,
) -> ApiResult<axum::Json<Vec<RefusedOrigin>>> {
    caller.require_admin()?;
    let channel = state.store.channel(caller.workspace_id, id).await?;
    Ok(axum::Json(
        switchboard_services::widget::refused_origins::list(&state, &channel).await?,
    ))
}

/// The channel's reply window and the templates its provider approved, for agents writing
/// outside the window (WhatsApp's 24 hours). Empty for channels without them.
#[utoipa::path(get, path = "/api/v1/channels/{id}/templates", tag = "channels", params(("id" = u64, Path)),
    responses((status = 200, body = ChannelTemplates), (status = 502, body = switchboard_model::ErrorBody)))]
async fn channel_templates(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<Id>,
) -> ApiResult<axum::Json<ChannelTemplates>> {
    let channel = state.store.channel(caller.workspace_id, id).await?;
    Ok(axum::Json(
        switchboard_services::templates::channel_templates(&state, &channel).await?,
    ))
}

/// Checks the channel with its provider and registers its webhook there (the "test
/// connection" button; admins only). `422 connection_failed` names what the provider refused.
#[utoipa::path(post, path = "/api/v1/channels/{id}/connect", tag = "channels", params(("id" = u64, Path)),
    responses((status = 200, body = Connection), (status = 422, body = switchboard_model::ErrorBody)))]
async fn connect_channel(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<Id>,
) -> ApiResult<axum::Json<Connection>> {
    caller.require_admin()?;
    let channel = state.store.channel(caller.workspace_id, id).await?;
    match connection::connect(&state, &channel, None).await? {
        Ok(account) => Ok(axum::Json(Connection { account })),
        Err(reason) => Err(connection::refused(&reason).into()),
    }
}

/// The channel kinds an admin can add, each with the form its plugin describes: the fields
/// to ask for (settings and secrets), their labels and help in each language, and whether the
/// provider must be given the webhook URL (admins only).
#[utoipa::path(get, path = "/api/v1/channel-forms", tag = "channels", responses((status = 200, body = Vec<ChannelForm>)))]
async fn channel_forms(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<axum::Json<Vec<ChannelForm>>> {
    caller.require_admin()?;
    Ok(axum::Json(
        state
            .plugins
            .channel_forms(state.store.as_ref(), caller.workspace_id)
            .await?,
    ))
}

/// The plugin channel kinds the workspace can have, each with the title and icon its plugin's
/// manifest gives it, for every member's console to show beside their conversations.
#[utoipa::path(get, path = "/api/v1/channel-kinds", tag = "channels", responses((status = 200, body = Vec<ChannelKindMark>)))]
async fn channel_kinds(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<axum::Json<Vec<ChannelKindMark>>> {
    let forms = state
        .plugins
        .channel_forms(state.store.as_ref(), caller.workspace_id)
        .await?;
    Ok(axum::Json(
        forms.iter().map(ChannelKindMark::from).collect(),
    ))
}

/// The workspace's channels.
#[utoipa::path(get, path = "/api/v1/channels", tag = "channels", responses((status = 200, body = Vec<Channel>)))]
async fn list_channels(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<axum::Json<Vec<Channel>>> {
    let channels = state.store.channels(caller.workspace_id).await?;
    Ok(axum::Json(
        channels
            .into_iter()
            .map(|channel| for_caller(&state, &caller, channel))
            .collect(),
    ))
}

/// Only admins see a channel's webhook URL, whose last part is a secret, and a website chat's
/// widget id and snippet, which only they can act on (installing the chat on a site).
fn for_caller(state: &AppState, caller: &Caller, mut channel: Channel) -> Channel {
    if caller.require_admin().is_ok() {
        channel.webhook_url = switchboard_services::plugins::webhook_url(state, &channel);
        channel.widget_id = switchboard_services::widget::widget_id(&channel);
        channel.snippet = channel.widget_id.as_deref().map(|widget| {
            switchboard_services::widget::snippet(&state.services.config.public_url, widget)
        });
    } else {
        channel.webhook_token = None;
    }
    channel
}

/// Connects a channel (admins only).
#[utoipa::path(post, path = "/api/v1/channels", tag = "channels", request_body = NewChannel, responses((status = 201, body = Channel)))]
async fn create_channel(
    State(state): State<AppState>,
    caller: Caller,
    Json(mut new): Json<NewChannel>,
) -> ApiResult<(StatusCode, axum::Json<Channel>)> {
    caller.require_admin()?;
    require_text("name", &new.name, 120)?;
    quotas::ensure_room(&state, caller.workspace_id, Quota::Channels).await?;
    new.plugin = state
        .plugins
        .adapter_for(
            state.store.as_ref(),
            caller.workspace_id,
            new.kind,
            new.plugin.as_deref(),
        )
        .await?;
    settings::prepare_for_plugin(
        &state,
        caller.workspace_id,
        new.kind,
        new.plugin.as_deref(),
        &mut new.settings,
    )
    .await?;
    let audit = Audit::of(AuditAction::ChannelCreated).change(&new);
    let channel = state
        .store
        .create_channel(caller.workspace_id, new, Some(auth::new_secret()))
        .await?;
    audit
        .record(channel.id, &channel.name)
        .by(&state, &caller)
        .await;
    Ok((
        StatusCode::CREATED,
        axum::Json(for_caller(&state, &caller, channel)),
    ))
}

/// One channel.
#[utoipa::path(get, path = "/api/v1/channels/{id}", tag = "channels", params(("id" = u64, Path)), responses((status = 200, body = Channel)))]
async fn get_channel(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<Id>,
) -> ApiResult<axum::Json<Channel>> {
    let channel = state.store.channel(caller.workspace_id, id).await?;
    Ok(axum::Json(for_caller(&state, &caller, channel)))
}

/// Renames, (de)activates or reconfigures a channel (admins only). `settings` is a JSON merge
/// patch (RFC 7396): the settings it names change, `null` removes one, the others stay.
/// `secrets` change the named secrets the same way; the connection is checked once, with the
/// settings and secrets as they will be, before anything is saved.
#[utoipa::path(patch, path = "/api/v1/channels/{id}", tag = "channels", request_body = ChannelUpdate,
    params(("id" = u64, Path)), responses((status = 200, body = Channel)))]
async fn update_channel(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<Id>,
    Json(mut update): Json<ChannelUpdate>,
) -> ApiResult<axum::Json<Channel>> {
    caller.require_admin()?;
    let audit = Audit::of(AuditAction::ChannelUpdated).change(&update);
    let secret_changes = update.secrets.take();
    let mut new_secrets = None;
    if update.settings.is_some() || secret_changes.is_some() {
        let mut changed = state.store.channel(caller.workspace_id, id).await?;
        if let Some(patch) = update.settings.take() {
            json_patch::merge(&mut changed.settings, &patch);
            settings::prepare_for_plugin(
                &state,
                caller.workspace_id,
                changed.kind,
                changed.plugin.as_deref(),
                &mut changed.settings,
            )
            .await?;
            update.settings = Some(changed.settings.clone());
        }
        if let Some(changes) = secret_changes {
            let secrets = with_changes(&state, caller.workspace_id, id, changes).await?;
            check_secrets(&secrets)?;
            new_secrets = Some(secrets);
        }
        if changed.active && update.active != Some(false) {
            connection::connect(&state, &changed, new_secrets.as_ref())
                .await?
                .map_err(|reason| connection::refused(&reason))?;
        }
    }
    if let Some(secrets) = &new_secrets {
        keep_channel_secrets(&state, caller.workspace_id, id, secrets).await?;
    }
    let channel = state
        .store
        .update_channel(caller.workspace_id, id, update)
        .await?;
    audit.record(id, &channel.name).by(&state, &caller).await;
    Ok(axum::Json(for_caller(&state, &caller, channel)))
}

/// Deletes a channel (admins only): it takes in and sends nothing any more, its webhook
/// address and secrets are gone, and its conversations stay, under its name. Deleting it again
/// changes nothing.
#[utoipa::path(delete, path = "/api/v1/channels/{id}", tag = "channels", params(("id" = u64, Path)),
    responses((status = 200, body = Channel), (status = 404, body = switchboard_model::ErrorBody)))]
async fn delete_channel(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<Id>,
) -> ApiResult<axum::Json<Channel>> {
    caller.require_admin()?;
    let channel = state.store.delete_channel(caller.workspace_id, id).await?;
    tracing::info!(
        workspace_id = caller.workspace_id,
        channel_id = id,
        "channel deleted"
    );
    Audit::of(AuditAction::ChannelDeleted)
        .record(id, &channel.name)
        .by(&state, &caller)
        .await;
    Ok(axum::Json(for_caller(&state, &caller, channel)))
}

/// The names of a channel's secrets; values are never returned (admins only).
#[utoipa::path(get, path = "/api/v1/channels/{id}/secrets", tag = "channels", params(("id" = u64, Path)), responses((status = 200, body = SecretNames)))]
async fn channel_secret_names(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<Id>,
) -> ApiResult<axum::Json<SecretNames>> {
    caller.require_admin()?;
    state.store.channel(caller.workspace_id, id).await?;
    let names = secrets_of(&state, caller.workspace_id, id)
        .await?
        .into_keys()
        .collect();
    Ok(axum::Json(SecretNames { names }))
}

/// Replaces a channel's secrets; they are sealed before they are stored (admins only).
#[utoipa::path(put, path = "/api/v1/channels/{id}/secrets", tag = "channels", request_body = ChannelSecrets,
    params(("id" = u64, Path)), responses((status = 204)))]
async fn put_channel_secrets(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<Id>,
    Json(body): Json<ChannelSecrets>,
) -> ApiResult<StatusCode> {
    caller.require_admin()?;
    let audit = Audit::of(AuditAction::ChannelSecretsChanged)
        .id(id)
        .change(&body);
    save_secrets(&state, caller.workspace_id, id, body.secrets).await?;
    audit.by(&state, &caller).await;
    Ok(StatusCode::NO_CONTENT)
}

/// Changes only the named secrets: a value replaces one, `null` removes it; the others stay
/// (admins only). The connection is checked with the secrets as they will be.
#[utoipa::path(patch, path = "/api/v1/channels/{id}/secrets", tag = "channels", request_body = SecretChanges,
    params(("id" = u64, Path)), responses((status = 204), (status = 422, body = switchboard_model::ErrorBody)))]
async fn patch_channel_secrets(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<Id>,
    Json(body): Json<SecretChanges>,
) -> ApiResult<StatusCode> {
    caller.require_admin()?;
    // Another workspace's channel has no secrets here, and saving finds no channel: 404.
    let audit = Audit::of(AuditAction::ChannelSecretsChanged)
        .id(id)
        .change(&body);
    let secrets = with_changes(&state, caller.workspace_id, id, body.secrets).await?;
    save_secrets(&state, caller.workspace_id, id, secrets).await?;
    audit.by(&state, &caller).await;
    Ok(StatusCode::NO_CONTENT)
}

/// A channel's stored secrets with `changes` made: a value replaces one, `None` removes it.
async fn with_changes(
    state: &AppState,
    workspace_id: Id,
    id: Id,
    changes: BTreeMap<String, Option<String>>,
) -> ApiResult<BTreeMap<String, String>> {
    let mut secrets = secrets_of(state, workspace_id, id).await?;
    for (name, value) in changes {
        match value {
            Some(value) => secrets.insert(name, value),
            None => secrets.remove(&name),
        };
    }
    Ok(secrets)
}

/// Refuses more secrets, or longer ones, than a channel may hold.
fn check_secrets(secrets: &BTreeMap<String, String>) -> ApiResult<()> {
    if secrets.len() > 32 {
        return Err(ApiError::invalid_body("a channel holds at most 32 secrets"));
    }
    for (name, value) in secrets {
        require_text("secret name", name, 64)?;
        if value.len() > 8192 {
            return Err(ApiError::invalid_body(format!(
                "the secret {name} is longer than 8192 bytes"
            )));
        }
    }
    Ok(())
}

/// Checks a channel's new secrets with its provider, then seals and stores them.
async fn save_secrets(
    state: &AppState,
    workspace_id: Id,
    id: Id,
    secrets: BTreeMap<String, String>,
) -> ApiResult<StatusCode> {
    check_secrets(&secrets)?;
    let channel = state.store.channel(workspace_id, id).await?;
    if channel.active {
        connection::connect(state, &channel, Some(&secrets))
            .await?
            .map_err(|reason| connection::refused(&reason))?;
    }
    keep_channel_secrets(state, workspace_id, id, &secrets).await?;
    Ok(StatusCode::NO_CONTENT)
}
