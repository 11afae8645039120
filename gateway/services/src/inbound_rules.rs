//! What the store takes as one inbound message, whoever wrote it: an integration through the
//! REST inbound route, or a channel's plugin. One set of bounds, each refusal naming the field,
//! so that a plugin cannot store what the API would refuse (empty or huge ids, a text of
//! millions of characters, thousands of contacts from one call).

use switchboard_model::InboundMessage;

/// Longest message text, in characters.
pub const MAX_TEXT_CHARS: usize = 50_000;
/// Messages one plugin call may hand over.
pub const MAX_MESSAGES_PER_CALL: usize = 100;
/// Longest external id or thread id, in bytes (an email header line's limit).
const MAX_ID_BYTES: usize = 998;
/// Longest identity kind and value, in bytes.
const MAX_KIND_BYTES: usize = 64;
const MAX_IDENTITY_BYTES: usize = 500;
/// Longest contact name, email address and phone number, in characters.
const MAX_NAME_CHARS: usize = 500;
const MAX_EMAIL_CHARS: usize = 320;
const MAX_PHONE_CHARS: usize = 64;
/// Longest conversation title, in characters.
const MAX_TITLE_CHARS: usize = 1_000;
/// Most thread ids and attachments a message names.
const MAX_THREAD_IDS: usize = 100;
const MAX_ATTACHMENTS: usize = 100;
/// Addresses one message was written to, or copied on.
const MAX_ADDRESSES: usize = 100;

/// Checks one message, naming the first field out of bounds.
pub fn check(message: &InboundMessage) -> Result<(), String> {
    let bytes = |field: &str, value: &str, max: usize| {
        if value.trim().is_empty() || value.len() > max {
            Err(format!("`{field}` must hold 1 to {max} bytes"))
        } else {
            Ok(())
        }
    };
    let at_most = |field: &str, value: Option<&str>, max: usize| match value {
        Some(value) if value.chars().count() > max => {
            Err(format!("`{field}` is longer than {max} characters"))
        }
        _ => Ok(()),
    };
    bytes("external_id", &message.external_id, MAX_ID_BYTES)?;
    let contact = &message.contact;
    bytes(
        "contact.identity.kind",
        &contact.identity.kind,
        MAX_KIND_BYTES,
    )?;
    bytes(
        "contact.identity.value",
        &contact.identity.value,
        MAX_IDENTITY_BYTES,
    )?;
    at_most("contact.name", contact.name.as_deref(), MAX_NAME_CHARS)?;
    at_most("contact.email", contact.email.as_deref(), MAX_EMAIL_CHARS)?;
    at_most("contact.phone", contact.phone.as_deref(), MAX_PHONE_CHARS)?;
    at_most("title", message.title.as_deref(), MAX_TITLE_CHARS)?;
    at_most("text", Some(&message.text), MAX_TEXT_CHARS)?;
    at_most("quoted", message.quoted.as_deref(), MAX_TEXT_CHARS)?;
    if message.text.trim().is_empty()
        && message.html.is_none()
        && message.attachments.is_empty()
        && message.left_out.is_empty()
    {
        return Err("`text` must not be empty (a message needs text, HTML or a file)".to_string());
    }
    if message
        .html
        .as_ref()
        .is_some_and(|html| html.len() > crate::ingest::MAX_HTML_BYTES)
    {
        return Err(format!(
            "`html` is larger than {} bytes",
            crate::ingest::MAX_HTML_BYTES
        ));
    }
    if message.thread.len() > MAX_THREAD_IDS {
        return Err(format!("`thread` names more than {MAX_THREAD_IDS} ids"));
    }
    if let Some(id) = message
        .thread
        .iter()
        .find(|id| id.is_empty() || id.len() > MAX_ID_BYTES)
    {
        return Err(format!(
            "`thread` holds an id of {} bytes; each must hold 1 to {MAX_ID_BYTES}",
            id.len()
        ));
    }
    for (field, addresses) in [("to", &message.to), ("cc", &message.cc)] {
        if addresses.len() > MAX_ADDRESSES {
            return Err(format!(
                "`{field}` names more than {MAX_ADDRESSES} addresses"
            ));
        }
        if let Some(address) = addresses
            .iter()
            .find(|address| address.is_empty() || address.chars().count() > MAX_EMAIL_CHARS)
        {
            return Err(format!(
                "`{field}` holds an address of {} characters; each must hold 1 to {MAX_EMAIL_CHARS}",
                address.chars().count()
            ));
        }
    }
    if message.attachments.len() > MAX_ATTACHMENTS {
        return Err(format!(
            "`attachments` holds more than {MAX_ATTACHMENTS} files"
        ));
    }
    if message.left_out.len() > MAX_ATTACHMENTS {
        return Err(format!(
            "`left_out` holds more than {MAX_ATTACHMENTS} files"
        ));
    }
    for file in &message.left_out {
        at_most("left_out.name", Some(&file.name), MAX_NAME_CHARS)?;
        at_most(
            "left_out.media_type",
            Some(&file.media_type),
            MAX_KIND_BYTES,
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use switchboard_model::{ContactRef, Identity};

    use super::*;

    fn message() -> InboundMessage {
        InboundMessage::text(
            ContactRef {
                identity: Identity::new("email", "ana@example.com"),
                name: Some("Ana".into()),
                email: None,
                phone: None,
                custom_fields: Default::default(),
            },
            "m-1",
            "Hola",
        )
    }

    #[test]
    fn each_bound_names_its_field() {
        assert_eq!(check(&message()), Ok(()));
        type Change = Box<dyn Fn(&mut InboundMessage)>;
        let cases: Vec<(&str, Change)> = vec![
            ("external_id", Box::new(|m| m.external_id = String::new())),
            (
                "external_id",
                Box::new(|m| m.external_id = "x".repeat(512 * 1024)),
            ),
            (
                "contact.identity.value",
                Box::new(|m| m.contact.identity.value = " ".into()),
            ),
            (
                "text",
                Box::new(|m| m.text = "x".repeat(MAX_TEXT_CHARS + 1)),
            ),
            ("text", Box::new(|m| m.text = String::new())),
            (
                "contact.name",
                Box::new(|m| m.contact.name = Some("n".repeat(501))),
            ),
            ("thread", Box::new(|m| m.thread = vec!["<a@b>".into(); 101])),
            ("cc", Box::new(|m| m.cc = vec!["a@b.test".into(); 101])),
            ("cc", Box::new(|m| m.cc = vec![String::new()])),
            ("to", Box::new(|m| m.to = vec!["a@b.test".into(); 101])),
            (
                "quoted",
                Box::new(|m| m.quoted = Some("x".repeat(MAX_TEXT_CHARS + 1))),
            ),
            (
                "left_out",
                Box::new(|m| {
                    m.left_out = vec![
                        switchboard_model::LeftOutFile {
                            name: "a.pdf".into(),
                            media_type: "application/pdf".into(),
                            size: None,
                            reason: switchboard_model::LeftOutReason::TooLarge,
                        };
                        101
                    ]
                }),
            ),
        ];
        for (field, change) in cases {
            let mut odd = message();
            change(&mut odd);
            let refused = check(&odd).expect_err(field);
            assert!(refused.contains(field), "{field}: {refused}");
        }
    }
}
