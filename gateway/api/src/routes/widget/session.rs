//! Visitor sessions: a token for an anonymous visitor, or for a site's user it vouches for.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use switchboard_model::{Channel, SessionAnswer, SessionRequest};

use super::guard;
use crate::client_address::ClientAddress;
use crate::extract::{Json, Path};
use crate::{ApiError, ApiResult, AppState};
use switchboard_services::widget::{self, Visitor};

/// Starts or resumes a visitor session. With `user` (`{id, name, email, hash}`, where `hash` is
/// the hex HMAC-SHA256 of `id` with the widget's `identity_secret`), the visitor becomes that
/// user, and their history follows them across browsers. A `hash` of `id`, a line break and
/// `email` vouches for the email too: the chat may go on by email to it with no confirmation.
#[utoipa::path(post, path = "/widget/v1/{widget}/visitors", tag = "widget", security(()), params(("widget" = String, Path)),
    request_body = SessionRequest, responses((status = 200, body = SessionAnswer), (status = 403, body = switchboard_model::ErrorBody)))]
pub(super) async fn start_session(
    State(state): State<AppState>,
    Path(widget): Path<String>,
    headers: HeaderMap,
    client: ClientAddress,
    Json(request): Json<SessionRequest>,
) -> ApiResult<axum::Json<SessionAnswer>> {
    let channel = widget::channel(&state, &widget).await?;
    guard(&state, &channel, &headers, client)?;
    let kept = request
        .token
        .as_deref()
        .and_then(|token| Visitor::from_renewable_token(&state.secrets, token))
        .filter(|visitor| {
            visitor.channel_id == channel.id && visitor.workspace_id == channel.workspace_id
        });
    let visitor = match request.user.as_ref().filter(|user| !user.is_null()) {
        Some(user) => verified_user(&state, &channel, user).await?,
        None => match kept {
            Some(visitor) => visitor,
            None => Visitor {
                workspace_id: channel.workspace_id,
                channel_id: channel.id,
                id: format!("a-{}", hex::encode(rand::random::<[u8; 16]>())),
            },
        },
    };
    let known = state
        .store
        .contact_by_identity(channel.workspace_id, &visitor.identity())
        .await?
        .is_some_and(|contact| contact.email_to_write().is_some() || !contact.unnamed());
    Ok(axum::Json(SessionAnswer {
        token: visitor.token(&state.secrets),
        known,
    }))
}

/// A site's user, if the site vouched for them with the widget's identity secret.
async fn verified_user(
    state: &AppState,
    channel: &Channel,
    user: &serde_json::Value,
) -> ApiResult<Visitor> {
    let refused = |why: &str| {
        ApiError::new(
            StatusCode::FORBIDDEN,
            "identity_not_verified",
            why.to_string(),
        )
    };
    let id = user["id"]
        .as_str()
        .filter(|id| !id.is_empty() && id.len() <= 200)
        .ok_or_else(|| refused("`user.id` must be 1 to 200 characters"))?;
    let hash = user["hash"]
        .as_str()
        .ok_or_else(|| refused("`user.hash` is missing: the site must sign the user id"))?;
    let secrets = switchboard_services::plugins::channel_secrets(state, channel).await?;
    let secret = secrets
        .get("identity_secret")
        .ok_or_else(|| refused("this widget has no identity secret, so it cannot verify users"))?;
    // The hex HMAC-SHA256 of the id (or of the id, a line break and the email, which vouches
    // for the email too), as sites compute it with their language's standard library;
    // compared in constant time.
    let told = |field: &str| {
        user[field]
            .as_str()
            .map(str::trim)
            .filter(|value| !value.is_empty() && value.len() <= 200)
    };
    let email = told("email")
        .filter(|email| switchboard_model::is_email_address(email))
        .map(str::to_lowercase);
    let signs = |data: &str| -> ApiResult<bool> {
        let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes())
            .map_err(|error| ApiError::internal(error.to_string()))?;
        mac.update(data.as_bytes());
        Ok(hex::decode(hash).is_ok_and(|hash| mac.verify_slice(&hash).is_ok()))
    };
    let email_vouched = match &email {
        Some(email) => signs(&format!("{id}\n{email}"))?,
        None => false,
    };
    if !email_vouched && !signs(id)? {
        return Err(refused("`user.hash` does not match the user id"));
    }
    let visitor = Visitor {
        workspace_id: channel.workspace_id,
        channel_id: channel.id,
        id: format!("u-{}", hex::encode(id.as_bytes())),
    };
    // The site vouched for the id; its name and email fill in what the contact lacks, and an
    // email another contact holds is kept aside (`given_email`), as the chat's form would.
    let name = told("name").map(str::to_string);
    if name.is_some() || email.is_some() {
        let who = switchboard_model::ContactRef {
            identity: visitor.identity(),
            name,
            email: email.clone(),
            phone: None,
            custom_fields: Default::default(),
        };
        let contact = state
            .store
            .introduce_contact(channel.workspace_id, who)
            .await?;
        if let Some(email) = email.filter(|_| email_vouched) {
            state
                .store
                .verify_email(channel.workspace_id, contact.id, &email)
                .await?;
        }
    }
    Ok(visitor)
}
