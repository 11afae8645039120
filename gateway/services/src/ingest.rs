//! One way in for everything a channel's plugin reads: a webhook, an email from IMAP or from
//! the forwarding listener, a replayed dead letter. The plugin turns the payload into events;
//! each message's files are stored as blobs, its HTML is sanitized, its thread ids are handed
//! to the store for threading, and the payload itself is kept as the message's original. What
//! cannot be processed comes back as a reason, and the caller keeps the payload.

use switchboard_model::{
    Attachment, Channel, ChannelKind, ContactRef, Identity, InboundMessage, Ingested, LeftOutFile,
    LeftOutReason,
};
use switchboard_plugins::latest::{
    self as contract, AttachmentContent, Event, HttpResponse, Transport,
};
use switchboard_plugins::{Grants, PluginError};
use switchboard_store::FilePurpose;

use crate::widget::SignalKind;
use crate::{Fault, FaultKind, ServiceResult, Services};

mod html;
mod payload;

use html::sanitize_within;
pub use html::{MAX_HTML_BYTES, MAX_HTML_DEPTH, clean_html, sanitized_html};
pub use payload::{StoredEmail, StoredPayload, StoredWebhook, StoredWidgetEvent};

/// The largest original payload kept beside a message (an email with its attachments).
const MAX_ORIGINAL_BYTES: u64 = 64 * 1024 * 1024;

/// Why a payload was not taken in.
#[derive(Debug, Clone, PartialEq)]
pub enum Unprocessed {
    /// It cannot be processed as it is (the plugin refused it, failed on it, or there is no
    /// plugin): keep it as a dead letter, for a replay after a fix.
    Refused(String),
    /// The host cannot run the plugin now (every instance slot is taken, or an admin switched
    /// the plugin off): the sender should try again later, and nothing is kept.
    Busy(String),
    /// The plugin found that the request is not from the provider (a wrong signature, a
    /// replay): refused, counted, and not kept.
    Forged(String),
}

impl Unprocessed {
    /// The answer to a sender that should try again.
    pub fn busy(reason: &str) -> Fault {
        Fault::new(
            FaultKind::Busy,
            "busy",
            format!("{reason}; try again later"),
        )
        .retry_after(BUSY_RETRY_SECONDS)
    }
}

/// When a sender turned away as busy is asked to try again.
const BUSY_RETRY_SECONDS: u64 = 5;

/// What a payload that was taken in became.
#[derive(Debug)]
pub struct Taken {
    /// The messages stored (or recognised as already stored).
    pub ingested: Vec<Ingested>,
    /// What the plugin wants the sender answered, if it said.
    pub answer: Option<HttpResponse>,
}

/// Runs a payload through the channel's plugin and stores the messages it found. The inner
/// error says why the payload was not taken in, and whether it is worth keeping.
#[tracing::instrument(name = "ingest", skip_all, fields(workspace_id = channel.workspace_id, channel_id = channel.id))]
pub async fn through_plugin(
    state: &Services,
    channel: &Channel,
    payload: &StoredPayload,
) -> ServiceResult<Result<Taken, Unprocessed>> {
    Ok(match read_payload(state, channel, payload).await? {
        Ok(mut read) => {
            let answer = read.answer.take();
            Ok(Taken {
                ingested: store_read(state, channel, read).await?,
                answer,
            })
        }
        Err(unprocessed) => Err(unprocessed),
    })
}

/// What a plugin found in one payload, checked and with its files stored: ready for the log.
pub struct ReadPayload {
    messages: Vec<InboundMessage>,
    /// Each message's sender as look-ups compare it (normalized once, compared often).
    senders: Vec<Identity>,
    kv_writes: std::collections::BTreeMap<String, Vec<u8>>,
    answer: Option<HttpResponse>,
    /// Events applied once the messages are stored.
    later: Vec<Event>,
}

impl ReadPayload {
    fn new(
        messages: Vec<InboundMessage>,
        kv_writes: std::collections::BTreeMap<String, Vec<u8>>,
    ) -> ReadPayload {
        let senders = messages
            .iter()
            .map(|message| message.contact.identity.normalized())
            .collect();
        ReadPayload {
            messages,
            senders,
            kv_writes,
            answer: None,
            later: Vec::new(),
        }
    }

    /// Whether storing this payload at the same time as the `earlier` one could change what
    /// either becomes, or their order: a sender in common (one open conversation per sender,
    /// the auto-reply to a conversation's first message), the same id, the earlier one named in
    /// this one's thread, or a thread in common.
    pub fn follows(&self, earlier: &ReadPayload) -> bool {
        self.senders
            .iter()
            .any(|sender| earlier.senders.contains(sender))
            || self.messages.iter().any(|message| {
                earlier.messages.iter().any(|before| {
                    before.external_id == message.external_id
                        || message.thread.contains(&before.external_id)
                        || message.thread.iter().any(|id| before.thread.contains(id))
                })
            })
    }
}

