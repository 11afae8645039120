//! Request and response bodies of the REST API that are not domain records themselves. Here,
//! what every answer may be (an error, a page of a list); the bodies of each area in the modules
//! below.

mod canned_responses;
mod channels;
mod contacts;
mod conversations;
mod inbound;
mod labels;
mod people;
mod plugins;
mod tokens;

use serde::{Deserialize, Serialize};

pub use self::canned_responses::{CannedResponseUpdate, NewCannedResponse};
pub use self::channels::{
    ChannelSecrets, ChannelUpdate, Connection, NewChannel, SecretChanges, SecretNames,
};
pub use self::contacts::{
    ContactData, ContactUpdate, ConversationData, ErasedContact, ExportedAttachment, ImportFile,
    ImportPreview, ImportReport, MergeContacts, NewContact, TagChange,
};
pub use self::conversations::{
    Assignment, ConversationFilter, ConversationSort, InboxCounts, Labels, NewConversation,
    NewReply, Started, TeamAssignment, ViewCounts,
};
pub use self::inbound::{ContactRef, InboundMessage, Ingested};
pub use self::labels::{LabelUpdate, NewLabel};
pub use self::people::{
    AgentUpdate, LoginRequest, Me, NewAgent, NewTeam, ProfileUpdate, TeamUpdate,
};
pub use self::plugins::{
    PluginPreview, PluginPreviewRequest, PluginState, PluginUpload, PluginVersion, TrustedKey,
    TrustedKeys,
};
pub use self::tokens::{ApiToken, CreatedApiToken, NewApiToken, TokenScope};

/// The body of every 4xx and 5xx response.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

/// What went wrong, for programs (`code`, stable) and for people (`message`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorDetail {
    /// A stable, machine-readable code such as `not_found` or `body_too_large`.
    pub code: String,
    /// An English sentence that names the problem.
    pub message: String,
    /// A provider's own words, when it refused (`connection_failed`): shown as they are, inside
    /// a sentence the reader's app writes in their language.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The setting or field at fault, by name, when one is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// The entry of that setting at fault, as it was written, when the setting holds several
    /// (one of `allowed_origins`): for a sentence in the reader's language that names it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
}

/// A page of a list, newest first. Pass `next_cursor` back as `cursor` for the next page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Page<T> {
    pub items: Vec<T>,
    #[serde(default)]
    pub next_cursor: Option<String>,
}
