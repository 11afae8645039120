//! Contacts: creating and changing one, its tags, and merging two.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::{Id, Identity};

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewContact {
    pub name: String,
    #[serde(default)]
    pub emails: Vec<String>,
    #[serde(default)]
    pub phones: Vec<String>,
    #[serde(default)]
    pub identities: Vec<Identity>,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub custom_fields: BTreeMap<String, String>,
    #[serde(default)]
    pub notes: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ContactUpdate {
    pub name: Option<String>,
    pub emails: Option<Vec<String>>,
    pub phones: Option<Vec<String>>,
    pub custom_fields: Option<BTreeMap<String, String>>,
    pub notes: Option<String>,
    /// Blocks (`true`) or unblocks the contact.
    pub blocked: Option<bool>,
}

/// Tags to add and remove in one step.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct TagChange {
    #[serde(default)]
    pub add: Vec<String>,
    #[serde(default)]
    pub remove: Vec<String>,
}

/// Merge the contact `from_id` into the contact named in the path.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MergeContacts {
    pub from_id: Id,
}

/// A CSV file of contacts to look at before importing it.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ImportFile {
    /// The file's text; the first line is its header. Commas, semicolons or tabs separate
    /// the cells (told from the header).
    #[serde(default)]
    pub csv: String,
    /// What each column holds, in the header's order; when left out, it is guessed from the
    /// header (as the preview suggests).
    #[serde(default)]
    pub mapping: Option<Vec<crate::ContactColumn>>,
}

/// What an import of a file would do: its columns, what each seems to hold, its first rows,
/// and how many rows it has and how many of those would be refused with the mapping given (or
/// suggested).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ImportPreview {
    pub headers: Vec<String>,
    pub mapping: Vec<crate::ContactColumn>,
    /// The first rows, as the file has them.
    pub sample: Vec<Vec<String>>,
    pub rows: usize,
    pub rejected: usize,
}

/// What an import did: contacts created, stored ones that gained something, rows that
/// repeated an earlier row's person (combined into it), and each refused row with why.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ImportReport {
    pub rows: usize,
    pub created: usize,
    pub updated: usize,
    /// Stored contacts the file named and added nothing to.
    pub unchanged: usize,
    pub combined: usize,
    pub rejected: Vec<crate::RejectedRow>,
}

/// Everything the gateway holds about one contact, for the person who asked for it: the
/// contact, its conversations with their messages, and the files those carry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ContactData {
    pub exported_at: crate::Millis,
    pub contact: crate::Contact,
    pub conversations: Vec<ConversationData>,
    pub attachments: Vec<ExportedAttachment>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ConversationData {
    pub conversation: crate::Conversation,
    pub messages: Vec<crate::Message>,
}

/// A file one of the contact's messages carried, and where to download it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ExportedAttachment {
    pub conversation_id: Id,
    pub message_id: Id,
    pub name: String,
    pub media_type: String,
    pub size: u64,
    pub sha256: String,
    /// `/api/v1/attachments/{sha256}`.
    pub url: String,
}

/// What erasing a contact removed: the contact and the contacts merged into it, their
/// conversations, messages and the files no one else's message carries.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErasedContact {
    pub contact_ids: Vec<Id>,
    pub conversations: usize,
    pub messages: usize,
    pub files: usize,
    /// Lines of the event journal overwritten.
    pub event_lines: u64,
}
