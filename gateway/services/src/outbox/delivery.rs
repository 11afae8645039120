//! Delivering one reply: where it goes (its own channel, on by email, or nowhere yet), the
//! plugin's plan for it, each action performed (a request to a granted host, or an email), and
//! the provider's answer as the plugin reads it.

use std::time::Duration;

use switchboard_model::{Author, Channel, now_millis};
use switchboard_plugins::Plugin;
use switchboard_plugins::latest::{DeliveryAction, HttpResponse, ResponseOutcome, RetryLater};
use switchboard_store::OutboxItem;

use super::replies::reply_for;
use super::{Outcome, plan};
use crate::email::continuation::{self, Route};
use crate::routing::answers::{AUTO_REPLY_BOT, AWAY_BOT};
use crate::{Fault, ServiceResult, Services};

/// Longest a delivery's request may take, body included.
const DELIVERY_TIMEOUT: Duration = Duration::from_secs(15);

#[tracing::instrument(name = "deliver", skip_all, fields(
    channel_id = channel.id,
    conversation_id = item.conversation_id,
    message_id = item.message_id,
))]
pub(super) async fn deliver(
    state: &Services,
    channel: &Channel,
    item: &OutboxItem,
) -> ServiceResult<Outcome> {
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
        Author::Bot { name } if [AUTO_REPLY_BOT, AWAY_BOT].contains(&name.as_str()) => "auto-reply",
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
