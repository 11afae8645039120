//! The workspace's agents: who they are, their roles, their pictures.

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use switchboard_model::{Agent, AgentUpdate, Attachment, AuditAction, Id, NewAgent, Quota};
use switchboard_services::quotas;
use switchboard_store::{AgentChange, FilePurpose, NewAgentRecord};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::require_text;

use crate::audit::Audit;
use crate::auth::{self, Caller, hash_password};
use crate::extract::{Json, Path};
use crate::{ApiError, ApiResult, AppState};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_agents, create_agent))
        .routes(routes!(update_agent))
        .routes(routes!(put_avatar, delete_avatar))
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
    quotas::ensure_room(&state, caller.workspace_id, Quota::Agents).await?;
    let password_hash = hash_password(new.password).await?;
    let record = NewAgentRecord {
        name: new.name,
        email: new.email,
        role: new.role,
        password_hash,
        must_choose_password: false,
    };
    let agent = state
        .store
        .create_agent(caller.workspace_id, record)
        .await?;
    Audit::of(AuditAction::PersonAdded)
        .record(agent.id, &agent.email)
        .change(&serde_json::json!({ "role": agent.role }))
        .by(&state, &caller)
        .await;
    Ok((StatusCode::CREATED, axum::Json(agent)))
}

/// Changes an agent. Agents may change their own name, signature and password (giving their
/// current one); admins anything, and may reset another agent's password. A new password ends
/// the agent's other sessions and revokes its API tokens. Deactivating an agent signs them out
/// at once (sessions, tokens and live sockets end) and puts their conversations that are not
/// resolved back in the queue, each with a `system` message saying so; reactivating them lets
/// them sign in again.
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
    let audit = (!own || touches_access).then(|| {
        let action = match (update.active, update.role) {
            (Some(false), _) => AuditAction::PersonDeactivated,
            (Some(true), _) => AuditAction::PersonReactivated,
            (None, Some(_)) => AuditAction::PersonRoleChanged,
            (None, None) => AuditAction::PersonUpdated,
        };
        Audit::of(action).change(&update)
    });
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
    if !agent.active {
        // The store ended their sessions and tokens; their open sockets close too.
        state.fanout.close_agent(caller.workspace_id, id);
    }
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
    if let Some(audit) = audit {
        audit.record(id, &agent.email).by(&state, &caller).await;
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
    quotas::ensure_storage(&state, caller.workspace_id, &bytes).await?;
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

pub(super) fn require_email(field: &str, value: &str) -> ApiResult<()> {
    if switchboard_model::is_email_address(value) {
        Ok(())
    } else {
        Err(ApiError::invalid_body(format!(
            "`{field}` is not an email address: {value:?}"
        )))
    }
}
