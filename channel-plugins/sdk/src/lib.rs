//! The guest SDK for Switchboard channel adapters (contract `switchboard:channel@0.1.0`).
//!
//! An adapter implements [`Adapter`] and registers itself with [`export_adapter!`]:
//!
//! ```ignore
//! use switchboard_channel_sdk::{Adapter, Error, Event, Reply, DeliveryAction, Transport};
//!
//! struct MyChannel;
//!
//! impl Adapter for MyChannel {
//!     fn inbound(payload: Transport) -> Result<Vec<Event>, Error> { todo!() }
//!     fn outbound(reply: Reply) -> Result<Vec<DeliveryAction>, Error> { todo!() }
//! }
//!
//! switchboard_channel_sdk::export_adapter!(MyChannel);
//! ```
//!
//! The adapter does no I/O: [`host`] asks the gateway for settings, secrets, HTTP requests to
//! allowed hosts, a small key-value store and the time. See the README beside this crate.

#[doc(hidden)]
pub mod bindings {
    wit_bindgen::generate!({
        path: "../wit/v0.1.0",
        world: "channel-adapter",
        pub_export_macro: true,
        default_bindings_module: "switchboard_channel_sdk::bindings",
        export_macro_name: "export_adapter",
    });
}

pub use bindings::export_adapter;
pub use bindings::exports::switchboard::channel::adapter::Guest as Adapter;
pub use bindings::switchboard::channel::host;
pub use bindings::switchboard::channel::types::{
    Attachment, AttachmentContent, Contact, DeliveryAction, DeliveryState, DeliveryUpdate,
    Envelope, Error, Event, Header, HttpRequest, HttpResponse, Identity, Level, Message,
    OutgoingEmail, PayloadPart, RawEmail, Reply, ReplyContext, TransferEncoding, Transport,
    WidgetEvent,
};

/// The contract version this SDK builds adapters for.
pub const CONTRACT: &str = "0.1.0";

/// The longest `text` (and `quoted`) of a message the gateway takes, in characters; a message
/// over it is refused whole.
pub const MAX_TEXT_CHARS: usize = 50_000;

/// `text` cut to [`MAX_TEXT_CHARS`], ending in "…" when it was cut: for an adapter that keeps
/// the full text elsewhere (an email's original) and would rather deliver the start of a huge
/// message than have it refused.
pub fn within_text_limit(text: String) -> String {
    let mut starts = text.char_indices().map(|(at, _)| at);
    match (starts.nth(MAX_TEXT_CHARS - 1), starts.next()) {
        (Some(cut), Some(_)) => format!("{}…", &text[..cut]),
        _ => text,
    }
}

impl Identity {
    pub fn new(kind: &str, value: &str) -> Identity {
        Identity {
            kind: kind.to_string(),
            value: value.to_string(),
        }
    }
}

impl Contact {
    /// A contact known only by one identity.
    pub fn known_as(identity: Identity) -> Contact {
        Contact {
            identity,
            display_name: None,
            email: None,
            phone: None,
        }
    }
}

impl Message {
    /// A plain-text message with no threading, subject or attachments.
    pub fn text(contact: Contact, message_id: &str, text: &str) -> Message {
        Message {
            contact,
            message_id: message_id.to_string(),
            references: Vec::new(),
            in_reply_to: None,
            subject: None,
            text: text.to_string(),
            quoted: None,
            html: None,
            attachments: Vec::new(),
            sent_at_ms: None,
            auto_submitted: false,
            to: Vec::new(),
            cc: Vec::new(),
        }
    }
}

/// The value of the first header called `name` (case-insensitive).
pub fn header<'a>(headers: &'a [Header], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|header| header.name.eq_ignore_ascii_case(name))
        .map(|header| header.value.as_str())
}

/// Logs at info level through the gateway.
pub fn info(message: &str) {
    host::log(Level::Info, message);
}

/// Logs a warning through the gateway.
pub fn warn(message: &str) {
    host::log(Level::Warn, message);
}
