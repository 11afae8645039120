//! The event log, which clients catch up from by event id.

use async_trait::async_trait;
use switchboard_model::{Event, EventId, Id};

use crate::StoreResult;

#[async_trait]
pub trait EventLog: Send + Sync {
    /// Durable events of a workspace with ids above `after`, oldest first.
    async fn events_after(
        &self,
        workspace_id: Id,
        after: EventId,
        limit: usize,
    ) -> StoreResult<Vec<Event>>;
}
