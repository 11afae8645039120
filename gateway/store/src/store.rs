//! The storage trait: every method is one whole domain step, atomic and durable when it returns.

use std::collections::BTreeMap;

use async_trait::async_trait;
use switchboard_model::{
    Agent, ApiToken, Author, CannedResponse, Channel, ChannelUpdate, Contact, ContactRef,
    ContactUpdate, Conversation, ConversationFilter, DeadLetter, DeliveryStatus, Event, EventId,
    Id, Identity, InboundMessage, InboxCounts, Ingested, Message, Millis, NewApiToken,
    NewCannedResponse, NewChannel, NewContact, NewConversation, NewReply, NewTeam, Page,
    PluginState, PluginVersion, Started, TagChange, Team, TeamUpdate, Workspace,
};

use crate::{
    AgentChange, ChannelRecord, ConversationChange, DeadLetterLimits, FilePurpose, KeptLetter,
    NewAgentRecord, OutboxItem, Session, StoreResult,
};

/// Everything the gateway keeps. Every method that takes a `workspace_id` sees only that
/// workspace: an id of another workspace is [`crate::StoreError::NotFound`].
#[async_trait]
pub trait Store: Send + Sync {
    // ---- workspaces ----
    async fn create_workspace(&self, name: &str) -> StoreResult<Workspace>;
    async fn workspaces(&self) -> StoreResult<Vec<Workspace>>;
    async fn workspace(&self, id: Id) -> StoreResult<Workspace>;

    // ---- agents and credentials ----
    /// Fails with a conflict when the email address is already an agent's, in any workspace.
    async fn create_agent(&self, workspace_id: Id, agent: NewAgentRecord) -> StoreResult<Agent>;
    /// Refused (`Conflict`) when it would leave the workspace with no active admin.
    async fn update_agent(
        &self,
        workspace_id: Id,
        id: Id,
        change: AgentChange,
    ) -> StoreResult<Agent>;
    async fn agent(&self, workspace_id: Id, id: Id) -> StoreResult<Agent>;
    async fn agents(&self, workspace_id: Id) -> StoreResult<Vec<Agent>>;
    /// The agent who logs in with this email address, and its password hash.
    async fn credentials(&self, email: &str) -> StoreResult<Option<(Agent, String)>>;

    // ---- sessions and API tokens, keyed by the SHA-256 of their secret ----
    async fn put_session(&self, secret_hash: [u8; 32], session: Session) -> StoreResult<()>;
    async fn session(&self, secret_hash: [u8; 32]) -> StoreResult<Option<Session>>;
    async fn delete_session(&self, secret_hash: [u8; 32]) -> StoreResult<()>;
    async fn create_api_token(
        &self,
        workspace_id: Id,
        agent_id: Id,
        new: NewApiToken,
        secret_hash: [u8; 32],
    ) -> StoreResult<ApiToken>;
    /// Ends every session and revokes every API token of an agent, but the session
    /// `keep_session` (the one that asked, when it was a browser).
    async fn revoke_agent_access(
        &self,
        workspace_id: Id,
        agent_id: Id,
        keep_session: Option<[u8; 32]>,
    ) -> StoreResult<()>;
    async fn api_token(&self, secret_hash: [u8; 32]) -> StoreResult<Option<ApiToken>>;
    async fn api_tokens(&self, workspace_id: Id) -> StoreResult<Vec<ApiToken>>;
    async fn revoke_api_token(&self, workspace_id: Id, id: Id) -> StoreResult<()>;

