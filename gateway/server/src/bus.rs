//! The link between gateway nodes through NATS (`bus.url`). Each node announces that it
//! committed, so that the others read the new events from the store at once instead of at
//! their next look, and passes its visitors' and agents' presence signals (typing, read) on.
//! The store stays the source of truth: a node that misses announcements (NATS restarting)
//! still reads every event at its next look, in id order, and clients catch up by event id.

use std::sync::Arc;

use anyhow::Context;
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use switchboard_model::Presence;
use switchboard_services::Widgets;
use switchboard_store::RecordStore;

const COMMITTED: &str = "switchboard.committed";
const PRESENCE: &str = "switchboard.presence";

/// A presence signal on the bus, with the node it was made on.
#[derive(Serialize, Deserialize)]
struct Relayed {
    node: String,
    signal: Presence,
}

/// Links this node (`node`) to the others through the NATS server at `url`; runs in the
/// background from then on, reconnecting by itself.
pub async fn link(
    url: &str,
    node: String,
    store: Arc<RecordStore>,
    widgets: Arc<Widgets>,
) -> anyhow::Result<()> {
    let woken = store.clone();
    let client = async_nats::ConnectOptions::new()
        .name(format!("switchboard {node}"))
        .retry_on_initial_connect()
        .event_callback(move |event| {
            // Back after a break: read what the other nodes committed meanwhile.
            if matches!(event, async_nats::Event::Connected) {
                woken.wake_follower();
            }
            async {}
        })
        .connect(url)
        .await
        .with_context(|| format!("cannot reach the bus at {url}"))?;
    let mut commits = client.subscribe(COMMITTED).await?;
    let mut signals = client.subscribe(PRESENCE).await?;

    if let Some(mut committed) = store.commits() {
        let (client, node) = (client.clone(), node.clone());
        tokio::spawn(async move {
            while committed.changed().await.is_ok() {
                if let Err(error) = client.publish(COMMITTED, node.clone().into()).await {
                    tracing::warn!(%error, "cannot announce a commit on the bus");
                }
            }
        });
    }
    {
        let own = node.clone();
        tokio::spawn(async move {
            while let Some(message) = commits.next().await {
                if message.payload.as_ref() != own.as_bytes() {
                    store.wake_follower();
                }
            }
        });
    }

    let (relay, mut outgoing) = tokio::sync::mpsc::unbounded_channel::<Vec<u8>>();
    let own = node.clone();
    widgets.presence.relay_to(Box::new(move |signal| {
        let relayed = Relayed {
            node: own.clone(),
            signal: signal.clone(),
        };
        if let Ok(json) = serde_json::to_vec(&relayed) {
            let _ = relay.send(json);
        }
    }));
    {
        let client = client.clone();
        tokio::spawn(async move {
            while let Some(json) = outgoing.recv().await {
                if let Err(error) = client.publish(PRESENCE, json.into()).await {
                    tracing::debug!(%error, "cannot pass a presence signal on");
                }
            }
        });
    }
    tokio::spawn(async move {
        while let Some(message) = signals.next().await {
            match serde_json::from_slice::<Relayed>(&message.payload) {
                Ok(relayed) if relayed.node != node => widgets.presence.deliver(relayed.signal),
                Ok(_) => {}
                Err(error) => tracing::debug!(%error, "a presence signal on the bus does not read"),
            }
        }
    });
    Ok(())
}