/// The first half of [`through_plugin`]: the plugin's call, its messages checked and their
/// files stored, nothing in the log yet.
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

/// What a payload said besides its messages.
async fn apply(state: &Services, channel: &Channel, event: Event) -> ServiceResult<()> {
    match event {
        Event::Delivery(update) => crate::status::reported(state, channel, update).await,
        Event::Reachability(report) => crate::reachability::reported(state, channel, report).await,
        Event::Edited(edit) => edited(state, channel, edit).await,
        // What the channel learned of a contact fills in what the contact lacked.
        Event::ContactUpdate(contact) => {
            state
                .store
                .introduce_contact(channel.workspace_id, contact_ref(contact))
                .await?;
            Ok(())
        }
        Event::Typing(identity) => {
            let identity = Identity::new(identity.kind, identity.value);
            crate::contact_signals::show(state, channel, &identity, SignalKind::Typing).await
        }
        Event::Read((identity, _)) => {
            let identity = Identity::new(identity.kind, identity.value);
            crate::contact_signals::show(state, channel, &identity, SignalKind::Read).await
        }
        Event::Message(_) => Ok(()),
    }
}

/// A contact as a plugin told it, as the store takes it.
fn contact_ref(contact: contract::Contact) -> ContactRef {
    ContactRef {
        identity: Identity::new(contact.identity.kind, contact.identity.value),
        name: contact.display_name,
        email: contact.email,
        phone: contact.phone,
        custom_fields: contact
            .fields
            .into_iter()
            .map(|field| (field.name, field.value))
            .collect(),
    }
}

/// A contact's edit of a message they sent; one of a message the gateway never took in (sent
/// before the channel was connected) has nothing to change and is noted in the log.
async fn edited(state: &Services, channel: &Channel, edit: contract::Edit) -> ServiceResult<()> {
    match state
        .store
        .edit_message(
            channel.workspace_id,
            channel.id,
            &edit.message_id,
            edit.text,
        )
        .await
    {
        Ok(_) => Ok(()),
        Err(switchboard_store::StoreError::NotFound { .. }) => {
            tracing::info!(channel_id = channel.id, message = %edit.message_id, "an edit of a message the gateway does not have");
            Ok(())
        }
        Err(error) => Err(error.into()),
    }
}

/// The second half of [`through_plugin`]: a read payload's messages into the log, with their
/// auto-replies, and the plugin's key-value writes kept.
pub async fn store_read(
    state: &Services,
    channel: &Channel,
    read: ReadPayload,
) -> ServiceResult<Vec<Ingested>> {
    let ReadPayload {
        messages,
        kv_writes,
        later,
        ..
    } = read;
    let mut ingested = Vec::new();
    for message in messages {
        let automatic = message.automatic;
        let stored = state
            .store
            .ingest(channel.workspace_id, channel.id, message)
            .await?;
        crate::email::auto_reply(state, channel, &stored, automatic).await?;
        ingested.push(stored);
    }
    for event in later {
        apply(state, channel, event).await?;
    }
    if !kv_writes.is_empty() {
        keep_kv_writes(state, channel, kv_writes).await?;
    }
    Ok(ingested)
}

/// Keeps a payload that could not be processed as a dead letter, within the channel's room
/// for them (`ApiConfig::dead_letters`): older letters dropped to make room are counted.
pub async fn keep_dead_letter(
    state: &Services,
    workspace_id: switchboard_model::Id,
    channel_id: switchboard_model::Id,
    reason: &str,
    payload: Vec<u8>,
) -> ServiceResult<switchboard_model::DeadLetter> {
    let kept = state
        .store
        .put_dead_letter(
            workspace_id,
            channel_id,
            reason,
            payload,
            state.config.dead_letters,
        )
        .await?;
    if kept.dropped > 0 {
        metrics::counter!("switchboard_dead_letters_dropped_total").increment(kept.dropped);
        tracing::warn!(
            channel_id,
            dropped = kept.dropped,
            "older dead letters of the channel were dropped to keep it within its room"
        );
    }
    Ok(kept.letter)
}

/// Keeps a call's key-value writes, unless other calls filled the channel's store meanwhile:
/// then they are dropped (the call's messages stay) and the plugin's log says so.
pub(crate) async fn keep_kv_writes(
    state: &Services,
    channel: &Channel,
    writes: std::collections::BTreeMap<String, Vec<u8>>,
) -> ServiceResult<()> {
    match state
        .store
        .put_plugin_kv(
            channel.workspace_id,
            channel.id,
            writes,
            switchboard_plugins::MAX_KV_BYTES as u64,
        )
        .await
    {
        Err(switchboard_store::StoreError::TooLarge { size, limit, .. }) => {
            tracing::warn!(
                channel_id = channel.id,
                size,
                limit,
                "a plugin call's key-value writes were dropped: the channel's store would be over its quota"
            );
            Ok(())
        }
        other => Ok(other?),
    }
}

