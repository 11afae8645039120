//! A plugin of contract 0.1.0, as third parties built them before 0.2.0: bindings made from
//! the frozen `wit/v0.1.0` folder with `wit-bindgen` itself. Inbound, a webhook's body
//! `id|sender|text` is one message (the query string, which 0.1.0 hands over as `?a=b`, is
//! put after the text, so a test sees what the plugin was given); outbound, a reply is a POST
//! of `to|text` to the channel's `reply_url`.

wit_bindgen::generate!({
    path: "../wit/v0.1.0",
    world: "channel-adapter",
});

use exports::switchboard::channel::adapter::Guest;
use switchboard::channel::host;
use switchboard::channel::types::{
    Contact, DeliveryAction, Error, Event, HttpRequest, Identity, Message, Reply, Transport,
};

struct Legacy;

impl Guest for Legacy {
    fn inbound(payload: Transport) -> Result<Vec<Event>, Error> {
        let Transport::Webhook(request) = payload else {
            return Err(Error::Unsupported("webhooks only".into()));
        };
        let body = String::from_utf8_lossy(&request.body).into_owned();
        let mut fields = body.splitn(3, '|');
        let (Some(id), Some(sender), Some(text)) = (fields.next(), fields.next(), fields.next())
        else {
            return Err(Error::Malformed("the body is not `id|sender|text`".into()));
        };
        Ok(vec![Event::Message(Message {
            contact: Contact {
                identity: Identity {
                    kind: "external".into(),
                    value: sender.into(),
                },
                display_name: None,
                email: None,
                phone: None,
            },
            message_id: id.into(),
            references: Vec::new(),
            in_reply_to: None,
            subject: None,
            text: format!("{text}{}", request.url),
            quoted: None,
            html: None,
            attachments: Vec::new(),
            sent_at_ms: None,
            auto_submitted: false,
            to: Vec::new(),
            cc: Vec::new(),
        })])
    }

    fn outbound(reply: Reply) -> Result<Vec<DeliveryAction>, Error> {
        let url = host::setting("reply_url")
            .ok_or_else(|| Error::Denied("the channel has no `reply_url` setting".into()))?;
        Ok(vec![DeliveryAction::Http(HttpRequest {
            method: "POST".into(),
            url,
            headers: Vec::new(),
            body: format!("{}|{}", reply.context.contact.identity.value, reply.text).into_bytes(),
        })])
    }
}

export!(Legacy);
