//! Telegram updates as events: a message (with its files left for the host to download), an
//! edit, or a user blocking or unblocking the bot.

use serde::Deserialize;
use serde_json::json;
use switchboard_channel_sdk::{
    Attachment, AttachmentContent, Contact, ContactField, Edit, Error, Event, Identity, Message,
    Reachability, within_text_limit,
};

use crate::api::{self, Bot};

#[derive(Deserialize)]
struct Update {
    #[serde(default)]
    message: Option<TgMessage>,
    #[serde(default)]
    edited_message: Option<TgMessage>,
    #[serde(default)]
    my_chat_member: Option<MemberChange>,
}

#[derive(Deserialize)]
struct TgMessage {
    message_id: i64,
    #[serde(default)]
    from: Option<User>,
    chat: Chat,
    date: u64,
    #[serde(default)]
    text: Option<String>,
    #[serde(default)]
    caption: Option<String>,
    #[serde(default)]
    photo: Vec<FileRef>,
    #[serde(default)]
    document: Option<FileRef>,
    #[serde(default)]
    voice: Option<FileRef>,
    #[serde(default)]
    audio: Option<FileRef>,
    #[serde(default)]
    video: Option<FileRef>,
    #[serde(default)]
    video_note: Option<FileRef>,
    #[serde(default)]
    animation: Option<FileRef>,
    #[serde(default)]
    sticker: Option<Sticker>,
    #[serde(default)]
    location: Option<Location>,
    #[serde(default)]
    venue: Option<Venue>,
    #[serde(default)]
    contact: Option<SharedContact>,
    #[serde(default)]
    reply_to_message: Option<Box<Replied>>,
}

#[derive(Deserialize)]
struct Replied {
    message_id: i64,
}

#[derive(Deserialize)]
struct User {
    id: i64,
    #[serde(default)]
    first_name: String,
    #[serde(default)]
    last_name: Option<String>,
    #[serde(default)]
    username: Option<String>,
}

#[derive(Deserialize)]
struct Chat {
    id: i64,
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    title: Option<String>,
}

/// Any file Telegram keeps: a photo size, a document, a voice note...
#[derive(Deserialize)]
struct FileRef {
    file_id: String,
    #[serde(default)]
    file_size: Option<u64>,
    #[serde(default)]
    file_name: Option<String>,
    #[serde(default)]
    mime_type: Option<String>,
}

#[derive(Deserialize)]
struct Sticker {
    file_id: String,
    #[serde(default)]
    emoji: Option<String>,
    #[serde(default)]
    is_animated: bool,
    #[serde(default)]
    is_video: bool,
    #[serde(default)]
    thumbnail: Option<FileRef>,
}

#[derive(Deserialize)]
struct Location {
    latitude: f64,
    longitude: f64,
}

#[derive(Deserialize)]
struct Venue {
    location: Location,
    title: String,
    address: String,
}

#[derive(Deserialize)]
struct SharedContact {
    phone_number: String,
    first_name: String,
    #[serde(default)]
    last_name: Option<String>,
    #[serde(default)]
    user_id: Option<i64>,
}

#[derive(Deserialize)]
struct MemberChange {
    chat: Chat,
    new_chat_member: Member,
}

#[derive(Deserialize)]
struct Member {
    status: String,
}

/// Files a bot may download through the Bot API: larger ones are refused by `getFile`.
const BOT_DOWNLOAD_LIMIT: u64 = 20 * 1024 * 1024;

pub fn events(bot: &Bot, body: &[u8]) -> Result<Vec<Event>, Error> {
    let update: Update = serde_json::from_slice(body)
        .map_err(|error| Error::Malformed(format!("the body is not a Telegram update: {error}")))?;
    if let Some(change) = update.my_chat_member {
        return Ok(reachability(change).into_iter().collect());
    }
    if let Some(edited) = update.edited_message {
        if !taken(&edited.chat) {
            return Ok(Vec::new());
        }
        let text = edited.text.or(edited.caption).unwrap_or_default();
        return Ok(vec![Event::Edited(Edit {
            contact: identity(&edited.chat),
            message_id: message_id(&edited.chat, edited.message_id),
            text: within_text_limit(text),
        })]);
    }
    let Some(message) = update.message else {
        // Updates this channel did not ask for (a poll, a channel post): nothing to take in.
        return Ok(Vec::new());
    };
    if !taken(&message.chat) {
        return Ok(Vec::new());
    }
    Ok(vec![Event::Message(normalize(bot, message))])
}

