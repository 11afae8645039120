//! The mailroom behind the SMTP listener: a recipient is accepted only if it is a forwarding
//! address this gateway made (its tag checks out with the gateway's key), and a mail is
//! acknowledged only once it is stored or kept as a dead letter.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use switchboard_mail::listener::{Mailroom, ReceivedMail, Refusal};
use switchboard_model::{ChannelKind, Id};

use crate::Services;
use crate::ingest::StoredEmail;

/// Forwarded mail into email channels.
pub struct Forwarding {
    state: Arc<Services>,
}

impl Forwarding {
    pub fn new(state: Arc<Services>) -> Forwarding {
        Forwarding { state }
    }

    /// The workspace and channel a forwarding address names, if its tag is right.
    fn channel_of(&self, rcpt: &str) -> Option<(Id, Id)> {
        let domain = self.state.mail.forwarding_domain.as_deref()?;
        let (local, at) = rcpt.trim_matches(['<', '>']).rsplit_once('@')?;
        if !at.eq_ignore_ascii_case(domain) {
            return None;
        }
        let mut parts = local.splitn(3, '.');
        let workspace_id: Id = parts.next()?.parse().ok()?;
        let channel_id: Id = parts.next()?.parse().ok()?;
        let tag = parts.next()?;
        super::forwarding_tag_matches(&self.state, workspace_id, channel_id, tag)
            .then_some((workspace_id, channel_id))
    }
}

impl Mailroom for Forwarding {
    fn accepts(&self, rcpt: &str) -> bool {
        self.channel_of(rcpt).is_some()
    }

    fn deliver(
        &self,
        mail: ReceivedMail,
    ) -> Pin<Box<dyn Future<Output = Result<(), Refusal>> + Send + '_>> {
        Box::pin(async move {
            let Some((workspace_id, channel_id)) =
                mail.rcpt_to.iter().find_map(|rcpt| self.channel_of(rcpt))
            else {
                return Err(Refusal::Never(
                    "no forwarding address among the recipients".into(),
                ));
            };
            let channel = match self.state.store.channel(workspace_id, channel_id).await {
                Ok(channel) if channel.kind == ChannelKind::EMAIL && channel.active => channel,
                Ok(_) => {
                    return Err(Refusal::Never(format!(
                        "channel {channel_id} does not take email now"
                    )));
                }
                Err(_) => {
                    return Err(Refusal::Never(format!(
                        "channel {channel_id} no longer exists"
                    )));
                }
            };
            let email = StoredEmail {
                mail_from: mail.mail_from,
                rcpt_to: mail.rcpt_to,
                source_base64: STANDARD.encode(&mail.source),
            };
            super::take_in(&self.state, &channel, email)
                .await
                .map_err(|error| Refusal::Later(error.message))
        })
    }
}
