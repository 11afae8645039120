//! The guest SDK for Switchboard channel adapters (contract `switchboard:channel@0.2.0`).
//!
//! An adapter implements [`Adapter`] (two functions; the others have defaults) and registers
//! itself with [`export_adapter!`]:
//!
//! ```ignore
//! use switchboard_channel_sdk::{Adapter, DeliveryAction, Error, InboundResult, Reply, Transport};
//!
//! struct MyChannel;
//!
//! impl Adapter for MyChannel {
//!     fn inbound(payload: Transport) -> Result<InboundResult, Error> { todo!() }
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
        path: "../wit/v0.2.0",
        world: "channel-adapter",
        pub_export_macro: true,
        default_bindings_module: "switchboard_channel_sdk::bindings",
        export_macro_name: "export_adapter",
    });
}

pub use bindings::export_adapter;
use bindings::exports::switchboard::channel::adapter::Guest;
pub use bindings::switchboard::channel::host;
pub use bindings::switchboard::channel::types::{
    AgentSignal, Attachment, AttachmentContent, Contact, ContactField, DeliveryAction,
    DeliveryState, DeliveryUpdate, Edit, Envelope, Error, Event, Header, HttpRequest, HttpResponse,
    Identity, InboundResult, Level, Message, OutgoingEmail, PayloadPart, RawEmail, Reachability,
    Refusal, Reply, ReplyContext, ResponseOutcome, RetryLater, Template, TemplateChoice,
    TransferEncoding, Transport, WidgetEvent,
};

/// The contract version this SDK builds adapters for.
pub const CONTRACT: &str = "0.2.0";

/// A channel adapter. `inbound` and `outbound` are its own; every other function has a
/// default that suits a channel without the feature.
pub trait Adapter {
    /// Turns a raw inbound payload into events (`Ok(events.into())`), with the webhook's
    /// answer when the provider expects one.
    fn inbound(payload: Transport) -> Result<InboundResult, Error>;

    /// Turns an agent's reply into delivery actions.
    fn outbound(reply: Reply) -> Result<Vec<DeliveryAction>, Error>;

    /// What the provider's answer to one of `outbound`'s requests meant. The default: a 2xx
    /// is sent (with no provider id), 429 and 5xx are tried again (after `Retry-After`
    /// seconds when given), anything else is refused with the start of the body.
    fn response(reply_id: String, response: HttpResponse) -> Result<ResponseOutcome, Error> {
        let _ = reply_id;
        Ok(read_response(&response))
    }

    /// Shows an agent's typing or reading to the contact. The default shows nothing.
    fn signal(signal: AgentSignal, context: ReplyContext) -> Result<Vec<DeliveryAction>, Error> {
        let _ = (signal, context);
        Ok(Vec::new())
    }

    /// The scheduled call, every `tick_seconds` of the manifest: payloads found by polling,
    /// each then handled as if it had arrived (through `inbound`). The default finds nothing.
    fn tick() -> Result<Vec<Transport>, Error> {
        Ok(Vec::new())
    }

    /// Checks the channel with its provider and registers `webhook_url`; returns a line naming
    /// the account. The default checks nothing and says so with an empty line.
    fn connect(webhook_url: Option<String>) -> Result<String, Error> {
        let _ = webhook_url;
        Ok(String::new())
    }

    /// The provider's approved templates. The default: none.
    fn templates() -> Result<Vec<Template>, Error> {
        Ok(Vec::new())
    }
}

impl<T: Adapter> Guest for T {
    fn inbound(payload: Transport) -> Result<InboundResult, Error> {
        <T as Adapter>::inbound(payload)
    }
    fn outbound(reply: Reply) -> Result<Vec<DeliveryAction>, Error> {
        <T as Adapter>::outbound(reply)
    }
    fn response(reply_id: String, response: HttpResponse) -> Result<ResponseOutcome, Error> {
        <T as Adapter>::response(reply_id, response)
    }
    fn signal(signal: AgentSignal, context: ReplyContext) -> Result<Vec<DeliveryAction>, Error> {
        <T as Adapter>::signal(signal, context)
    }
    fn tick() -> Result<Vec<Transport>, Error> {
        <T as Adapter>::tick()
    }
    fn connect(webhook_url: Option<String>) -> Result<String, Error> {
        <T as Adapter>::connect(webhook_url)
    }
    fn templates() -> Result<Vec<Template>, Error> {
        <T as Adapter>::templates()
    }
}

impl From<Vec<Event>> for InboundResult {
    fn from(events: Vec<Event>) -> InboundResult {
        InboundResult {
            events,
            answer: None,
        }
    }
}

/// The default reading of a provider's answer (see [`Adapter::response`]).
pub fn read_response(response: &HttpResponse) -> ResponseOutcome {
    match response.status {
        200..=299 => ResponseOutcome::Sent(None),
        429 | 500.. => ResponseOutcome::Retry(RetryLater {
            reason: format!("the provider answered {}", response.status),
            after_ms: header(&response.headers, "retry-after")
                .and_then(|seconds| seconds.trim().parse::<u64>().ok())
                .map(|seconds| seconds.saturating_mul(1000)),
        }),
        status => ResponseOutcome::Refused(Refusal {
            reason: format!(
                "the provider refused with {status}: {}",
                String::from_utf8_lossy(&response.body)
                    .chars()
                    .take(200)
                    .collect::<String>()
            ),
            unreachable: false,
        }),
    }
}

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
            fields: Vec::new(),
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
