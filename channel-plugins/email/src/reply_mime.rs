//! An agent's reply as a MIME message, using the channel's settings: `reply_address` (required),
//! `reply_name`, `footer`, `hide_branding` and `plus_addressing` (a Reply-To of
//! `local+c{conversation}@domain`, for mailboxes whose provider delivers plus addresses).
//!
//! The gateway sets `reply_kind` per message: `agent`; `auto-reply` for the channel's automatic
//! answer, which carries `Auto-Submitted: auto-replied` (RFC 3834) and no signature, footer or
//! branding; `transcript` for a conversation's transcript, whose subject is kept as given.

use mail_builder::MessageBuilder;
use mail_builder::headers::address::Address;
use mail_builder::headers::message_id::MessageId;
use mail_builder::headers::text::Text;
use switchboard_channel_sdk::{AttachmentContent, Envelope, Error, OutgoingEmail, Reply, host};
use switchboard_model::email_ids;

/// The default branding line, shown unless the channel hides it.
const BRANDING: &str = "Sent with Switchboard";
/// At most this many earlier ids go into References.
const MAX_REFERENCES: usize = 20;

pub fn build(reply: &Reply) -> Result<OutgoingEmail, Error> {
    let address = host::setting("reply_address")
        .filter(|address| address.contains('@'))
        .ok_or_else(|| Error::Denied("the channel has no `reply_address` setting".into()))?;
    let name = host::setting("reply_name").unwrap_or_default();
    let contact = &reply.context.contact;
    let to = contact
        .email
        .clone()
        .or_else(|| (contact.identity.kind == "email").then(|| contact.identity.value.clone()))
        .ok_or_else(|| Error::Unsupported("the contact has no email address".into()))?;
    let (local, domain) = address
        .split_once('@')
        .unwrap_or((address.as_str(), "localhost"));
    let conversation = reply.context.conversation_id;
    // The conversation travels in our Message-ID (and the reply address), so answers find it.
    let message_id = email_ids::message_id(&reply.reply_id, conversation, domain);
    let plus_addressing = host::setting("plus_addressing").as_deref() == Some("true");
    let kind = host::setting("reply_kind");
    let automatic = kind.as_deref() == Some("auto-reply");
    let subject = match kind.as_deref() {
        Some("transcript") => reply.context.subject.clone().unwrap_or_default(),
        _ => reply_subject(reply.context.subject.as_deref()),
    };

    let mut text = reply.text.trim_end().to_string();
    if automatic {
        // An auto-reply is the channel's own short answer: nothing is added to it.
    } else if let Some(signature) = reply
        .agent_signature
        .as_deref()
        .filter(|signature| !signature.trim().is_empty())
    {
        text.push_str("\n\n");
        text.push_str(signature.trim_end());
    }
    if let Some(footer) =
        host::setting("footer").filter(|footer| !automatic && !footer.trim().is_empty())
    {
        text.push_str("\n\n");
        text.push_str(footer.trim_end());
    }
    if !automatic && host::setting("hide_branding").as_deref() != Some("true") {
        text.push_str("\n\n-- \n");
        text.push_str(BRANDING);
    }

    let thread: Vec<String> = reply
        .context
        .thread
        .iter()
        .map(|id| id.trim_matches(['<', '>']).to_string())
        .collect();
    let mut message = MessageBuilder::new()
        .from(Address::new_address(
            Some(name.as_str()).filter(|name| !name.is_empty()),
            address.as_str(),
        ))
        .to(Address::new_address(
            contact.display_name.as_deref(),
            to.as_str(),
        ))
        .subject(subject)
        .message_id(message_id.as_str())
        .date(host::now_ms() / 1000)
        .text_body(text);
    if automatic {
        message = message.header("Auto-Submitted", Text::new("auto-replied"));
    }
    if plus_addressing {
        message = message.reply_to(email_ids::plus_address(local, conversation, domain));
    }
    if let Some(last) = thread.last() {
        message = message.in_reply_to(last.as_str());
        let start = thread.len().saturating_sub(MAX_REFERENCES);
        message = message.references(MessageId::new_list(
            thread[start..].iter().map(|id| id.as_str()),
        ));
    }
    if let Some(html) = &reply.html {
        message = message.html_body(html.as_str());
    }
    for attachment in &reply.attachments {
        let AttachmentContent::Bytes(bytes) = &attachment.content else {
            return Err(Error::Unsupported(format!(
                "the attachment {} must be sent as bytes",
                attachment.name
            )));
        };
        message = message.attachment(
            attachment.media_type.as_str(),
            attachment.name.as_str(),
            bytes.as_slice(),
        );
    }
    let mime = message
        .write_to_vec()
        .map_err(|error| Error::Internal(format!("cannot write the email: {error}")))?;
    Ok(OutgoingEmail {
        envelope: Envelope {
            mail_from: address.clone(),
            rcpt_to: vec![to],
        },
        mime,
    })
}

/// "Re: subject", without stacking prefixes the subject already has (Re, RE, Res, RES, AW).
fn reply_subject(subject: Option<&str>) -> String {
    let subject = subject
        .map(str::trim)
        .filter(|subject| !subject.is_empty())
        .unwrap_or("(no subject)");
    let lower = subject.to_lowercase();
    if ["re:", "res:", "aw:"]
        .iter()
        .any(|prefix| lower.starts_with(prefix))
    {
        subject.to_string()
    } else {
        format!("Re: {subject}")
    }
}
