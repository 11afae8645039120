//! Edits of inbound messages (a Telegram user changes what they wrote): the new text is kept
//! beside the message, which reads with it from then on, and live clients are told.

use serde::{Deserialize, Serialize};
use switchboard_model::{EventKind, Id, Ingested, Message, Millis};

use super::conversations;
use crate::engine::txn::{Read, Txn};
use crate::keys::{self, key, key_str};
use crate::{StoreError, StoreResult};

/// A message's text as its author last edited it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MessageEdit {
    pub text: String,
    pub at: Millis,
}

/// Gives the message the channel knows as `external_id` its edited `text`.
pub fn edit_message(
    txn: &mut Txn,
    workspace_id: Id,
    channel_id: Id,
    external_id: &str,
    text: String,
) -> StoreResult<Message> {
    let ingested: Ingested = txn
        .get_json(&key_str(
            keys::DEDUPE,
            &[workspace_id, channel_id],
            external_id,
        ))?
        .ok_or_else(|| StoreError::not_found("message with the channel's id", external_id))?;
    let stored = conversations::load_stored(txn, workspace_id, ingested.conversation_id)?;
    let mut message = conversations::find_message(txn, &stored, ingested.message_id)?;
    if message.text == text {
        return Ok(message);
    }
    txn.put_json(
        key(keys::MESSAGE_EDIT, &[workspace_id, message.id]),
        &MessageEdit {
            text: text.clone(),
            at: txn.now,
        },
    )?;
    message.text = text;
    message.edited_at = Some(txn.now);
    txn.emit(
        workspace_id,
        EventKind::MessageEdited {
            conversation_id: message.conversation_id,
            message: Box::new(message.clone()),
        },
    )?;
    Ok(message)
}

/// `message` with its latest edit, if it has one.
pub fn with_edit(tree: &impl Read, mut message: Message) -> StoreResult<Message> {
    if let Some(edit) = tree.get_json::<MessageEdit>(&key(
        keys::MESSAGE_EDIT,
        &[message.workspace_id, message.id],
    ))? {
        message.text = edit.text;
        message.edited_at = Some(edit.at);
    }
    Ok(message)
}
