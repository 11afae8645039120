//! The store's traits (`crate::store`) on sled, one file per area: each step runs in the
//! writer, each read goes through the gate.

mod contacts;
mod conversations;
mod delivery;
mod directory;
mod events;
mod files;
mod integrations;
mod invitations;
mod plugins;