/// Private chats always; groups when the channel takes them.
fn taken(chat: &Chat) -> bool {
    chat.kind == "private"
        || (matches!(chat.kind.as_str(), "group" | "supergroup") && api::groups())
}

fn identity(chat: &Chat) -> Identity {
    Identity::new("telegram", &chat.id.to_string())
}

/// A message's id as the channel stores it: Telegram numbers messages per chat.
fn message_id(chat: &Chat, id: i64) -> String {
    format!("{}:{id}", chat.id)
}

/// The contact's custom field that keeps the payload of the deep link (`t.me/bot?start=…`)
/// they last came through: a campaign, a product, an order number.
const START_FIELD: &str = "telegram_start";

/// The deep-link payload of a `/start` command (`/start summer-sale`, or `/start@our_bot
/// summer-sale` in a group): Telegram allows up to 64 letters, digits, `_` and `-`.
fn start_payload(text: &str) -> Option<&str> {
    let (command, payload) = text.trim().split_once(char::is_whitespace)?;
    let command = command.split('@').next()?;
    let payload = payload.trim();
    let allowed = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '-';
    (command == "/start" && (1..=64).contains(&payload.len()) && payload.chars().all(allowed))
        .then_some(payload)
}

fn normalize(bot: &Bot, message: TgMessage) -> Message {
    let mut contact = Contact::known_as(identity(&message.chat));
    contact.display_name = match (&message.chat.title, &message.from) {
        (Some(title), _) => Some(title.clone()),
        (None, Some(user)) => Some(full_name(&user.first_name, user.last_name.as_deref()))
            .filter(|name| !name.is_empty())
            .or_else(|| {
                user.username
                    .as_ref()
                    .map(|username| format!("@{username}"))
            }),
        (None, None) => None,
    };
    if let Some(payload) = message.text.as_deref().and_then(start_payload) {
        contact.fields.push(ContactField {
            name: START_FIELD.into(),
            value: payload.into(),
        });
    }
    let mut lines: Vec<String> = message
        .text
        .iter()
        .chain(&message.caption)
        .cloned()
        .collect();
    let mut files: Vec<(FileRef, String, &str)> = Vec::new();
    if let Some(largest) = message
        .photo
        .into_iter()
        .max_by_key(|size| size.file_size.unwrap_or(0))
    {
        files.push((largest, "photo.jpg".into(), "image/jpeg"));
    }
    for (file, default_name, default_type) in [
        (message.document, "document", "application/octet-stream"),
        (message.voice, "voice.ogg", "audio/ogg"),
        (message.audio, "audio.mp3", "audio/mpeg"),
        (message.video, "video.mp4", "video/mp4"),
        (message.video_note, "video-note.mp4", "video/mp4"),
        (message.animation, "animation.mp4", "video/mp4"),
    ] {
        if let Some(file) = file {
            let name = file
                .file_name
                .clone()
                .unwrap_or_else(|| default_name.into());
            files.push((file, name, default_type));
        }
    }
    if let Some(sticker) = message.sticker {
        lines.extend(sticker.emoji.clone());
        // Animated and video stickers are shown by their still thumbnail.
        let still = if sticker.is_animated || sticker.is_video {
            sticker.thumbnail
        } else {
            Some(FileRef {
                file_id: sticker.file_id,
                file_size: None,
                file_name: None,
                mime_type: Some("image/webp".into()),
            })
        };
        if let Some(still) = still {
            let media_type = if still.mime_type.is_some() {
                "image/webp"
            } else {
                "image/jpeg"
            };
            files.push((still, "sticker.webp".into(), media_type));
        }
    }
    if let Some(venue) = message.venue {
        lines.push(format!("📍 {} — {}", venue.title, venue.address));
        lines.push(map_link(&venue.location));
    } else if let Some(location) = message.location {
        lines.push(format!("📍 {}", map_link(&location)));
    }
    if let Some(shared) = message.contact {
        lines.push(format!(
            "👤 {} {}",
            full_name(&shared.first_name, shared.last_name.as_deref()),
            shared.phone_number
        ));
        // The user shared their own number: it is the contact's.
        if shared.user_id.is_some() && shared.user_id == message.from.as_ref().map(|user| user.id) {
            contact.phone = Some(shared.phone_number);
        }
    }
    let mut attachments = Vec::new();
    for (file, name, default_type) in files {
        match download(bot, &file) {
            Ok(request) => attachments.push(Attachment {
                name,
                media_type: file
                    .mime_type
                    .clone()
                    .unwrap_or_else(|| default_type.into()),
                content: AttachmentContent::Request(request),
                inline: false,
            }),
            Err(note) => lines.push(format!("📎 {name}: {note}")),
        }
    }
    let chat_message_id = message_id(&message.chat, message.message_id);
    let mut normalized = Message::text(
        contact,
        &chat_message_id,
        &within_text_limit(lines.join("\n")),
    );
    normalized.attachments = attachments;
    normalized.sent_at_ms = Some(message.date.saturating_mul(1000));
    normalized.in_reply_to = message
        .reply_to_message
        .map(|replied| message_id(&message.chat, replied.message_id));
    normalized
}

