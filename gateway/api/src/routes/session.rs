//! Logging in and out of the console, asking who is logged in, and choosing one's own password
//! in place of a generated one.

use std::sync::Arc;

use axum::Extension;
use axum::extract::State;
use axum::http::header::SET_COOKIE;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use switchboard_model::{ChosenPassword, LoginRequest, Me, ProfileUpdate, now_millis};
use switchboard_store::{AgentChange, Session};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::require_text;
use crate::auth::{self, Caller, SESSION_COOKIE};
use crate::client_address::ClientAddress;
use crate::extract::Json;
use crate::{ApiError, ApiResult, AppState};
use switchboard_services::throttle::LoginThrottle;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(login))
        .routes(routes!(logout))
        .routes(routes!(me, update_profile))
        .routes(routes!(choose_password))
}

/// Logs an agent in and sets the session cookie.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "session", security(()),
    request_body = LoginRequest,
    responses((status = 200, body = Me), (status = 401, body = switchboard_model::ErrorBody, description = "wrong email or password"),
        (status = 403, body = switchboard_model::ErrorBody, description = "`agent_deactivated`: an admin deactivated the account, or `workspace_suspended`"),
        (status = 429, body = switchboard_model::ErrorBody, description = "too many attempts from this client, or too many failures for this address from it; see `Retry-After`"),
        (status = 503, body = switchboard_model::ErrorBody, description = "too many password checks at once; see `Retry-After`")))]
async fn login(
    State(state): State<AppState>,
    Extension(throttle): Extension<Arc<LoginThrottle>>,
    client: ClientAddress,
    Json(request): Json<LoginRequest>,
) -> ApiResult<Response> {
    let client = client.limit_key();
    throttle.check(&request.email, client.as_deref())?;
    let found = state.store.credentials(&request.email).await?;
    let (agent, hash) = match found {
        Some((agent, hash)) => (Some(agent), Some(hash)),
        None => (None, None),
    };
    let verified = auth::verify_password(request.password, hash).await?;
    let agent = match agent {
        // Told only to whoever knows the password.
        Some(agent) if verified && !agent.active => {
            throttle.succeeded(&request.email, client.as_deref());
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "agent_deactivated",
                "an admin of your workspace deactivated your account: ask them to reactivate it",
            ));
        }
        Some(agent) if verified => agent,
        _ => {
            throttle.failed(&request.email, client.as_deref());
            tracing::info!("a login failed");
            return Err(ApiError::unauthenticated(
                "invalid_credentials",
                "the email address or the password is wrong",
            ));
        }
    };
    throttle.succeeded(&request.email, client.as_deref());
    // Told only to whoever knows the password.
    let workspace =
        switchboard_services::workspaces::require_active(&state.services, agent.workspace_id)
            .await?;
    let secret = auth::new_secret();
    let hours = state.config.session_hours;
    let session = Session {
        workspace_id: agent.workspace_id,
        agent_id: agent.id,
        expires_at: now_millis() + i64::from(hours) * 3_600_000,
    };
    state
        .store
        .put_session(auth::secret_hash(&secret), session)
        .await?;
    let secure = if state.config.secure_cookies {
        "; Secure"
    } else {
        ""
    };
    let cookie = format!(
        "{SESSION_COOKIE}={secret}; HttpOnly; SameSite=Strict; Path=/; Max-Age={}{secure}",
        hours * 3600
    );
    let mut headers = HeaderMap::new();
    headers.insert(
        SET_COOKIE,
        HeaderValue::from_str(&cookie).map_err(|error| ApiError::internal(error.to_string()))?,
    );
    Ok((headers, axum::Json(Me { agent, workspace })).into_response())
}

/// Chooses the caller's own password in place of the one the gateway generated for them (the
/// first admin's, or one the operator's `workspace create` printed), which stops working: until
/// then every other call is refused with `choose_password`. The generated password's file, if
/// it was the first admin's, is removed; other sessions signed in with it end.
#[utoipa::path(post, path = "/api/v1/auth/password", tag = "session", request_body = ChosenPassword,
    responses((status = 200, body = Me),
        (status = 409, body = switchboard_model::ErrorBody, description = "`password_already_chosen`: change it with `PATCH /api/v1/agents/{id}`, giving the current one"),
        (status = 422, body = switchboard_model::ErrorBody, description = "`weak_password` (under 10 characters) or `same_password` (the generated one)")))]
