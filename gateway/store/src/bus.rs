//! The publish/subscribe seam between the store and live clients.
//!
//! The store publishes each event once it is durable, in commit order. A subscriber gets the
//! frames of one workspace. Frames are serialized once, however many sockets carry them. The
//! in-process bus is the default; a broker (NATS, Redis) can stand behind the same trait.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use switchboard_model::{EventId, Id};
use tokio::sync::broadcast;

/// A committed event, with its JSON text ready to send (made once, when it was stored).
#[derive(Debug, Clone)]
pub struct EventFrame {
    pub id: EventId,
    pub workspace_id: Id,
    pub json: Arc<str>,
}

/// A live feed of one workspace's events. When the subscriber falls too far behind, `recv`
/// reports how many it missed; it then reads them back from the store.
pub type Subscription = broadcast::Receiver<EventFrame>;

/// Where committed events go.
pub trait EventBus: Send + Sync {
    /// Hands over events that are durable, in the order they were committed.
    fn publish(&self, frames: &[EventFrame]);
    /// Starts a feed of one workspace's events from now on.
    fn subscribe(&self, workspace_id: Id) -> Subscription;
}

/// The single-node bus: one broadcast channel per workspace.
#[derive(Debug)]
pub struct InProcessBus {
    capacity: usize,
    channels: Mutex<HashMap<Id, broadcast::Sender<EventFrame>>>,
}

impl InProcessBus {
    /// `capacity` is how many events a slow subscriber may fall behind before it must catch
    /// up from the store.
    pub fn new(capacity: usize) -> Self {
        InProcessBus {
            capacity: capacity.max(16),
            channels: Mutex::new(HashMap::new()),
        }
    }

    fn sender(&self, workspace_id: Id) -> broadcast::Sender<EventFrame> {
        let mut channels = self
            .channels
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        channels
            .entry(workspace_id)
            .or_insert_with(|| broadcast::channel(self.capacity).0)
            .clone()
    }
}

impl EventBus for InProcessBus {
    fn publish(&self, frames: &[EventFrame]) {
        for frame in frames {
            // No receiver is not an error: nobody is watching this workspace right now.
            let _ = self.sender(frame.workspace_id).send(frame.clone());
        }
    }

    fn subscribe(&self, workspace_id: Id) -> Subscription {
        self.sender(workspace_id).subscribe()
    }
}
