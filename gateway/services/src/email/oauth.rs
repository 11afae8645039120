//! OAuth 2.0 sign-in for mailboxes that take only XOAUTH2 (Microsoft 365, Google Workspace):
//! with a refresh token among the channel's secrets, the gateway asks the provider's token
//! endpoint for a new access token before the one it holds expires, and keeps it sealed beside
//! the secrets (a rotated refresh token too). A refusal marks the channel failing in the
//! endpoint's own words. The endpoint is reached under the operator's outbound policy
//! (`plugins.fetch_allow_http`, `plugins.fetch_private_networks`), as plugins' requests are.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use std::sync::Arc;

use oauth2::basic::{BasicClient, BasicErrorResponse, BasicTokenResponse};
use oauth2::{
    AuthType, ClientId, ClientSecret, EndpointNotSet, EndpointSet, RefreshToken, RequestTokenError,
    Scope, TokenResponse, TokenUrl,
};
use sha2::{Digest, Sha256};
use switchboard_mail::{Account, Auth, MailError, Step};
use switchboard_model::{Channel, EmailSettings};
use switchboard_plugins::Fetch;
use switchboard_plugins::latest::{Header, HttpRequest};
use switchboard_store::ChannelRecord;

use super::setting::{OAUTH_CLIENT_SECRET, OAUTH_REFRESH_TOKEN};
use crate::{Fault, ServiceResult, Services};

/// Renew this long before expiry at the latest (or at half the token's life, if shorter).
const RENEW_BEFORE: Duration = Duration::from_secs(5 * 60);
/// The life assumed for a token whose answer named none.
const DEFAULT_LIFE: Duration = Duration::from_secs(60 * 60);
/// Longest wait for the token endpoint.
const TIMEOUT: Duration = Duration::from_secs(20);

/// A provider's endpoints and the scopes its mail servers need.
pub(super) struct Endpoints {
    pub authorize: &'static str,
    pub token: &'static str,
    pub scopes: &'static str,
}

/// The endpoints of a provider the gateway knows, when the channel names one.
pub(super) fn provider_endpoints(provider: &str) -> Option<Endpoints> {
    match provider {
        "gmail" => Some(Endpoints {
            authorize: "https://accounts.google.com/o/oauth2/v2/auth",
            token: "https://oauth2.googleapis.com/token",
            scopes: "https://mail.google.com/",
        }),
        "outlook" => Some(Endpoints {
            authorize: "https://login.microsoftonline.com/common/oauth2/v2.0/authorize",
            token: "https://login.microsoftonline.com/common/oauth2/v2.0/token",
            scopes: "https://outlook.office.com/IMAP.AccessAsUser.All https://outlook.office.com/SMTP.Send offline_access",
        }),
        _ => None,
    }
}

/// An OAuth client that knows its token endpoint.
pub(super) type TokenClient =
    BasicClient<EndpointNotSet, EndpointNotSet, EndpointNotSet, EndpointNotSet, EndpointSet>;

/// The channel's OAuth client (its id, its secret if it has one, the token endpoint) and the
/// scopes to ask for, from its settings and secrets; why not, naming the setting.
pub(super) fn token_client(
    settings: &EmailSettings,
    secrets: &BTreeMap<String, String>,
) -> Result<(TokenClient, String), String> {
    let defaults = settings.provider.as_deref().and_then(provider_endpoints);
    let Some(token_url) = settings
        .oauth_token_url
        .clone()
        .or(defaults.as_ref().map(|endpoints| endpoints.token.into()))
    else {
        return Err(format!(
            "OAuth needs `{}` (or a `{}` of gmail or outlook)",
            EmailSettings::OAUTH_TOKEN_URL,
            EmailSettings::PROVIDER
        ));
    };
    let token_url = TokenUrl::new(token_url)
        .map_err(|error| format!("`{}` is not a URL: {error}", EmailSettings::OAUTH_TOKEN_URL))?;
    let Some(client_id) = settings.oauth_client_id.clone() else {
        return Err(format!("OAuth needs `{}`", EmailSettings::OAUTH_CLIENT_ID));
    };
    let client = BasicClient::new(ClientId::new(client_id))
        .set_auth_type(AuthType::RequestBody)
        .set_token_uri(token_url);
    let client = match secrets.get(OAUTH_CLIENT_SECRET) {
        Some(secret) => client.set_client_secret(ClientSecret::new(secret.clone())),
        None => client,
    };
    let scopes = settings
        .oauth_scope
        .clone()
        .or(defaults.map(|endpoints| endpoints.scopes.into()))
        .unwrap_or_default();
    Ok((client, scopes))
}

