//! "Sign in with Google / Microsoft" for an email channel: the authorization-code grant with
//! PKCE (RFC 7636) against the provider's endpoints (or those the channel's settings name).
//! Starting gives the address to send the admin to, whose `state` carries, sealed with the
//! gateway's secrets key for ten minutes, what only the gateway may know of the sign-in (whose
//! channel, the PKCE verifier): any node that shares the key finishes it, whichever one the
//! provider's redirect reaches. Finishing trades the code the provider sent back for a refresh
//! token, stored sealed among the channel's secrets, and the channel signs in with XOAUTH2
//! from then on.

use std::collections::BTreeMap;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use oauth2::{
    AuthUrl, AuthorizationCode, CsrfToken, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, Scope,
    TokenResponse,
};
use switchboard_model::{Channel, ChannelKind, ChannelUpdate, EmailSettings, Id};

use super::oauth::{keep, provider_endpoints, refusal, through, token_client};
use super::setting::OAUTH_REFRESH_TOKEN;
use crate::secrets::SecretBox;
use crate::{Fault, FaultKind, ServiceResult, Services};

/// How long the provider's sign-in page may take, in milliseconds.
const PENDING_MS: i64 = 10 * 60 * 1000;
/// Where the provider sends the admin back, under the gateway's public address.
pub const CALLBACK_PATH: &str = "/oauth/callback";
/// What a sealed `state` says it is, so that no other sealed value passes for one.
const PURPOSE: &str = "email-sign-in";

/// A sign-in sent to a provider and not back yet: what its `state` carries.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Pending {
    started_by: SignedIn,
    verifier: String,
    started_at: i64,
}

impl Pending {
    /// The `state` that carries this sign-in, sealed.
    fn seal(&self, secrets: &SecretBox) -> ServiceResult<String> {
        let fields = BTreeMap::from([
            ("purpose".to_string(), PURPOSE.to_string()),
            ("workspace".into(), self.started_by.workspace_id.to_string()),
            ("channel".into(), self.started_by.channel_id.to_string()),
            ("agent".into(), self.started_by.agent_id.to_string()),
            ("verifier".into(), self.verifier.clone()),
            ("started_at".into(), self.started_at.to_string()),
        ]);
        let sealed = secrets.seal(&fields).map_err(Fault::internal)?;
        Ok(URL_SAFE_NO_PAD.encode(sealed))
    }

    /// The sign-in a `state` carries, if this gateway's key sealed it less than ten minutes
    /// before `now`.
    fn open(secrets: &SecretBox, state: &str, now: i64) -> Option<Pending> {
        let sealed = URL_SAFE_NO_PAD.decode(state).ok()?;
        let fields = secrets.open(&sealed).ok()?;
        let number = |name: &str| fields.get(name)?.parse::<i64>().ok();
        let id = |name: &str| fields.get(name)?.parse::<Id>().ok();
        let pending = Pending {
            started_by: SignedIn {
                workspace_id: id("workspace")?,
                channel_id: id("channel")?,
                agent_id: id("agent")?,
            },
            verifier: fields.get("verifier")?.clone(),
            started_at: number("started_at")?,
        };
        let fresh = (0..PENDING_MS).contains(&now.saturating_sub(pending.started_at));
        (fields.get("purpose").map(String::as_str) == Some(PURPOSE) && fresh).then_some(pending)
    }
}

/// A finished sign-in: whose channel, and who started it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SignedIn {
    pub workspace_id: Id,
    pub channel_id: Id,
    pub agent_id: Id,
}

/// Where to send the admin `agent_id` to sign in to `channel`'s mailbox; why not, naming the
/// setting.
pub async fn start(
    state: &Services,
    channel: &Channel,
    agent_id: Id,
) -> ServiceResult<Result<String, String>> {
    if channel.kind != ChannelKind::EMAIL {
        return Err(Fault::new(
            FaultKind::Conflict,
            "not_an_email_channel",
            format!("channel {} is not an email channel", channel.id),
        ));
    }
    let settings = EmailSettings::read(&channel.settings);
    let secrets = crate::plugins::channel_secrets(state, channel).await?;
    let (client, scopes) = match token_client(&settings, &secrets) {
        Ok(found) => found,
        Err(problem) => return Ok(Err(problem)),
    };
    let provider = settings.provider.as_deref().and_then(provider_endpoints);
    let Some(authorize) = settings
        .oauth_authorize_url
        .clone()
        .or(provider.map(|endpoints| endpoints.authorize.into()))
    else {
        return Ok(Err(format!(
            "signing in needs `{}` (or a `{}` of gmail or outlook)",
            EmailSettings::OAUTH_AUTHORIZE_URL,
            EmailSettings::PROVIDER
        )));
    };
    let authorize = match AuthUrl::new(authorize) {
        Ok(url) => url,
        Err(error) => {
            let name = EmailSettings::OAUTH_AUTHORIZE_URL;
            return Ok(Err(format!("`{name}` is not a URL: {error}")));
        }
    };
    let client = client
        .set_auth_uri(authorize)
        .set_redirect_uri(redirect_url(state)?);
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let pending = Pending {
        started_by: SignedIn {
            workspace_id: channel.workspace_id,
            channel_id: channel.id,
            agent_id,
        },
        verifier: verifier.secret().clone(),
        started_at: switchboard_model::now_millis(),
    };
    // The sealed sign-in is the request's `state` (random, as the seal's nonce is).
    let sealed = pending.seal(&state.secrets)?;
    let mut request = client
        .authorize_url(move || CsrfToken::new(sealed))
        .add_scopes(
            scopes
                .split_whitespace()
                .map(|scope| Scope::new(scope.into())),
        )
        .set_pkce_challenge(challenge)
        // A refresh token, and a new one each time: Google gives one only when asked so.
        .add_extra_param("prompt", "consent");
    if settings.provider.as_deref() == Some("gmail") {
        request = request.add_extra_param("access_type", "offline");
    }
    let (url, _) = request.url();
    Ok(Ok(url.to_string()))
}

