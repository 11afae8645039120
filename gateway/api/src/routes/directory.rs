//! The workspace's directory: agents, teams, channels, canned responses and API tokens.

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use switchboard_model::{
    Agent, AgentUpdate, ApiToken, Attachment, CannedResponse, Channel, ChannelKind, ChannelSecrets,
    ChannelUpdate, CreatedApiToken, Id, NewAgent, NewApiToken, NewCannedResponse, NewChannel,
    NewTeam, SecretNames, Team, TeamUpdate,
};
use switchboard_store::{AgentChange, ChannelRecord, FilePurpose, NewAgentRecord};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::require_text;
use crate::auth::{self, Caller, hash_password};
use crate::extract::{Json, Path};
use crate::{ApiError, ApiResult, AppState};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_agents, create_agent))
        .routes(routes!(update_agent))
        .routes(routes!(put_avatar, delete_avatar))
        .routes(routes!(list_teams, create_team))
        .routes(routes!(update_team))
        .routes(routes!(list_channels, create_channel))
        .routes(routes!(get_channel, update_channel))
        .routes(routes!(channel_secret_names, put_channel_secrets))
        .routes(routes!(list_canned, create_canned))
        .routes(routes!(delete_canned))
        .routes(routes!(list_tokens, create_token))
        .routes(routes!(revoke_token))
}

/// The workspace's agents.
#[utoipa::path(get, path = "/api/v1/agents", tag = "agents", responses((status = 200, body = Vec<Agent>)))]
async fn list_agents(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<axum::Json<Vec<Agent>>> {
    Ok(axum::Json(state.store.agents(caller.workspace_id).await?))
}

/// Invites an agent (admins only).
#[utoipa::path(post, path = "/api/v1/agents", tag = "agents", request_body = NewAgent,
    responses((status = 201, body = Agent), (status = 409, body = switchboard_model::ErrorBody, description = "email already in use")))]
async fn create_agent(
    State(state): State<AppState>,
    caller: Caller,
    Json(new): Json<NewAgent>,
) -> ApiResult<(StatusCode, axum::Json<Agent>)> {
    caller.require_admin()?;
    require_text("name", &new.name, 120)?;
    require_email("email", &new.email)?;
    let password_hash = hash_password(new.password).await?;
    let record = NewAgentRecord {
        name: new.name,
        email: new.email,
        role: new.role,
        password_hash,
    };
    let agent = state
        .store
        .create_agent(caller.workspace_id, record)
        .await?;
    Ok((StatusCode::CREATED, axum::Json(agent)))
}

/// Changes an agent. Agents may change their own name, signature and password (giving their
/// current one); admins anything, and may reset another agent's password. A new password ends
/// the agent's other sessions and revokes its API tokens.
#[utoipa::path(patch, path = "/api/v1/agents/{id}", tag = "agents", request_body = AgentUpdate,
    params(("id" = u64, Path)), responses((status = 200, body = Agent),
        (status = 403, body = switchboard_model::ErrorBody, description = "not an admin, or `current_password` is wrong"),
        (status = 409, body = switchboard_model::ErrorBody, description = "the change would leave the workspace with no active admin"),
        (status = 422, body = switchboard_model::ErrorBody, description = "a field is invalid, or `current_password` is missing")))]
async fn update_agent(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<Id>,
    headers: HeaderMap,
    Json(update): Json<AgentUpdate>,
) -> ApiResult<axum::Json<Agent>> {
    let touches_access = update.role.is_some() || update.active.is_some();
    let own = id == caller.agent.id;
    if !own || touches_access {
        caller.require_admin()?;
    }
    if let Some(name) = &update.name {
        require_text("name", name, 120)?;
    }
    if own && update.password.is_some() {
        require_current_password(&state, &caller, update.current_password).await?;
    }
    let new_password = update.password.is_some();
    let password_hash = match update.password {
        Some(password) => Some(hash_password(password).await?),
        None => None,
    };
    let change = AgentChange {
        name: update.name,
        role: update.role,
        signature: update.signature,
        active: update.active,
        password_hash,
        ..AgentChange::default()
    };
    let agent = state
        .store
        .update_agent(caller.workspace_id, id, change)
        .await?;
    if new_password {
        // Whoever knew the old password is out; the browser that changed it stays in.
        let this_session = (own && caller.by_cookie)
            .then(|| auth::session_cookie(&headers).map(|secret| auth::secret_hash(&secret)))
            .flatten();
        state
            .store
            .revoke_agent_access(caller.workspace_id, id, this_session)
            .await?;
    }
    Ok(axum::Json(agent))
}

/// Fails unless `current` is the calling agent's password.
async fn require_current_password(
    state: &AppState,
    caller: &Caller,
    current: Option<String>,
) -> ApiResult<()> {
    let current = current.ok_or_else(|| {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "current_password_required",
            "give your current password as `current_password` to change it",
        )
    })?;
    let stored = state
        .store
        .credentials(&caller.agent.email)
        .await?
        .map(|(_, hash)| hash);
    if !auth::verify_password(current, stored).await? {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "wrong_password",
            "`current_password` is not your current password",
        ));
    }
    Ok(())
}

