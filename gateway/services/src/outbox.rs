//! Delivers agents' replies on plugin channels: claims due outbox items (with a lease, so that
//! several nodes never send the same reply), asks the channel's plugin for delivery actions,
//! performs them, and records how it went. A provider that is down is retried with backoff; one
//! that refuses, or a plugin that fails, marks the message failed with the reason. A website
//! chat reply to a visitor who has left goes by email instead (see `email::continuation`).

use std::collections::BTreeSet;
use std::sync::Mutex;
use std::time::Duration;

use futures_util::StreamExt;
use switchboard_model::{Author, Channel, Conversation, DeliveryStatus, Direction, Id, now_millis};
use switchboard_plugins::Plugin;
use switchboard_plugins::latest::{
    Attachment, AttachmentContent, Contact, DeliveryAction, HttpResponse, Identity, Reply,
    ReplyContext, ResponseOutcome, RetryLater, TemplateChoice,
};
use switchboard_store::OutboxItem;
use tokio::sync::Notify;

use crate::email::continuation::{self, Route};
use crate::{Fault, ServiceResult, Services, lock};

/// How long a claimed item is ours before another node may take it.
const LEASE_MS: i64 = 60_000;
/// Items claimed per channel per round.
const BATCH: usize = 50;
/// Most deliveries (HTTP requests, emails) one reply may turn into: a text and its files.
const MAX_ACTIONS_PER_REPLY: usize = 10;
/// Longest a delivery's request may take, body included.
const DELIVERY_TIMEOUT: Duration = Duration::from_secs(15);
/// Tries before a reply is given up as failed.
const MAX_ATTEMPTS: u32 = 5;
/// No wait between two attempts is longer than this.
const LONGEST_RETRY: Duration = Duration::from_secs(3600);
/// A reply's thread ids come from the conversation's newest this many messages (the email
/// adapter puts the newest 20 in References).
const THREAD_WINDOW: usize = 500;

/// How one delivery ended.
pub(crate) enum Outcome {
    /// Sent; `via` names another way it went than its own channel.
    Sent {
        via: Option<String>,
    },
    /// Try again later, for this reason.
    Retry(String),
    /// Try again at this time (the provider said when), for this reason.
    RetryAt {
        reason: String,
        at: i64,
    },
    Failed(String),
    /// Not tried: wait until then, for this reason (a daily send limit).
    Wait {
        reason: String,
        until: i64,
    },
}

/// Workspaces where a reply was just queued. The delivery worker visits them at once; its full
/// round over every workspace comes only once a second.
#[derive(Debug, Default)]
pub struct QueuedReplies {
    workspaces: Mutex<BTreeSet<Id>>,
    wake: Notify,
    /// Channels whose replies a round is delivering now.
    delivering: Mutex<BTreeSet<Id>>,
}

impl QueuedReplies {
    pub fn add(&self, workspace_id: Id) {
        lock(&self.workspaces).insert(workspace_id);
        self.wake.notify_one();
    }

    /// The workspaces where replies were queued, as soon as there are any; `None` once
    /// `deadline` has passed, even while replies keep coming, so that a busy node still makes
    /// its full rounds.
    pub async fn wait_until(&self, deadline: tokio::time::Instant) -> Option<Vec<Id>> {
        if tokio::time::Instant::now() >= deadline {
            return None;
        }
        tokio::time::timeout_at(deadline, self.wake.notified())
            .await
            .ok()?;
        let mut workspaces = lock(&self.workspaces);
        Some(std::mem::take(&mut *workspaces).into_iter().collect())
    }
}

/// One round over every plugin channel; returns how many replies were handled.
pub async fn deliver_due(state: &Services, holder: &str) -> ServiceResult<usize> {
    let workspaces: Vec<Id> = state
        .store
        .workspaces()
        .await?
        .iter()
        .map(|workspace| workspace.id)
        .collect();
    deliver_queued(state, holder, &workspaces).await
}

/// One round over the plugin channels of these workspaces; returns how many replies were
/// handled. Channels are delivered side by side (at most [`CHANNELS_AT_ONCE`]), each one's
/// replies in order, so that a slow provider or a plugin that spins holds up its own channel
/// only; a channel still being delivered by an earlier round is left to it.
pub async fn deliver_queued(
    state: &Services,
    holder: &str,
    workspaces: &[Id],
) -> ServiceResult<usize> {
    let mut channels = Vec::new();
    for workspace_id in workspaces {
        for channel in state.store.channels(*workspace_id).await? {
            if channel.plugin.is_some() && channel.active {
                channels.push(channel);
            }
        }
    }
    let rounds = futures_util::stream::iter(channels)
        .map(|channel| deliver_channel(state, holder, channel))
        .buffer_unordered(CHANNELS_AT_ONCE);
    let handled: Vec<ServiceResult<usize>> = rounds.collect().await;
    handled.into_iter().sum()
}

