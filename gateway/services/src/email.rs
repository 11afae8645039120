//! The email channel around its adapter: the mailbox account a channel's settings and secrets
//! describe, the channel's forwarding address, and its connection health. Mail coming in (loop
//! prevention, bounces) is in `intake`, mail going out (SMTP, the daily limit) in
//! `sending`. The sockets themselves are in `switchboard-mail`; IMAP sync runs in [`sync`], the
//! forwarding listener's mailroom in [`forwarding`]; website chats that continue by email are
//! routed in [`continuation`].

pub mod confirmation;
pub mod continuation;
pub mod forwarding;
mod intake;
pub mod oauth;
mod sending;
pub mod sign_in;
pub mod sync;
pub mod transcript;

pub use intake::{bounced, refused_sender, take_in, take_in_all};
pub use sending::{Written, count_sent, daily_limit_reached, send, send_written, sending_channel};

use std::collections::HashMap;
use std::sync::Mutex;

use switchboard_mail::{Account, Auth, MailError, Provider, Security, Server, Trust};
use switchboard_model::{
    Channel, ChannelHealth, ChannelKind, EmailSettings, HealthState, Id, MailServerSettings,
    now_millis,
};

use crate::{Fault, FaultKind, ServiceResult, Services, lock};

/// The names of an email channel's secrets, and of the setting the gateway gives the adapter
/// for each reply; the settings admins write are [`EmailSettings`].
pub mod setting {
    /// Set per call for the adapter: `agent`, or `auto-reply` for the automatic answer.
    pub const REPLY_KIND: &str = "reply_kind";
    /// Secret: the password or app password.
    pub const PASSWORD: &str = "password";
    /// Secret: the OAuth 2.0 access token.
    pub const OAUTH_TOKEN: &str = "oauth_token";
    /// Secret: an OAuth 2.0 refresh token, with which the gateway renews the access token.
    pub const OAUTH_REFRESH_TOKEN: &str = "oauth_refresh_token";
    /// Secret: the OAuth client's secret, for clients that have one.
    pub const OAUTH_CLIENT_SECRET: &str = "oauth_client_secret";
}

/// Email state shared by the API, the sync workers and the forwarding listener.
pub struct MailService {
    /// The certificate authorities trusted for IMAP and SMTP.
    pub trust: Trust,
    /// The domain of forwarding addresses; `None` when the listener is off.
    pub forwarding_domain: Option<String>,
    health: Mutex<HashMap<Id, ChannelHealth>>,
    /// Transcripts per recipient address.
    pub transcripts: crate::throttle::RateLimiter,
    /// Confirmation links per contact and address.
    pub confirmations: crate::throttle::RateLimiter,
    /// Sign-ups per client address.
    pub signups: crate::throttle::RateLimiter,
    /// Password resets per client address and per email address.
    pub resets: crate::throttle::RateLimiter,
}

/// Transcripts one address may be sent at once, then per hour.
const TRANSCRIPTS_AT_ONCE: u32 = 5;
const TRANSCRIPTS_PER_HOUR: u32 = 10;

impl std::fmt::Debug for MailService {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("MailService")
            .field("forwarding_domain", &self.forwarding_domain)
            .finish()
    }
}

impl MailService {
    pub fn new(trust: Trust, forwarding_domain: Option<String>) -> MailService {
        MailService {
            trust,
            forwarding_domain,
            health: Mutex::new(HashMap::new()),
            transcripts: crate::throttle::RateLimiter::per_hour(
                TRANSCRIPTS_AT_ONCE,
                TRANSCRIPTS_PER_HOUR,
            ),
            confirmations: confirmation::limiter(),
            signups: crate::signup::limiter(),
            resets: crate::password_reset::limiter(),
        }
    }

    /// The channel's connection health, once its sync has started.
    pub fn health(&self, channel_id: Id) -> Option<ChannelHealth> {
        lock(&self.health).get(&channel_id).cloned()
    }

    fn set_health(&self, channel_id: Id, health: Option<ChannelHealth>) {
        let mut all = lock(&self.health);
        match health {
            Some(health) => all.insert(channel_id, health),
            None => all.remove(&channel_id),
        };
    }

    fn record_ok(&self, channel_id: Id) {
        self.set_health(
            channel_id,
            Some(ChannelHealth {
                state: HealthState::Ok,
                reason: None,
                step: None,
                failures: 0,
                since: now_millis(),
                retry_at: None,
            }),
        );
    }

    fn record_failure(&self, channel_id: Id, error: &MailError, failures: u32, retry_at: i64) {
        self.set_health(
            channel_id,
            Some(ChannelHealth {
                state: HealthState::Failing,
                reason: Some(error.to_string()),
                step: Some(error.step.name().to_string()),
                failures,
                since: now_millis(),
                retry_at: Some(retry_at),
            }),
        );
    }

    /// The address that forwards mail into `channel`: `{workspace}.{channel}.{tag}@{domain}`,
    /// where the tag is made with the gateway's key so that addresses cannot be guessed.
    pub fn forwarding_address(&self, state: &Services, channel: &Channel) -> Option<String> {
        let domain = self.forwarding_domain.as_deref()?;
        (channel.kind == ChannelKind::EMAIL).then(|| {
            let tag = forwarding_tag(state, channel.workspace_id, channel.id);
            format!("{}.{}.{tag}@{domain}", channel.workspace_id, channel.id)
        })
    }
}