/// The largest avatar image, in bytes.
const MAX_AVATAR_BYTES: usize = 512 * 1024;

/// Sets an agent's avatar, sent as the raw body: a PNG, JPEG, GIF or WebP image of at most
/// 512 KiB. Agents set their own; admins anyone's. Visitors see it beside the agent's replies.
#[utoipa::path(put, path = "/api/v1/agents/{id}/avatar", tag = "agents", params(("id" = u64, Path)),
    request_body(content = Vec<u8>, content_type = "image/png"),
    responses((status = 200, body = Agent), (status = 413, body = switchboard_model::ErrorBody), (status = 415, body = switchboard_model::ErrorBody)))]
async fn put_avatar(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<Id>,
    body: Body,
) -> ApiResult<axum::Json<Agent>> {
    if id != caller.agent.id {
        caller.require_admin()?;
    }
    state.store.agent(caller.workspace_id, id).await?;
    let bytes = axum::body::to_bytes(body, MAX_AVATAR_BYTES)
        .await
        .map_err(|_| {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "too_large",
                format!("an avatar may be at most {MAX_AVATAR_BYTES} bytes"),
            )
        })?;
    let media_type = super::attachments::image_type(&bytes).ok_or_else(|| {
        ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "not_an_image",
            "the avatar must be a PNG, JPEG, GIF or WebP image",
        )
    })?;
    let size = bytes.len() as u64;
    let sha256 = state
        .store
        .put_blob(caller.workspace_id, bytes.to_vec(), size, FilePurpose::Kept)
        .await?;
    let avatar = Attachment {
        sha256,
        name: "avatar".into(),
        media_type: media_type.into(),
        size,
    };
    set_avatar(&state, &caller, id, Some(avatar)).await
}

/// Removes an agent's avatar; visitors then see the agent's initial.
#[utoipa::path(delete, path = "/api/v1/agents/{id}/avatar", tag = "agents", params(("id" = u64, Path)),
    responses((status = 200, body = Agent)))]
async fn delete_avatar(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<Id>,
) -> ApiResult<axum::Json<Agent>> {
    if id != caller.agent.id {
        caller.require_admin()?;
    }
    set_avatar(&state, &caller, id, None).await
}

async fn set_avatar(
    state: &AppState,
    caller: &Caller,
    id: Id,
    avatar: Option<Attachment>,
) -> ApiResult<axum::Json<Agent>> {
    let change = AgentChange {
        avatar: Some(avatar),
        ..AgentChange::default()
    };
    Ok(axum::Json(
        state
            .store
            .update_agent(caller.workspace_id, id, change)
            .await?,
    ))
}

/// The workspace's teams.
#[utoipa::path(get, path = "/api/v1/teams", tag = "teams", responses((status = 200, body = Vec<Team>)))]
async fn list_teams(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<axum::Json<Vec<Team>>> {
    Ok(axum::Json(state.store.teams(caller.workspace_id).await?))
}

/// Creates a team (admins only).
#[utoipa::path(post, path = "/api/v1/teams", tag = "teams", request_body = NewTeam, responses((status = 201, body = Team)))]
async fn create_team(
    State(state): State<AppState>,
    caller: Caller,
    Json(new): Json<NewTeam>,
) -> ApiResult<(StatusCode, axum::Json<Team>)> {
    caller.require_admin()?;
    require_text("name", &new.name, 80)?;
    require_colour(&new.colour)?;
    Ok((
        StatusCode::CREATED,
        axum::Json(state.store.create_team(caller.workspace_id, new).await?),
    ))
}

/// Renames, recolours or changes the members of a team (admins only).
#[utoipa::path(patch, path = "/api/v1/teams/{id}", tag = "teams", request_body = TeamUpdate,
    params(("id" = u64, Path)), responses((status = 200, body = Team)))]
async fn update_team(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<Id>,
    Json(update): Json<TeamUpdate>,
) -> ApiResult<axum::Json<Team>> {
    caller.require_admin()?;
    if let Some(colour) = &update.colour {
        require_colour(colour)?;
    }
    Ok(axum::Json(
        state
            .store
            .update_team(caller.workspace_id, id, update)
            .await?,
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
            .map(|channel| for_caller(&caller, channel))
            .collect(),
    ))
}