/// Delivers one channel's due replies, in order, unless another round is at it.
async fn deliver_channel(state: &Services, holder: &str, channel: Channel) -> ServiceResult<usize> {
    let Some(_delivering) = Delivering::start(&state.replies_queued, channel.id) else {
        return Ok(0);
    };
    let mut handled = 0;
    for item in state
        .store
        .claim_outbox(channel.id, holder, LEASE_MS, BATCH)
        .await?
    {
        let outcome = deliver(state, &channel, &item)
            .await
            .unwrap_or_else(|error| Outcome::Retry(error.message));
        record(state, &item, outcome).await?;
        handled += 1;
    }
    Ok(handled)
}

/// Channels delivered side by side in one round.
const CHANNELS_AT_ONCE: usize = 16;

/// A channel being delivered on this node, marked while it lives.
struct Delivering<'a> {
    queued: &'a QueuedReplies,
    channel_id: Id,
}

impl<'a> Delivering<'a> {
    fn start(queued: &'a QueuedReplies, channel_id: Id) -> Option<Delivering<'a>> {
        let started = lock(&queued.delivering).insert(channel_id);
        // Made only once the lock is let go: dropping one takes the lock.
        started.then(|| Delivering { queued, channel_id })
    }
}

impl Drop for Delivering<'_> {
    fn drop(&mut self) {
        lock(&self.queued.delivering).remove(&self.channel_id);
    }
}

async fn record(state: &Services, item: &OutboxItem, outcome: Outcome) -> ServiceResult<()> {
    let mut item = item.clone();
    let (status, retry_at) = match outcome {
        Outcome::Wait { reason, until } => {
            item.attempts = item.attempts.saturating_sub(1);
            (
                DeliveryStatus::Queued {
                    reason: Some(reason),
                },
                Some(until),
            )
        }
        Outcome::Sent { via } => (DeliveryStatus::Sent { via }, None),
        Outcome::Failed(reason) => (DeliveryStatus::Failed { reason }, None),
        Outcome::Retry(reason) | Outcome::RetryAt { reason, .. }
            if item.attempts >= MAX_ATTEMPTS =>
        {
            (
                DeliveryStatus::Failed {
                    reason: format!("{reason} (gave up after {MAX_ATTEMPTS} attempts)"),
                },
                None,
            )
        }
        Outcome::RetryAt { reason, at } => (
            DeliveryStatus::Queued {
                reason: Some(reason),
            },
            Some(at),
        ),
        Outcome::Retry(reason) => {
            let first = state.config.first_retry;
            let wait = crate::backoff::doubling(first, item.attempts, LONGEST_RETRY);
            let retry_at = now_millis() + i64::try_from(wait.as_millis()).unwrap_or(i64::MAX);
            (
                DeliveryStatus::Queued {
                    reason: Some(reason),
                },
                Some(retry_at),
            )
        }
    };
    tracing::info!(
        workspace_id = item.workspace_id,
        channel_id = item.channel_id,
        conversation_id = item.conversation_id,
        message_id = item.message_id,
        ?status,
        "delivery recorded"
    );
    state.store.record_delivery(&item, status, retry_at).await?;
    Ok(())
}

