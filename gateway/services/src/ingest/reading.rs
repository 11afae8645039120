//! The first half of taking a payload in: the plugin's call, the events it found sorted, and
//! every message checked and its files stored, nothing in the log yet.

use switchboard_model::{Channel, ChannelKind};
use switchboard_plugins::PluginError;
use switchboard_plugins::latest::{self as contract, Event, Transport};

use super::html::sanitize_within;
use super::messages::{inbound_message, store_file};
use super::{ReadPayload, StoredPayload, Unprocessed};
use crate::{Fault, ServiceResult, Services};

/// The largest original payload kept beside a message (an email with its attachments).
const MAX_ORIGINAL_BYTES: u64 = 64 * 1024 * 1024;

/// The first half of [`through_plugin`](super::through_plugin): the plugin's call, its messages
/// checked and their files stored, nothing in the log yet.
pub async fn read_payload(
    state: &Services,
    channel: &Channel,
    payload: &StoredPayload,
) -> ServiceResult<Result<ReadPayload, Unprocessed>> {
    let Some(name) = &channel.plugin else {
        return Ok(Err(Unprocessed::Refused(format!(
            "channel {} has no plugin",
            channel.id
        ))));
    };
    let plugin = match state
        .plugins
        .active(state.store.as_ref(), channel.workspace_id, name)
        .await
    {
        Ok(plugin) => plugin,
        Err(error) if error.code == "plugin_disabled" => {
            return Ok(Err(Unprocessed::Busy(error.message)));
        }
        Err(error) if !error.retryable() => {
            return Ok(Err(Unprocessed::Refused(error.message)));
        }
        Err(error) => return Err(error),
    };
    let webhook_url = crate::plugins::webhook_url(state, channel).unwrap_or_default();
    let transport = match payload.transport(&webhook_url) {
        Ok(transport) => transport,
        Err(reason) => return Ok(Err(Unprocessed::Refused(reason))),
    };
    let context = crate::plugins::call_context(state, channel).await?;
    let runtime = state.plugins.runtime.clone();
    let grants = plugin.grants.clone();
    // The call runs on a plugin thread, inside this ingest's span.
    let span = tracing::Span::current();
    let (transport, outcome) = runtime
        .threads()
        .spawn_blocking(move || {
            let _ingest = span.enter();
            let outcome = runtime
                .inbound(&plugin, context, &transport)
                .and_then(|mut output| {
                    if sanitize_within(&mut output.value.events, output.deadline) {
                        Ok(output)
                    } else {
                        Err(switchboard_plugins::PluginError::Timeout {
                            budget_ms: plugin.manifest.budget.time_ms,
                        })
                    }
                });
            (transport, outcome)
        })
        .await
        .map_err(|error| Fault::internal(error.to_string()))?;
    // The payload's bytes, which the plugin's payload parts point into; an email's are also
    // kept as each message's original.
    let (payload, is_email) = match transport {
        Transport::Email(email) => (email.source, true),
        Transport::Webhook(request) => (request.body, false),
        Transport::Widget(event) => (event.payload.into_bytes(), false),
    };
    let (found, kv_writes) = match outcome {
        Ok(output) => (output.value, output.kv_writes),
        Err(error @ PluginError::Host(_)) => {
            metrics::counter!("switchboard_plugin_calls_turned_away_total").increment(1);
            return Ok(Err(Unprocessed::Busy(error.to_string())));
        }
        Err(PluginError::Forged(reason)) => {
            metrics::counter!("switchboard_webhooks_forged_total").increment(1);
            return Ok(Err(Unprocessed::Forged(reason)));
        }
        Err(error) => return Ok(Err(Unprocessed::Refused(error.to_string()))),
    };
    let mut messages: Vec<contract::Message> = Vec::new();
    let mut later = Vec::new();
    for event in found.events {
        match event {
            Event::Message(message) => messages.push(message),
            Event::Delivery(update) if channel.kind == ChannelKind::EMAIL => {
                if let Err(reason) = crate::email::bounced(state, channel, update).await? {
                    return Ok(Err(Unprocessed::Refused(reason)));
                }
            }
            // The rest may be about the payload's own messages (an opt-out keyword from a
            // new number): they follow once those are stored.
            other => later.push(other),
        }
    }
    if messages.len() > crate::inbound_rules::MAX_MESSAGES_PER_CALL {
        return Ok(Err(Unprocessed::Refused(format!(
            "the plugin returned {} messages; one call may return at most {}",
            messages.len(),
            crate::inbound_rules::MAX_MESSAGES_PER_CALL
        ))));
    }
    // Every message is checked as the REST inbound route checks one, before any is stored:
    // a payload is taken in whole or kept whole.
    let mut inbound = Vec::new();
    for message in messages {
        if let Some(reason) = crate::email::refused_sender(state, channel, &message).await? {
            tracing::info!(channel_id = channel.id, %reason, "an inbound email was not taken in");
            continue;
        }
        let original = if is_email {
            Some(
                store_file(
                    state,
                    channel,
                    "original.eml",
                    "message/rfc822",
                    payload.clone(),
                    MAX_ORIGINAL_BYTES,
                )
                .await?,
            )
        } else {
            None
        };
        let message = inbound_message(state, channel, &grants, message, original, &payload).await?;
        if let Err(reason) = crate::inbound_rules::check(&message) {
            return Ok(Err(Unprocessed::Refused(format!(
                "the plugin returned a message the gateway does not take: {reason}"
            ))));
        }
        inbound.push(message);
    }
    let mut read = ReadPayload::new(inbound, kv_writes);
    read.answer = found.answer;
    read.later = later;
    Ok(Ok(read))
}
