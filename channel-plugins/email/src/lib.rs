//! The email channel adapter (inbound). An RFC 5322 message, in any charset and transfer
//! encoding, becomes one normalized message: the sender as the contact, the subject as the
//! title, the reply text without quoted history or signature, the HTML body, the attachments as
//! parts of the source (which the host decodes and keeps, so that a large file does not travel
//! back through the adapter's output), the threading ids, and a flag for auto-replies, bounces and list mail.
//!
//! Outbound, an agent's reply becomes one MIME message to the contact only (the CC list is
//! never replied to): From the channel's reply name and address, "Re: subject", threading
//! headers, a Message-ID and Reply-To that carry the conversation, the agent's signature, the
//! channel footer and the default branding (which an admin can hide).

mod reply_mime;
mod reply_text;

use mail_parser::{Address, Encoding, HeaderValue, MessageParser, MimeHeaders};
use switchboard_channel_sdk::{
    Adapter, Attachment, AttachmentContent, Contact, DeliveryAction, DeliveryState, DeliveryUpdate,
    Error, Event, Identity, InboundResult, Message, PayloadPart, RawEmail, Reply, TransferEncoding,
    Transport, within_text_limit,
};
use switchboard_model::email_ids;

struct Email;

impl Adapter for Email {
    fn inbound(payload: Transport) -> Result<InboundResult, Error> {
        let Transport::Email(email) = payload else {
            return Err(Error::Unsupported(
                "the email channel takes emails only".into(),
            ));
        };
        if let Some(update) = bounce_of_ours(&email.source) {
            return Ok(vec![Event::Delivery(update)].into());
        }
        Ok(vec![Event::Message(normalize(&email)?)].into())
    }

    fn outbound(reply: Reply) -> Result<Vec<DeliveryAction>, Error> {
        Ok(vec![DeliveryAction::SendEmail(reply_mime::build(&reply)?)])
    }
}

switchboard_channel_sdk::export_adapter!(Email);

fn normalize(email: &RawEmail) -> Result<Message, Error> {
    let parsed = MessageParser::default()
        .parse(&email.source)
        .filter(looks_like_mail)
        .ok_or_else(|| Error::Malformed("the payload is not an RFC 5322 email".into()))?;
    let contact = sender(&parsed).unwrap_or_else(|| unknown_sender(&parsed, &email.source));
    let full_text = parsed
        .body_text(0)
        .map(|text| text.into_owned())
        .unwrap_or_default();
    let full_text = if full_text.contains(char::REPLACEMENT_CHARACTER) {
        salvaged_text(&parsed).unwrap_or(full_text)
    } else {
        full_text
    };
    let attachments = parsed
        .attachments()
        .map(|part| {
            let media_type = part.content_type().map_or_else(
                || "application/octet-stream".to_string(),
                |kind| {
                    format!(
                        "{}/{}",
                        kind.ctype(),
                        kind.subtype().unwrap_or("octet-stream")
                    )
                },
            );
            Attachment {
                name: part.attachment_name().unwrap_or("attachment").to_string(),
                media_type,
                content: AttachmentContent::PayloadPart(PayloadPart {
                    start: u64::from(part.offset_body),
                    end: u64::from(part.offset_end),
                    encoding: match part.encoding {
                        Encoding::None => TransferEncoding::None,
                        Encoding::QuotedPrintable => TransferEncoding::QuotedPrintable,
                        Encoding::Base64 => TransferEncoding::Base64,
                    },
                }),
                inline: part
                    .content_disposition()
                    .is_some_and(|disposition| disposition.is_inline())
                    || part.content_id().is_some(),
            }
        })
        .collect();
    let body = reply_text::split(&full_text);
    Ok(Message {
        contact,
        message_id: parsed
            .message_id()
            .map_or_else(|| synthetic_id(&email.source), |id| format!("<{id}>")),
        references: [
            ids(parsed.references()),
            plus_address_threads(email, &parsed),
        ]
        .concat(),
        in_reply_to: ids(parsed.in_reply_to()).pop(),
        subject: parsed
            .subject()
            .map(|subject| subject.trim().to_string())
            .filter(|subject| !subject.is_empty()),
        // The whole of a huge body stays in the original the gateway keeps.
        text: within_text_limit(body.reply),
        quoted: body.quoted.map(within_text_limit),
        // Only mail that carried HTML: a plain text mail's HTML rendering would show the
        // quoted history that `text` leaves out.
        html: parsed
            .html_part(0)
            .filter(|part| part.is_text_html())
            .and(parsed.body_html(0))
            .map(|html| html.into_owned()),
        attachments,
        sent_at_ms: parsed.date().filter(|date| date.is_valid()).map(|date| {
            u64::try_from(date.to_timestamp())
                .unwrap_or(0)
                .saturating_mul(1000)
        }),
        auto_submitted: automatic(&parsed),
        to: addresses(parsed.to()),
        cc: addresses(parsed.cc()),
    })
}

/// The addresses of a To or Cc header, in lower case.
fn addresses(header: Option<&Address>) -> Vec<String> {
    header
        .map(|addresses| {
            addresses
                .iter()
                .filter_map(|addr| addr.address())
                .map(str::to_lowercase)
                .collect()
        })
        .unwrap_or_default()
}