    // ---- teams, channels, canned responses ----
    async fn create_team(&self, workspace_id: Id, team: NewTeam) -> StoreResult<Team>;
    async fn update_team(&self, workspace_id: Id, id: Id, change: TeamUpdate) -> StoreResult<Team>;
    async fn teams(&self, workspace_id: Id) -> StoreResult<Vec<Team>>;
    /// `webhook_token` is the secret part of the channel's webhook URL, for plugin channels.
    async fn create_channel(
        &self,
        workspace_id: Id,
        channel: NewChannel,
        webhook_token: Option<String>,
    ) -> StoreResult<Channel>;
    async fn update_channel(
        &self,
        workspace_id: Id,
        id: Id,
        change: ChannelUpdate,
    ) -> StoreResult<Channel>;
    async fn channel(&self, workspace_id: Id, id: Id) -> StoreResult<Channel>;
    async fn channels(&self, workspace_id: Id) -> StoreResult<Vec<Channel>>;
    async fn create_canned_response(
        &self,
        workspace_id: Id,
        canned: NewCannedResponse,
    ) -> StoreResult<CannedResponse>;
    async fn canned_responses(&self, workspace_id: Id) -> StoreResult<Vec<CannedResponse>>;
    async fn delete_canned_response(&self, workspace_id: Id, id: Id) -> StoreResult<()>;

    // ---- contacts ----
    async fn create_contact(&self, workspace_id: Id, contact: NewContact) -> StoreResult<Contact>;
    async fn contact(&self, workspace_id: Id, id: Id) -> StoreResult<Contact>;
    /// The contact known by one of its identities (a widget visitor, an email address).
    async fn contact_by_identity(
        &self,
        workspace_id: Id,
        identity: &Identity,
    ) -> StoreResult<Option<Contact>>;
    /// The contact known by `who.identity`, created from `who` or filled in with what it lacked
    /// (as [`Store::ingest`] does), without a message: a website visitor the site identified.
    async fn introduce_contact(&self, workspace_id: Id, who: ContactRef) -> StoreResult<Contact>;
    async fn update_contact(
        &self,
        workspace_id: Id,
        id: Id,
        change: ContactUpdate,
    ) -> StoreResult<Contact>;
    async fn change_tags(
        &self,
        workspace_id: Id,
        id: Id,
        change: TagChange,
    ) -> StoreResult<Contact>;
    /// Records that the person proved `email` is theirs (`Contact::verified_emails`); their
    /// replies waiting in the outbox become due at once.
    async fn verify_email(&self, workspace_id: Id, id: Id, email: &str) -> StoreResult<Contact>;
    /// Moves `from`'s identities, addresses, tags and conversations to `into`; `from` is kept,
    /// marked as merged, and no longer listed.
    async fn merge_contacts(&self, workspace_id: Id, into: Id, from: Id) -> StoreResult<Contact>;
    /// Newest first; `query` matches name, email addresses and phone numbers.
    async fn contacts(
        &self,
        workspace_id: Id,
        query: Option<&str>,
        cursor: Option<Id>,
        limit: usize,
    ) -> StoreResult<Page<Contact>>;

