//! The store's events area on either engine (see `crate::store`).

use std::sync::atomic::Ordering;

use async_trait::async_trait;
use switchboard_model::{Event, EventId, Id};

use crate::{EventLog, StoreResult};

use crate::domain::{Engine, RecordStore};
use crate::engine::postgres::PgView;

#[async_trait]
impl EventLog for RecordStore {
    async fn events_after(
        &self,
        workspace_id: Id,
        after: EventId,
        limit: usize,
    ) -> StoreResult<Vec<Event>> {
        let found = match &self.engine {
            Engine::Sled(files) => {
                let durable = files.durable_event_id.load(Ordering::Acquire);
                files
                    .segments
                    .after(&files.db, workspace_id, after, durable, limit)?
            }
            Engine::Postgres(database, _) => {
                PgView { database }.events_after(workspace_id, after, limit)?
            }
        };
        found
            .iter()
            .map(|json| Ok(serde_json::from_slice(json)?))
            .collect()
    }
}
