//! Request and response bodies of the REST API that are not domain records themselves.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::{Agent, ChannelKind, ConversationStatus, Id, Identity, Millis, Role, Workspace};

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

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LoginRequest {
    pub email: String,
    pub password: String,
}

/// Who is logged in.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Me {
    pub agent: Agent,
    pub workspace: Workspace,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewAgent {
    pub name: String,
    pub email: String,
    /// At least 10 characters.
    pub password: String,
    pub role: Role,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AgentUpdate {
    pub name: Option<String>,
    pub role: Option<Role>,
    pub signature: Option<String>,
    pub active: Option<bool>,
    pub password: Option<String>,
    /// Needed to change one's own password; an admin resetting someone else's does not give it.
    pub current_password: Option<String>,
}

/// What an agent changes of their own profile (`PATCH /api/v1/auth/me`); absent fields stay.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ProfileUpdate {
    pub name: Option<String>,
    pub signature: Option<String>,
    /// `en`, `es` or `pt-BR`.
    pub language: Option<String>,
    pub availability: Option<crate::Availability>,
    pub notifications: Option<crate::NotificationSettings>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewTeam {
    pub name: String,
    #[serde(default = "default_colour")]
    pub colour: String,
    #[serde(default)]
    pub member_ids: Vec<Id>,
    /// Assign each new conversation of the team to its online member with the fewest open
    /// conversations.
    #[serde(default)]
    pub auto_assign: bool,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct TeamUpdate {
    pub name: Option<String>,
    pub colour: Option<String>,
    pub member_ids: Option<Vec<Id>>,
    pub auto_assign: Option<bool>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewChannel {
    pub kind: ChannelKind,
    pub name: String,
    #[serde(default)]
    pub default_team_id: Option<Id>,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub settings: serde_json::Value,
    /// The installed plugin that handles the channel; it gets a webhook URL.
    #[serde(default)]
    pub plugin: Option<String>,
}

impl NewChannel {
    /// A channel of `kind` named `name`, with no default team, settings or plugin.
    pub fn new(kind: ChannelKind, name: impl Into<String>) -> NewChannel {
        NewChannel {
            kind,
            name: name.into(),
            default_team_id: None,
            settings: serde_json::Value::Null,
            plugin: None,
        }
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ChannelUpdate {
    pub name: Option<String>,
    pub active: Option<bool>,
    /// `null` keeps the team; use `0` to clear it.
    pub default_team_id: Option<Id>,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub settings: Option<serde_json::Value>,
    /// Secrets to change with the settings, as `PATCH …/secrets` takes them (a value replaces
    /// one, `null` removes it), so that both are checked with the provider together.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secrets: Option<BTreeMap<String, Option<String>>>,
}

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

/// Filters for the conversation list; all are optional and combine with AND.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
pub struct ConversationFilter {
    pub status: Option<ConversationStatus>,
    /// An agent id, or `none` for unassigned conversations.
    pub assignee: Option<String>,
    pub team_id: Option<Id>,
    pub channel_id: Option<Id>,
    pub contact_id: Option<Id>,
    pub label: Option<String>,
    /// The order; the most recent activity first by default.
    #[cfg_attr(feature = "openapi", param(inline))]
    pub sort: Option<ConversationSort>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// At most 200; 50 by default.
    pub limit: Option<u32>,
}

/// Orders of the conversation list.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ConversationSort {
    /// The conversation touched last (a message, a change) first.
    #[default]
    LastActivity,
    /// The conversation started last first.
    Newest,
    /// The contact who has waited longest for an answer first; conversations nobody waits on
    /// come after them, oldest first.
    OldestWaiting,
}

impl ConversationSort {
    pub fn as_str(self) -> &'static str {
        match self {
            ConversationSort::LastActivity => "last_activity",
            ConversationSort::Newest => "newest",
            ConversationSort::OldestWaiting => "oldest_waiting",
        }
    }
}

/// How many conversations each view of the inbox holds for the agent who asks.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InboxCounts {
    pub mine: ViewCounts,
    pub unassigned: ViewCounts,
    pub all: ViewCounts,
    /// By team id.
    pub teams: BTreeMap<Id, ViewCounts>,
}

/// Open conversations of a view, and how many of them have messages nobody read.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ViewCounts {
    pub open: u32,
    pub unread: u32,
}

/// A conversation an agent starts: the first message goes to the contact through the channel.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewConversation {
    pub channel_id: Id,
    pub contact_id: Id,
    /// The email's subject; on other channels the title the list shows (the text's start by
    /// default).
    #[serde(default)]
    pub title: Option<String>,
    pub text: String,
    /// Files uploaded before with `POST /api/v1/attachments`.
    #[serde(default)]
    pub attachments: Vec<crate::Attachment>,
    /// One of the channel's approved templates, where the channel takes only those to start
    /// a conversation (WhatsApp); `text` is then filled in from it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub template: Option<crate::TemplateUse>,
}

