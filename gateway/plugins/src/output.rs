//! What a plugin returns counts against its output budget: the size of every string, header
//! and attachment in its events or delivery actions, checked before the host reads them.

use crate::PluginError;
use crate::runtime::Plugin;
use crate::v0_1_0::types;

pub fn check_output(plugin: &Plugin, size: u64) -> Result<(), PluginError> {
    let budget_kib = plugin.manifest.budget.output_kib;
    if size > u64::from(budget_kib) * 1024 {
        return Err(PluginError::OutputTooLarge {
            size_kib: size / 1024,
            budget_kib,
        });
    }
    Ok(())
}

fn strings<'a>(values: impl IntoIterator<Item = &'a String>) -> u64 {
    values.into_iter().map(|value| value.len() as u64).sum()
}

fn contact_size(contact: &types::Contact) -> u64 {
    strings([&contact.identity.kind, &contact.identity.value])
        + strings(
            contact
                .display_name
                .iter()
                .chain(&contact.email)
                .chain(&contact.phone),
        )
}

fn attachment_size(attachment: &types::Attachment) -> u64 {
    let content = match &attachment.content {
        types::AttachmentContent::Bytes(bytes) => bytes.len() as u64,
        types::AttachmentContent::Url(url) => url.len() as u64,
        types::AttachmentContent::PayloadPart(_) => 24,
    };
    strings([&attachment.name, &attachment.media_type]) + content
}

fn headers_size(headers: &[types::Header]) -> u64 {
    headers
        .iter()
        .map(|header| strings([&header.name, &header.value]))
        .sum()
}

/// Roughly how many bytes an event carries: what the budget counts.
pub fn event_size(event: &types::Event) -> u64 {
    match event {
        types::Event::Message(message) => {
            contact_size(&message.contact)
                + strings([&message.message_id, &message.text])
                + strings(
                    message
                        .references
                        .iter()
                        .chain(&message.cc)
                        .chain(&message.in_reply_to),
                )
                + strings(message.subject.iter().chain(&message.html))
                + message.attachments.iter().map(attachment_size).sum::<u64>()
        }
        types::Event::Typing(identity) => strings([&identity.kind, &identity.value]),
        types::Event::Read((identity, up_to)) => strings([&identity.kind, &identity.value, up_to]),
        types::Event::Delivery(update) => strings([&update.message_id]) + strings(&update.reason),
        types::Event::ContactUpdate(contact) => contact_size(contact),
    }
}

pub fn action_size(action: &types::DeliveryAction) -> u64 {
    match action {
        types::DeliveryAction::SendEmail(email) => {
            email.mime.len() as u64
                + strings([&email.envelope.mail_from])
                + strings(&email.envelope.rcpt_to)
        }
        types::DeliveryAction::Http(request) => {
            strings([&request.method, &request.url])
                + headers_size(&request.headers)
                + request.body.len() as u64
        }
    }
}
