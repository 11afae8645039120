//! What providers report about replies on their way: the provider's id of each reply, status
//! reports (kept a while when one comes before its reply's id is known), and bounces of our
//! own emails.

use serde::{Deserialize, Serialize};
use switchboard_model::{DeliveryStatus, Direction, Id, Message, email_ids};

use super::set_delivery;
use crate::domain::conversations;
use crate::engine::txn::{Read, Scan, Txn};
use crate::keys::{self, key, key_str};
use crate::{OutboxItem, StoreError, StoreResult};

/// Where a reply's provider id leads: its conversation and message.
#[derive(Clone, Serialize, Deserialize)]
struct ProvidedReply {
    conversation_id: Id,
    message_id: Id,
}

pub fn note_provider_ids(
    txn: &mut Txn,
    item: &OutboxItem,
    provider_ids: Vec<String>,
) -> StoreResult<()> {
    let ids = [item.workspace_id, item.channel_id];
    for provider_id in provider_ids {
        txn.put_json(
            key_str(keys::PROVIDER_ID, &ids, &provider_id),
            &ProvidedReply {
                conversation_id: item.conversation_id,
                message_id: item.message_id,
            },
        )?;
        // A report that came before the id was known applies now.
        let early = key_str(keys::EARLY_REPORT, &ids, &provider_id);
        if let Some(status) = txn.get_json::<DeliveryStatus>(&early)? {
            txn.remove(early);
            report_delivery(
                txn,
                item.workspace_id,
                item.channel_id,
                &provider_id,
                status,
            )?;
        }
    }
    Ok(())
}

/// How many status reports may wait for their reply's id, per reply on its way: sent,
/// delivered and read, and one more.
const EARLY_REPORTS_PER_REPLY: usize = 4;

/// How many keys start with `prefix`, counting no further than `most`.
fn count_up_to(read: &impl Scan, prefix: &[u8], most: usize) -> StoreResult<usize> {
    let mut count = 0;
    read.walk_prefix(prefix, &mut |_, _| {
        count += 1;
        Ok(count < most)
    })?;
    Ok(count)
}

pub fn report_delivery(
    txn: &mut Txn,
    workspace_id: Id,
    channel_id: Id,
    provider_id: &str,
    status: DeliveryStatus,
) -> StoreResult<Option<Message>> {
    let ids = [workspace_id, channel_id];
    let Some(reply) =
        txn.get_json::<ProvidedReply>(&key_str(keys::PROVIDER_ID, &ids, provider_id))?
    else {
        // A provider can report before its answer to the send was read (a status callback
        // races the outbox): the report waits for the id, unless no reply is on its way, or
        // as many reports wait as the replies on their way could have.
        // The waiting reports are few (bounded here); the outbox is read only as far as needed.
        let waiting = count_up_to(txn, &key(keys::EARLY_REPORT, &ids), usize::MAX)?;
        let needed = waiting / EARLY_REPORTS_PER_REPLY + 1;
        if count_up_to(txn, &key(keys::OUTBOX, &[channel_id]), needed)? < needed {
            return Err(StoreError::not_found(
                "reply with the provider's id",
                provider_id,
            ));
        }
        txn.put_json(key_str(keys::EARLY_REPORT, &ids, provider_id), &status)?;
        return Ok(None);
    };
    let stored = conversations::load_stored(txn, workspace_id, reply.conversation_id)?;
    let message = conversations::find_message(txn, &stored, reply.message_id)?;
    let now = message
        .delivery
        .clone()
        .unwrap_or(DeliveryStatus::Queued { reason: None });
    if !now.advanced_by(&status) {
        return Ok(Some(message));
    }
    set_delivery(txn, message, status).map(Some)
}

/// Marks the reply that one of our Message-IDs names as failed, for `reason` (a bounce).
pub fn fail_our_email(
    txn: &mut Txn,
    workspace_id: Id,
    our_message_id: &str,
    reason: String,
) -> StoreResult<Message> {
    let Some(email_ids::OurIds {
        message: Some(message_id),
        conversation: conversation_id,
    }) = email_ids::parse(our_message_id)
    else {
        return Err(StoreError::not_found("email of ours", our_message_id));
    };
    let stored = conversations::load_stored(txn, workspace_id, conversation_id)?;
    let message = conversations::find_message(txn, &stored, message_id)?;
    if message.direction != Direction::Out {
        return Err(StoreError::Invalid(format!(
            "message {message_id} is not one of our replies"
        )));
    }
    set_delivery(txn, message, DeliveryStatus::Failed { reason })
}
