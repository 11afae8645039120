//! Contract `switchboard:channel@0.1.0` (frozen in `channel-plugins/wit/v0.1.0`), still served
//! beside the newest: its bindings, its host functions, and the translation of its values to
//! and from the newest contract's, which the rest of the gateway works with. What 0.1.0 lacks
//! (ticks, connect, signals, templates, reading a delivery's answer) the runtime answers for
//! it.

use wasmtime::Store;
use wasmtime::component::HasSelf;

use crate::call::CallState;
use crate::latest as new;

wasmtime::component::bindgen!({
    path: "../../channel-plugins/wit/v0.1.0",
    world: "channel-adapter",
});

pub use self::switchboard::channel::types;
use self::types as old;

/// The contract version these bindings implement.
pub const VERSION: &str = "0.1.0";

/// Adds this contract's host functions to a linker.
pub fn add_to_linker(linker: &mut wasmtime::component::Linker<CallState>) -> wasmtime::Result<()> {
    ChannelAdapter::add_to_linker::<CallState, HasSelf<CallState>>(linker, |state| state)
}

impl types::Host for CallState {}

impl switchboard::channel::host::Host for CallState {
    fn log(&mut self, level: old::Level, message: String) {
        let level: new::Level = level.convert();
        self.write_log(level.into(), &message);
    }

    fn setting(&mut self, name: String) -> Option<String> {
        self.granted_setting(&name)
    }

    fn secret(&mut self, name: String) -> Option<String> {
        self.granted_secret(&name)
    }

    fn fetch(&mut self, request: old::HttpRequest) -> Result<old::HttpResponse, old::Error> {
        self.granted_fetch(request.convert())
            .map(Convert::convert)
            .map_err(old::Error::Denied)
    }

    fn kv_get(&mut self, key: String) -> Option<Vec<u8>> {
        self.kv_read(&key)
    }

    fn kv_set(&mut self, key: String, value: Vec<u8>) {
        self.kv_write(key, value);
    }

    fn now_ms(&mut self) -> u64 {
        crate::call::now_ms()
    }
}

/// `inbound` of a 0.1.0 adapter: its events, and no answer of its own for the webhook.
pub fn inbound(
    pre: &ChannelAdapterPre<CallState>,
    store: &mut Store<CallState>,
    payload: &new::Transport,
) -> wasmtime::Result<Result<new::InboundResult, new::Error>> {
    let mut payload: old::Transport = payload.clone().convert();
    // 0.1.0 gave a webhook's query only, as `?a=b`.
    if let old::Transport::Webhook(request) = &mut payload {
        request.url = request
            .url
            .find('?')
            .map_or_else(String::new, |start| request.url[start..].to_string());
    }
    let adapter = pre.instantiate(&mut *store)?;
    let events = adapter
        .switchboard_channel_adapter()
        .call_inbound(store, &payload)?;
    Ok(events
        .map(|events| new::InboundResult {
            events: events.convert(),
            answer: None,
        })
        .map_err(Convert::convert))
}

/// `outbound` of a 0.1.0 adapter, which knows no templates.
pub fn outbound(
    pre: &ChannelAdapterPre<CallState>,
    store: &mut Store<CallState>,
    reply: &new::Reply,
) -> wasmtime::Result<Result<Vec<new::DeliveryAction>, new::Error>> {
    if reply.template.is_some() {
        return Ok(Err(new::Error::Unsupported(
            "the channel's plugin (contract 0.1.0) cannot send templates".into(),
        )));
    }
    let reply: old::Reply = reply.clone().convert();
    let adapter = pre.instantiate(&mut *store)?;
    let actions = adapter
        .switchboard_channel_adapter()
        .call_outbound(store, &reply)?;
    Ok(actions.map(Convert::convert).map_err(Convert::convert))
}

/// A value of one contract as the other's: the same record, field by field.
trait Convert<T> {
    fn convert(self) -> T;
}

macro_rules! as_is {
    ($($type:ty),*) => {
        $(impl Convert<$type> for $type {
            fn convert(self) -> $type {
                self
            }
        })*
    };
}
as_is!(String, bool, u8, u16, u64);

impl<A: Convert<B>, B> Convert<Vec<B>> for Vec<A> {
    fn convert(self) -> Vec<B> {
        self.into_iter().map(Convert::convert).collect()
    }
}

impl<A: Convert<B>, B> Convert<Option<B>> for Option<A> {
    fn convert(self) -> Option<B> {
        self.map(Convert::convert)
    }
}

