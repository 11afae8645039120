//! Mail coming in: loop prevention before anything is stored, reading each email through the
//! adapter ahead of the store, and bounces of our own replies.

use switchboard_model::{Channel, ChannelKind, EmailSettings};
use switchboard_plugins::latest::{DeliveryState, DeliveryUpdate, Message};
use switchboard_store::StoreError;

use crate::ingest::{
    ReadPayload, StoredEmail, StoredPayload, Unprocessed, read_payload, store_read,
};
use crate::{Fault, ServiceResult, Services};
use futures_util::StreamExt;

/// Why an inbound email must not be taken in, if it must not: it was sent by one of the
/// workspace's own channel addresses (a loop), or its sender is on the channel's block list.
pub async fn refused_sender(
    state: &Services,
    channel: &Channel,
    message: &Message,
) -> ServiceResult<Option<String>> {
    if channel.kind != ChannelKind::EMAIL {
        return Ok(None);
    }
    let Some(sender) = message.contact.email.as_deref().map(str::to_lowercase) else {
        return Ok(None);
    };
    for own in state.store.channels(channel.workspace_id).await? {
        if own.kind == ChannelKind::EMAIL
            && EmailSettings::read(&own.settings)
                .reply_address
                .is_some_and(|address| address.eq_ignore_ascii_case(&sender))
        {
            return Ok(Some(format!(
                "{sender} is this workspace's own address (channel {})",
                own.id
            )));
        }
    }
    let domain = sender.rsplit('@').next().unwrap_or_default();
    let blocked = EmailSettings::read(&channel.settings)
        .block_list
        .iter()
        .any(|entry| *entry == sender || entry == domain);
    Ok(blocked.then(|| format!("{sender} is on the channel's block list")))
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
        Err(Unprocessed::Refused(reason) | Unprocessed::Forged(reason)) => reason,
    };
    let kept = serde_json::to_vec(&payload).map_err(|error| Fault::internal(error.to_string()))?;
    let letter =
        crate::ingest::keep_dead_letter(state, channel.workspace_id, channel.id, &reason, kept)
            .await?;
    tracing::warn!(workspace_id = channel.workspace_id, channel_id = channel.id,
        dead_letter_id = letter.id, %reason, "an email was kept as a dead letter");
    Ok(None)
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
