//! A message an integration posts into an API channel, the contact it names, and what became of
//! it.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::{Id, Identity};

/// A message posted by an integration into an API channel, as if the contact had written it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InboundMessage {
    /// Who wrote: found by identity, created when new.
    pub contact: ContactRef,
    /// The sender's own id for this message; posting the same id twice stores it once.
    pub external_id: String,
    pub text: String,
    /// What `text` leaves out as quoted history or signature (an email's earlier messages),
    /// shown to agents on request.
    #[serde(default)]
    pub quoted: Option<String>,
    /// The conversation title when this message starts one.
    #[serde(default)]
    pub title: Option<String>,
    /// External ids of earlier messages this one answers, newest first (an email's
    /// In-Reply-To, then its References): a match threads it into that conversation.
    #[serde(default)]
    pub thread: Vec<String>,
    /// The HTML body as the channel delivered it; it is sanitized before it is stored.
    #[serde(default)]
    pub html: Option<String>,
    /// Files uploaded before with `POST /api/v1/attachments`.
    #[serde(default)]
    pub attachments: Vec<crate::Attachment>,
    /// Files the message carried that the sender did not keep, and why (a file over the
    /// attachment limit stays in `original`).
    #[serde(default)]
    pub left_out: Vec<crate::LeftOutFile>,
    /// The message exactly as the channel delivered it (an email's source), uploaded likewise.
    #[serde(default)]
    pub original: Option<crate::Attachment>,
    /// Sent by a machine: an auto-reply, a bounce, list mail. Never answered automatically.
    #[serde(default)]
    pub automatic: bool,
    /// Addresses the message was written to (an email's To), kept for reference.
    #[serde(default)]
    pub to: Vec<String>,
    /// Addresses copied on the message (an email's Cc), kept for reference.
    #[serde(default)]
    pub cc: Vec<String>,
}

impl InboundMessage {
    /// A plain text message with nothing else.
    pub fn text(
        contact: ContactRef,
        external_id: impl Into<String>,
        text: impl Into<String>,
    ) -> Self {
        InboundMessage {
            contact,
            external_id: external_id.into(),
            text: text.into(),
            quoted: None,
            title: None,
            thread: Vec::new(),
            html: None,
            attachments: Vec::new(),
            left_out: Vec::new(),
            original: None,
            automatic: false,
            to: Vec::new(),
            cc: Vec::new(),
        }
    }
}

/// A contact named by one of its identities.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ContactRef {
    pub identity: Identity,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub phone: Option<String>,
    /// Custom fields to set on the contact; a newer value replaces an older one (a Telegram
    /// deep link's payload, a CRM's customer number).
    #[serde(default)]
    pub custom_fields: BTreeMap<String, String>,
}

/// The result of posting an inbound message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Ingested {
    pub conversation_id: Id,
    pub message_id: Id,
    pub contact_id: Id,
    /// `true` when this external id had been stored before; nothing new was written.
    pub duplicate: bool,
    /// `true` when the message started its conversation.
    #[serde(default)]
    pub opened: bool,
}
