//! An agent's reply as Cloud API messages: the text, each file uploaded to the business
//! number's media and sent by its id (the only file of a short reply carries the text as its
//! caption), or an approved template with its values; and read receipts.

use serde_json::{Value, json};
use switchboard_channel_sdk::{
    Attachment, AttachmentContent, DeliveryAction, Error, Header, HttpRequest, Reply,
};

use crate::graph::Account;

/// The longest text of one message.
const MAX_TEXT: usize = 4096;
/// The longest caption.
const MAX_CAPTION: usize = 1024;
/// Separates the parts of an upload.
const BOUNDARY: &str = "switchboard-whatsapp-upload-4be1d2";

pub fn reply(account: &Account, reply: &Reply) -> Result<Vec<DeliveryAction>, Error> {
    let to = recipient(reply)?;
    let send = |body: Value| {
        DeliveryAction::Http(account.request(
            "POST",
            &format!("{}/messages", account.phone_number_id),
            Some(&body),
        ))
    };
    let envelope = |kind: &str, content: Value| {
        json!({
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": to,
            "type": kind,
            kind: content,
        })
    };
    if let Some(template) = &reply.template {
        let parameters: Vec<Value> = template
            .values
            .iter()
            .map(|value| json!({ "type": "text", "text": value }))
            .collect();
        let mut content =
            json!({ "name": template.name, "language": { "code": template.language } });
        if !parameters.is_empty() {
            content["components"] = json!([{ "type": "body", "parameters": parameters }]);
        }
        return Ok(vec![send(envelope("template", content))]);
    }
    let text = reply.text.trim();
    let captioned = reply.attachments.len() == 1
        && text.chars().count() <= MAX_CAPTION
        && !reply.attachments[0].media_type.starts_with("audio/");
    let mut actions = Vec::new();
    if !text.is_empty() && !captioned {
        if text.chars().count() > MAX_TEXT {
            return Err(Error::Unsupported(format!(
                "WhatsApp takes at most {MAX_TEXT} characters in one message"
            )));
        }
        actions.push(send(envelope(
            "text",
            json!({ "preview_url": true, "body": text }),
        )));
    }
    for attachment in &reply.attachments {
        let id = upload(account, attachment)?;
        let kind = media_kind(&attachment.media_type);
        let mut content = json!({ "id": id });
        if captioned && !text.is_empty() && kind != "audio" {
            content["caption"] = json!(text);
        }
        if kind == "document" {
            content["filename"] = json!(attachment.name);
        }
        actions.push(send(envelope(kind, content)));
    }
    Ok(actions)
}

/// Marks the customer's messages read up to `message_id`.
pub fn read(account: &Account, message_id: &str) -> DeliveryAction {
    DeliveryAction::Http(account.request(
        "POST",
        &format!("{}/messages", account.phone_number_id),
        Some(
            &json!({ "messaging_product": "whatsapp", "status": "read", "message_id": message_id }),
        ),
    ))
}

/// The customer's WhatsApp id: their number without the `+`.
fn recipient(reply: &Reply) -> Result<String, Error> {
    let contact = &reply.context.contact;
    let number = match contact.identity.kind.as_str() {
        "phone" | "whatsapp" => Some(contact.identity.value.clone()),
        _ => contact.phone.clone(),
    }
    .ok_or_else(|| Error::Unsupported("the contact has no phone number for WhatsApp".into()))?;
    let digits: String = number.chars().filter(char::is_ascii_digit).collect();
    if digits.len() < 8 {
        return Err(Error::Unsupported(format!(
            "{number:?} is not a phone number"
        )));
    }
    Ok(digits)
}

/// The Cloud API's kind of message for a file.
fn media_kind(media_type: &str) -> &'static str {
    match media_type {
        "image/jpeg" | "image/png" => "image",
        "video/mp4" | "video/3gpp" => "video",
        "audio/aac" | "audio/mp4" | "audio/mpeg" | "audio/amr" | "audio/ogg" => "audio",
        "image/webp" => "sticker",
        _ => "document",
    }
}

/// Uploads a file to the business number's media; its id.
fn upload(account: &Account, attachment: &Attachment) -> Result<String, Error> {
    let AttachmentContent::Bytes(bytes) = &attachment.content else {
        return Err(Error::Internal(
            "the host hands a reply's files over as bytes".into(),
        ));
    };
    let name: String = attachment
        .name
        .chars()
        .filter(|c| !matches!(c, '"' | '\\' | '\r' | '\n'))
        .collect();
    let mut body = Vec::with_capacity(bytes.len() + 512);
    for (field, value) in [
        ("messaging_product", "whatsapp"),
        ("type", attachment.media_type.as_str()),
    ] {
        body.extend_from_slice(
            format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{field}\"\r\n\r\n{value}\r\n")
                .as_bytes(),
        );
    }
    body.extend_from_slice(
        format!(
            "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: {}\r\n\r\n",
            attachment.media_type
        )
        .as_bytes(),
    );
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    let request = HttpRequest {
        method: "POST".into(),
        url: account.url(&format!("{}/media", account.phone_number_id)),
        headers: vec![
            account.authorization(),
            Header {
                name: "content-type".into(),
                value: format!("multipart/form-data; boundary={BOUNDARY}"),
            },
        ],
        body,
    };
    let uploaded = account.call(&request)?;
    uploaded["id"]
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| Error::Provider("WhatsApp took the file but gave no id".into()))
}
