//! What ingest keeps of a payload it could not process (a dead letter's payload) and reads back
//! to replay it: the plugin's transport (a webhook, an email, a widget event) as stored.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};
use switchboard_plugins::latest::{
    Envelope, Header, HttpRequest, RawEmail, Transport, WidgetEvent,
};

/// A payload as it is kept, so that it can be processed again exactly.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "transport", rename_all = "snake_case")]
pub enum StoredPayload {
    Webhook(StoredWebhook),
    Email(StoredEmail),
    Widget(StoredWidgetEvent),
}

/// Something a visitor did in the chat widget.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StoredWidgetEvent {
    pub visitor_id: String,
    /// `message`, `typing`, `read` or `identify`.
    pub kind: String,
    /// The event as JSON.
    pub payload: String,
}

/// A webhook request.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StoredWebhook {
    pub method: String,
    /// The query string, if any, as `?a=b`; the path (which holds the secret) is not kept.
    pub query: String,
    pub headers: Vec<(String, String)>,
    pub body_base64: String,
}

/// An email with its envelope.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StoredEmail {
    pub mail_from: String,
    pub rcpt_to: Vec<String>,
    pub source_base64: String,
}

impl StoredPayload {
    /// The payload as the plugin is given it; a webhook's URL is `webhook_url` and the query.
    pub(super) fn transport(&self, webhook_url: &str) -> Result<Transport, String> {
        let decode = |text: &str| {
            STANDARD
                .decode(text)
                .map_err(|error| format!("the kept payload is not base64: {error}"))
        };
        Ok(match self {
            StoredPayload::Webhook(webhook) => Transport::Webhook(HttpRequest {
                method: webhook.method.clone(),
                url: format!("{webhook_url}{}", webhook.query),
                headers: webhook
                    .headers
                    .iter()
                    .map(|(name, value)| Header {
                        name: name.clone(),
                        value: value.clone(),
                    })
                    .collect(),
                body: decode(&webhook.body_base64)?,
            }),
            StoredPayload::Widget(event) => Transport::Widget(WidgetEvent {
                visitor_id: event.visitor_id.clone(),
                kind: event.kind.clone(),
                payload: event.payload.clone(),
            }),
            StoredPayload::Email(email) => Transport::Email(RawEmail {
                envelope: Envelope {
                    mail_from: email.mail_from.clone(),
                    rcpt_to: email.rcpt_to.clone(),
                },
                source: decode(&email.source_base64)?,
            }),
        })
    }
}

impl From<Transport> for StoredPayload {
    /// A payload as it is kept; a webhook keeps its query, not its address.
    fn from(transport: Transport) -> StoredPayload {
        match transport {
            Transport::Webhook(request) => StoredPayload::Webhook(StoredWebhook {
                method: request.method,
                query: request
                    .url
                    .find('?')
                    .map_or_else(String::new, |start| request.url[start..].to_string()),
                headers: request
                    .headers
                    .into_iter()
                    .map(|header| (header.name, header.value))
                    .collect(),
                body_base64: STANDARD.encode(&request.body),
            }),
            Transport::Email(email) => StoredPayload::Email(StoredEmail {
                mail_from: email.envelope.mail_from,
                rcpt_to: email.envelope.rcpt_to,
                source_base64: STANDARD.encode(&email.source),
            }),
            Transport::Widget(event) => StoredPayload::Widget(StoredWidgetEvent {
                visitor_id: event.visitor_id,
                kind: event.kind,
                payload: event.payload,
            }),
        }
    }
}
