//! The template adapter: a generic JSON webhook channel, and the adapter to copy when writing a
//! new one.
//!
//! Inbound, the provider POSTs `{"id": "...", "from": {"id": "...", "name": "..."}, "text": "..."}`.
//! Outbound, a reply becomes a POST of `{"to": "...", "text": "...", "reply_id": "..."}` to the
//! channel's `reply_url` setting, with the `api_token` secret as a bearer token.

use serde::{Deserialize, Serialize};
use switchboard_channel_sdk::{
    Adapter, Contact, DeliveryAction, Error, Event, Header, HttpRequest, Identity, InboundResult,
    Message, Reply, Transport, header, host,
};

struct Template;

/// What the provider sends.
#[derive(Deserialize)]
struct Incoming {
    id: String,
    from: Sender,
    text: String,
}

#[derive(Deserialize)]
struct Sender {
    id: String,
    #[serde(default)]
    name: Option<String>,
}

/// What we send back.
#[derive(Serialize)]
struct Outgoing<'a> {
    to: &'a str,
    text: &'a str,
    reply_id: &'a str,
}

impl Adapter for Template {
    fn inbound(payload: Transport) -> Result<InboundResult, Error> {
        let Transport::Webhook(request) = payload else {
            return Err(Error::Unsupported(
                "this channel only takes webhooks".into(),
            ));
        };
        if header(&request.headers, "content-type")
            .is_some_and(|value| !value.starts_with("application/json"))
        {
            return Err(Error::Malformed("the webhook body must be JSON".into()));
        }
        let incoming: Incoming = serde_json::from_slice(&request.body).map_err(|error| {
            Error::Malformed(format!("the webhook body is not a message: {error}"))
        })?;
        let mut contact = Contact::known_as(Identity::new("external", &incoming.from.id));
        contact.display_name = incoming.from.name;
        Ok(vec![Event::Message(Message::text(
            contact,
            &incoming.id,
            &incoming.text,
        ))]
        .into())
    }

    fn outbound(reply: Reply) -> Result<Vec<DeliveryAction>, Error> {
        let url = host::setting("reply_url")
            .ok_or_else(|| Error::Denied("the channel has no `reply_url` setting".into()))?;
        let body = Outgoing {
            to: &reply.context.contact.identity.value,
            text: &reply.text,
            reply_id: &reply.reply_id,
        };
        let mut headers = vec![Header {
            name: "content-type".into(),
            value: "application/json".into(),
        }];
        if let Some(token) = host::secret("api_token") {
            headers.push(Header {
                name: "authorization".into(),
                value: format!("Bearer {token}"),
            });
        }
        let body = serde_json::to_vec(&body).map_err(|error| Error::Internal(error.to_string()))?;
        Ok(vec![DeliveryAction::Http(HttpRequest {
            method: "POST".into(),
            url,
            headers,
            body,
        })])
    }
}

switchboard_channel_sdk::export_adapter!(Template);