#[tracing::instrument(name = "deliver", skip_all, fields(
    channel_id = channel.id,
    conversation_id = item.conversation_id,
    message_id = item.message_id,
))]
async fn deliver(state: &Services, channel: &Channel, item: &OutboxItem) -> ServiceResult<Outcome> {
    // A website chat whose visitor has left continues by email.
    let (channel, continued) = match continuation::route(state, channel, item).await? {
        Route::OwnChannel => (channel.clone(), None),
        Route::Wait { reason, until } => return Ok(Outcome::Wait { reason, until }),
        Route::Email(continued) => (continued.mailbox.clone(), Some(continued)),
        Route::Included => {
            return Ok(Outcome::Sent {
                via: Some("email".into()),
            });
        }
    };
    // A mailbox may answer through another channel's address and server ("reply via").
    let channel = &match crate::email::sending_channel(state, &channel).await {
        Ok(channel) => channel,
        Err(error) if !error.retryable() => return Ok(Outcome::Failed(error.message)),
        Err(error) => return Err(error),
    };
    if let Some((reason, until)) = crate::email::daily_limit_reached(state, channel).await? {
        return Ok(Outcome::Wait { reason, until });
    }
    let (mut reply, author) = reply_for(state, item).await?;
    if let Some(continued) = &continued {
        continued.address(&mut reply);
    }
    let kind = match author {
        Author::Bot { name } if name == crate::email::AUTO_REPLY_BOT => "auto-reply",
        _ => "agent",
    };
    let reply_id = reply.reply_id.clone();
    let (plugin, actions) = match plan(state, channel, reply, kind).await? {
        Ok(planned) => planned,
        Err(outcome) => return Ok(outcome),
    };
    let mut provider_ids = Vec::new();
    for action in actions {
        let request = match action {
            DeliveryAction::Http(request) => request,
            // Through the channel's own mail server, which its admin set up: a channel without
            // one fails here, naming the setting it lacks.
            DeliveryAction::SendEmail(email) => {
                match crate::email::send(state, channel, &email).await? {
                    Ok(accepted) => {
                        tracing::info!(channel_id = channel.id, message_id = item.message_id, %accepted, "the SMTP server took the reply");
                        crate::email::count_sent(state, channel).await?;
                        continue;
                    }
                    Err(error) if error.needs_a_fix() => {
                        return Ok(Outcome::Failed(error.to_string()));
                    }
                    Err(error) => return Ok(Outcome::Retry(error.to_string())),
                }
            }
        };
        // The plugin chose the URL: it must be one of its granted hosts.
        if let Err(refusal) = plugin.grants.check_url(&request.url) {
            return Ok(Outcome::Failed(refusal));
        }
        let fetcher = state.plugins.fetcher.clone();
        // A delivery is not a plugin call: the fetcher's own limit is the only one.
        let deadline = std::time::Instant::now() + DELIVERY_TIMEOUT;
        let response = tokio::task::spawn_blocking(move || fetcher.fetch(request, deadline))
            .await
            .map_err(|error| Fault::internal(error.to_string()))?;
        let response = match response {
            Ok(response) => response,
            Err(error) => return Ok(Outcome::Retry(error)),
        };
        match read_response(state, channel, &plugin, &reply_id, response).await? {
            ResponseOutcome::Sent(provider_id) => provider_ids.extend(provider_id),
            ResponseOutcome::Retry(RetryLater { reason, after_ms }) => {
                return Ok(match after_ms {
                    Some(after_ms) => Outcome::RetryAt {
                        reason,
                        at: now_millis()
                            .saturating_add(i64::try_from(after_ms).unwrap_or(i64::MAX)),
                    },
                    None => Outcome::Retry(reason),
                });
            }
            ResponseOutcome::Refused(refusal) => {
                if refusal.unreachable {
                    crate::reachability::unreachable_by_reply(
                        state,
                        channel,
                        item,
                        &refusal.reason,
                    )
                    .await?;
                }
                return Ok(Outcome::Failed(refusal.reason));
            }
        }
    }
    if !provider_ids.is_empty() {
        state.store.note_provider_ids(item, provider_ids).await?;
    }
    Ok(Outcome::Sent {
        via: continued.map(|_| "email".to_string()),
    })
}

/// What the provider's answer to one delivery meant, as the channel's plugin reads it; a
/// plugin that fails to read it leaves the answer's status to decide.
async fn read_response(
    state: &Services,
    channel: &Channel,
    plugin: &Plugin,
    reply_id: &str,
    response: HttpResponse,
) -> ServiceResult<ResponseOutcome> {
    let context = crate::plugins::call_context(state, channel).await?;
    let runtime = state.plugins.runtime.clone();
    let (plugin, reply_id) = (plugin.clone(), reply_id.to_string());
    let span = tracing::Span::current();
    runtime
        .threads()
        .spawn_blocking(move || {
            let _delivery = span.enter();
            runtime
                .response(&plugin, context, &reply_id, &response)
                .unwrap_or_else(|error| {
                    tracing::warn!(%error, "the plugin could not read the provider's answer");
                    switchboard_plugins::read_response(&response)
                })
        })
        .await
        .map_err(|error| Fault::internal(error.to_string()))
}