/// The first text part read again from its bytes when its charset did not decode it (mail
/// sent as `unknown-8bit`, or with a wrong or missing charset): as UTF-8 when the bytes are
/// UTF-8, else as Windows-1252, which Latin-American mail written without a charset mostly is.
/// Only parts sent as they are (no quoted-printable or base64 transfer encoding) are read again.
fn salvaged_text(parsed: &mail_parser::Message<'_>) -> Option<String> {
    let part = parsed.text_part(0)?;
    let encoded = part.content_transfer_encoding().is_some_and(|encoding| {
        let encoding = encoding.to_ascii_lowercase();
        encoding.contains("quoted") || encoding.contains("base64")
    });
    if encoded {
        return None;
    }
    let raw = parsed
        .raw_message()
        .get(part.raw_body_offset() as usize..part.raw_end_offset() as usize)?;
    let text = match std::str::from_utf8(raw) {
        Ok(text) => text.to_string(),
        Err(_) => raw.iter().map(|&byte| windows_1252(byte)).collect(),
    };
    Some(text.replace("\r\n", "\n").trim_end().to_string())
}

/// A Windows-1252 byte as a character: Latin-1, with typographic signs in 0x80–0x9F.
fn windows_1252(byte: u8) -> char {
    const HIGH: [char; 32] = [
        '€', '\u{81}', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\u{8d}', 'Ž',
        '\u{8f}', '\u{90}', '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\u{9d}',
        'ž', 'Ÿ',
    ];
    match byte {
        0x80..=0x9f => HIGH[usize::from(byte - 0x80)],
        _ => char::from(byte),
    }
}

/// Whether a parse found an email: at least one of the header fields every mail carries some
/// of (bytes that are no email at all parse into a header of another name, or none).
fn looks_like_mail(parsed: &mail_parser::Message<'_>) -> bool {
    [
        "From",
        "Sender",
        "Reply-To",
        "To",
        "Cc",
        "Subject",
        "Date",
        "Message-ID",
        "Received",
        "Return-Path",
        "MIME-Version",
    ]
    .iter()
    .any(|name| parsed.header_raw(*name).is_some())
}

/// Who wrote: the first usable address of From, then Reply-To, Sender and Return-Path (mail
/// whose From has no domain, or no From at all, often names its sender in one of those).
fn sender(parsed: &mail_parser::Message<'_>) -> Option<Contact> {
    let from_name = parsed
        .from()
        .and_then(Address::first)
        .and_then(|from| from.name())
        .map(str::to_string);
    ["From", "Reply-To", "Sender", "Return-Path"]
        .into_iter()
        .find_map(|header| {
            let parsed_address = match header {
                "From" => parsed.from(),
                "Reply-To" => parsed.reply_to(),
                "Sender" => parsed.sender(),
                _ => None,
            }
            .and_then(Address::first)
            .and_then(|address| {
                address
                    .address()
                    .map(|email| (address.name().map(str::to_string), email.to_string()))
            })
            .filter(|(_, email)| address_in(email).is_some());
            // A header too broken to parse may still hold an address: salvage it.
            let (name, address) = parsed_address.or_else(|| {
                parsed
                    .header_raw(header)
                    .and_then(address_in)
                    .map(|email| (None, email))
            })?;
            let address = address.trim().to_lowercase();
            // An encoded word that did not decode would show as `=?utf-8?B?…`: the address names
            // the contact instead.
            let name = name
                .or_else(|| from_name.clone())
                .map(|name| name.trim().to_string())
                .filter(|name| !name.is_empty() && !name.contains("=?") && !name.contains("?="));
            Some(Contact {
                identity: Identity::new("email", &address),
                display_name: name,
                email: Some(address),
                phone: None,
                fields: Vec::new(),
            })
        })
}

/// A sender no header names: a contact of its own, known by the message, with whatever name the
/// From header holds, that an agent can fill in (its identity kind is `unknown`).
fn unknown_sender(parsed: &mail_parser::Message<'_>, source: &[u8]) -> Contact {
    let id = parsed
        .message_id()
        .map_or_else(|| synthetic_id(source), |id| format!("<{id}>"));
    let name = parsed
        .header_raw("From")
        .map(|raw| raw.trim().trim_matches(['<', '>', '"']).trim().to_string())
        .filter(|name| !name.is_empty() && name.chars().count() <= 200);
    Contact {
        identity: Identity::new("unknown", &id),
        display_name: name,
        email: None,
        phone: None,
        fields: Vec::new(),
    }
}

/// The first thing in a raw header value that looks like an email address.
fn address_in(raw: &str) -> Option<String> {
    let separators = |c: char| c.is_whitespace() || "<>\"(),;:[]".contains(c);
    raw.split(separators)
        .find(|word| {
            let mut parts = word.split('@');
            matches!((parts.next(), parts.next(), parts.next()), (Some(local), Some(domain), None)
                if !local.is_empty() && domain.contains('.') && !domain.starts_with('.') && !domain.ends_with('.'))
        })
        .map(str::to_string)
}

