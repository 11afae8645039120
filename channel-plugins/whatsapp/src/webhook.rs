//! Meta's webhook: the address check, the signature of every notification, and the messages
//! and statuses a notification carries.

use hmac::{Hmac, Mac};
use serde::Deserialize;
use sha2::Sha256;
use switchboard_channel_sdk::{
    Attachment, AttachmentContent, Contact, DeliveryState, DeliveryUpdate, Error, Event, Header,
    HttpRequest, HttpResponse, Identity, InboundResult, Message, header, within_text_limit,
};

use crate::graph::{self, Account};

pub fn read(request: &HttpRequest) -> Result<InboundResult, Error> {
    if request.method.eq_ignore_ascii_case("GET") {
        return verification(&request.url);
    }
    let signature = header(&request.headers, "x-hub-signature-256")
        .and_then(|value| value.strip_prefix("sha256="))
        .and_then(|hex| hex::decode(hex).ok())
        .ok_or_else(|| Error::Forged("the notification has no X-Hub-Signature-256".into()))?;
    let mut mac = Hmac::<Sha256>::new_from_slice(graph::app_secret()?.as_bytes())
        .map_err(|error| Error::Internal(error.to_string()))?;
    mac.update(&request.body);
    mac.verify_slice(&signature).map_err(|_| {
        Error::Forged("X-Hub-Signature-256 is not the app secret's signature of the body".into())
    })?;
    let notification: Notification = serde_json::from_slice(&request.body).map_err(|error| {
        Error::Malformed(format!("the body is not a WhatsApp notification: {error}"))
    })?;
    Ok(events(notification)?.into())
}

/// Meta's check of the address: the challenge back when the verify token is the channel's.
fn verification(url: &str) -> Result<InboundResult, Error> {
    let query = url
        .split_once('?')
        .map(|(_, query)| query)
        .unwrap_or_default();
    let value = |name: &str| {
        form_urlencoded::parse(query.as_bytes())
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.into_owned())
    };
    if value("hub.mode").as_deref() != Some("subscribe") {
        return Err(Error::Malformed(
            "a GET without `hub.mode=subscribe`".into(),
        ));
    }
    if value("hub.verify_token") != Some(graph::verify_token()?) {
        return Err(Error::Forged(
            "the verify token is not the channel's".into(),
        ));
    }
    Ok(InboundResult {
        events: Vec::new(),
        answer: Some(HttpResponse {
            status: 200,
            headers: vec![Header {
                name: "content-type".into(),
                value: "text/plain".into(),
            }],
            body: value("hub.challenge").unwrap_or_default().into_bytes(),
        }),
    })
}

#[derive(Deserialize)]
struct Notification {
    #[serde(default)]
    entry: Vec<Entry>,
}

#[derive(Deserialize)]
struct Entry {
    #[serde(default)]
    changes: Vec<Change>,
}

#[derive(Deserialize)]
struct Change {
    #[serde(default)]
    field: String,
    value: ChangeValue,
}

#[derive(Deserialize)]
struct ChangeValue {
    #[serde(default)]
    contacts: Vec<WaContact>,
    #[serde(default)]
    messages: Vec<WaMessage>,
    #[serde(default)]
    statuses: Vec<Status>,
}

#[derive(Deserialize)]
struct WaContact {
    wa_id: String,
    #[serde(default)]
    profile: Option<Profile>,
}

#[derive(Deserialize)]
struct Profile {
    #[serde(default)]
    name: Option<String>,
}

#[derive(Deserialize)]
struct WaMessage {
    id: String,
    from: String,
    #[serde(default)]
    timestamp: Option<String>,
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    context: Option<Context>,
    #[serde(default)]
    text: Option<Text>,
    #[serde(default)]
    image: Option<Media>,
    #[serde(default)]
    document: Option<Media>,
    #[serde(default)]
    audio: Option<Media>,
    #[serde(default)]
    video: Option<Media>,
    #[serde(default)]
    sticker: Option<Media>,
    #[serde(default)]
    location: Option<Location>,
    #[serde(default)]
    contacts: Vec<SharedContact>,
    #[serde(default)]
    interactive: Option<serde_json::Value>,
    #[serde(default)]
    button: Option<Button>,
    #[serde(default)]
    reaction: Option<Reaction>,
}

