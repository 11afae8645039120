//! An agent's reply as Bot API calls: the text as one `sendMessage` (HTML parse mode, so the
//! text is escaped for it) answering the contact's newest message, and each file as a
//! `sendPhoto` or `sendDocument` upload; the only file of a short reply carries the text as its
//! caption instead.

use serde_json::{Value, json};
use switchboard_channel_sdk::{
    Attachment, AttachmentContent, DeliveryAction, Error, Header, HttpRequest, Reply, ReplyContext,
};

use crate::api::Bot;

/// The longest caption Telegram takes.
const MAX_CAPTION: usize = 1024;
/// The longest text of one message; a longer reply goes as several.
const MAX_TEXT: usize = 4096;
/// Separates the parts of an upload.
const BOUNDARY: &str = "switchboard-telegram-upload-7f3a9c";

pub fn reply(bot: &Bot, reply: &Reply) -> Result<Vec<DeliveryAction>, Error> {
    let chat_id = chat_id(&reply.context)?;
    let answering = answering(&reply.context);
    let text = reply.text.trim();
    let captioned = reply.attachments.len() == 1 && text.chars().count() <= MAX_CAPTION;
    let mut actions = Vec::new();
    if !text.is_empty() && !captioned {
        for (index, part) in pieces(text, MAX_TEXT).into_iter().enumerate() {
            let mut body = json!({
                "chat_id": chat_id,
                "text": escape_html(&part),
                "parse_mode": "HTML",
            });
            if let (0, Some(message_id)) = (index, answering) {
                body["reply_parameters"] =
                    json!({ "message_id": message_id, "allow_sending_without_reply": true });
            }
            actions.push(DeliveryAction::Http(bot.request("sendMessage", &body)));
        }
    }
    for attachment in &reply.attachments {
        let caption = (captioned && !text.is_empty()).then(|| escape_html(text));
        let answer_with = (actions.is_empty()).then_some(answering).flatten();
        actions.push(DeliveryAction::Http(upload(
            bot,
            chat_id,
            attachment,
            caption.as_deref(),
            answer_with,
        )?));
    }
    Ok(actions)
}

pub fn typing(bot: &Bot, context: &ReplyContext) -> Result<Vec<DeliveryAction>, Error> {
    let body = json!({ "chat_id": chat_id(context)?, "action": "typing" });
    Ok(vec![DeliveryAction::Http(
        bot.request("sendChatAction", &body),
    )])
}

fn chat_id(context: &ReplyContext) -> Result<i64, Error> {
    let identity = &context.contact.identity;
    if identity.kind != "telegram" {
        return Err(Error::Unsupported(format!(
            "the contact has no Telegram chat (only a {} identity)",
            identity.kind
        )));
    }
    identity
        .value
        .parse()
        .map_err(|_| Error::Internal(format!("{:?} is not a Telegram chat id", identity.value)))
}

/// The contact's newest message in the thread (`chat:message`), which the reply answers.
fn answering(context: &ReplyContext) -> Option<i64> {
    context
        .thread
        .last()
        .and_then(|id| id.rsplit_once(':'))
        .and_then(|(_, message)| message.parse().ok())
}

/// Text as Telegram's HTML parse mode reads it literally.
pub fn escape_html(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for character in text.chars() {
        match character {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            other => escaped.push(other),
        }
    }
    escaped
}

/// `text` in pieces of at most `limit` characters, cut at a line break or space when one is
/// near the end.
fn pieces(text: &str, limit: usize) -> Vec<String> {
    let mut pieces = Vec::new();
    let mut rest: Vec<char> = text.chars().collect();
    while rest.len() > limit {
        let window = &rest[..limit];
        let cut = window
            .iter()
            .rposition(|c| *c == '\n')
            .or_else(|| window.iter().rposition(|c| c.is_whitespace()))
            .filter(|at| *at > limit / 2)
            .map_or(limit, |at| at + 1);
        pieces.push(
            rest[..cut]
                .iter()
                .collect::<String>()
                .trim_end()
                .to_string(),
        );
        rest.drain(..cut);
    }
    pieces.push(rest.into_iter().collect());
    pieces
}

/// One file as a multipart upload: an image as a photo, anything else as a document.
fn upload(
    bot: &Bot,
    chat_id: i64,
    attachment: &Attachment,
    caption: Option<&str>,
    answering: Option<i64>,
) -> Result<HttpRequest, Error> {
    let AttachmentContent::Bytes(bytes) = &attachment.content else {
        return Err(Error::Internal(
            "the host hands a reply's files over as bytes".into(),
        ));
    };
    let photo = matches!(
        attachment.media_type.as_str(),
        "image/jpeg" | "image/png" | "image/webp"
    );
    let (method, field) = if photo {
        ("sendPhoto", "photo")
    } else {
        ("sendDocument", "document")
    };
    let mut fields: Vec<(&str, String)> = vec![("chat_id", chat_id.to_string())];
    if let Some(caption) = caption {
        fields.push(("caption", caption.to_string()));
        fields.push(("parse_mode", "HTML".into()));
    }
    if let Some(message_id) = answering {
        let parameters: Value =
            json!({ "message_id": message_id, "allow_sending_without_reply": true });
        fields.push(("reply_parameters", parameters.to_string()));
    }
    let mut body = Vec::with_capacity(bytes.len() + 1024);
    for (name, value) in fields {
        body.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    body.extend_from_slice(
        format!(
            "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"{}\"\r\nContent-Type: {}\r\n\r\n",
            file_name(&attachment.name),
            attachment.media_type
        )
        .as_bytes(),
    );
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    Ok(HttpRequest {
        method: "POST".into(),
        url: bot.method_url(method),
        headers: vec![Header {
            name: "content-type".into(),
            value: format!("multipart/form-data; boundary={BOUNDARY}"),
        }],
        body,
    })
}

/// A file name that cannot break out of its quoted header value.
fn file_name(name: &str) -> String {
    let cleaned: String = name
        .chars()
        .filter(|c| !matches!(c, '"' | '\\' | '\r' | '\n'))
        .collect();
    if cleaned.is_empty() {
        "file".into()
    } else {
        cleaned
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_is_escaped_and_long_text_is_cut_between_words() {
        assert_eq!(escape_html("a<b> & <i>"), "a&lt;b&gt; &amp; &lt;i&gt;");
        assert_eq!(
            pieces("uno dos tres cuatro", 12),
            vec!["uno dos", "tres cuatro"],
            "cut at the last space"
        );
        assert_eq!(
            pieces("abcdefghij klm", 6),
            vec!["abcdef", "ghij", "klm"],
            "a word longer than a piece is cut inside"
        );
    }
}