/// Records and enums that are the same in both contracts, both ways.
macro_rules! same {
    ($($name:ident { $($field:ident),* })*) => {
        $(same!(@one old, new, $name { $($field),* });
        same!(@one new, old, $name { $($field),* });)*
    };
    (@one $from:ident, $to:ident, $name:ident { $($field:ident),* }) => {
        impl Convert<$to::$name> for $from::$name {
            fn convert(self) -> $to::$name {
                $to::$name { $($field: self.$field.convert()),* }
            }
        }
    };
}

same! {
    Identity { kind, value }
    Header { name, value }
    PayloadPart { start, end, encoding }
    Attachment { name, media_type, content, inline }
    Message {
        contact, message_id, references, in_reply_to, subject, text, quoted, html,
        attachments, sent_at_ms, auto_submitted, to, cc
    }
    DeliveryUpdate { message_id, state, reason }
    HttpRequest { method, url, headers, body }
    HttpResponse { status, headers, body }
    Envelope { mail_from, rcpt_to }
    RawEmail { envelope, source }
    WidgetEvent { visitor_id, kind, payload }
    ReplyContext { conversation_id, subject, thread, contact }
    OutgoingEmail { envelope, mime }
}

/// Variants whose cases `from` has all of in `to`, each with one value or none.
macro_rules! cases {
    ($from:ident => $to:ident, $name:ident { $($case:ident),* } { $($unit:ident),* }) => {
        impl Convert<$to::$name> for $from::$name {
            fn convert(self) -> $to::$name {
                match self {
                    $($from::$name::$case(value) => $to::$name::$case(value.convert()),)*
                    $($from::$name::$unit => $to::$name::$unit,)*
                }
            }
        }
    };
}

cases!(old => new, TransferEncoding {} { None, Base64, QuotedPrintable });
cases!(new => old, TransferEncoding {} { None, Base64, QuotedPrintable });
cases!(old => new, DeliveryState {} { Sent, Delivered, Read, Failed });
cases!(new => old, DeliveryState {} { Sent, Delivered, Read, Failed });
cases!(old => new, Level {} { Debug, Info, Warn, Error });
cases!(old => new, Transport { Webhook, Email, Widget } {});
cases!(new => old, Transport { Webhook, Email, Widget } {});
cases!(old => new, DeliveryAction { SendEmail, Http } {});
cases!(old => new, AttachmentContent { Bytes, Url, PayloadPart } {});
cases!(old => new, Error { Malformed, Unsupported, Denied, Provider, Internal } {});

impl Convert<new::Event> for old::Event {
    fn convert(self) -> new::Event {
        match self {
            old::Event::Message(message) => new::Event::Message(message.convert()),
            old::Event::Typing(identity) => new::Event::Typing(identity.convert()),
            old::Event::Read((identity, up_to)) => new::Event::Read((identity.convert(), up_to)),
            old::Event::Delivery(update) => new::Event::Delivery(update.convert()),
            old::Event::ContactUpdate(contact) => new::Event::ContactUpdate(contact.convert()),
        }
    }
}

/// The newest content as 0.1.0 has it; the host hands a reply's files over as bytes, so a
/// request (which only inbound messages carry) is passed on as its URL.
impl Convert<old::AttachmentContent> for new::AttachmentContent {
    fn convert(self) -> old::AttachmentContent {
        match self {
            new::AttachmentContent::Bytes(bytes) => old::AttachmentContent::Bytes(bytes),
            new::AttachmentContent::Url(url) => old::AttachmentContent::Url(url),
            new::AttachmentContent::PayloadPart(part) => {
                old::AttachmentContent::PayloadPart(part.convert())
            }
            new::AttachmentContent::Request(request) => old::AttachmentContent::Url(request.url),
        }
    }
}

/// A 0.1.0 contact tells no fields; the ones a reply's contact has stay with the host.
impl Convert<new::Contact> for old::Contact {
    fn convert(self) -> new::Contact {
        new::Contact {
            identity: self.identity.convert(),
            display_name: self.display_name,
            email: self.email,
            phone: self.phone,
            fields: Vec::new(),
        }
    }
}

impl Convert<old::Contact> for new::Contact {
    fn convert(self) -> old::Contact {
        old::Contact {
            identity: self.identity.convert(),
            display_name: self.display_name,
            email: self.email,
            phone: self.phone,
        }
    }
}

impl Convert<old::Reply> for new::Reply {
    fn convert(self) -> old::Reply {
        old::Reply {
            reply_id: self.reply_id,
            text: self.text,
            html: self.html,
            attachments: self.attachments.convert(),
            agent_name: self.agent_name,
            agent_signature: self.agent_signature,
            context: self.context.convert(),
        }
    }
}
