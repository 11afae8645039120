//! A plugin's message as the store takes it: its contact, its thread, and its files read from the
//! payload, fetched or found among the workspace's, and stored as blobs.

use switchboard_model::{
    Attachment, Channel, ContactRef, Identity, InboundMessage, LeftOutFile, LeftOutReason,
};
use switchboard_plugins::Grants;
use switchboard_plugins::latest::{self as contract, AttachmentContent};
use switchboard_store::FilePurpose;

use crate::{ServiceResult, Services};

/// A contact as a plugin told it, as the store takes it.
pub(super) fn contact_ref(contact: contract::Contact) -> ContactRef {
    ContactRef {
        identity: Identity::new(contact.identity.kind, contact.identity.value),
        name: contact.display_name,
        email: contact.email,
        phone: contact.phone,
        custom_fields: contact
            .fields
            .into_iter()
            .map(|field| (field.name, field.value))
            .collect(),
    }
}

/// The plugin's message as the store takes it. `payload` is the inbound payload the plugin
/// was given, which its attachments may point into.
pub(super) async fn inbound_message(
    state: &Services,
    channel: &Channel,
    grants: &Grants,
    message: contract::Message,
    original: Option<Attachment>,
    payload: &[u8],
) -> ServiceResult<InboundMessage> {
    let limit = state.config.max_attachment_bytes as u64;
    let mut attachments = Vec::new();
    let mut left_out = Vec::new();
    for attachment in message.attachments {
        let leave_out = |size: Option<u64>, reason| LeftOutFile {
            name: attachment.name.clone(),
            media_type: attachment.media_type.clone(),
            size,
            reason,
        };
        let bytes = match attachment.content {
            AttachmentContent::Bytes(bytes) => bytes,
            AttachmentContent::PayloadPart(part) => {
                match switchboard_plugins::read_payload_part(payload, &part) {
                    Ok(bytes) => bytes,
                    Err(reason) => {
                        tracing::warn!(
                            channel_id = channel.id,
                            %reason,
                            "a plugin named an attachment that cannot be read"
                        );
                        left_out.push(leave_out(None, LeftOutReason::Unreadable));
                        continue;
                    }
                }
            }
            // A file the gateway already holds (a widget upload), named by its hash.
            AttachmentContent::Url(url) if url.starts_with("blob:") => {
                let sha256 = &url["blob:".len()..];
                match state.store.blob(channel.workspace_id, sha256).await {
                    Ok(held) => attachments.push(Attachment {
                        sha256: sha256.to_string(),
                        name: attachment.name,
                        media_type: attachment.media_type,
                        size: held.len() as u64,
                    }),
                    Err(_) => left_out.push(leave_out(None, LeftOutReason::Unreadable)),
                }
                continue;
            }
            AttachmentContent::Url(_) => {
                left_out.push(leave_out(None, LeftOutReason::Link));
                continue;
            }
            AttachmentContent::Request(request) => {
                match crate::media::fetch(state, grants, request, limit).await? {
                    Ok(bytes) => bytes,
                    Err((reason, size)) => {
                        left_out.push(leave_out(size, reason));
                        continue;
                    }
                }
            }
        };
        if bytes.len() as u64 > limit {
            left_out.push(leave_out(Some(bytes.len() as u64), LeftOutReason::TooLarge));
            continue;
        }
        attachments.push(
            store_file(
                state,
                channel,
                &attachment.name,
                &attachment.media_type,
                bytes,
                limit,
            )
            .await?,
        );
    }
    let mut thread: Vec<String> = message.in_reply_to.into_iter().collect();
    for id in message.references.into_iter().rev() {
        if !thread.contains(&id) {
            thread.push(id);
        }
    }
    Ok(InboundMessage {
        contact: contact_ref(message.contact),
        external_id: message.message_id,
        text: message.text,
        quoted: message.quoted,
        title: message.subject,
        thread,
        // Sanitized during the plugin's call (`sanitize_within`).
        html: message.html,
        attachments,
        left_out,
        original,
        automatic: message.auto_submitted,
        to: message.to,
        cc: message.cc,
    })
}

pub(super) async fn store_file(
    state: &Services,
    channel: &Channel,
    name: &str,
    media_type: &str,
    bytes: Vec<u8>,
    limit: u64,
) -> ServiceResult<Attachment> {
    let size = bytes.len() as u64;
    let sha256 = state
        .store
        .put_blob(channel.workspace_id, bytes, limit, FilePurpose::Attachment)
        .await?;
    Ok(Attachment {
        sha256,
        name: name.to_string(),
        media_type: media_type.to_string(),
        size,
    })
}
