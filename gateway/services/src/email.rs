//! The email channel around its adapter: the mailbox account a channel's settings and secrets
//! describe, loop prevention before anything is stored, sending replies over the channel's SMTP
//! server, the channel's forwarding address, and its connection health. The sockets themselves
//! are in `switchboard-mail`; IMAP sync runs in [`sync`], the forwarding listener's mailroom in
//! [`forwarding`]; website chats that continue by email are routed in [`continuation`].

pub mod confirmation;
pub mod continuation;
pub mod forwarding;
pub mod oauth;
pub mod sync;
pub mod transcript;

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

use switchboard_mail::{Account, Auth, MailError, Provider, Security, Server, Trust};
use switchboard_model::{
    Author, Channel, ChannelHealth, ChannelKind, HealthState, Id, Ingested, NewReply, now_millis,
};
use switchboard_plugins::latest::{
    Contact, DeliveryAction, DeliveryState, DeliveryUpdate, Identity, Message, OutgoingEmail,
    Reply, ReplyContext,
};
use switchboard_store::{ChannelRecord, StoreError};

use crate::ingest::{
    ReadPayload, StoredEmail, StoredPayload, Unprocessed, read_payload, store_read,
};
use crate::outbox::Outcome;
use crate::{Fault, FaultKind, ServiceResult, Services, lock};
use futures_util::StreamExt;

