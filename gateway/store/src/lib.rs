//! The conversation log and everything else Switchboard keeps.
//!
//! [`Store`] is the storage seam: each method is one whole domain step (ingest an inbound
//! message with its contact, conversation and event; claim outbox work; record a delivery), so a
//! second backend such as PostgreSQL is an added file, not a rewrite of the API. [`RecordStore`]
//! is the embedded default. [`EventBus`] is the publish/subscribe seam that carries committed
//! events to WebSocket clients; [`InProcessBus`] is the single-node default.
//!
//! Event ids come from the store, never from a node's memory, and a write is acknowledged only
//! once it is durable on disk.

mod bus;
mod domain;
mod engine;
mod error;
mod keys;
mod records;
pub mod rules;
mod store;

pub use bus::{EventBus, EventFrame, InProcessBus, Subscription};
pub use domain::RecordStore;
pub use engine::postgres::is_postgres_url;
pub use engine::postgres::migrate::{Copied, MigrationReport, copy_sled_into_postgres};
pub use engine::wal::Salvaged;
pub use error::{StoreError, StoreResult};
pub use records::{
    AgentChange, ChannelRecord, ConversationChange, DeadLetterLimits, FilePurpose, ImportOutcome,
    KeptLetter, NewAgentRecord, OutboxItem, Session, UploadQuota,
};

/// The store's traits, for code that calls a concrete store (`RecordStore`) rather than a
/// `dyn Store`: `use switchboard_store::prelude::*;`.
pub mod prelude {
    pub use crate::store::{
        Contacts, Conversations, Delivery, Directory, EventLog, Files, Integrations, Invitations,
        PluginData, Store,
    };
}
pub use store::{
    Contacts, Conversations, Delivery, Directory, EventLog, Files, Integrations, Invitations,
    PluginData, QueuedEvent, Store, WEBHOOK_LOG_KEPT,
};

/// Entry points for `cargo xtask fuzz` (built only with `--cfg fuzzing`).
#[cfg(fuzzing)]
pub mod fuzzing {
    /// Reads `bytes` as a store's write-ahead log as a start does, and salvages what a start
    /// refuses; panics only on a finding.
    pub fn read_write_ahead_log(bytes: &[u8]) {
        crate::domain::fuzz_write_ahead_log(bytes);
    }
}
