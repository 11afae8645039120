//! Mail going out: replies over the channel's SMTP server (or the mailbox it replies through),
//! and the channel's daily sending limit.

use switchboard_mail::MailError;
use switchboard_model::{Channel, EmailSettings, Id, now_millis};
use switchboard_plugins::latest::{
    Contact, DeliveryAction, Identity, OutgoingEmail, Reply, ReplyContext,
};
use switchboard_store::ChannelRecord;

use super::{account, oauth};
use crate::outbox::Outcome;
use crate::{DAY_MS, Fault, FaultKind, ServiceResult, Services};

/// Sends a reply's email through the channel's SMTP server; answers the server's acceptance.
pub async fn send(
    state: &Services,
    channel: &Channel,
    email: &OutgoingEmail,
) -> ServiceResult<Result<String, MailError>> {
    let account = match account(state, channel).await? {
        Ok(account) => account,
        Err(reason) => {
            return Ok(Err(MailError::new(
                switchboard_mail::Step::Settings,
                reason,
            )));
        }
    };
    let account = match oauth::signed_in(state, channel, account).await? {
        Ok((account, _)) => account,
        Err(error) => return Ok(Err(error)),
    };
    let sender = match switchboard_mail::smtp::Sender::new(&account, &state.mail.trust) {
        Ok(sender) => sender,
        Err(error) => return Ok(Err(error)),
    };
    Ok(sender
        .send(
            &email.envelope.mail_from,
            &email.envelope.rcpt_to,
            &email.mime,
        )
        .await)
}

/// An email the gateway writes itself (a transcript, a confirmation link), to one address.
pub struct Written {
    /// Unique per email, for the adapter's Message-ID.
    pub id: String,
    pub sender_name: String,
    pub to: String,
    pub subject: String,
    pub text: String,
    /// The conversation it is about, `0` for none.
    pub conversation_id: Id,
}

impl Written {
    /// The email as a reply the email adapter writes like any other.
    pub fn reply(self) -> Reply {
        Reply {
            template: None,
            reply_id: self.id,
            text: self.text,
            html: None,
            attachments: Vec::new(),
            agent_name: self.sender_name,
            agent_signature: None,
            context: ReplyContext {
                conversation_id: self.conversation_id,
                subject: Some(self.subject),
                thread: Vec::new(),
                contact: Contact {
                    identity: Identity {
                        kind: "email".into(),
                        value: self.to.clone(),
                    },
                    display_name: None,
                    email: Some(self.to),
                    phone: None,
                    fields: Vec::new(),
                },
            },
        }
    }
}

/// Sends an email the gateway wrote (a transcript, a confirmation link) through `channel`,
/// written by its email adapter like any reply, and counts it against the channel's day. The
/// inner error says why it was not sent.
pub async fn send_written(
    state: &Services,
    channel: &Channel,
    reply: Reply,
    what: &str,
) -> ServiceResult<Result<String, String>> {
    let actions = match crate::outbox::plan(state, channel, reply, what).await? {
        Ok((_, actions)) => actions,
        Err(
            Outcome::Failed(reason)
            | Outcome::Retry(reason)
            | Outcome::RetryAt { reason, .. }
            | Outcome::Wait { reason, .. },
        ) => {
            return Ok(Err(reason));
        }
        Err(Outcome::Sent { .. }) => return Ok(Err("the adapter planned nothing".into())),
    };
    let mut accepted = Vec::new();
    for action in actions {
        let DeliveryAction::SendEmail(email) = action else {
            return Ok(Err(
                "the email adapter asked for something else than an email".into(),
            ));
        };
        match send(state, channel, &email).await? {
            Ok(answer) => {
                count_sent(state, channel).await?;
                accepted.push(answer);
            }
            Err(error) => return Ok(Err(error.to_string())),
        }
    }
    Ok(Ok(accepted.join("; ")))
}

/// The channel a reply leaves through: the conversation's own, or the email channel its
/// `reply_via_channel` setting names (an inbound-only mailbox answered from another address).
pub async fn sending_channel(state: &Services, channel: &Channel) -> ServiceResult<Channel> {
    let Some(id) = EmailSettings::read(&channel.settings).reply_via_channel else {
        return Ok(channel.clone());
    };
    let invalid = |why: String| {
        Fault::new(
            FaultKind::Invalid,
            "invalid_setting",
            format!(
                "`{}` of channel {}: {why}",
                EmailSettings::REPLY_VIA_CHANNEL,
                channel.id
            ),
        )
    };
    let via = state
        .store
        .channel(channel.workspace_id, id)
        .await
        .map_err(|_| invalid(format!("there is no channel {id}")))?;
    if via.kind != channel.kind {
        return Err(invalid(format!(
            "channel {id} is not a {:?} channel",
            channel.kind
        )));
    }
    Ok(via)
}

/// The UTC day of a time, and the next day's start.
fn utc_day(millis: i64) -> (i64, i64) {
    let day = millis.div_euclid(DAY_MS);
    (day, (day + 1) * DAY_MS)
}

async fn sent_today(state: &Services, channel: &Channel) -> ServiceResult<(i64, u64)> {
    let (today, _) = utc_day(now_millis());
    let saved: Option<(i64, u64)> = state
        .store
        .channel_record(channel.workspace_id, channel.id, ChannelRecord::SentToday)
        .await?
        .and_then(|bytes| serde_json::from_slice(&bytes).ok());
    Ok(match saved {
        Some((day, sent)) if day == today => (today, sent),
        _ => (today, 0),
    })
}

/// When the channel has sent its `daily_send_limit` today: why it waits, and until when.
pub async fn daily_limit_reached(
    state: &Services,
    channel: &Channel,
) -> ServiceResult<Option<(String, i64)>> {
    let Some(limit) = EmailSettings::read(&channel.settings).daily_send_limit else {
        return Ok(None);
    };
    let (_, sent) = sent_today(state, channel).await?;
    if sent < limit {
        return Ok(None);
    }
    let (_, tomorrow) = utc_day(now_millis());
    Ok(Some((
        format!(
            "channel {} reached its daily send limit of {limit} emails; it waits until the next day (UTC)",
            channel.id
        ),
        tomorrow,
    )))
}

/// Counts one email sent through the channel today.
pub async fn count_sent(state: &Services, channel: &Channel) -> ServiceResult<()> {
    let (today, sent) = sent_today(state, channel).await?;
    let bytes = serde_json::to_vec(&(today, sent + 1))
        .map_err(|error| Fault::internal(error.to_string()))?;
    state
        .store
        .put_channel_record(
            channel.workspace_id,
            channel.id,
            ChannelRecord::SentToday,
            bytes,
        )
        .await?;
    Ok(())
}
