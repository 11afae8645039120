//! An agent's typing and reading, shown on the contact's channel where its plugin can (a
//! Telegram "typing…", WhatsApp's read ticks). A signal is sent once and never retried, and a
//! conversation's typing goes out at most once every few seconds, however often the console
//! reports it: the channels show it for about five seconds.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use switchboard_model::{Channel, Conversation, Direction, Id};
use switchboard_plugins::latest::{AgentSignal, DeliveryAction};

use crate::{Fault, ServiceResult, Services, lock};

/// The shortest time between two typing signals of one conversation.
const TYPING_EVERY: Duration = Duration::from_secs(4);
/// Longest a signal's request may take.
const SIGNAL_TIMEOUT: Duration = Duration::from_secs(10);
/// Conversations remembered before the oldest typing times are forgotten.
const REMEMBERED: usize = 10_000;

/// When each conversation's typing was last sent from this node.
#[derive(Debug, Default)]
pub struct Signals {
    typing_sent: Mutex<HashMap<Id, Instant>>,
}

impl Signals {
    /// Whether a typing signal of `conversation_id` may go now; if so, it counts as sent.
    fn typing_due(&self, conversation_id: Id) -> bool {
        let now = Instant::now();
        let mut sent = lock(&self.typing_sent);
        if sent
            .get(&conversation_id)
            .is_some_and(|at| now.duration_since(*at) < TYPING_EVERY)
        {
            return false;
        }
        if sent.len() >= REMEMBERED {
            sent.retain(|_, at| now.duration_since(*at) < TYPING_EVERY);
        }
        sent.insert(conversation_id, now);
        true
    }
}

/// Shows the contact that an agent is typing in `conversation`.
pub async fn agent_typing(state: &Services, conversation: &Conversation) -> ServiceResult<()> {
    if !state.signals.typing_due(conversation.id) {
        return Ok(());
    }
    send(state, conversation, AgentSignal::Typing).await
}

/// Tells the contact that their messages in `conversation` were read, up to the newest.
pub async fn agent_read(state: &Services, conversation: &Conversation) -> ServiceResult<()> {
    let newest = state
        .store
        .latest_messages(conversation.workspace_id, conversation.id, 50)
        .await?
        .into_iter()
        .rev()
        .find(|message| message.direction == Direction::In)
        .and_then(|message| message.external_id);
    match newest {
        Some(up_to) => send(state, conversation, AgentSignal::Read(up_to)).await,
        None => Ok(()),
    }
}

async fn send(
    state: &Services,
    conversation: &Conversation,
    signal: AgentSignal,
) -> ServiceResult<()> {
    let channel = state
        .store
        .channel(conversation.workspace_id, conversation.channel_id)
        .await?;
    let Some(name) = channel.plugin.as_deref().filter(|_| channel.active) else {
        return Ok(());
    };
    let plugin = state
        .plugins
        .active(state.store.as_ref(), channel.workspace_id, name)
        .await?;
    let reply_context = crate::outbox::reply_context(state, conversation).await?;
    let context = crate::plugins::call_context(state, &channel).await?;
    let runtime = state.plugins.runtime.clone();
    let called = plugin.clone();
    let actions = runtime
        .threads()
        .spawn_blocking(move || runtime.signal(&called, context, &signal, &reply_context))
        .await
        .map_err(|error| Fault::internal(error.to_string()))?;
    let actions = match actions {
        Ok(actions) => actions,
        Err(error) => {
            tracing::info!(channel_id = channel.id, %error, "a signal was not shown");
            return Ok(());
        }
    };
    for action in actions {
        perform(state, &channel, &plugin.grants, action).await?;
    }
    Ok(())
}

/// Sends one signal's request; a failure is noted, never retried.
async fn perform(
    state: &Services,
    channel: &Channel,
    grants: &switchboard_plugins::Grants,
    action: DeliveryAction,
) -> ServiceResult<()> {
    let DeliveryAction::Http(request) = action else {
        return Ok(());
    };
    if let Err(refusal) = grants.check_url(&request.url) {
        tracing::warn!(channel_id = channel.id, %refusal, "a signal's request was refused");
        return Ok(());
    }
    let fetcher = state.plugins.fetcher.clone();
    let deadline = Instant::now() + SIGNAL_TIMEOUT;
    let answer = tokio::task::spawn_blocking(move || fetcher.fetch(request, deadline))
        .await
        .map_err(|error| Fault::internal(error.to_string()))?;
    match answer {
        Ok(response) if (200..300).contains(&response.status) => {}
        Ok(response) => {
            tracing::info!(
                channel_id = channel.id,
                status = response.status,
                "the provider did not take a signal"
            );
        }
        Err(reason) => {
            tracing::info!(channel_id = channel.id, %reason, "a signal could not be sent")
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typing_goes_out_once_every_few_seconds_per_conversation() {
        let signals = Signals::default();
        assert!(signals.typing_due(1));
        assert!(!signals.typing_due(1), "again at once");
        assert!(signals.typing_due(2), "another conversation");
    }
}
