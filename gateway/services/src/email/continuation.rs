//! A website chat that continues by email. An agent's reply to a visitor who has left the chat
//! (no widget of theirs open, and no request from them, since the reply was written) waits the
//! webchat channel's `email_after_seconds` (120 by default) in case they come back, and then
//! goes to the address they gave, through the channel's `email_channel_id` or else the
//! workspace's first mailbox. Its Message-ID names the conversation, so the visitor's answer by
//! email joins the same conversation, and the widget shows it there too. Replies written while
//! the visitor is away go out as one email: the newest carries the earlier ones, which wait for
//! it. The channel setting `continue_by_email = false` keeps every reply in the chat. Replies
//! go only to an address the visitor proved is theirs (see [`super::confirmation`]): until
//! then they wait, and the first one sends the link that proves it.

use switchboard_model::{
    Author, Channel, ChannelKind, Contact, DeliveryStatus, Direction, Id, Message, WebchatSettings,
    now_millis,
};
use switchboard_plugins::latest::Reply;
use switchboard_store::OutboxItem;

use crate::{ServiceResult, Services};

const DEFAULT_EMAIL_AFTER_SECONDS: i64 = 120;
/// How often a reply waiting for the visitor to confirm their address looks again (a
/// confirmation also wakes the delivery at once on the node that takes it).
const UNCONFIRMED_RECHECK_MS: i64 = 60_000;
/// Replies waiting to go out together are among the conversation's newest this many messages.
const REPLIES_LOOKED_AT: usize = 500;

/// Which way a reply goes.
pub enum Route {
    /// Through its own channel (any reply not on a website chat, or a visitor who is there).
    OwnChannel,
    /// Not yet: the visitor may still come back.
    Wait { reason: String, until: i64 },
    /// By email, through this mailbox.
    Email(Box<Continued>),
    /// Already emailed, inside a newer reply's email.
    Included,
}

/// Where a website chat reply is emailed.
pub struct Continued {
    pub mailbox: Channel,
    to: String,
    name: Option<String>,
    /// The texts of earlier replies that go out in the same email, oldest first.
    earlier: Vec<String>,
}

impl Continued {
    /// Addresses the reply to the visitor's email and keeps only email ids in its thread (the
    /// chat's own message ids mean nothing to a mail client).
    pub fn address(&self, reply: &mut Reply) {
        if !self.earlier.is_empty() {
            let mut texts = self.earlier.clone();
            texts.push(std::mem::take(&mut reply.text));
            reply.text = texts.join("\n\n");
        }
        let contact = &mut reply.context.contact;
        contact.email = Some(self.to.clone());
        contact.display_name = self.name.clone();
        reply
            .context
            .thread
            .retain(|id| id.starts_with('<') && id.ends_with('>') && id.contains('@'));
    }
}

/// The way the reply in `item` on `channel` goes now.
pub async fn route(state: &Services, channel: &Channel, item: &OutboxItem) -> ServiceResult<Route> {
    let settings = WebchatSettings::read(&channel.settings);
    if channel.kind != ChannelKind::WEBCHAT || !settings.continue_by_email {
        return Ok(Route::OwnChannel);
    }
    let store = state.store.as_ref();
    let workspace_id = channel.workspace_id;
    let message = store
        .message(workspace_id, item.conversation_id, item.message_id)
        .await?;
    let conversation = store
        .conversation(workspace_id, item.conversation_id)
        .await?;
    let contact = store.contact(workspace_id, conversation.contact_id).await?;
    if visitor_was_there(state, workspace_id, &contact, message.created_at) {
        return Ok(Route::OwnChannel);
    }
    let Some(to) = contact.email_to_write().map(str::to_string) else {
        // Nowhere to write: the reply waits in the chat for the visitor's return.
        return Ok(Route::OwnChannel);
    };
    let wait_ms = settings
        .email_after_seconds
        .map_or(DEFAULT_EMAIL_AFTER_SECONDS, |seconds| {
            i64::try_from(seconds).unwrap_or(i64::MAX)
        })
        .saturating_mul(1000);
    let due = message.created_at.saturating_add(wait_ms);
    if now_millis() < due {
        let at = chrono::DateTime::from_timestamp_millis(due)
            .map(|time| time.format("%H:%M:%S UTC").to_string())
            .unwrap_or_default();
        return Ok(Route::Wait {
            reason: format!(
                "the visitor is not in the chat: emailed to {to} at {at} unless they come back"
            ),
            until: due,
        });
    }
    // The agents' replies in this conversation, but for this one: a newer one takes this one
    // along in its email; the newest takes every earlier one still waiting.
    let replies: Vec<Message> = store
        .latest_messages(workspace_id, conversation.id, REPLIES_LOOKED_AT)
        .await?
        .into_iter()
        .filter(|other| {
            other.id != message.id
                && other.direction == Direction::Out
                && matches!(other.author, Author::Agent { .. })
        })
        .collect();
    let newer = replies.iter().rfind(|other| other.id > message.id);
    if let Some(newest) = newer {
        match &newest.delivery {
            Some(DeliveryStatus::Queued { .. }) => {
                return Ok(Route::Wait {
                    reason:
                        "the visitor is not in the chat: goes out in one email with the newer reply"
                            .into(),
                    until: newest.created_at.saturating_add(wait_ms + 1000),
                });
            }
            Some(DeliveryStatus::Sent { via: Some(via) }) if via == "email" => {
                return Ok(Route::Included);
            }
            // The newer one failed: this one goes on its own.
            _ => {}
        }
    }
    let earlier = match newer {
        Some(_) => Vec::new(),
        None => replies
            .iter()
            .filter(|other| matches!(other.delivery, Some(DeliveryStatus::Queued { .. })))
            .map(|other| other.text.clone())
            .collect(),
    };
    let Some(mailbox) = mailbox(state, channel).await? else {
        tracing::warn!(
            workspace_id,
            channel_id = channel.id,
            "a website chat reply stays in the chat: the workspace has no mailbox to email it from"
        );
        return Ok(Route::OwnChannel);
    };
    if !contact.verified(&to) {
        super::confirmation::request(state, channel, &mailbox, &contact, &to).await?;
        return Ok(Route::Wait {
            reason: format!(
                "the visitor is not in the chat, and has not confirmed {to} yet: emailed once they open the link sent to it"
            ),
            until: now_millis() + UNCONFIRMED_RECHECK_MS,
        });
    }
    Ok(Route::Email(Box::new(Continued {
        mailbox,
        to,
        name: (!contact.unnamed()).then_some(contact.name),
        earlier,
    })))
}

/// Whether the visitor, by any of the contact's chat identities, has been in the chat since `since`.
fn visitor_was_there(state: &Services, workspace_id: Id, contact: &Contact, since: i64) -> bool {
    crate::widget::visitor_ids(contact)
        .any(|visitor| state.widgets.seen.seen_since(workspace_id, visitor, since))
}

/// The mailbox a website chat's emails go through.
async fn mailbox(state: &Services, channel: &Channel) -> ServiceResult<Option<Channel>> {
    if let Some(id) = WebchatSettings::read(&channel.settings).email_channel_id
        && let Ok(named) = state.store.channel(channel.workspace_id, id).await
        && named.kind == ChannelKind::EMAIL
        && named.active
    {
        return Ok(Some(named));
    }
    super::first_mailbox(state, channel.workspace_id).await
}
