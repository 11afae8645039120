//! The storage traits, one per area of the domain; every method is one whole domain step,
//! atomic and durable when it returns. [`Store`] is all of them: what a backend (sled today)
//! implements and what the gateway holds. Every method that takes a `workspace_id` sees only
//! that workspace: an id of another workspace is [`crate::StoreError::NotFound`].

mod contacts;
mod conversations;
mod delivery;
mod directory;
mod events;
mod files;
mod integrations;
mod invitations;
mod plugins;

pub use contacts::Contacts;
pub use conversations::Conversations;
pub use delivery::Delivery;
pub use directory::Directory;
pub use events::EventLog;
pub use files::Files;
pub use integrations::{Integrations, QueuedEvent, WEBHOOK_LOG_KEPT};
pub use invitations::Invitations;
pub use plugins::PluginData;

/// Everything the gateway keeps.
pub trait Store:
    Directory
    + Invitations
    + Contacts
    + Conversations
    + EventLog
    + Delivery
    + PluginData
    + Files
    + Integrations
    + Send
    + Sync
{
    /// `Err` with the reason while writes fail (a full disk, a failed sync).
    fn write_health(&self) -> Result<(), String>;
}