/// Message ids of a header, with their angle brackets.
fn ids(value: &HeaderValue<'_>) -> Vec<String> {
    match value {
        HeaderValue::Text(id) => vec![format!("<{id}>")],
        HeaderValue::TextList(list) => list.iter().map(|id| format!("<{id}>")).collect(),
        _ => Vec::new(),
    }
}

/// A reply sent to our plus address `local+c{conversation}@domain` names its conversation; it
/// becomes a thread id of the form our own Message-IDs have, `<sb-plus.c{conversation}@domain>`.
fn plus_address_threads(email: &RawEmail, parsed: &mail_parser::Message<'_>) -> Vec<String> {
    let mut addresses: Vec<String> = email.envelope.rcpt_to.clone();
    for header in [parsed.to(), parsed.cc()].into_iter().flatten() {
        addresses.extend(
            header
                .iter()
                .filter_map(|addr| addr.address())
                .map(str::to_string),
        );
    }
    if let Some(delivered) = parsed.header_raw("Delivered-To") {
        addresses.push(delivered.trim().to_string());
    }
    let mut threads = Vec::new();
    for thread in addresses
        .iter()
        .filter_map(|address| email_ids::plus_address_thread(address))
    {
        if !threads.contains(&thread) {
            threads.push(thread);
        }
    }
    threads
}

/// A stable id for mail that has none, so that the same mail is still stored once.
fn synthetic_id(source: &[u8]) -> String {
    // FNV-1a: the same bytes always give the same id.
    let hash = source.iter().fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| {
        (hash ^ u64::from(*byte)).wrapping_mul(0x0100_0000_01b3)
    });
    format!("<no-id-{hash:016x}@switchboard.invalid>")
}

/// A delivery status notification (RFC 3464) that says one of our replies failed: the update
/// that marks it failed, with the report's status and diagnostic. A delay, or a bounce about
/// mail that is not ours, is `None` (that mail is stored as a flagged message).
fn bounce_of_ours(source: &[u8]) -> Option<DeliveryUpdate> {
    let parsed = MessageParser::default().parse(source)?;
    let report = parsed.parts.iter().find(|part| {
        part.content_type().is_some_and(|kind| {
            kind.ctype().eq_ignore_ascii_case("message")
                && kind
                    .subtype()
                    .is_some_and(|sub| sub.eq_ignore_ascii_case("delivery-status"))
        })
    })?;
    let fields = String::from_utf8_lossy(report.contents()).into_owned();
    let field = |name: &str| {
        fields.lines().find_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.trim()
                .eq_ignore_ascii_case(name)
                .then(|| value.trim().to_string())
        })
    };
    let status = field("Status").unwrap_or_default();
    let failed = field("Action").map_or(status.starts_with('5'), |action| {
        action.eq_ignore_ascii_case("failed")
    });
    if !failed {
        return None;
    }
    let message_id = our_message_id(source)?;
    let diagnostic = field("Diagnostic-Code").map(|code| {
        code.split_once(';')
            .map_or(code.clone(), |(_, text)| text.trim().to_string())
    });
    let reason = match (status.is_empty(), diagnostic) {
        (false, Some(diagnostic)) => format!("{status}: {diagnostic}"),
        (false, None) => status,
        (true, Some(diagnostic)) => diagnostic,
        (true, None) => "the recipient's mail server returned it".into(),
    };
    Some(DeliveryUpdate {
        message_id,
        state: DeliveryState::Failed,
        reason: Some(reason),
    })
}

/// The first of our Message-IDs, `<sb-{message}.c{conversation}@…>`, that the bytes quote (a
/// report returns the headers of the mail it is about, in one form or another).
fn our_message_id(source: &[u8]) -> Option<String> {
    email_ids::first_quoted(&String::from_utf8_lossy(source)).map(str::to_string)
}

/// Auto-replies, bounces and list mail (RFC 3834): never answered automatically.
fn automatic(parsed: &mail_parser::Message<'_>) -> bool {
    let raw = |name: &str| {
        parsed
            .header_raw(name)
            .map(|value| value.trim().to_ascii_lowercase())
    };
    let auto_submitted = raw("Auto-Submitted").is_some_and(|value| value != "no");
    let bulk = raw("Precedence")
        .is_some_and(|value| matches!(value.as_str(), "bulk" | "list" | "junk" | "auto_reply"));
    let list = raw("List-Id").is_some() || raw("List-Unsubscribe").is_some();
    let responder = raw("X-Autoreply").is_some() || raw("X-Autorespond").is_some();
    let report = parsed.content_type().is_some_and(|kind| {
        kind.ctype().eq_ignore_ascii_case("multipart")
            && kind
                .subtype()
                .is_some_and(|sub| sub.eq_ignore_ascii_case("report"))
    });
    let daemon = parsed
        .from()
        .and_then(Address::first)
        .and_then(|from| from.address())
        .is_some_and(|address| {
            let local = address
                .split('@')
                .next()
                .unwrap_or_default()
                .to_ascii_lowercase();
            local == "mailer-daemon" || local == "postmaster"
        });
    auto_submitted || bulk || list || responder || report || daemon
}
