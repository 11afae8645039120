//! Scheduled calls of plugins that poll their provider (`tick_seconds` in the manifest, such
//! as Telegram's `getUpdates` for a gateway that cannot take webhooks). Each active channel
//! whose plugin asks for it is called on time by one node (it holds the channel's lease), and
//! the payloads the call found go in as if they had arrived: through the plugin's `inbound`,
//! kept as dead letters when they cannot be processed. The call's key-value writes (the poll's
//! offset) are kept only after its payloads are, so a crash polls them again rather than losing
//! them, and taking them in twice stores them once.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use switchboard_model::{Channel, Id};
use switchboard_plugins::Plugin;

use crate::ingest::{StoredPayload, Unprocessed, keep_dead_letter, keep_kv_writes, through_plugin};
use crate::{Fault, ServiceResult, Services, lock};

/// When each channel's next call is due on this node.
#[derive(Debug, Default)]
pub struct Schedule {
    next: Mutex<HashMap<Id, Instant>>,
}

impl Schedule {
    /// Whether `channel_id`'s call is due now; if it is, the next one is booked `period` on.
    fn take_turn(&self, channel_id: Id, period: Duration) -> bool {
        let now = Instant::now();
        let mut next = lock(&self.next);
        if next.get(&channel_id).is_some_and(|due| *due > now) {
            return false;
        }
        next.insert(channel_id, now + period);
        true
    }
}

/// One pass over every active plugin channel; returns how many scheduled calls were made (a
/// channel whose call failed is not counted).
pub async fn tick_due(state: &Services, holder: &str, schedule: &Schedule) -> ServiceResult<usize> {
    let mut called = 0;
    for workspace in state.store.workspaces().await? {
        for channel in state.store.channels(workspace.id).await? {
            let Some(name) = channel.plugin.as_deref().filter(|_| channel.active) else {
                continue;
            };
            let Ok(plugin) = state
                .plugins
                .active(state.store.as_ref(), channel.workspace_id, name)
                .await
            else {
                continue;
            };
            let Some(seconds) = plugin.manifest.tick_seconds else {
                continue;
            };
            let period = Duration::from_secs(u64::from(seconds));
            if !schedule.take_turn(channel.id, period) {
                continue;
            }
            // Held for three periods, so that one late call does not hand the channel over.
            let lease_ms = i64::from(seconds).saturating_mul(3_000);
            let lease = format!("tick/{}", channel.id);
            if !state.store.acquire_lease(&lease, holder, lease_ms).await? {
                continue;
            }
            // One channel's failure (its secrets unreadable, the disk full) is its own: the
            // other channels' calls still go.
            match tick(state, &channel, plugin).await {
                Ok(()) => called += 1,
                Err(fault) => tracing::warn!(
                    workspace_id = channel.workspace_id,
                    channel_id = channel.id,
                    code = fault.code,
                    reason = %fault.message,
                    "a channel's scheduled call failed"
                ),
            }
        }
    }
    Ok(called)
}

/// One scheduled call of `channel`'s plugin, and its payloads taken in.
#[tracing::instrument(name = "tick", skip_all, fields(workspace_id = channel.workspace_id, channel_id = channel.id))]
async fn tick(state: &Services, channel: &Channel, plugin: Plugin) -> ServiceResult<()> {
    let context = crate::plugins::call_context(state, channel).await?;
    let runtime = state.plugins.runtime.clone();
    let span = tracing::Span::current();
    let outcome = runtime
        .threads()
        .spawn_blocking(move || {
            let _tick = span.enter();
            runtime.tick(&plugin, context)
        })
        .await
        .map_err(|error| Fault::internal(error.to_string()))?;
    let output = match outcome {
        Ok(output) => output,
        Err(error) => {
            tracing::warn!(%error, "a plugin's scheduled call failed");
            return Ok(());
        }
    };
    for transport in output.value {
        let payload = StoredPayload::from(transport);
        let reason = match through_plugin(state, channel, &payload).await? {
            Ok(_) => continue,
            Err(
                Unprocessed::Refused(reason)
                | Unprocessed::Busy(reason)
                | Unprocessed::Forged(reason),
            ) => reason,
        };
        let kept =
            serde_json::to_vec(&payload).map_err(|error| Fault::internal(error.to_string()))?;
        let letter =
            keep_dead_letter(state, channel.workspace_id, channel.id, &reason, kept).await?;
        tracing::warn!(dead_letter_id = letter.id, %reason, "a polled payload was kept as a dead letter");
    }
    if !output.kv_writes.is_empty() {
        keep_kv_writes(state, channel, output.kv_writes).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_channel_gets_one_call_a_period() {
        let schedule = Schedule::default();
        let period = Duration::from_secs(60);
        assert!(
            schedule.take_turn(7, period),
            "the first call is due at once"
        );
        assert!(!schedule.take_turn(7, period), "then not before a period");
        assert!(
            schedule.take_turn(8, period),
            "another channel keeps its own time"
        );
    }
}