    // ---- conversations and messages ----
    /// Stores an inbound message: finds or creates the contact by identity (filling in a name
    /// or address it lacked; an address another contact holds is kept as its
    /// `given_email`), appends to the conversation the message's thread names (the same
    /// contact's, on any channel) or else the contact's open conversation on this channel, or
    /// starts one (routed to the channel's default team), and records the event. Idempotent by
    /// (channel, external id).
    async fn ingest(
        &self,
        workspace_id: Id,
        channel_id: Id,
        message: InboundMessage,
    ) -> StoreResult<Ingested>;
    /// Most recent activity first.
    async fn conversations(
        &self,
        workspace_id: Id,
        filter: &ConversationFilter,
    ) -> StoreResult<Page<Conversation>>;
    /// How many open conversations each view holds for agent `agent_id`, and how many of them
    /// are unread.
    async fn inbox_counts(&self, workspace_id: Id, agent_id: Id) -> StoreResult<InboxCounts>;
    /// A conversation agent `agent_id` starts, with its first message queued for delivery.
    async fn start_conversation(
        &self,
        workspace_id: Id,
        agent_id: Id,
        new: NewConversation,
    ) -> StoreResult<Started>;
    /// Opens again the snoozed conversations whose time came by `now`; returns them.
    async fn wake_snoozed(&self, now: Millis) -> StoreResult<Vec<Conversation>>;
    async fn conversation(&self, workspace_id: Id, id: Id) -> StoreResult<Conversation>;
    /// A step on a conversation taken by `by`; one that changes what agents see is recorded in
    /// its log as a `system` message.
    async fn update_conversation(
        &self,
        workspace_id: Id,
        id: Id,
        change: ConversationChange,
        by: Author,
    ) -> StoreResult<Conversation>;
    /// An agent's (or a bot's) reply, queued in the outbox in the same step, or private note.
    async fn add_reply(
        &self,
        workspace_id: Id,
        conversation_id: Id,
        author: Author,
        reply: NewReply,
    ) -> StoreResult<Message>;
    /// One message of a conversation, with its latest delivery status.
    async fn message(
        &self,
        workspace_id: Id,
        conversation_id: Id,
        message_id: Id,
    ) -> StoreResult<Message>;
    /// Oldest first, starting after `cursor`.
    async fn messages(
        &self,
        workspace_id: Id,
        conversation_id: Id,
        cursor: Option<Id>,
        limit: usize,
    ) -> StoreResult<Page<Message>>;
    /// The newest `limit` messages of a conversation, oldest first.
    async fn latest_messages(
        &self,
        workspace_id: Id,
        conversation_id: Id,
        limit: usize,
    ) -> StoreResult<Vec<Message>>;
    /// The messages of a conversation whose events came after `after`, oldest first, each with
    /// its event id: at most the newest `limit` of them.
    async fn messages_since(
        &self,
        workspace_id: Id,
        conversation_id: Id,
        after: EventId,
        limit: usize,
    ) -> StoreResult<Vec<(EventId, Message)>>;
    /// Every message of a conversation, oldest first (page after page of [`Store::messages`]).
    async fn all_messages(
        &self,
        workspace_id: Id,
        conversation_id: Id,
    ) -> StoreResult<Vec<Message>> {
        let mut all = Vec::new();
        loop {
            let cursor = all.last().map(|message: &Message| message.id);
            let page = self
                .messages(workspace_id, conversation_id, cursor, 200)
                .await?;
            let more = page.next_cursor.is_some() && !page.items.is_empty();
            all.extend(page.items);
            if !more {
                return Ok(all);
            }
        }
    }

    // ---- events ----
    /// Durable events of a workspace with ids above `after`, oldest first.
    async fn events_after(
        &self,
        workspace_id: Id,
        after: EventId,
        limit: usize,
    ) -> StoreResult<Vec<Event>>;

    // ---- outbox ----
    /// Leases up to `limit` due items of a channel to `holder` for `lease_ms`.
    async fn claim_outbox(
        &self,
        channel_id: Id,
        holder: &str,
        lease_ms: i64,
        limit: usize,
    ) -> StoreResult<Vec<OutboxItem>>;
    /// Records how a delivery went. `Queued` with `retry_at` puts the item back for later;
    /// any other status takes it out of the outbox.
    async fn record_delivery(
        &self,
        item: &OutboxItem,
        status: DeliveryStatus,
        retry_at: Option<i64>,
    ) -> StoreResult<Message>;

    /// Puts a reply whose delivery failed back in the outbox, due now (an agent's "retry").
    async fn send_again(
        &self,
        workspace_id: Id,
        conversation_id: Id,
        message_id: Id,
    ) -> StoreResult<Message>;

    /// Marks the reply that one of our Message-IDs (`<sb-{message}.c{conversation}@…>`) names
    /// as failed, for `reason`: a mail server reported that it could not deliver it. Not found
    /// when the id names no reply of this workspace.
    async fn fail_our_email(
        &self,
        workspace_id: Id,
        our_message_id: &str,
        reason: String,
    ) -> StoreResult<Message>;