/// What a conversation an agent starts is answered with: it, and its first message.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Started {
    pub conversation: crate::Conversation,
    pub message: crate::Message,
}

/// An agent's reply or private note.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewReply {
    pub text: String,
    /// `true` writes a private note that the contact never sees.
    #[serde(default)]
    pub private: bool,
    /// Files uploaded before with `POST /api/v1/attachments`, as that call returned them.
    #[serde(default)]
    pub attachments: Vec<crate::Attachment>,
    /// Agents a private note mentions (their consoles tell them); only on notes.
    #[serde(default)]
    pub mentions: Vec<Id>,
    /// One of the channel's approved templates, sent instead of free text (WhatsApp outside
    /// its 24-hour window); `text` is then the template's text with its values filled in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub template: Option<crate::TemplateUse>,
}

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
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Assignment {
    /// `null` unassigns.
    pub assignee_id: Option<Id>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct TeamAssignment {
    /// `null` removes the team.
    pub team_id: Option<Id>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Labels {
    pub labels: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewCannedResponse {
    pub shortcut: String,
    pub content: String,
}

/// What changes in a canned response; what is left out stays.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CannedResponseUpdate {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shortcut: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewLabel {
    pub name: String,
    /// A hex colour, `#rrggbb` (or `#rgb`).
    pub colour: String,
}

/// A label renamed or recoloured; what is left out stays.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct LabelUpdate {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub colour: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewApiToken {
    /// What the token is for, e.g. `CRM sync`.
    pub name: String,
    /// What it may do; `admin` (all its agent may) unless set.
    #[serde(default)]
    pub scope: TokenScope,
    /// When it stops working; never unless set.
    #[serde(default)]
    pub expires_at: Option<Millis>,
}

/// What an API token may do, within what its agent's role allows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum TokenScope {
    /// Reading only (`GET`).
    Read,
    /// Reading and writing, but no admin action.
    Write,
    /// Everything the agent may do.
    #[default]
    Admin,
}

/// An API token as listed; the secret itself is shown once, at creation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApiToken {
    pub id: Id,
    pub workspace_id: Id,
    /// The token acts as this agent, with this agent's role.
    pub agent_id: Id,
    pub name: String,
    pub created_at: Millis,
    /// Tokens made before scopes existed could do all their agent may.
    #[serde(default)]
    pub scope: TokenScope,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<Millis>,
}

/// A freshly created token: keep `token`, it is never shown again.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreatedApiToken {
    #[serde(flatten)]
    pub info: ApiToken,
    pub token: String,
}

fn default_colour() -> String {
    "#1f6feb".to_string()
}

/// A plugin to install (or a new version of one), with the grants the admin approves.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PluginUpload {
    /// The plugin's manifest (name, version, contract, channel kind, hosts, settings, secrets, budget).
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub manifest: serde_json::Value,
    /// The component, base64-encoded.
    pub wasm_base64: String,
    /// What the admin grants; absent grants everything the manifest asks for.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub grants: Option<serde_json::Value>,
}

/// One installed version of a plugin.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PluginVersion {
    pub version: String,
    pub contract: String,
    /// Hex SHA-256 of the component.
    pub sha256: String,
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub manifest: serde_json::Value,
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub grants: serde_json::Value,
    pub installed_at: Millis,
}

/// A plugin publisher's public key that a workspace's admins trust: signed plugin packages
/// are installed only when one of these signed them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TrustedKey {
    /// Whose key it is, for the admins (`Acme Integrations`).
    pub name: String,
    /// The ed25519 public key, base64 (what `cargo xtask plugin keygen` prints).
    pub key: String,
}

/// The keys a workspace trusts for plugin packages.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TrustedKeys {
    pub keys: Vec<TrustedKey>,
}

/// An installed plugin: its versions, the one in use, and whether it runs at all.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PluginState {
    pub name: String,
    pub workspace_id: Id,
    /// Oldest first.
    pub versions: Vec<PluginVersion>,
    pub active_version: String,
    pub enabled: bool,
}

/// A channel's secrets (passwords, tokens), written as a whole and never read back.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ChannelSecrets {
    pub secrets: BTreeMap<String, String>,
}

/// Changes to some of a channel's secrets: a value replaces one, `null` removes it.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SecretChanges {
    pub secrets: BTreeMap<String, Option<String>>,
}

/// Which secrets a channel has, without their values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SecretNames {
    pub names: Vec<String>,
}

/// How a channel's connection check went: the account its provider knows it as.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Connection {
    /// A line naming the account (`@acme_bot`); empty when the channel has nothing to check.
    pub account: String,
}