/// Why a sign-in did not finish, in words an admin can act on, and its channel when known.
pub type NotSignedIn = (Option<Id>, String);

/// Trades the code the provider sent back with `state` for a refresh token, kept among the
/// channel's secrets (the channel then signs in with XOAUTH2); whose it was, or why not. The
/// sealed `state`, known only to the browser of the admin who started (and the provider's
/// code, good once), is what ties the answer to them: the provider's redirect carries no
/// session of theirs (the console's cookie is `SameSite=Strict`).
pub async fn finish(
    state: &Services,
    sign_in: &str,
    code: &str,
) -> ServiceResult<Result<SignedIn, NotSignedIn>> {
    let now = switchboard_model::now_millis();
    let Some(pending) = Pending::open(&state.secrets, sign_in, now) else {
        return Ok(Err((
            None,
            "this sign-in is unknown or expired: start it again from the channel's page".into(),
        )));
    };
    let signed_in = pending.started_by;
    let (workspace_id, channel_id) = (signed_in.workspace_id, Some(signed_in.channel_id));
    let channel = state
        .store
        .channel(workspace_id, signed_in.channel_id)
        .await?;
    let settings = EmailSettings::read(&channel.settings);
    let mut secrets = crate::plugins::channel_secrets(state, &channel).await?;
    let (client, _) = match token_client(&settings, &secrets) {
        Ok(found) => found,
        Err(problem) => return Ok(Err((channel_id, problem))),
    };
    let client = client.set_redirect_uri(redirect_url(state)?);
    let fetcher = state.plugins.fetcher.clone();
    let (code, verifier) = (
        AuthorizationCode::new(code.to_string()),
        PkceCodeVerifier::new(pending.verifier),
    );
    let obtained_at = switchboard_model::now_millis();
    // The fetcher blocks on the gateway's runtime, so the exchange runs on a blocking thread.
    let answer = tokio::task::spawn_blocking(move || {
        client
            .exchange_code(code)
            .set_pkce_verifier(verifier)
            .request(&through(&fetcher))
    })
    .await
    .map_err(|error| Fault::internal(error.to_string()))?;
    let token = match answer {
        Ok(token) => token,
        Err(error) => return Ok(Err((channel_id, refusal(error).message))),
    };
    let Some(refresh_token) = token.refresh_token().map(|token| token.secret().clone()) else {
        return Ok(Err((
            channel_id,
            "the provider gave no refresh token: allow offline access when asked".into(),
        )));
    };
    let mut held = super::oauth::held(&token, obtained_at);
    held.granted_by = super::oauth::digest(&refresh_token);
    secrets.insert(OAUTH_REFRESH_TOKEN.into(), refresh_token);
    crate::plugins::keep_channel_secrets(state, workspace_id, channel.id, &secrets).await?;
    keep(state, &channel, &held).await?;
    let mut with_xoauth2 = channel.settings.clone();
    if let Some(settings) = with_xoauth2.as_object_mut() {
        settings.insert(EmailSettings::AUTH.into(), "xoauth2".into());
    }
    let change = ChannelUpdate {
        name: None,
        active: None,
        default_team_id: None,
        settings: Some(with_xoauth2),
        secrets: None,
    };
    state
        .store
        .update_channel(workspace_id, channel.id, change)
        .await?;
    Ok(Ok(signed_in))
}

fn redirect_url(state: &Services) -> ServiceResult<RedirectUrl> {
    let url = format!(
        "{}{CALLBACK_PATH}",
        state.config.public_url.trim_end_matches('/')
    );
    RedirectUrl::new(url).map_err(|error| Fault::internal(error.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pending(started_at: i64) -> Pending {
        Pending {
            started_by: SignedIn {
                workspace_id: 3,
                channel_id: 7,
                agent_id: 11,
            },
            verifier: "a-pkce-verifier-of-43-characters-or-more-000".into(),
            started_at,
        }
    }

    /// Two nodes share the secrets key: a sign-in started on one finishes on the other, for ten
    /// minutes; another key, an old or altered state, or another sealed value is refused.
    #[test]
    fn a_sign_in_started_on_one_node_finishes_on_any_node_with_the_key() {
        let key = [9u8; 32];
        let (started_on, finished_on) = (SecretBox::from_key(key), SecretBox::from_key(key));
        let now = 1_800_000_000_000;
        let state = pending(now).seal(&started_on).expect("seal");
        assert_eq!(
            Pending::open(&finished_on, &state, now + 60_000),
            Some(pending(now))
        );
        assert_eq!(
            Pending::open(&finished_on, &state, now + PENDING_MS),
            None,
            "expired"
        );
        assert_eq!(
            Pending::open(&SecretBox::from_key([1u8; 32]), &state, now),
            None
        );
        let mut altered = state.clone().into_bytes();
        altered[10] = if altered[10] == b'A' { b'B' } else { b'A' };
        let altered = String::from_utf8(altered).expect("text");
        assert_eq!(Pending::open(&finished_on, &altered, now), None);
        let channel_secrets = BTreeMap::from([("password".to_string(), "x".to_string())]);
        let other = URL_SAFE_NO_PAD.encode(started_on.seal(&channel_secrets).expect("seal"));
        assert_eq!(
            Pending::open(&finished_on, &other, now),
            None,
            "not a sign-in"
        );
    }
}