    // ---- dead letters ----
    /// Keeps a payload that could not be processed, dropping the channel's oldest letters
    /// beyond `limits` in the same step.
    async fn put_dead_letter(
        &self,
        workspace_id: Id,
        channel_id: Id,
        reason: &str,
        payload: Vec<u8>,
        limits: DeadLetterLimits,
    ) -> StoreResult<KeptLetter>;
    /// Unresolved dead letters, newest first, a page at a time (`cursor`: the last id seen).
    async fn dead_letters(
        &self,
        workspace_id: Id,
        cursor: Option<Id>,
        limit: usize,
    ) -> StoreResult<Page<DeadLetter>>;
    /// Drops the dead letters of every workspace received before `before`; answers how many.
    async fn expire_dead_letters(&self, before: i64) -> StoreResult<u64>;
    async fn dead_letter(&self, workspace_id: Id, id: Id) -> StoreResult<(DeadLetter, Vec<u8>)>;
    /// Counts a replay; `resolved` takes the letter off the list.
    async fn record_replay(
        &self,
        workspace_id: Id,
        id: Id,
        resolved: bool,
        reason: Option<String>,
    ) -> StoreResult<DeadLetter>;

    // ---- plugins ----
    /// Adds a version of a plugin (its component is a blob already) and makes it the active one.
    async fn install_plugin(
        &self,
        workspace_id: Id,
        name: &str,
        version: PluginVersion,
    ) -> StoreResult<PluginState>;
    async fn plugins(&self, workspace_id: Id) -> StoreResult<Vec<PluginState>>;
    async fn plugin(&self, workspace_id: Id, name: &str) -> StoreResult<PluginState>;
    /// Makes an installed version the active one, or switches the plugin on or off.
    async fn update_plugin(
        &self,
        workspace_id: Id,
        name: &str,
        active_version: Option<String>,
        enabled: Option<bool>,
    ) -> StoreResult<PluginState>;

    /// Replaces one of a channel's records kept apart from its settings.
    async fn put_channel_record(
        &self,
        workspace_id: Id,
        channel_id: Id,
        record: ChannelRecord,
        bytes: Vec<u8>,
    ) -> StoreResult<()>;
    async fn channel_record(
        &self,
        workspace_id: Id,
        channel_id: Id,
        record: ChannelRecord,
    ) -> StoreResult<Option<Vec<u8>>>;
    /// A channel's plugin key-value store.
    async fn plugin_kv(
        &self,
        workspace_id: Id,
        channel_id: Id,
    ) -> StoreResult<BTreeMap<String, Vec<u8>>>;
    /// Keeps the key-value writes of a successful plugin call, all or none: refused with
    /// `TooLarge` when the channel's keys and values would then add up to more than
    /// `max_bytes` (counted at the commit, so that calls running at once cannot each fill it).
    async fn put_plugin_kv(
        &self,
        workspace_id: Id,
        channel_id: Id,
        writes: BTreeMap<String, Vec<u8>>,
        max_bytes: u64,
    ) -> StoreResult<()>;

    // ---- blobs ----
    /// Stores content under its SHA-256 (hex), refusing more than `limit` bytes, for `purpose`:
    /// an attachment no message names in time is swept, a visitor's upload counts against its
    /// quotas (`OverQuota` past them); a disk under its reserve refuses files first (`Full`).
    async fn put_blob(
        &self,
        workspace_id: Id,
        bytes: Vec<u8>,
        limit: u64,
        purpose: FilePurpose,
    ) -> StoreResult<String>;
    async fn blob(&self, workspace_id: Id, sha256: &str) -> StoreResult<Vec<u8>>;
    /// Removes files stored before `before` that no message names; returns how many files and
    /// bytes went.
    async fn sweep_unattached_files(&self, before: i64) -> StoreResult<(u64, u64)>;

    // ---- health ----
    /// `Err` with the reason while writes fail (a full disk, a failed sync).
    fn write_health(&self) -> Result<(), String>;

    // ---- leases for work only one node may do ----
    /// Takes or renews the lease `name` for `holder`; `false` when another holder has it.
    async fn acquire_lease(&self, name: &str, holder: &str, ttl_ms: i64) -> StoreResult<bool>;
}