#[derive(Deserialize)]
struct Context {
    #[serde(default)]
    id: Option<String>,
}

#[derive(Deserialize)]
struct Text {
    body: String,
}

#[derive(Deserialize)]
struct Media {
    id: String,
    #[serde(default)]
    mime_type: Option<String>,
    #[serde(default)]
    caption: Option<String>,
    #[serde(default)]
    filename: Option<String>,
}

#[derive(Deserialize)]
struct Location {
    latitude: f64,
    longitude: f64,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    address: Option<String>,
}

#[derive(Deserialize)]
struct SharedContact {
    #[serde(default)]
    name: Option<ContactName>,
    #[serde(default)]
    phones: Vec<Phone>,
}

#[derive(Deserialize)]
struct ContactName {
    #[serde(default)]
    formatted_name: Option<String>,
}

#[derive(Deserialize)]
struct Phone {
    #[serde(default)]
    phone: Option<String>,
}

#[derive(Deserialize)]
struct Button {
    #[serde(default)]
    text: String,
}

#[derive(Deserialize)]
struct Reaction {
    #[serde(default)]
    message_id: Option<String>,
    #[serde(default)]
    emoji: Option<String>,
}

#[derive(Deserialize)]
struct Status {
    id: String,
    status: String,
    #[serde(default)]
    errors: Vec<StatusError>,
}

#[derive(Deserialize)]
struct StatusError {
    #[serde(default)]
    code: i64,
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    error_data: Option<StatusErrorData>,
}

#[derive(Deserialize)]
struct StatusErrorData {
    #[serde(default)]
    details: Option<String>,
}

fn events(notification: Notification) -> Result<Vec<Event>, Error> {
    let mut events = Vec::new();
    for change in notification
        .entry
        .into_iter()
        .flat_map(|entry| entry.changes)
        .filter(|change| change.field == "messages")
    {
        let value = change.value;
        for message in value.messages {
            let name = value
                .contacts
                .iter()
                .find(|contact| contact.wa_id == message.from)
                .and_then(|contact| contact.profile.as_ref())
                .and_then(|profile| profile.name.clone());
            if let Some(message) = normalize(message, name)? {
                events.push(Event::Message(message));
            }
        }
        for status in value.statuses {
            if let Some(update) = delivery(status) {
                events.push(Event::Delivery(update));
            }
        }
    }
    Ok(events)
}

