//! One way in for everything a channel's plugin reads: a webhook, an email from IMAP or from
//! the forwarding listener, a replayed dead letter. The plugin turns the payload into events;
//! each message's files are stored as blobs, its HTML is sanitized, its thread ids are handed
//! to the store for threading, the payload itself is kept as the message's original, and the
//! contact may get an automatic answer (`crate::routing::answers`). What cannot be processed
//! comes back as a reason, and the caller keeps the payload. Here, what a
//! payload became and the two halves of taking it in (read, then stored); the plugin's call in
//! `reading`, its messages as the store takes them in `messages`, the other events it reported
//! in `events`, and what is kept besides messages in `keeping`.

use switchboard_model::{Channel, Identity, InboundMessage, Ingested};
use switchboard_plugins::latest::{Event, HttpResponse};

use crate::{Fault, FaultKind, ServiceResult, Services};

mod events;
mod html;
mod keeping;
mod messages;
mod payload;
mod reading;
#[cfg(test)]
mod tests;

pub use html::{MAX_HTML_BYTES, MAX_HTML_DEPTH, clean_html, sanitized_html};
pub use keeping::keep_dead_letter;
pub(crate) use keeping::keep_kv_writes;
pub use payload::{StoredEmail, StoredPayload, StoredWebhook, StoredWidgetEvent};
pub use reading::read_payload;

use events::apply;

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
        crate::routing::answers::answer(state, channel, &stored, automatic).await?;
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