/// An access token the gateway obtained, as it is kept (sealed) in the channel's records.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Held {
    access_token: String,
    /// Unix milliseconds.
    obtained_at: i64,
    expires_at: i64,
    /// A refresh token the endpoint handed back in place of the one in the secrets.
    refresh_token: Option<String>,
    /// Which refresh token among the secrets this was obtained with (a digest): a new one put
    /// there by an admin outranks whatever was obtained before.
    pub(super) granted_by: String,
}

impl Held {
    fn to_map(&self) -> BTreeMap<String, String> {
        let mut map = BTreeMap::from([
            ("access_token".into(), self.access_token.clone()),
            ("obtained_at".into(), self.obtained_at.to_string()),
            ("expires_at".into(), self.expires_at.to_string()),
            ("granted_by".into(), self.granted_by.clone()),
        ]);
        if let Some(refresh) = &self.refresh_token {
            map.insert("refresh_token".into(), refresh.clone());
        }
        map
    }

    fn from_map(map: &BTreeMap<String, String>) -> Option<Held> {
        Some(Held {
            access_token: map.get("access_token")?.clone(),
            obtained_at: map.get("obtained_at")?.parse().ok()?,
            expires_at: map.get("expires_at")?.parse().ok()?,
            refresh_token: map.get("refresh_token").cloned(),
            granted_by: map.get("granted_by")?.clone(),
        })
    }

    /// When the token should be renewed: [`RENEW_BEFORE`] its expiry, or halfway through its
    /// life if that comes later.
    fn renew_at(&self) -> i64 {
        let life = self.expires_at - self.obtained_at;
        let before = (RENEW_BEFORE.as_millis() as i64).min(life / 2);
        self.expires_at - before
    }
}