/// The plugin's message as the store takes it. `payload` is the inbound payload the plugin
/// was given, which its attachments may point into.
async fn inbound_message(
    state: &Services,
    channel: &Channel,
    grants: &Grants,
    message: contract::Message,
    original: Option<Attachment>,
    payload: &[u8],
) -> ServiceResult<InboundMessage> {
    let limit = state.config.max_attachment_bytes as u64;
    let mut attachments = Vec::new();
    let mut left_out = Vec::new();
    for attachment in message.attachments {
        let leave_out = |size: Option<u64>, reason| LeftOutFile {
            name: attachment.name.clone(),
            media_type: attachment.media_type.clone(),
            size,
            reason,
        };
        let bytes = match attachment.content {
            AttachmentContent::Bytes(bytes) => bytes,
            AttachmentContent::PayloadPart(part) => {
                match switchboard_plugins::read_payload_part(payload, &part) {
                    Ok(bytes) => bytes,
                    Err(reason) => {
                        tracing::warn!(
                            channel_id = channel.id,
                            %reason,
                            "a plugin named an attachment that cannot be read"
                        );
                        left_out.push(leave_out(None, LeftOutReason::Unreadable));
                        continue;
                    }
                }
            }
            // A file the gateway already holds (a widget upload), named by its hash.
            AttachmentContent::Url(url) if url.starts_with("blob:") => {
                let sha256 = &url["blob:".len()..];
                match state.store.blob(channel.workspace_id, sha256).await {
                    Ok(held) => attachments.push(Attachment {
                        sha256: sha256.to_string(),
                        name: attachment.name,
                        media_type: attachment.media_type,
                        size: held.len() as u64,
                    }),
                    Err(_) => left_out.push(leave_out(None, LeftOutReason::Unreadable)),
                }
                continue;
            }
            AttachmentContent::Url(_) => {
                left_out.push(leave_out(None, LeftOutReason::Link));
                continue;
            }
            AttachmentContent::Request(request) => {
                match crate::media::fetch(state, grants, request, limit).await? {
                    Ok(bytes) => bytes,
                    Err((reason, size)) => {
                        left_out.push(leave_out(size, reason));
                        continue;
                    }
                }
            }
        };
        if bytes.len() as u64 > limit {
            left_out.push(leave_out(Some(bytes.len() as u64), LeftOutReason::TooLarge));
            continue;
        }
        attachments.push(
            store_file(
                state,
                channel,
                &attachment.name,
                &attachment.media_type,
                bytes,
                limit,
            )
            .await?,
        );
    }
    let mut thread: Vec<String> = message.in_reply_to.into_iter().collect();
    for id in message.references.into_iter().rev() {
        if !thread.contains(&id) {
            thread.push(id);
        }
    }
    Ok(InboundMessage {
        contact: contact_ref(message.contact),
        external_id: message.message_id,
        text: message.text,
        quoted: message.quoted,
        title: message.subject,
        thread,
        // Sanitized during the plugin's call (`sanitize_within`).
        html: message.html,
        attachments,
        left_out,
        original,
        automatic: message.auto_submitted,
        to: message.to,
        cc: message.cc,
    })
}

async fn store_file(
    state: &Services,
    channel: &Channel,
    name: &str,
    media_type: &str,
    bytes: Vec<u8>,
    limit: u64,
) -> ServiceResult<Attachment> {
    let size = bytes.len() as u64;
    let sha256 = state
        .store
        .put_blob(channel.workspace_id, bytes, limit, FilePurpose::Attachment)
        .await?;
    Ok(Attachment {
        sha256,
        name: name.to_string(),
        media_type: media_type.to_string(),
        size,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn email(from: &str, id: &str, thread: &[&str]) -> ReadPayload {
        let contact = ContactRef {
            identity: Identity::new("email", from),
            name: None,
            email: None,
            phone: None,
            custom_fields: Default::default(),
        };
        let mut message = InboundMessage::text(contact, id, "hola");
        message.thread = thread.iter().map(|id| id.to_string()).collect();
        ReadPayload::new(vec![message], Default::default())
    }

    #[test]
    fn an_email_follows_one_from_its_sender_or_of_its_thread_and_no_other() {
        let first = email("ana@example.test", "<1@x>", &["<ours@sb>"]);
        assert!(email("ANA@example.test", "<2@x>", &[]).follows(&first));
        assert!(email("luis@example.test", "<3@x>", &["<1@x>"]).follows(&first));
        assert!(email("luis@example.test", "<4@x>", &["<ours@sb>"]).follows(&first));
        assert!(email("luis@example.test", "<1@x>", &[]).follows(&first));
        assert!(!email("luis@example.test", "<5@x>", &["<other@sb>"]).follows(&first));
    }
}
