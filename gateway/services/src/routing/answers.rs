//! The automatic answer a contact's message may get: the away message when the conversation's
//! team (or else the workspace) is closed, on any channel; otherwise an email channel's
//! auto-reply to the first email of a conversation. At most one automatic answer a day per
//! contact and channel, and never to a message a machine sent (an auto-reply, a bounce, list
//! mail: RFC 3834), to a duplicate, or to a blocked contact.

use std::collections::BTreeMap;

use switchboard_model::{
    Author, Channel, ChannelKind, EmailSettings, Id, Ingested, Millis, NewReply, now_millis,
};
use switchboard_store::ChannelRecord;

use super::hours;
use crate::{DAY_MS, Fault, ServiceResult, Services};

/// The author name of an email channel's auto-reply.
pub const AUTO_REPLY_BOT: &str = "auto-reply";
/// The author name of the away message.
pub const AWAY_BOT: &str = "away-message";

/// Answers `ingested` (a contact's message that came through `channel`) automatically when an
/// answer is due; `automatic` says a machine sent it.
pub async fn answer(
    state: &Services,
    channel: &Channel,
    ingested: &Ingested,
    automatic: bool,
) -> ServiceResult<()> {
    if automatic || ingested.duplicate {
        return Ok(());
    }
    let workspace_id = channel.workspace_id;
    let now = now_millis();
    let (text, bot) = match away_message(state, workspace_id, ingested.conversation_id, now).await?
    {
        Some(text) => (text, AWAY_BOT),
        None => match EmailSettings::read(&channel.settings).auto_reply {
            Some(text) if channel.kind == ChannelKind::EMAIL && ingested.opened => {
                (text, AUTO_REPLY_BOT)
            }
            _ => return Ok(()),
        },
    };
    let contact = state
        .store
        .contact(workspace_id, ingested.contact_id)
        .await?;
    // A sender no header named has no address to answer.
    let unreachable = channel.kind == ChannelKind::EMAIL && contact.email_to_write().is_none();
    if contact.blocked || unreachable || !first_today(state, channel, contact.id, now).await? {
        return Ok(());
    }
    let reply = NewReply {
        template: None,
        mentions: Vec::new(),
        text,
        private: false,
        attachments: Vec::new(),
    };
    let bot = Author::Bot { name: bot.into() };
    state
        .store
        .add_reply(workspace_id, ingested.conversation_id, bot, reply)
        .await?;
    state.replies_queued.add(workspace_id);
    Ok(())
}

/// The away message, when the workspace wrote one and the conversation's team (or else the
/// workspace) is closed at `now`; the conversation is read only then.
async fn away_message(
    state: &Services,
    workspace_id: Id,
    conversation_id: Id,
    now: Millis,
) -> ServiceResult<Option<String>> {
    let routing = state.store.routing(workspace_id).await?;
    if routing.away_message.is_empty() {
        return Ok(None);
    }
    let conversation = state
        .store
        .conversation(workspace_id, conversation_id)
        .await?;
    let team_hours = match conversation.team_id {
        Some(team_id) => state
            .store
            .teams(workspace_id)
            .await?
            .into_iter()
            .find(|team| team.id == team_id)
            .and_then(|team| team.hours),
        None => None,
    };
    let Some(hours) = team_hours.or(routing.hours) else {
        return Ok(None);
    };
    let zone = state.store.workspace(workspace_id).await?.time_zone;
    Ok((!hours::open(&hours, &zone, now)).then_some(routing.away_message))
}

/// Whether the contact got no automatic answer from the channel in the last day; if so, it is
/// counted as getting one now.
async fn first_today(
    state: &Services,
    channel: &Channel,
    contact_id: Id,
    now: Millis,
) -> ServiceResult<bool> {
    let record = ChannelRecord::AutoReplies;
    let mut answered: BTreeMap<Id, i64> = state
        .store
        .channel_record(channel.workspace_id, channel.id, record)
        .await?
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .unwrap_or_default();
    answered.retain(|_, at| now - *at < DAY_MS);
    if answered.contains_key(&contact_id) {
        return Ok(false);
    }
    answered.insert(contact_id, now);
    let bytes =
        serde_json::to_vec(&answered).map_err(|error| Fault::internal(error.to_string()))?;
    state
        .store
        .put_channel_record(channel.workspace_id, channel.id, record, bytes)
        .await?;
    Ok(true)
}