/// Email settings the gateway itself reads; the adapter reads its own (`reply_address`,
/// `reply_name`, `footer`, `hide_branding`).
pub mod setting {
    pub const PROVIDER: &str = "provider";
    pub const IMAP_HOST: &str = "imap_host";
    pub const IMAP_PORT: &str = "imap_port";
    pub const IMAP_SECURITY: &str = "imap_security";
    pub const SMTP_HOST: &str = "smtp_host";
    pub const SMTP_PORT: &str = "smtp_port";
    pub const SMTP_SECURITY: &str = "smtp_security";
    pub const USERNAME: &str = "username";
    pub const FOLDER: &str = "folder";
    /// `password` (the default) or `xoauth2`.
    pub const AUTH: &str = "auth";
    pub const REPLY_ADDRESS: &str = "reply_address";
    /// Addresses and domains whose mail is never taken in, separated by commas or spaces.
    pub const BLOCK_LIST: &str = "block_list";
    /// The text of the automatic answer to a new conversation; none when empty.
    pub const AUTO_REPLY: &str = "auto_reply";
    /// Set per call for the adapter: `agent`, or `auto-reply` for the automatic answer.
    pub const REPLY_KIND: &str = "reply_kind";
    /// Replies go out through this other email channel (its address, server and adapter).
    pub const REPLY_VIA_CHANNEL: &str = "reply_via_channel";
    /// At most this many emails a day (UTC) go out through the channel; the rest wait.
    pub const DAILY_SEND_LIMIT: &str = "daily_send_limit";
    /// Secret: the password or app password.
    pub const PASSWORD: &str = "password";
    /// Secret: the OAuth 2.0 access token.
    pub const OAUTH_TOKEN: &str = "oauth_token";
    /// Secret: an OAuth 2.0 refresh token, with which the gateway renews the access token.
    pub const OAUTH_REFRESH_TOKEN: &str = "oauth_refresh_token";
    /// Secret: the OAuth client's secret, for clients that have one.
    pub const OAUTH_CLIENT_SECRET: &str = "oauth_client_secret";
    /// The OAuth client (application) id the refresh token was granted to.
    pub const OAUTH_CLIENT_ID: &str = "oauth_client_id";
    /// The token endpoint; gmail and outlook providers have theirs by default.
    pub const OAUTH_TOKEN_URL: &str = "oauth_token_url";
    /// Scopes asked for on renewal, separated by spaces (outlook's by default).
    pub const OAUTH_SCOPE: &str = "oauth_scope";
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
        (channel.kind == ChannelKind::Email).then(|| {
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

use crate::plugins::setting_text as text;

/// The mailbox a channel's settings and secrets describe; the error names what is missing.
pub async fn account(
    state: &Services,
    channel: &Channel,
) -> ServiceResult<Result<Account, String>> {
    use setting::*;
    let secrets = crate::plugins::channel_secrets(state, channel).await?;
    let preset = match text(channel, PROVIDER) {
        None => None,
        Some(name) => {
            match serde_json::from_value::<Provider>(serde_json::Value::String(name.clone())) {
                Ok(provider) => provider.servers(),
                Err(_) => {
                    return Ok(Err(format!(
                        "`{PROVIDER}` must be gmail, outlook, yahoo, icloud or other, not `{name}`"
                    )));
                }
            }
        }
    };
    let server = |host: &str,
                  port: &str,
                  security: &str,
                  preset: Option<Server>|
     -> Result<Option<Server>, String> {
        let Some(host) = text(channel, host).or(preset.as_ref().map(|p| p.host.clone())) else {
            return Ok(None);
        };
        let security = match text(channel, security).as_deref() {
            None => preset.as_ref().map_or(Security::Tls, |p| p.security),
            Some("tls" | "ssl") => Security::Tls,
            Some("starttls") => Security::Starttls,
            Some("none") => Security::None,
            Some(other) => {
                return Err(format!(
                    "`{security}` must be tls, starttls or none, not `{other}`"
                ));
            }
        };
        let port = match text(channel, port) {
            Some(port) => port
                .parse::<u16>()
                .map_err(|_| format!("`{port}` is not a port number"))?,
            None => match (&preset, security) {
                (Some(preset), _) => preset.port,
                (None, Security::Tls) if host.starts_with("smtp") => 465,
                (None, Security::Tls) => 993,
                (None, _) if host.starts_with("smtp") => 587,
                (None, _) => 143,
            },
        };
        Ok(Some(Server {
            host,
            port,
            security,
        }))
    };
    let (imap_preset, smtp_preset) =
        preset.map_or((None, None), |(imap, smtp)| (Some(imap), Some(smtp)));
    let imap = match server(IMAP_HOST, IMAP_PORT, IMAP_SECURITY, imap_preset) {
        Ok(imap) => imap,
        Err(reason) => return Ok(Err(reason)),
    };
    let smtp = match server(SMTP_HOST, SMTP_PORT, SMTP_SECURITY, smtp_preset) {
        Ok(smtp) => smtp,
        Err(reason) => return Ok(Err(reason)),
    };
    let auth = match text(channel, AUTH).as_deref() {
        None | Some("password") => secrets.get(PASSWORD).cloned().map(Auth::Password),
        // With a refresh token, `oauth::signed_in` obtains the access token.
        Some("xoauth2") => secrets
            .get(OAUTH_TOKEN)
            .cloned()
            .or_else(|| secrets.contains_key(OAUTH_REFRESH_TOKEN).then(String::new))
            .map(Auth::XOAuth2),
        Some(other) => {
            return Ok(Err(format!(
                "`{AUTH}` must be password or xoauth2, not `{other}`"
            )));
        }
    };
    let Some(auth) = auth else {
        return Ok(Err(format!(
            "the channel has no `{PASSWORD}` secret (or, for xoauth2, `{OAUTH_REFRESH_TOKEN}` or `{OAUTH_TOKEN}`)"
        )));
    };
    let Some(username) = text(channel, USERNAME).or_else(|| text(channel, REPLY_ADDRESS)) else {
        return Ok(Err(format!("the channel has no `{USERNAME}` setting")));
    };
    Ok(Ok(Account {
        imap,
        smtp,
        username,
        auth,
        folder: text(channel, FOLDER).unwrap_or_else(|| "INBOX".into()),
    }))
}

/// Why an inbound email must not be taken in, if it must not: it was sent by one of the
/// workspace's own channel addresses (a loop), or its sender is on the channel's block list.
pub async fn refused_sender(
    state: &Services,
    channel: &Channel,
    message: &Message,
) -> ServiceResult<Option<String>> {
    if channel.kind != ChannelKind::Email {
        return Ok(None);
    }
    let Some(sender) = message.contact.email.as_deref().map(str::to_lowercase) else {
        return Ok(None);
    };
    for own in state.store.channels(channel.workspace_id).await? {
        if own.kind == ChannelKind::Email
            && text(&own, setting::REPLY_ADDRESS)
                .is_some_and(|address| address.eq_ignore_ascii_case(&sender))
        {
            return Ok(Some(format!(
                "{sender} is this workspace's own address (channel {})",
                own.id
            )));
        }
    }
    let domain = sender.rsplit('@').next().unwrap_or_default();
    let blocked = text(channel, setting::BLOCK_LIST).is_some_and(|list| {
        list.split([',', ' ', '\n', ';'])
            .map(|entry| entry.trim().trim_start_matches('@').to_lowercase())
            .any(|entry| !entry.is_empty() && (entry == sender || entry == domain))
    });
    Ok(blocked.then(|| format!("{sender} is on the channel's block list")))
}

/// Sends a reply's email through the channel's SMTP server; answers the server's acceptance.
pub async fn send(
    state: &Services,
    channel: &Channel,
    email: &OutgoingEmail,
) -> ServiceResult<Result<String, MailError>> {
    let account = match account(state, channel).await? {
        Ok(account) => account,
        Err(reason) => {
            return Ok(Err(MailError::new(
                switchboard_mail::Step::Settings,
                reason,
            )));
        }
    };
    let account = match oauth::signed_in(state, channel, account).await? {
        Ok((account, _)) => account,
        Err(error) => return Ok(Err(error)),
    };
    let sender = match switchboard_mail::smtp::Sender::new(&account, &state.mail.trust) {
        Ok(sender) => sender,
        Err(error) => return Ok(Err(error)),
    };
    Ok(sender
        .send(
            &email.envelope.mail_from,
            &email.envelope.rcpt_to,
            &email.mime,
        )
        .await)
}

/// The channel, which must be an email channel.
pub async fn email_channel(
    state: &Services,
    workspace_id: Id,
    channel_id: Id,
) -> ServiceResult<Channel> {
    let channel = state.store.channel(workspace_id, channel_id).await?;
    if channel.kind != ChannelKind::Email {
        return Err(Fault::new(
            FaultKind::Conflict,
            "not_email",
            format!("channel {channel_id} is not an email channel"),
        ));
    }
    Ok(channel)
}

/// Takes in one email: through the adapter into the store, or into the dead letters with the
/// reason when it cannot be processed. A store failure, or a plugin host that cannot run the
/// adapter now, is an error: the mail stays where it is (on the IMAP server, or with the
/// sending server after a temporary refusal) and comes again.
pub async fn take_in(state: &Services, channel: &Channel, email: StoredEmail) -> ServiceResult<()> {
    if let Some(read) = read_email(state, channel, email).await? {
        store_read(state, channel, read).await?;
    }
    Ok(())
}

/// How many emails of a batch the adapter reads ahead of the store.
const READ_AHEAD: usize = 4;

/// Takes in emails fetched together from a mailbox, as [`take_in`] takes each one: the adapter
/// reads a few ahead, and emails that cannot affect one another go into the log together, so
/// that they share the store's durable writes. An email that follows one of the group (the
/// same sender, or a reply to it) waits until the group is stored: order holds where it counts.
pub async fn take_in_all(
    state: &Services,
    channel: &Channel,
    emails: Vec<StoredEmail>,
) -> ServiceResult<()> {
    let mut reads = futures_util::stream::iter(emails)
        .map(|email| read_email(state, channel, email))
        .buffered(READ_AHEAD);
    let mut group: Vec<ReadPayload> = Vec::new();
    while let Some(read) = reads.next().await {
        let Some(read) = read? else { continue };
        if group.iter().any(|earlier| read.follows(earlier)) {
            store_together(state, channel, std::mem::take(&mut group)).await?;
        }
        group.push(read);
    }
    store_together(state, channel, group).await
}

async fn store_together(
    state: &Services,
    channel: &Channel,
    group: Vec<ReadPayload>,
) -> ServiceResult<()> {
    futures_util::future::try_join_all(
        group
            .into_iter()
            .map(|read| store_read(state, channel, read)),
    )
    .await?;
    Ok(())
}

/// What the adapter found in one email; `None` when the email cannot be processed and was kept
/// as a dead letter.
async fn read_email(
    state: &Services,
    channel: &Channel,
    email: StoredEmail,
) -> ServiceResult<Option<ReadPayload>> {
    let payload = StoredPayload::Email(email);
    let reason = match read_payload(state, channel, &payload).await? {
        Ok(read) => return Ok(Some(read)),
        Err(Unprocessed::Busy(reason)) => return Err(Unprocessed::busy(&reason)),
        Err(Unprocessed::Refused(reason)) => reason,
    };
    let kept = serde_json::to_vec(&payload).map_err(|error| Fault::internal(error.to_string()))?;
    let letter =
        crate::ingest::keep_dead_letter(state, channel.workspace_id, channel.id, &reason, kept)
            .await?;
    tracing::warn!(workspace_id = channel.workspace_id, channel_id = channel.id,
        dead_letter_id = letter.id, %reason, "an email was kept as a dead letter");
    Ok(None)
}

/// The author name of the channel's automatic answers.
pub const AUTO_REPLY_BOT: &str = "auto-reply";
const DAY_MS: i64 = 24 * 60 * 60 * 1000;

/// Answers the first email of a new conversation with the channel's `auto_reply` text, unless
/// the email was sent by a machine (an auto-reply, a bounce, bulk or list mail: RFC 3834) or
/// the contact already had an auto-reply from this channel within a day.
pub async fn auto_reply(
    state: &Services,
    channel: &Channel,
    ingested: &Ingested,
    automatic: bool,
) -> ServiceResult<()> {
    let Some(answer) = text(channel, setting::AUTO_REPLY) else {
        return Ok(());
    };
    if channel.kind != ChannelKind::Email || automatic || ingested.duplicate {
        return Ok(());
    }
    let workspace_id = channel.workspace_id;
    let conversation = state
        .store
        .conversation(workspace_id, ingested.conversation_id)
        .await?;
    if conversation.message_count != 1 {
        return Ok(());
    }
    // A sender no header named has no address to answer.
    let contact = state
        .store
        .contact(workspace_id, ingested.contact_id)
        .await?;
    if contact.email_to_write().is_none() {
        return Ok(());
    }
    let now = now_millis();
    let record = ChannelRecord::AutoReplies;
    let mut answered: BTreeMap<Id, i64> = state
        .store
        .channel_record(workspace_id, channel.id, record)
        .await?
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .unwrap_or_default();
    answered.retain(|_, at| now - *at < DAY_MS);
    if answered.contains_key(&ingested.contact_id) {
        return Ok(());
    }
    answered.insert(ingested.contact_id, now);
    let bytes =
        serde_json::to_vec(&answered).map_err(|error| Fault::internal(error.to_string()))?;
    state
        .store
        .put_channel_record(workspace_id, channel.id, record, bytes)
        .await?;
    let reply = NewReply {
        mentions: Vec::new(),
        text: answer,
        private: false,
        attachments: Vec::new(),
    };
    let bot = Author::Bot {
        name: AUTO_REPLY_BOT.into(),
    };
    state
        .store
        .add_reply(workspace_id, conversation.id, bot, reply)
        .await?;
    state.replies_queued.add(workspace_id);
    Ok(())
}

/// An email the gateway writes itself (a transcript, a confirmation link), to one address.
pub struct Written {
    /// Unique per email, for the adapter's Message-ID.
    pub id: String,
    pub sender_name: String,
    pub to: String,
    pub subject: String,
    pub text: String,
    /// The conversation it is about, `0` for none.
    pub conversation_id: Id,
}

impl Written {
    /// The email as a reply the email adapter writes like any other.
    pub fn reply(self) -> Reply {
        Reply {
            reply_id: self.id,
            text: self.text,
            html: None,
            attachments: Vec::new(),
            agent_name: self.sender_name,
            agent_signature: None,
            context: ReplyContext {
                conversation_id: self.conversation_id,
                subject: Some(self.subject),
                thread: Vec::new(),
                contact: Contact {
                    identity: Identity {
                        kind: "email".into(),
                        value: self.to.clone(),
                    },
                    display_name: None,
                    email: Some(self.to),
                    phone: None,
                },
            },
        }
    }
}

/// Sends an email the gateway wrote (a transcript, a confirmation link) through `channel`,
/// written by its email adapter like any reply, and counts it against the channel's day. The
/// inner error says why it was not sent.
pub async fn send_written(
    state: &Services,
    channel: &Channel,
    reply: Reply,
    what: &str,
) -> ServiceResult<Result<String, String>> {
    let actions = match crate::outbox::plan(state, channel, reply, what).await? {
        Ok((_, actions)) => actions,
        Err(Outcome::Failed(reason) | Outcome::Retry(reason) | Outcome::Wait { reason, .. }) => {
            return Ok(Err(reason));
        }
        Err(Outcome::Sent { .. }) => return Ok(Err("the adapter planned nothing".into())),
    };
    let mut accepted = Vec::new();
    for action in actions {
        let DeliveryAction::SendEmail(email) = action else {
            return Ok(Err(
                "the email adapter asked for something else than an email".into(),
            ));
        };
        match send(state, channel, &email).await? {
            Ok(answer) => {
                count_sent(state, channel).await?;
                accepted.push(answer);
            }
            Err(error) => return Ok(Err(error.to_string())),
        }
    }
    Ok(Ok(accepted.join("; ")))
}

/// A mail server's report that one of our emails could not be delivered: its reply is marked
/// failed with the report's reason, which the agent then sees. The inner error says why the
/// report names no reply of this workspace (the report is then kept as a dead letter).
pub async fn bounced(
    state: &Services,
    channel: &Channel,
    update: DeliveryUpdate,
) -> ServiceResult<Result<(), String>> {
    if update.state != DeliveryState::Failed {
        return Ok(Ok(()));
    }
    let reason = update
        .reason
        .unwrap_or_else(|| "the recipient's mail server returned it".into());
    match state
        .store
        .fail_our_email(channel.workspace_id, &update.message_id, reason)
        .await
    {
        Ok(_) => Ok(Ok(())),
        Err(StoreError::NotFound { .. } | StoreError::Invalid(_)) => Ok(Err(format!(
            "a delivery report about {}, which is no reply of this workspace",
            update.message_id
        ))),
        Err(error) => Err(error.into()),
    }
}

/// The workspace's first active email channel, if it has one.
pub async fn first_mailbox(state: &Services, workspace_id: Id) -> ServiceResult<Option<Channel>> {
    Ok(state
        .store
        .channels(workspace_id)
        .await?
        .into_iter()
        .find(|channel| channel.kind == ChannelKind::Email && channel.active))
}

/// The channel a reply leaves through: the conversation's own, or the email channel its
/// `reply_via_channel` setting names (an inbound-only mailbox answered from another address).
pub async fn sending_channel(state: &Services, channel: &Channel) -> ServiceResult<Channel> {
    let Some(via) = text(channel, setting::REPLY_VIA_CHANNEL) else {
        return Ok(channel.clone());
    };
    let invalid = |why: String| {
        Fault::new(
            FaultKind::Invalid,
            "invalid_setting",
            format!(
                "`{}` of channel {}: {why}",
                setting::REPLY_VIA_CHANNEL,
                channel.id
            ),
        )
    };
    let id: Id = via
        .parse()
        .map_err(|_| invalid(format!("`{via}` is not a channel id")))?;
    let via = state
        .store
        .channel(channel.workspace_id, id)
        .await
        .map_err(|_| invalid(format!("there is no channel {id}")))?;
    if via.kind != channel.kind {
        return Err(invalid(format!(
            "channel {id} is not a {:?} channel",
            channel.kind
        )));
    }
    Ok(via)
}

/// The UTC day of a time, and the next day's start.
fn utc_day(millis: i64) -> (i64, i64) {
    let day = millis.div_euclid(DAY_MS);
    (day, (day + 1) * DAY_MS)
}

async fn sent_today(state: &Services, channel: &Channel) -> ServiceResult<(i64, u64)> {
    let (today, _) = utc_day(now_millis());
    let saved: Option<(i64, u64)> = state
        .store
        .channel_record(channel.workspace_id, channel.id, ChannelRecord::SentToday)
        .await?
        .and_then(|bytes| serde_json::from_slice(&bytes).ok());
    Ok(match saved {
        Some((day, sent)) if day == today => (today, sent),
        _ => (today, 0),
    })
}

/// When the channel has sent its `daily_send_limit` today: why it waits, and until when.
pub async fn daily_limit_reached(
    state: &Services,
    channel: &Channel,
) -> ServiceResult<Option<(String, i64)>> {
    let Some(limit) =
        text(channel, setting::DAILY_SEND_LIMIT).and_then(|limit| limit.parse::<u64>().ok())
    else {
        return Ok(None);
    };
    let (_, sent) = sent_today(state, channel).await?;
    if sent < limit {
        return Ok(None);
    }
    let (_, tomorrow) = utc_day(now_millis());
    Ok(Some((
        format!(
            "channel {} reached its daily send limit of {limit} emails; it waits until the next day (UTC)",
            channel.id
        ),
        tomorrow,
    )))
}

/// Counts one email sent through the channel today.
pub async fn count_sent(state: &Services, channel: &Channel) -> ServiceResult<()> {
    let (today, sent) = sent_today(state, channel).await?;
    let bytes = serde_json::to_vec(&(today, sent + 1))
        .map_err(|error| Fault::internal(error.to_string()))?;
    state
        .store
        .put_channel_record(
            channel.workspace_id,
            channel.id,
            ChannelRecord::SentToday,
            bytes,
        )
        .await?;
    Ok(())
}
