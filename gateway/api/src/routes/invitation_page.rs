//! The page of an invitation's link, `/invitation` (see `switchboard_services::invitations`):
//! it asks the invited person for their password, makes them an agent and sends them to the
//! console's sign-in. An expired, withdrawn or used link gets a page that says so.

use std::sync::LazyLock;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::get;
use switchboard_model::Quota;
use switchboard_services::invitations::{self, Checked, Claim, Words};
use switchboard_services::throttle::RateLimiter;
use switchboard_store::StoreError;

use super::form_pages::{
    PasswordPage, answer, chosen_password, page, password_field, with_sign_in,
};
use crate::client_address::ClientAddress;
use crate::extract::Query;
use crate::{ApiResult, AppState};

/// Passwords posted per client, across invitations.
static POSTED: LazyLock<RateLimiter> = LazyLock::new(invitations::limiter);

pub fn routes() -> Router<AppState> {
    Router::new().route("/invitation", get(show).post(accept))
}

fn words_for(headers: &HeaderMap) -> &'static Words {
    invitations::words(super::browser_language(headers))
}

/// The page for a link that no longer works, or `Ok` with the invitation it names.
async fn valid(
    state: &AppState,
    words: &Words,
    claim: &Claim,
) -> ApiResult<Result<switchboard_model::Invitation, Response>> {
    let (status, text) = match invitations::checked(state, claim).await? {
        Checked::Valid(invitation) => return Ok(Ok(invitation)),
        Checked::Expired => (StatusCode::GONE, words.expired),
        Checked::Gone => (StatusCode::GONE, words.gone),
    };
    let html = with_sign_in(page(words.heading, text, true, None), words.sign_in);
    Ok(Err(answer(status, html)?))
}

/// The title with the workspace's name, and the paragraph asking for a password.
async fn texts(
    state: &AppState,
    words: &Words,
    invitation: &switchboard_model::Invitation,
) -> ApiResult<(String, String)> {
    let workspace = state.store.workspace(invitation.workspace_id).await?;
    Ok((
        words.title.replace("{workspace}", &workspace.name),
        words.choose.replace("{name}", &invitation.name),
    ))
}

async fn show(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(claim): Query<Claim>,
) -> ApiResult<Response> {
    let words = words_for(&headers);
    let invitation = match valid(&state, words, &claim).await? {
        Ok(invitation) => invitation,
        Err(page) => return Ok(page),
    };
    let (title, choose) = texts(&state, words, &invitation).await?;
    let form = password_field(words.password);
    answer(
        StatusCode::OK,
        page(&title, &choose, false, Some((&form, words.save))),
    )
}

async fn accept(
    State(state): State<AppState>,
    headers: HeaderMap,
    client: ClientAddress,
    Query(claim): Query<Claim>,
    body: Bytes,
) -> ApiResult<Response> {
    let words = words_for(&headers);
    if let Some(client) = client.limit_key()
        && POSTED.take(&client).is_err()
    {
        let html = page(words.heading, words.too_many, true, None);
        return answer(StatusCode::TOO_MANY_REQUESTS, html);
    }
    let invitation = match valid(&state, words, &claim).await? {
        Ok(invitation) => invitation,
        Err(page) => return Ok(page),
    };
    let (title, _) = texts(&state, words, &invitation).await?;
    let asked = PasswordPage {
        title: &title,
        label: words.password,
        button: words.save,
        too_short: words.weak_password,
    };
    let password_hash = match chosen_password(&body, asked).await? {
        Ok(hash) => hash,
        Err(asked_again) => return Ok(asked_again),
    };
    // The workspace may have reached its quota of people since the invitation was sent.
    if switchboard_services::quotas::ensure_room(&state, invitation.workspace_id, Quota::Agents)
        .await
        .is_err()
    {
        let html = page(&title, words.full, true, None);
        return answer(StatusCode::FORBIDDEN, html);
    }
    let accepted = state
        .store
        .accept_invitation(
            invitation.workspace_id,
            invitation.id,
            invitation.sent_at,
            password_hash,
        )
        .await;
    let text = match accepted {
        Ok(agent) => {
            tracing::info!(
                agent_id = agent.id,
                invitation_id = invitation.id,
                "an invitation was accepted"
            );
            words.done
        }
        Err(StoreError::Conflict(_)) => words.taken,
        Err(StoreError::NotFound { .. }) => words.gone,
        Err(error) => return Err(error.into()),
    };
    let failed = text != words.done;
    let status = if failed {
        StatusCode::CONFLICT
    } else {
        StatusCode::OK
    };
    answer(
        status,
        with_sign_in(page(&title, text, failed, None), words.sign_in),
    )
}
