//! Records that cross the storage seam but are not part of the public API.

use serde::{Deserialize, Serialize};
use switchboard_model::{ConversationStatus, Id, Millis, Role};

/// An agent to create, with the argon2id hash of its password (never the password).
#[derive(Debug, Clone)]
pub struct NewAgentRecord {
    pub name: String,
    pub email: String,
    pub role: Role,
    pub password_hash: String,
    /// The password was generated (printed once, or written to a file): they choose their own
    /// before anything else.
    pub must_choose_password: bool,
}

/// A change to an agent; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct AgentChange {
    pub name: Option<String>,
    pub role: Option<Role>,
    pub signature: Option<String>,
    pub active: Option<bool>,
    /// A new password clears `must_choose_password`.
    pub password_hash: Option<String>,
    /// `Some(None)` removes the avatar.
    pub avatar: Option<Option<switchboard_model::Attachment>>,
    /// `Some(None)` goes back to the browser's language.
    pub language: Option<Option<String>>,
    pub availability: Option<switchboard_model::Availability>,
    pub notifications: Option<switchboard_model::NotificationSettings>,
}

/// A logged-in console session, stored under the SHA-256 of its cookie.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Session {
    pub workspace_id: Id,
    pub agent_id: Id,
    pub expires_at: Millis,
}

/// One step on a conversation, each recorded with a `conversation_updated` event.
#[derive(Debug, Clone, PartialEq)]
pub enum ConversationChange {
    Assign(Option<Id>),
    Status(ConversationStatus),
    Team(Option<Id>),
    Labels(Vec<String>),
    /// An agent read it: the unread count goes back to zero.
    MarkRead,
    /// Set aside until `until` (milliseconds since the epoch), or until the contact writes.
    Snooze {
        until: Millis,
    },
}

/// An outbound message waiting to be delivered by its channel.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutboxItem {
    pub workspace_id: Id,
    pub channel_id: Id,
    pub conversation_id: Id,
    pub message_id: Id,
    pub attempts: u32,
    /// Not to be tried before this time (a retry's backoff, a daily limit).
    pub not_before: Millis,
    /// Who holds it now, and until when; another worker may take it after that.
    pub lease_holder: Option<String>,
    pub lease_until: Millis,
}

/// A channel's records that live apart from its settings, each written whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChannelRecord {
    /// The channel's secrets, sealed by the API layer (the store never sees them in the clear).
    Secrets,
    /// How far a transport has read the channel's source (an IMAP mailbox's UID cursor).
    TransportCursor,
    /// When each contact last got the channel's auto-reply.
    AutoReplies,
    /// How many emails went out through the channel on its last sending day.
    SentToday,
    /// The OAuth access token the gateway obtained for the channel's mailbox, sealed.
    OAuthAccess,
    /// The sites the channel's website chat refused lately, counted per day (bounded).
    RefusedOrigins,
}

impl ChannelRecord {
    /// Every kind of record (a deleted channel's are all removed); a new one joins here.
    pub const ALL: [ChannelRecord; 6] = [
        ChannelRecord::Secrets,
        ChannelRecord::TransportCursor,
        ChannelRecord::AutoReplies,
        ChannelRecord::SentToday,
        ChannelRecord::OAuthAccess,
        ChannelRecord::RefusedOrigins,
    ];
}

/// How many dead letters a channel keeps: the oldest go first once a channel's payloads add up
/// to more than `max_bytes_per_channel`, and any older than `max_age_ms`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeadLetterLimits {
    pub max_bytes_per_channel: u64,
    pub max_age_ms: i64,
}

impl Default for DeadLetterLimits {
    fn default() -> Self {
        DeadLetterLimits {
            max_bytes_per_channel: 256 << 20,
            max_age_ms: 30 * 24 * 3_600_000,
        }
    }
}

/// A payload kept as a dead letter, and how many older letters of its channel made room for it.
#[derive(Debug, Clone, PartialEq)]
pub struct KeptLetter {
    pub letter: switchboard_model::DeadLetter,
    pub dropped: u64,
}

/// What a file is stored for.
#[derive(Debug, Clone, PartialEq)]
pub enum FilePurpose {
    /// Named by a record that is not a message (a plugin's component, an avatar): kept.
    Kept,
    /// An attachment of a message to come: removed when no message names it in time.
    Attachment,
    /// A visitor's upload: an attachment that counts against the visitor's quotas.
    VisitorUpload(UploadQuota),
}

/// The daily quotas a visitor's upload counts against, in bytes.
#[derive(Debug, Clone, PartialEq)]
pub struct UploadQuota {
    /// The visitor's id.
    pub visitor: String,
    pub visitor_bytes_per_day: u64,
    /// For all visitors of the workspace together.
    pub workspace_bytes_per_day: u64,
}

/// What an import did with one contact of the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImportOutcome {
    Created(Id),
    /// The stored contact gained what the file added.
    Updated(Id),
    /// The stored contact already held everything the file said.
    Unchanged(Id),
    /// Its addresses belong to these stored contacts, which an import does not merge.
    TwoContacts(Vec<Id>),
}