fn forwarding_tag(state: &Services, workspace_id: Id, channel_id: Id) -> String {
    state.secrets.tag(
        "forwarding address",
        &forwarding_ids(workspace_id, channel_id),
    )
}

/// Whether `tag` is the channel's forwarding tag, compared in constant time.
fn forwarding_tag_matches(state: &Services, workspace_id: Id, channel_id: Id, tag: &str) -> bool {
    state.secrets.tag_matches(
        "forwarding address",
        &forwarding_ids(workspace_id, channel_id),
        tag,
    )
}

fn forwarding_ids(workspace_id: Id, channel_id: Id) -> Vec<u8> {
    [workspace_id.to_be_bytes(), channel_id.to_be_bytes()].concat()
}

/// The mailbox a channel's settings and secrets describe; the error names what is missing.
/// Settings are checked when written ([`EmailSettings::refusal`]); a mistake stored before
/// that reads as unset, and the provider's or the usual value stands in.
pub async fn account(
    state: &Services,
    channel: &Channel,
) -> ServiceResult<Result<Account, String>> {
    use setting::*;
    let settings = EmailSettings::read(&channel.settings);
    let secrets = crate::plugins::channel_secrets(state, channel).await?;
    let preset = match &settings.provider {
        None => None,
        Some(name) => match provider(name) {
            Ok(provider) => provider.servers(),
            Err(problem) => return Ok(Err(problem)),
        },
    };
    let (imap_preset, smtp_preset) =
        preset.map_or((None, None), |(imap, smtp)| (Some(imap), Some(smtp)));
    let imap = server(&settings.imap, imap_preset);
    let smtp = server(&settings.smtp, smtp_preset);
    let auth = match settings.auth.as_deref() {
        Some("xoauth2") => secrets
            .get(OAUTH_TOKEN)
            .cloned()
            // With a refresh token, `oauth::signed_in` obtains the access token.
            .or_else(|| secrets.contains_key(OAUTH_REFRESH_TOKEN).then(String::new))
            .map(Auth::XOAuth2),
        _ => secrets.get(PASSWORD).cloned().map(Auth::Password),
    };
    let Some(auth) = auth else {
        return Ok(Err(format!(
            "the channel has no `{PASSWORD}` secret (or, for xoauth2, `{OAUTH_REFRESH_TOKEN}` or `{OAUTH_TOKEN}`)"
        )));
    };
    let Some(username) = settings.username.or(settings.reply_address) else {
        return Ok(Err(format!(
            "the channel has no `{}` setting",
            EmailSettings::USERNAME
        )));
    };
    Ok(Ok(Account {
        imap,
        smtp,
        username,
        auth,
        folder: settings.folder.unwrap_or_else(|| "INBOX".into()),
    }))
}

/// The provider named `name`, or why it is none the gateway knows.
pub fn provider(name: &str) -> Result<Provider, String> {
    serde_json::from_value::<Provider>(serde_json::Value::String(name.into())).map_err(|_| {
        format!(
            "`{}` must be gmail, outlook, yahoo, icloud or other, not `{name}`",
            EmailSettings::PROVIDER
        )
    })
}

/// A mail server as written, filled in from the provider's (or the usual port for its
/// security); none without a host.
fn server(written: &MailServerSettings, preset: Option<Server>) -> Option<Server> {
    let host = written
        .host
        .clone()
        .or(preset.as_ref().map(|preset| preset.host.clone()))?;
    let security = match written.security.as_deref() {
        Some("tls" | "ssl") => Security::Tls,
        Some("starttls") => Security::Starttls,
        Some("none") => Security::None,
        _ => preset
            .as_ref()
            .map_or(Security::Tls, |preset| preset.security),
    };
    let port = written.port.unwrap_or(match (&preset, security) {
        (Some(preset), _) => preset.port,
        (None, Security::Tls) if host.starts_with("smtp") => 465,
        (None, Security::Tls) => 993,
        (None, _) if host.starts_with("smtp") => 587,
        (None, _) => 143,
    });
    Some(Server {
        host,
        port,
        security,
    })
}

/// The channel, which must be an email channel.
pub async fn email_channel(
    state: &Services,
    workspace_id: Id,
    channel_id: Id,
) -> ServiceResult<Channel> {
    let channel = state.store.channel(workspace_id, channel_id).await?;
    if channel.kind != ChannelKind::EMAIL {
        return Err(Fault::new(
            FaultKind::Conflict,
            "not_email",
            format!("channel {channel_id} is not an email channel"),
        ));
    }
    Ok(channel)
}

/// The workspace's first active email channel, if it has one.
pub async fn first_mailbox(state: &Services, workspace_id: Id) -> ServiceResult<Option<Channel>> {
    Ok(state
        .store
        .channels(workspace_id)
        .await?
        .into_iter()
        .find(|channel| channel.kind == ChannelKind::EMAIL && channel.active))
}