/// Only admins see the secret part of a channel's webhook URL.
fn for_caller(caller: &Caller, mut channel: Channel) -> Channel {
    if caller.require_admin().is_err() {
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
    switchboard_services::settings::check(&new.settings)?;
    // Email and webchat channels use the adapters that ship with the gateway unless told
    // otherwise.
    let bundled = match new.kind {
        ChannelKind::Email => Some("email"),
        ChannelKind::Webchat => Some("webchat"),
        _ => None,
    };
    if let (Some(name), None) = (bundled, &new.plugin) {
        state
            .plugins
            .ensure_bundled(state.store.as_ref(), caller.workspace_id, name)
            .await?;
        new.plugin = Some(name.into());
    }
    Ok((
        StatusCode::CREATED,
        axum::Json(
            state
                .store
                .create_channel(caller.workspace_id, new, Some(auth::new_secret()))
                .await?,
        ),
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
    Ok(axum::Json(for_caller(&caller, channel)))
}

/// Renames, (de)activates or reconfigures a channel (admins only).
#[utoipa::path(patch, path = "/api/v1/channels/{id}", tag = "channels", request_body = ChannelUpdate,
    params(("id" = u64, Path)), responses((status = 200, body = Channel)))]
async fn update_channel(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<Id>,
    Json(update): Json<ChannelUpdate>,
) -> ApiResult<axum::Json<Channel>> {
    caller.require_admin()?;
    if let Some(settings) = &update.settings {
        switchboard_services::settings::check(settings)?;
    }
    Ok(axum::Json(
        state
            .store
            .update_channel(caller.workspace_id, id, update)
            .await?,
    ))
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
    let names = match state
        .store
        .channel_record(caller.workspace_id, id, ChannelRecord::Secrets)
        .await?
    {
        Some(sealed) => state
            .secrets
            .open(&sealed)
            .map_err(ApiError::internal)?
            .into_keys()
            .collect(),
        None => Vec::new(),
    };
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
    if body.secrets.len() > 32 {
        return Err(ApiError::invalid_body("a channel holds at most 32 secrets"));
    }
    for (name, value) in &body.secrets {
        require_text("secret name", name, 64)?;
        if value.len() > 8192 {
            return Err(ApiError::invalid_body(format!(
                "the secret {name} is longer than 8192 bytes"
            )));
        }
    }
    let sealed = state
        .secrets
        .seal(&body.secrets)
        .map_err(ApiError::internal)?;
    state
        .store
        .put_channel_record(caller.workspace_id, id, ChannelRecord::Secrets, sealed)
        .await?;
    tracing::info!(
        workspace_id = caller.workspace_id,
        channel_id = id,
        count = body.secrets.len(),
        "channel secrets replaced"
    );
    Ok(StatusCode::NO_CONTENT)
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

/// The workspace's API tokens, without their secrets (admins only).
#[utoipa::path(get, path = "/api/v1/api-tokens", tag = "api tokens", responses((status = 200, body = Vec<ApiToken>)))]
async fn list_tokens(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<axum::Json<Vec<ApiToken>>> {
    caller.require_admin()?;
    Ok(axum::Json(
        state.store.api_tokens(caller.workspace_id).await?,
    ))
}

/// Creates an API token that acts as the calling admin. The secret is in this answer only.
#[utoipa::path(post, path = "/api/v1/api-tokens", tag = "api tokens", request_body = NewApiToken,
    responses((status = 201, body = CreatedApiToken)))]
async fn create_token(
    State(state): State<AppState>,
    caller: Caller,
    Json(new): Json<NewApiToken>,
) -> ApiResult<(StatusCode, axum::Json<CreatedApiToken>)> {
    caller.require_admin()?;
    require_text("name", &new.name, 80)?;
    if new
        .expires_at
        .is_some_and(|expires| expires <= switchboard_model::now_millis())
    {
        return Err(ApiError::invalid_body("`expires_at` must be in the future"));
    }
    let secret = format!("sbt_{}", auth::new_secret());
    let info = state
        .store
        .create_api_token(
            caller.workspace_id,
            caller.agent.id,
            new,
            auth::secret_hash(&secret),
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(CreatedApiToken {
            info,
            token: secret,
        }),
    ))
}

/// Revokes an API token at once (admins only).
#[utoipa::path(delete, path = "/api/v1/api-tokens/{id}", tag = "api tokens", params(("id" = u64, Path)), responses((status = 204)))]
async fn revoke_token(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<Id>,
) -> ApiResult<StatusCode> {
    caller.require_admin()?;
    state
        .store
        .revoke_api_token(caller.workspace_id, id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

fn require_email(field: &str, value: &str) -> ApiResult<()> {
    let valid = value.len() <= 254
        && value
            .split_once('@')
            .is_some_and(|(local, domain)| !local.is_empty() && domain.contains('.'))
        && !value.chars().any(char::is_whitespace);
    if valid {
        Ok(())
    } else {
        Err(ApiError::invalid_body(format!(
            "`{field}` is not an email address: {value:?}"
        )))
    }
}

fn require_colour(colour: &str) -> ApiResult<()> {
    let hex = colour.strip_prefix('#').unwrap_or_default();
    if matches!(hex.len(), 3 | 6) && hex.chars().all(|c| c.is_ascii_hexdigit()) {
        Ok(())
    } else {
        Err(ApiError::invalid_body(format!(
            "`colour` must be a hex colour such as #1f6feb, not {colour:?}"
        )))
    }
}