/// Asks the channel's plugin how to deliver `reply`; `kind` tells the plugin what it is
/// (`agent`, `auto-reply` or `transcript`).
pub(crate) async fn plan(
    state: &Services,
    channel: &Channel,
    reply: Reply,
    kind: &str,
) -> ServiceResult<Result<(Plugin, Vec<DeliveryAction>), Outcome>> {
    let Some(name) = &channel.plugin else {
        return Ok(Err(Outcome::Failed("the channel has no plugin".into())));
    };
    let plugin = match state
        .plugins
        .active(state.store.as_ref(), channel.workspace_id, name)
        .await
    {
        Ok(plugin) => plugin,
        Err(error) => return Ok(Err(Outcome::Retry(error.message))),
    };
    let mut context = crate::plugins::call_context(state, channel).await?;
    context
        .settings
        .insert(crate::email::setting::REPLY_KIND.into(), kind.into());
    let runtime = state.plugins.runtime.clone();
    let call_plugin = plugin.clone();
    // The call runs on a plugin thread, inside this delivery's span.
    let span = tracing::Span::current();
    let actions = runtime
        .threads()
        .spawn_blocking(move || {
            let _delivery = span.enter();
            runtime.outbound(&call_plugin, context, &reply)
        })
        .await
        .map_err(|error| Fault::internal(error.to_string()))?;
    Ok(match actions {
        Ok(output) if output.value.len() > MAX_ACTIONS_PER_REPLY => Err(Outcome::Failed(format!(
            "the plugin planned {} deliveries for one reply; at most {MAX_ACTIONS_PER_REPLY} are made",
            output.value.len()
        ))),
        Ok(output) => Ok((plugin, output.value)),
        Err(error) => Err(Outcome::Failed(error.to_string())),
    })
}

/// The reply as the plugin sees it (the message, its agent, and the conversation's context),
/// and who wrote it.
async fn reply_for(state: &Services, item: &OutboxItem) -> ServiceResult<(Reply, Author)> {
    let store = state.store.as_ref();
    let message = store
        .message(item.workspace_id, item.conversation_id, item.message_id)
        .await?;
    let conversation = store
        .conversation(item.workspace_id, item.conversation_id)
        .await?;
    let agent = match &message.author {
        Author::Agent { id } => store.agent(item.workspace_id, *id).await.ok(),
        _ => None,
    };
    let mut attachments = Vec::with_capacity(message.attachments.len());
    for attachment in &message.attachments {
        attachments.push(Attachment {
            name: attachment.name.clone(),
            media_type: attachment.media_type.clone(),
            content: AttachmentContent::Bytes(
                store.blob(item.workspace_id, &attachment.sha256).await?,
            ),
            inline: false,
        });
    }
    let reply = Reply {
        template: message.template.map(|chosen| TemplateChoice {
            name: chosen.name,
            language: chosen.language,
            values: chosen.values,
        }),
        reply_id: message.id.to_string(),
        text: message.text,
        html: None,
        attachments,
        agent_name: agent
            .as_ref()
            .map(|agent| agent.name.clone())
            .unwrap_or_default(),
        agent_signature: agent
            .map(|agent| agent.signature)
            .filter(|signature| !signature.is_empty()),
        context: reply_context(state, &conversation).await?,
    };
    Ok((reply, message.author))
}

/// Where a conversation's replies go, as its plugin sees it: the contact, the title and the
/// thread's message ids.
pub(crate) async fn reply_context(
    state: &Services,
    conversation: &Conversation,
) -> ServiceResult<ReplyContext> {
    let store = state.store.as_ref();
    let contact = store
        .contact(conversation.workspace_id, conversation.contact_id)
        .await?;
    let thread = store
        .latest_messages(conversation.workspace_id, conversation.id, THREAD_WINDOW)
        .await?
        .iter()
        .filter(|earlier| earlier.direction == Direction::In)
        .filter_map(|earlier| earlier.external_id.clone())
        .collect();
    let identity = contact
        .identities
        .first()
        .map(|identity| Identity {
            kind: identity.kind.clone(),
            value: identity.value.clone(),
        })
        .unwrap_or_else(|| Identity {
            kind: "external".into(),
            value: contact.id.to_string(),
        });
    Ok(ReplyContext {
        conversation_id: conversation.id,
        subject: Some(conversation.title.clone()),
        thread,
        contact: Contact {
            identity,
            display_name: Some(contact.name),
            email: contact.emails.first().cloned(),
            phone: contact.phones.first().cloned(),
            // The contact's custom fields stay with the business.
            fields: Vec::new(),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_full_round_comes_on_time_while_replies_keep_coming() {
        let queued = QueuedReplies::default();
        queued.add(7);
        queued.add(7);
        let passed = tokio::time::Instant::now();
        assert_eq!(
            queued.wait_until(passed).await,
            None,
            "time for the full round"
        );
        let later = tokio::time::Instant::now() + Duration::from_secs(5);
        assert_eq!(
            queued.wait_until(later).await,
            Some(vec![7]),
            "the queued workspace, once, after the round"
        );
    }

    #[test]
    fn a_channel_is_delivered_by_one_round_at_a_time() {
        let queued = QueuedReplies::default();
        let first = Delivering::start(&queued, 7).expect("nobody delivers channel 7");
        assert!(Delivering::start(&queued, 7).is_none(), "a second round");
        assert!(Delivering::start(&queued, 8).is_some(), "another channel");
        drop(first);
        assert!(Delivering::start(&queued, 7).is_some(), "free again");
    }
}
