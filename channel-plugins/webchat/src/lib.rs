//! The website chat adapter. The gateway's visitor API hands it what a visitor did in the
//! widget (`message`, `typing`, `read`, `identify`, each with a JSON payload); it answers with
//! normalized events. The visitor is the contact, known by the widget's visitor id (anonymous,
//! kept in the browser) or by the site's own user id once the site vouched for it.
//!
//! Replies need no delivery action: the gateway pushes them to the visitor's open widget.

use serde::Deserialize;
use switchboard_channel_sdk::{
    Adapter, Attachment, AttachmentContent, Contact, DeliveryAction, Error, Event, Identity,
    InboundResult, Message, Reply, Transport,
};

struct Webchat;

/// What the widget sends with a message.
#[derive(Deserialize)]
struct Said {
    /// The widget's own id for the message: sending it twice stores it once.
    client_id: String,
    #[serde(default)]
    text: String,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    attachments: Vec<Uploaded>,
}

/// A file the visitor uploaded to the gateway before sending.
#[derive(Deserialize)]
struct Uploaded {
    sha256: String,
    name: String,
    media_type: String,
}

#[derive(Deserialize)]
struct ReadUpTo {
    up_to: String,
}

fn malformed(what: &str, error: serde_json::Error) -> Error {
    Error::Malformed(format!("the widget's {what} is not valid: {error}"))
}

impl Adapter for Webchat {
    fn inbound(payload: Transport) -> Result<InboundResult, Error> {
        events(payload).map(Into::into)
    }

    fn outbound(_reply: Reply) -> Result<Vec<DeliveryAction>, Error> {
        Ok(Vec::new())
    }
}

switchboard_channel_sdk::export_adapter!(Webchat);

/// What a visitor did, as events.
fn events(payload: Transport) -> Result<Vec<Event>, Error> {
    let Transport::Widget(event) = payload else {
        return Err(Error::Unsupported(
            "the webchat channel takes widget events only".into(),
        ));
    };
    let visitor = Identity::new("webchat", &event.visitor_id);
    Ok(vec![match event.kind.as_str() {
        "message" => {
            let said: Said = serde_json::from_str(&event.payload)
                .map_err(|error| malformed("message", error))?;
            if said.client_id.is_empty() || said.client_id.len() > 100 {
                return Err(Error::Malformed(
                    "`client_id` must hold 1 to 100 bytes".into(),
                ));
            }
            if said.text.trim().is_empty() && said.attachments.is_empty() {
                return Err(Error::Malformed(
                    "the message has neither text nor files".into(),
                ));
            }
            let email = said
                .email
                .map(|email| email.trim().to_lowercase())
                .filter(|email| email.contains('@'));
            Event::Message(Message {
                contact: Contact {
                    identity: visitor,
                    display_name: said
                        .name
                        .map(|name| name.trim().to_string())
                        .filter(|name| !name.is_empty()),
                    email,
                    phone: None,
                    fields: Vec::new(),
                },
                message_id: said.client_id,
                references: Vec::new(),
                in_reply_to: None,
                subject: None,
                text: said.text.trim_end().to_string(),
                quoted: None,
                html: None,
                attachments: said
                    .attachments
                    .into_iter()
                    .map(|file| Attachment {
                        name: file.name,
                        media_type: file.media_type,
                        // Already stored by the gateway: named by its hash, not fetched.
                        content: AttachmentContent::Url(format!("blob:{}", file.sha256)),
                        inline: false,
                    })
                    .collect(),
                sent_at_ms: None,
                auto_submitted: false,
                to: Vec::new(),
                cc: Vec::new(),
            })
        }
        "typing" => Event::Typing(visitor),
        "read" => {
            let read: ReadUpTo = serde_json::from_str(&event.payload)
                .map_err(|error| malformed("read receipt", error))?;
            Event::Read((visitor, read.up_to))
        }
        other => {
            return Err(Error::Unsupported(format!(
                "the widget event `{other}` is not known"
            )));
        }
    }])
}