pub(super) fn digest(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// The channel's account signed in with a current access token, and when that token should be
/// renewed; the account as it is when the channel holds no refresh token.
pub async fn signed_in(
    state: &Services,
    channel: &Channel,
    account: Account,
) -> ServiceResult<Result<(Account, Option<Instant>), MailError>> {
    if !matches!(account.auth, Auth::XOAuth2(_)) {
        return Ok(Ok((account, None)));
    }
    let secrets = crate::plugins::channel_secrets(state, channel).await?;
    let Some(granted) = secrets.get(OAUTH_REFRESH_TOKEN) else {
        return Ok(Ok((account, None)));
    };
    let granted_by = digest(granted);
    let now = switchboard_model::now_millis();
    let held = load(state, channel)
        .await?
        .filter(|held| held.granted_by == granted_by);
    let held = match held {
        Some(held) if now < held.renew_at() => held,
        earlier => {
            let refresh_token = earlier
                .as_ref()
                .and_then(|held| held.refresh_token.clone())
                .unwrap_or_else(|| granted.clone());
            match renew(state, channel, &secrets, &refresh_token).await? {
                Ok(mut renewed) => {
                    renewed.granted_by = granted_by;
                    if renewed.refresh_token.is_none() {
                        renewed.refresh_token = earlier.and_then(|held| held.refresh_token);
                    }
                    keep(state, channel, &renewed).await?;
                    renewed
                }
                Err(error) => return Ok(Err(error)),
            }
        }
    };
    let renew_in = Duration::from_millis(u64::try_from(held.renew_at() - now).unwrap_or(0));
    Ok(Ok((
        Account {
            auth: Auth::XOAuth2(held.access_token),
            ..account
        },
        Some(Instant::now() + renew_in),
    )))
}

/// Counts the access token the gateway holds as expired (the server refused it), so that the
/// next sign-in asks for a new one.
pub async fn forget(state: &Services, channel: &Channel) -> ServiceResult<()> {
    if let Some(mut held) = load(state, channel).await? {
        held.expires_at = held.obtained_at;
        keep(state, channel, &held).await?;
    }
    Ok(())
}

async fn load(state: &Services, channel: &Channel) -> ServiceResult<Option<Held>> {
    let Some(sealed) = state
        .store
        .channel_record(channel.workspace_id, channel.id, ChannelRecord::OAuthAccess)
        .await?
    else {
        return Ok(None);
    };
    let map = state.secrets.open(&sealed).map_err(Fault::internal)?;
    Ok(Held::from_map(&map))
}

pub(super) async fn keep(state: &Services, channel: &Channel, held: &Held) -> ServiceResult<()> {
    let sealed = state
        .secrets
        .seal(&held.to_map())
        .map_err(Fault::internal)?;
    state
        .store
        .put_channel_record(
            channel.workspace_id,
            channel.id,
            ChannelRecord::OAuthAccess,
            sealed,
        )
        .await?;
    Ok(())
}

/// Asks the token endpoint for a new access token with `refresh_token`.
async fn renew(
    state: &Services,
    channel: &Channel,
    secrets: &BTreeMap<String, String>,
    refresh_token: &str,
) -> ServiceResult<Result<Held, MailError>> {
    let (client, scopes) = match token_client(&EmailSettings::read(&channel.settings), secrets) {
        Ok(found) => found,
        Err(problem) => return Ok(Err(MailError::new(Step::Settings, problem))),
    };
    let fetcher = state.plugins.fetcher.clone();
    let refresh_token = RefreshToken::new(refresh_token.to_string());
    let obtained_at = switchboard_model::now_millis();
    // The fetcher blocks on the gateway's runtime, so the exchange runs on a blocking thread.
    let answer = tokio::task::spawn_blocking(move || {
        client
            .exchange_refresh_token(&refresh_token)
            .add_scopes(
                scopes
                    .split_whitespace()
                    .map(|scope| Scope::new(scope.into())),
            )
            .request(&through(&fetcher))
    })
    .await
    .map_err(|error| Fault::internal(error.to_string()))?;
    Ok(answer
        .map(|token| held(&token, obtained_at))
        .map_err(refusal))
}

/// The token an endpoint granted, as the gateway keeps it.
pub(super) fn held(token: &BasicTokenResponse, obtained_at: i64) -> Held {
    let life = token.expires_in().unwrap_or(DEFAULT_LIFE);
    Held {
        access_token: token.access_token().secret().clone(),
        obtained_at,
        expires_at: obtained_at + i64::try_from(life.as_millis()).unwrap_or(i64::MAX / 2),
        refresh_token: token.refresh_token().map(|token| token.secret().clone()),
        granted_by: String::new(),
    }
}

/// Sends the OAuth client's requests through the gateway's fetcher, under the operator's
/// outbound policy (called on a blocking thread).
pub(super) fn through(
    fetcher: &Arc<dyn Fetch>,
) -> impl Fn(oauth2::HttpRequest) -> Result<oauth2::HttpResponse, std::io::Error> + '_ {
    move |request: oauth2::HttpRequest| {
        let (parts, body) = request.into_parts();
        let request = HttpRequest {
            method: parts.method.to_string(),
            url: parts.uri.to_string(),
            headers: parts
                .headers
                .iter()
                .map(|(name, value)| Header {
                    name: name.to_string(),
                    value: String::from_utf8_lossy(value.as_bytes()).into_owned(),
                })
                .collect(),
            body,
        };
        let answer = fetcher
            .fetch(request, Instant::now() + TIMEOUT)
            .map_err(std::io::Error::other)?;
        let mut response = oauth2::http::Response::builder().status(answer.status);
        for header in answer.headers {
            response = response.header(header.name, header.value);
        }
        response.body(answer.body).map_err(std::io::Error::other)
    }
}

/// Why a token endpoint gave no token, at the step `token`: permanent when it refused.
pub(super) fn refusal(error: RequestTokenError<std::io::Error, BasicErrorResponse>) -> MailError {
    match error {
        RequestTokenError::ServerResponse(refusal) => MailError::new(
            Step::Token { permanent: true },
            match refusal.error_description() {
                Some(description) => format!("{}: {description}", refusal.error()),
                None => refusal.error().to_string(),
            },
        ),
        RequestTokenError::Request(error) => MailError::new(
            Step::Token { permanent: false },
            format!("the token endpoint did not answer: {error}"),
        ),
        RequestTokenError::Parse(error, _) => MailError::new(
            Step::Token { permanent: false },
            format!("the token endpoint's answer could not be read: {error}"),
        ),
        RequestTokenError::Other(error) => MailError::new(
            Step::Token { permanent: false },
            format!("the token endpoint answered unexpectedly: {error}"),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn held(obtained_at: i64, expires_at: i64) -> Held {
        Held {
            access_token: "a".into(),
            obtained_at,
            expires_at,
            refresh_token: None,
            granted_by: "d".into(),
        }
    }

    #[test]
    fn a_token_is_renewed_five_minutes_before_expiry_or_halfway_through_a_short_life() {
        let hour = 3_600_000;
        assert_eq!(held(0, hour).renew_at(), hour - 300_000);
        assert_eq!(held(1_000, 5_000).renew_at(), 3_000);
    }

    #[test]
    fn a_held_token_survives_sealing_as_a_map() {
        let mut token = held(1, 2);
        token.refresh_token = Some("r2".into());
        assert_eq!(Held::from_map(&token.to_map()), Some(token));
    }
}
