//! "Sign in with Google / Microsoft" for an email channel (see
//! `switchboard_services::email::sign_in`): the start, which the console calls and then sends
//! the admin to the provider, and the address the provider sends them back to, which finishes
//! and returns them to the channel's page in the settings, saying how it went.

use axum::Router;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use serde::{Deserialize, Serialize};
use switchboard_model::{AuditAction, Id};
use switchboard_services::email::sign_in::{self, CALLBACK_PATH};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::audit::Audit;
use crate::auth::Caller;
use crate::extract::{Path, Query};
use crate::{ApiError, ApiResult, AppState};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(start))
}

/// The page the provider sends the admin back to.
pub fn callback_routes() -> Router<AppState> {
    Router::new().route(CALLBACK_PATH, get(callback))
}

/// Where to send the admin to sign in.
#[derive(Debug, Serialize, utoipa::ToSchema)]
struct SignInStarted {
    authorize_url: String,
}

/// Starts "Sign in with…" for an email channel (admins only): the provider's address to send
/// the admin to. `422 sign_in_unavailable` names the setting the channel lacks (its OAuth
/// client id, or the endpoints of a provider the gateway does not know).
#[utoipa::path(post, path = "/api/v1/channels/{id}/oauth/start", tag = "channels", params(("id" = u64, Path)),
    responses((status = 200, body = SignInStarted), (status = 422, body = switchboard_model::ErrorBody)))]
async fn start(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<Id>,
) -> ApiResult<axum::Json<SignInStarted>> {
    caller.require_admin()?;
    let channel = state.store.channel(caller.workspace_id, id).await?;
    match sign_in::start(&state, &channel, caller.agent.id).await? {
        Ok(authorize_url) => Ok(axum::Json(SignInStarted { authorize_url })),
        Err(problem) => Err(ApiError::new(
            axum::http::StatusCode::UNPROCESSABLE_ENTITY,
            "sign_in_unavailable",
            problem,
        )),
    }
}

/// What the provider sends back: a code and the sign-in's `state`, or an error.
#[derive(Debug, Deserialize)]
struct Answer {
    state: Option<String>,
    code: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

/// Finishes the sign-in the provider sends the admin back from (the `state` alone names it:
/// the redirect carries no console session), then shows them the channel's page with the
/// outcome (`?channel={id}&signed_in=1`, or `&sign_in_error=…` in the provider's or the
/// gateway's words).
async fn callback(
    State(state): State<AppState>,
    Query(answer): Query<Answer>,
) -> ApiResult<Response> {
    let outcome = match (&answer.state, &answer.code, &answer.error) {
        (Some(pending), Some(code), None) => sign_in::finish(&state, pending, code).await?,
        (_, _, Some(error)) => Err((
            None,
            match &answer.error_description {
                Some(description) => format!("{error}: {description}"),
                None => error.clone(),
            },
        )),
        _ => Err((None, "the provider's answer has no code".into())),
    };
    let query = match outcome {
        Ok(signed_in) => {
            let agent = state
                .store
                .agent(signed_in.workspace_id, signed_in.agent_id)
                .await?;
            Audit::of(AuditAction::ChannelSecretsChanged)
                .id(signed_in.channel_id)
                .change(&serde_json::json!({ "oauth_refresh_token": true, "auth": true }))
                .by_agent(&state, signed_in.workspace_id, &agent)
                .await;
            vec![
                ("channel", signed_in.channel_id.to_string()),
                ("signed_in", "1".into()),
            ]
        }
        Err((channel_id, reason)) => channel_id
            .map(|id| ("channel", id.to_string()))
            .into_iter()
            .chain([("sign_in_error", reason)])
            .collect(),
    };
    let query = serde_urlencoded::to_string(query)
        .map_err(|error| ApiError::internal(error.to_string()))?;
    Ok(Redirect::to(&format!("/app/settings/channels?{query}")).into_response())
}