async fn choose_password(
    State(state): State<AppState>,
    caller: Caller,
    request_headers: HeaderMap,
    Json(chosen): Json<ChosenPassword>,
) -> ApiResult<axum::Json<Me>> {
    if !caller.agent.must_choose_password {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "password_already_chosen",
            "your password is your own already: change it in your profile, giving the current one",
        ));
    }
    let stored = state
        .store
        .credentials(&caller.agent.email)
        .await?
        .map(|(_, hash)| hash);
    if auth::verify_password(chosen.password.clone(), stored).await? {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "same_password",
            "choose a password of your own, not the one that was generated for you",
        )
        .on_field("password"));
    }
    let change = AgentChange {
        password_hash: Some(auth::hash_password(chosen.password).await?),
        ..AgentChange::default()
    };
    let agent = state
        .store
        .update_agent(caller.workspace_id, caller.agent.id, change)
        .await?;
    // Whoever else signed in with the generated password is out; this browser stays in.
    let this_session = caller
        .by_cookie
        .then(|| auth::session_cookie(&request_headers).map(|secret| auth::secret_hash(&secret)))
        .flatten();
    state
        .store
        .revoke_agent_access(caller.workspace_id, agent.id, this_session)
        .await?;
    forget_first_password(&state, &agent).await;
    let workspace = state.store.workspace(caller.workspace_id).await?;
    Ok(axum::Json(Me { agent, workspace }))
}

/// The generated first password has done its job once its admin chose their own: its file
/// goes, so that it does not lie around in the data folder (and its backups).
async fn forget_first_password(state: &AppState, agent: &switchboard_model::Agent) {
    let Some(first) = &state.config.first_password else {
        return;
    };
    if !agent.email.eq_ignore_ascii_case(&first.email) {
        return;
    }
    match tokio::fs::remove_file(&first.file).await {
        Ok(()) => tracing::info!(
            file = %first.file.display(),
            "removed the first admin's generated password file once they chose their own"
        ),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
        Err(error) => tracing::warn!(
            file = %first.file.display(),
            %error,
            "cannot remove the first admin's generated password file"
        ),
    }
}

/// Ends the current console session.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "session", responses((status = 204)))]
async fn logout(
    State(state): State<AppState>,
    _caller: Caller,
    request_headers: HeaderMap,
) -> ApiResult<Response> {
    if let Some(secret) = auth::session_cookie(&request_headers) {
        state
            .store
            .delete_session(auth::secret_hash(&secret))
            .await?;
    }
    let expired = format!("{SESSION_COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0");
    let mut headers = HeaderMap::new();
    headers.insert(
        SET_COOKIE,
        HeaderValue::from_str(&expired).map_err(|error| ApiError::internal(error.to_string()))?,
    );
    Ok((StatusCode::NO_CONTENT, headers).into_response())
}

/// The agent behind the session or token, and its workspace.
#[utoipa::path(get, path = "/api/v1/auth/me", tag = "session", responses((status = 200, body = Me)))]
async fn me(State(state): State<AppState>, caller: Caller) -> ApiResult<axum::Json<Me>> {
    let workspace = state.store.workspace(caller.workspace_id).await?;
    Ok(axum::Json(Me {
        agent: caller.agent,
        workspace,
    }))
}

/// Longest email signature, in characters.
const MAX_SIGNATURE_CHARS: usize = 2_000;

/// Changes the calling agent's own profile: name, email signature, the console's language,
/// availability (which other agents see, and which automatic assignment follows) and how the
/// console notifies them. Absent fields stay as they are.
#[utoipa::path(patch, path = "/api/v1/auth/me", tag = "session", request_body = ProfileUpdate,
    responses((status = 200, body = Me),
        (status = 422, body = switchboard_model::ErrorBody, description = "a field is invalid")))]
async fn update_profile(
    State(state): State<AppState>,
    caller: Caller,
    Json(update): Json<ProfileUpdate>,
) -> ApiResult<axum::Json<Me>> {
    if let Some(name) = &update.name {
        require_text("name", name, 120)?;
    }
    if let Some(signature) = &update.signature
        && signature.chars().count() > MAX_SIGNATURE_CHARS
    {
        return Err(ApiError::invalid_body(format!(
            "signature is longer than {MAX_SIGNATURE_CHARS} characters"
        )));
    }
    let language = match update.language.as_deref().map(str::trim) {
        None => None,
        Some("") => Some(None),
        Some(tag) => match switchboard_model::known_language(tag) {
            Some(known) => Some(Some(known.to_string())),
            None => {
                return Err(ApiError::invalid_body(format!(
                    "language {tag:?} is not one the console speaks ({})",
                    switchboard_model::LANGUAGES.join(", ")
                )));
            }
        },
    };
    let change = AgentChange {
        name: update.name.map(|name| name.trim().to_string()),
        signature: update.signature,
        language,
        availability: update.availability,
        notifications: update.notifications,
        ..AgentChange::default()
    };
    let agent = state
        .store
        .update_agent(caller.workspace_id, caller.agent.id, change)
        .await?;
    let workspace = state.store.workspace(caller.workspace_id).await?;
    Ok(axum::Json(Me { agent, workspace }))
}