/// The request that downloads a file, once `getFile` said where it is; or why it cannot be.
fn download(bot: &Bot, file: &FileRef) -> Result<switchboard_channel_sdk::HttpRequest, String> {
    if file.file_size.is_some_and(|size| size > BOT_DOWNLOAD_LIMIT) {
        return Err("Telegram does not let bots download files over 20 MB".into());
    }
    let found = bot
        .call("getFile", &json!({ "file_id": file.file_id }))
        .map_err(|error| match error {
            Error::Provider(reason) if reason.contains("too big") => {
                "Telegram does not let bots download files over 20 MB".to_string()
            }
            Error::Provider(reason) | Error::Denied(reason) => reason,
            _ => "Telegram did not say where the file is".to_string(),
        })?;
    let path = found["file_path"]
        .as_str()
        .ok_or_else(|| "Telegram did not say where the file is".to_string())?;
    Ok(switchboard_channel_sdk::HttpRequest {
        method: "GET".into(),
        url: bot.file_url(path),
        headers: Vec::new(),
        body: Vec::new(),
    })
}

fn reachability(change: MemberChange) -> Option<Event> {
    if change.chat.kind != "private" {
        return None;
    }
    let reachable = match change.new_chat_member.status.as_str() {
        "kicked" => false,
        "member" => true,
        _ => return None,
    };
    Some(Event::Reachability(Reachability {
        contact: identity(&change.chat),
        reachable,
        reason: Some(if reachable {
            "the contact started the bot again".into()
        } else {
            "Telegram: the contact blocked the bot".into()
        }),
    }))
}

fn full_name(first: &str, last: Option<&str>) -> String {
    match last {
        Some(last) if !last.is_empty() => format!("{first} {last}"),
        _ => first.to_string(),
    }
}

fn map_link(location: &Location) -> String {
    format!(
        "https://www.openstreetmap.org/?mlat={lat}&mlon={lon}#map=17/{lat}/{lon}",
        lat = location.latitude,
        lon = location.longitude
    )
}

#[cfg(test)]
mod tests {
    use super::start_payload;

    #[test]
    fn a_deep_link_s_payload_is_read_from_the_start_command() {
        assert_eq!(
            start_payload("/start summer-sale_2026"),
            Some("summer-sale_2026")
        );
        assert_eq!(
            start_payload("/start@acme_bot order-1234"),
            Some("order-1234")
        );
        assert_eq!(start_payload("/start"), None, "no link, no payload");
        assert_eq!(start_payload("/help topic"), None);
        assert_eq!(
            start_payload("/start <script>"),
            None,
            "not what Telegram sends"
        );
        assert_eq!(start_payload(&format!("/start {}", "a".repeat(65))), None);
    }
}
