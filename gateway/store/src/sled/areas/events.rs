//! The store's events area on sled (see `crate::store`).

use std::sync::atomic::Ordering;

use async_trait::async_trait;
use switchboard_model::{Event, EventId, Id};

use crate::{EventLog, StoreResult};

use crate::sled::SledStore;

#[async_trait]
impl EventLog for SledStore {
    async fn events_after(
        &self,
        workspace_id: Id,
        after: EventId,
        limit: usize,
    ) -> StoreResult<Vec<Event>> {
        let durable = self.durable_event_id.load(Ordering::Acquire);
        self.segments
            .after(&self.db, workspace_id, after, durable, limit)?
            .iter()
            .map(|json| Ok(serde_json::from_slice(json)?))
            .collect()
    }
}
