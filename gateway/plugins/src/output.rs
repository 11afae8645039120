//! What a plugin returns counts against its output budget: the size of every string, header
//! and attachment in its events or delivery actions, checked before the host reads them.

use crate::PluginError;
use crate::latest as types;
use crate::runtime::Plugin;

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
        types::AttachmentContent::Request(request) => request_size(request),
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
        types::Event::Edited(edit) => strings([
            &edit.contact.kind,
            &edit.contact.value,
            &edit.message_id,
            &edit.text,
        ]),
        types::Event::Reachability(reachability) => {
            strings([&reachability.contact.kind, &reachability.contact.value])
                + strings(&reachability.reason)
        }
    }
}

/// An inbound call's events and the webhook's answer.
pub fn inbound_size(inbound: &types::InboundResult) -> u64 {
    inbound.events.iter().map(event_size).sum::<u64>()
        + inbound.answer.as_ref().map_or(0, |answer| {
            headers_size(&answer.headers) + answer.body.len() as u64
        })
}

pub fn outcome_size(outcome: &types::ResponseOutcome) -> u64 {
    match outcome {
        types::ResponseOutcome::Sent(id) => strings(id),
        types::ResponseOutcome::Retry(retry) => retry.reason.len() as u64,
        types::ResponseOutcome::Refused(refusal) => refusal.reason.len() as u64,
    }
}

pub fn template_size(template: &types::Template) -> u64 {
    strings([&template.name, &template.language, &template.text])
}

/// A payload a tick found.
pub fn transport_size(transport: &types::Transport) -> u64 {
    match transport {
        types::Transport::Webhook(request) => request_size(request),
        types::Transport::Email(email) => {
            email.source.len() as u64
                + strings([&email.envelope.mail_from])
                + strings(&email.envelope.rcpt_to)
        }
        types::Transport::Widget(event) => {
            strings([&event.visitor_id, &event.kind, &event.payload])
        }
    }
}

fn request_size(request: &types::HttpRequest) -> u64 {
    strings([&request.method, &request.url])
        + headers_size(&request.headers)
        + request.body.len() as u64
}

pub fn action_size(action: &types::DeliveryAction) -> u64 {
    match action {
        types::DeliveryAction::SendEmail(email) => {
            email.mime.len() as u64
                + strings([&email.envelope.mail_from])
                + strings(&email.envelope.rcpt_to)
        }
        types::DeliveryAction::Http(request) => request_size(request),
    }
}

/// How the host reads a provider's answer to a delivery for a plugin that does not read it
/// itself (contract 0.1.0): 2xx sent, 429 and 5xx retried (after `Retry-After` seconds when
/// given), anything else refused with the start of the body.
pub fn read_response(response: &types::HttpResponse) -> types::ResponseOutcome {
    match response.status {
        200..=299 => types::ResponseOutcome::Sent(None),
        429 | 500.. => types::ResponseOutcome::Retry(types::RetryLater {
            reason: format!("the provider answered {}", response.status),
            after_ms: response
                .headers
                .iter()
                .find(|header| header.name.eq_ignore_ascii_case("retry-after"))
                .and_then(|header| header.value.trim().parse::<u64>().ok())
                .map(|seconds| seconds.saturating_mul(1000)),
        }),
        status => {
            let body: String = String::from_utf8_lossy(&response.body)
                .chars()
                .take(200)
                .collect();
            types::ResponseOutcome::Refused(types::Refusal {
                reason: format!("the provider refused with {status}: {body}"),
                unreachable: false,
            })
        }
    }
}
