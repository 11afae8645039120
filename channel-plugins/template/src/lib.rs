//! The template adapter: a generic JSON webhook channel, and the adapter to copy when writing a
//! new one.
//!
//! Inbound, the provider POSTs `{"id": "...", "from": {"id": "...", "name": "..."}, "text": "..."}`
//! for a contact's message, or `{"status": {"message_id": "...", "state": "delivered"}}` (`sent`,
//! `delivered`, `read` or `failed`, with an optional `reason`) about one of ours.
//! Outbound, a reply becomes a POST of `{"to": "...", "text": "...", "reply_id": "..."}` to the
//! channel's `reply_url` setting, with the `api_token` secret as a bearer token; the provider's
//! answer `{"id": "..."}` names the message, as its status reports will.

use serde::{Deserialize, Serialize};
use switchboard_channel_sdk::{
    Adapter, Contact, DeliveryAction, DeliveryState, DeliveryUpdate, Error, Event, Header,
    HttpRequest, HttpResponse, Identity, InboundResult, Message, Reply, ResponseOutcome, Transport,
    header, host, read_response,
};

struct Template;

/// What the provider sends: a contact's message, or a status report about one of ours.
#[derive(Deserialize)]
#[serde(untagged)]
enum Incoming {
    Status {
        status: Status,
    },
    Message {
        id: String,
        from: Sender,
        text: String,
    },
}

#[derive(Deserialize)]
struct Status {
    message_id: String,
    state: State,
    #[serde(default)]
    reason: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "lowercase")]
enum State {
    Sent,
    Delivered,
    Read,
    Failed,
}

/// The provider's answer to a reply: its id of the message.
#[derive(Deserialize)]
struct Taken {
    id: String,
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
            Error::Malformed(format!(
                "the webhook body is neither a message nor a status: {error}"
            ))
        })?;
        let event = match incoming {
            Incoming::Message { id, from, text } => {
                let mut contact = Contact::known_as(Identity::new("external", &from.id));
                contact.display_name = from.name;
                Event::Message(Message::text(contact, &id, &text))
            }
            Incoming::Status { status } => Event::Delivery(DeliveryUpdate {
                message_id: status.message_id,
                state: match status.state {
                    State::Sent => DeliveryState::Sent,
                    State::Delivered => DeliveryState::Delivered,
                    State::Read => DeliveryState::Read,
                    State::Failed => DeliveryState::Failed,
                },
                reason: status.reason,
            }),
        };
        Ok(vec![event].into())
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

    fn response(_reply_id: String, response: HttpResponse) -> Result<ResponseOutcome, Error> {
        Ok(match read_response(&response) {
            ResponseOutcome::Sent(None) => ResponseOutcome::Sent(
                serde_json::from_slice::<Taken>(&response.body)
                    .ok()
                    .map(|taken| taken.id),
            ),
            other => other,
        })
    }
}

switchboard_channel_sdk::export_adapter!(Template);
