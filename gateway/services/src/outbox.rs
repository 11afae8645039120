//! Delivers agents' replies on plugin channels: claims due outbox items (with a lease, so that
//! several nodes never send the same reply), asks the channel's plugin for delivery actions,
//! performs them, and records how it went. A provider that is down is retried with backoff; one
//! that refuses, or a plugin that fails, marks the message failed with the reason. A website
//! chat reply to a visitor who has left goes by email instead (see `email::continuation`).
//! Here, the worker's rounds: the channels a round delivers, side by side, and one channel's due
//! replies, in order; one reply's delivery in `delivery`, the plugin's plan for it in
//! `planning`, the reply as the plugin sees it in `replies`, and recording how it went in
//! `outcome`.

use std::collections::BTreeSet;
use std::sync::Mutex;

use futures_util::StreamExt;
use switchboard_model::{Channel, Id};
use tokio::sync::Notify;

use crate::{ServiceResult, Services, lock};

mod delivery;
mod outcome;
mod planning;
mod replies;
#[cfg(test)]
mod tests;

pub(crate) use outcome::Outcome;
pub(crate) use planning::plan;
pub(crate) use replies::reply_context;

use delivery::deliver;
use outcome::record;

/// How long a claimed item is ours before another node may take it.
const LEASE_MS: i64 = 60_000;
/// Items claimed per channel per round.
const BATCH: usize = 50;

/// Workspaces where a reply was just queued. The delivery worker visits them at once; its full
/// round over every workspace comes only once a second.
#[derive(Debug, Default)]
pub struct QueuedReplies {
    workspaces: Mutex<BTreeSet<Id>>,
    wake: Notify,
    /// Channels whose replies a round is delivering now.
    delivering: Mutex<BTreeSet<Id>>,
}

impl QueuedReplies {
    pub fn add(&self, workspace_id: Id) {
        lock(&self.workspaces).insert(workspace_id);
        self.wake.notify_one();
    }

    /// The workspaces where replies were queued, as soon as there are any; `None` once
    /// `deadline` has passed, even while replies keep coming, so that a busy node still makes
    /// its full rounds.
    pub async fn wait_until(&self, deadline: tokio::time::Instant) -> Option<Vec<Id>> {
        if tokio::time::Instant::now() >= deadline {
            return None;
        }
        tokio::time::timeout_at(deadline, self.wake.notified())
            .await
            .ok()?;
        let mut workspaces = lock(&self.workspaces);
        Some(std::mem::take(&mut *workspaces).into_iter().collect())
    }
}

/// One round over every plugin channel; returns how many replies were handled.
pub async fn deliver_due(state: &Services, holder: &str) -> ServiceResult<usize> {
    let workspaces: Vec<Id> = state
        .store
        .workspaces()
        .await?
        .iter()
        .map(|workspace| workspace.id)
        .collect();
    deliver_queued(state, holder, &workspaces).await
}

/// One round over the plugin channels of these workspaces; returns how many replies were
/// handled. Channels are delivered side by side (at most [`CHANNELS_AT_ONCE`]), each one's
/// replies in order, so that a slow provider or a plugin that spins holds up its own channel
/// only; a channel still being delivered by an earlier round is left to it.
pub async fn deliver_queued(
    state: &Services,
    holder: &str,
    workspaces: &[Id],
) -> ServiceResult<usize> {
    let mut channels = Vec::new();
    for workspace_id in workspaces {
        for channel in state.store.channels(*workspace_id).await? {
            if channel.plugin.is_some() && channel.active {
                channels.push(channel);
            }
        }
    }
    let rounds = futures_util::stream::iter(channels)
        .map(|channel| deliver_channel(state, holder, channel))
        .buffer_unordered(CHANNELS_AT_ONCE);
    let handled: Vec<ServiceResult<usize>> = rounds.collect().await;
    handled.into_iter().sum()
}

/// Delivers one channel's due replies, in order, unless another round is at it.
async fn deliver_channel(state: &Services, holder: &str, channel: Channel) -> ServiceResult<usize> {
    let Some(_delivering) = Delivering::start(&state.replies_queued, channel.id) else {
        return Ok(0);
    };
    let mut handled = 0;
    // A batch holds one reply per conversation (the next waits for it): claim again while
    // replies come, so that a conversation's queued replies all go in this round.
    for _ in 0..CLAIMS_PER_ROUND {
        let claimed = state
            .store
            .claim_outbox(channel.id, holder, LEASE_MS, BATCH)
            .await?;
        if claimed.is_empty() {
            break;
        }
        for item in claimed {
            let outcome = deliver(state, &channel, &item)
                .await
                .unwrap_or_else(|error| Outcome::Retry(error.message));
            record(state, &item, outcome).await?;
            handled += 1;
        }
    }
    Ok(handled)
}

/// Batches one channel's round claims at most.
const CLAIMS_PER_ROUND: usize = 16;

/// Channels delivered side by side in one round.
const CHANNELS_AT_ONCE: usize = 16;

/// A channel being delivered on this node, marked while it lives.
struct Delivering<'a> {
    queued: &'a QueuedReplies,
    channel_id: Id,
}

impl<'a> Delivering<'a> {
    fn start(queued: &'a QueuedReplies, channel_id: Id) -> Option<Delivering<'a>> {
        let started = lock(&queued.delivering).insert(channel_id);
        // Made only once the lock is let go: dropping one takes the lock.
        started.then(|| Delivering { queued, channel_id })
    }
}

impl Drop for Delivering<'_> {
    fn drop(&mut self) {
        lock(&self.queued.delivering).remove(&self.channel_id);
    }
}
