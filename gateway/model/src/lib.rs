//! Switchboard's domain and wire types.
//!
//! Everything a client of the gateway sees (the console, the widget, an API consumer) is defined
//! here once, with serde, so that the gateway and its Wasm front ends agree on every field. This
//! crate does no I/O and builds for `wasm32` too. Storage layout lives in `switchboard-store`,
//! HTTP routes in `switchboard-api`.
//!
//! Conventions: ids are `u64` numbers unique across the whole gateway (an id from another
//! workspace is simply "not found"); times are Unix milliseconds (`*_at` fields).

mod api;
mod audit;
mod channel_form;
mod contact;
mod contact_import;
mod conversation;
mod directory;
pub mod email_ids;
mod event;
mod quotas;
pub mod reply_window;
mod routing;
mod settings;
pub mod sms;
pub mod text;
mod visitor;
mod webhook;

pub use api::*;
pub use audit::*;
pub use channel_form::*;
pub use contact::*;
pub use contact_import::*;
pub use conversation::*;
pub use directory::*;
pub use event::*;
pub use quotas::{Quota, QuotaUse};
pub use reply_window::{ChannelTemplate, ChannelTemplates};
pub use routing::*;
pub use settings::*;
pub use visitor::*;
pub use webhook::*;

/// A record id, unique across the gateway.
pub type Id = u64;
/// A position in the event log: ids only grow, so a client resumes "after" the last one it saw.
pub type EventId = u64;
/// Unix time in milliseconds.
pub type Millis = i64;

/// The languages Switchboard speaks: the console's, a plugin's form's texts, and those a
/// workspace may serve its customers in.
pub const LANGUAGES: [&str; 3] = ["en", "es", "pt-BR"];

/// Reads a field of a change that may be absent (left as it is), `null` (cleared) or a value:
/// `#[serde(default, deserialize_with = "nullable")]` on an `Option<Option<T>>`.
pub fn nullable<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    serde::Deserialize::deserialize(deserializer).map(Some)
}

/// The current time as Unix milliseconds.
pub fn now_millis() -> Millis {
    match std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH) {
        Ok(elapsed) => i64::try_from(elapsed.as_millis()).unwrap_or(i64::MAX),
        Err(_) => 0,
    }
}