/// A customer's message; `None` for one that says nothing to keep (a removed reaction).
fn normalize(message: WaMessage, name: Option<String>) -> Result<Option<Message>, Error> {
    let phone = format!("+{}", message.from.trim_start_matches('+'));
    let mut contact = Contact::known_as(Identity::new("phone", &phone));
    contact.display_name = name;
    contact.phone = Some(phone);
    let mut lines: Vec<String> = Vec::new();
    let mut attachments = Vec::new();
    let mut in_reply_to = message.context.and_then(|context| context.id);
    if let Some(text) = message.text {
        lines.push(text.body);
    }
    for (media, default_name, default_type) in [
        (message.image, "image.jpg", "image/jpeg"),
        (message.document, "document", "application/octet-stream"),
        (message.audio, "audio.ogg", "audio/ogg"),
        (message.video, "video.mp4", "video/mp4"),
        (message.sticker, "sticker.webp", "image/webp"),
    ] {
        let Some(media) = media else { continue };
        lines.extend(media.caption.clone());
        let name = media
            .filename
            .clone()
            .unwrap_or_else(|| default_name.into());
        match download(&media) {
            Ok(request) => attachments.push(Attachment {
                name,
                media_type: media
                    .mime_type
                    .clone()
                    .unwrap_or_else(|| default_type.into()),
                content: AttachmentContent::Request(request),
                inline: false,
            }),
            Err(reason) => lines.push(format!("📎 {name}: {reason}")),
        }
    }
    if let Some(location) = message.location {
        let place = [location.name, location.address]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" — ");
        if !place.is_empty() {
            lines.push(format!("📍 {place}"));
        }
        lines.push(format!(
            "https://www.openstreetmap.org/?mlat={lat}&mlon={lon}#map=17/{lat}/{lon}",
            lat = location.latitude,
            lon = location.longitude
        ));
    }
    for shared in message.contacts {
        let name = shared
            .name
            .and_then(|name| name.formatted_name)
            .unwrap_or_default();
        let phones: Vec<String> = shared
            .phones
            .into_iter()
            .filter_map(|phone| phone.phone)
            .collect();
        lines.push(
            format!("👤 {name} {}", phones.join(", "))
                .trim()
                .to_string(),
        );
    }
    if let Some(interactive) = message.interactive {
        let reply = &interactive[interactive["type"].as_str().unwrap_or_default()];
        lines.push(reply["title"].as_str().unwrap_or_default().to_string());
    }
    if let Some(button) = message.button {
        lines.push(button.text);
    }
    if let Some(reaction) = message.reaction {
        let Some(emoji) = reaction.emoji.filter(|emoji| !emoji.is_empty()) else {
            return Ok(None);
        };
        lines.push(emoji);
        in_reply_to = reaction.message_id;
    }
    if lines.is_empty() && attachments.is_empty() {
        lines.push(format!(
            "(a {} message, which WhatsApp does not show to businesses)",
            message.kind
        ));
    }
    let mut normalized = Message::text(contact, &message.id, &within_text_limit(lines.join("\n")));
    normalized.attachments = attachments;
    normalized.in_reply_to = in_reply_to;
    normalized.sent_at_ms = message
        .timestamp
        .and_then(|seconds| seconds.parse::<u64>().ok())
        .map(|seconds| seconds.saturating_mul(1000));
    Ok(Some(normalized))
}

/// The request that downloads a media file, once the Graph API said where it is.
fn download(media: &Media) -> Result<HttpRequest, String> {
    let account = Account::from_channel().map_err(|error| format!("{error:?}"))?;
    let found = account
        .call(&account.request("GET", &media.id, None))
        .map_err(|error| match error {
            Error::Provider(reason) | Error::Denied(reason) => reason,
            _ => "WhatsApp did not say where the file is".to_string(),
        })?;
    let url = found["url"]
        .as_str()
        .ok_or_else(|| "WhatsApp did not say where the file is".to_string())?;
    Ok(HttpRequest {
        method: "GET".into(),
        url: url.to_string(),
        headers: vec![account.authorization()],
        body: Vec::new(),
    })
}

fn delivery(status: Status) -> Option<DeliveryUpdate> {
    let state = match status.status.as_str() {
        "sent" => DeliveryState::Sent,
        "delivered" => DeliveryState::Delivered,
        "read" => DeliveryState::Read,
        "failed" => DeliveryState::Failed,
        _ => return None,
    };
    let reason = status.errors.into_iter().next().map(|error| {
        let words = error.message.or(error.title).unwrap_or_default();
        let details = error
            .error_data
            .and_then(|data| data.details)
            .map(|details| format!(" ({details})"))
            .unwrap_or_default();
        match graph::meaning(error.code) {
            Some(meaning) => format!("WhatsApp error {}: {words}{details}. {meaning}", error.code),
            None => format!("WhatsApp error {}: {words}{details}", error.code),
        }
    });
    Some(DeliveryUpdate {
        message_id: status.id,
        state,
        reason,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_status_says_what_its_code_means() {
        let update = delivery(Status {
            id: "wamid.1".into(),
            status: "failed".into(),
            errors: vec![StatusError {
                code: 131047,
                title: Some("Re-engagement message".into()),
                message: None,
                error_data: None,
            }],
        })
        .expect("an update");
        assert_eq!(update.state, DeliveryState::Failed);
        assert!(
            update
                .reason
                .is_some_and(|reason| reason.contains("24 hours"))
        );
    }
}
