//! The workspace's API tokens.

use axum::extract::State;
use axum::http::StatusCode;
use switchboard_model::{ApiToken, AuditAction, CreatedApiToken, Id, NewApiToken};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::require_text;
use crate::audit::Audit;
use crate::auth::{self, Caller};
use crate::extract::{Json, Path};
use crate::{ApiError, ApiResult, AppState};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_tokens, create_token))
        .routes(routes!(revoke_token))
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
    Audit::of(AuditAction::TokenCreated)
        .record(info.id, &info.name)
        .change(&serde_json::json!({ "scope": info.scope, "expires_at": info.expires_at }))
        .by(&state, &caller)
        .await;
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
    Audit::of(AuditAction::TokenRevoked)
        .id(id)
        .by(&state, &caller)
        .await;
    Ok(StatusCode::NO_CONTENT)
}
