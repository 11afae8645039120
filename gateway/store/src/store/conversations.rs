//! Conversations and their messages: ingest, replies, the inbox's lists and counts.

use async_trait::async_trait;
use switchboard_model::{
    Author, Conversation, ConversationFilter, EventId, Id, InboundMessage, InboxCounts, Ingested,
    Message, Millis, NewConversation, NewReply, Page, Started,
};

use crate::{ConversationChange, StoreResult};

#[async_trait]
pub trait Conversations: Send + Sync {
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
    /// Gives conversations that wait unassigned in a team's queue (those waiting longest first,
    /// at most `limit` looked at) to the team's next member in turn, when the team assigns
    /// automatically and someone is available; returns those assigned.
    async fn assign_queued(&self, limit: usize) -> StoreResult<Vec<Conversation>>;
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
    /// Gives the inbound message the channel knows as `external_id` the text its author
    /// edited it to; it reads so from then on (`edited_at` set) and live clients are told. Not
    /// found when the channel has no message of that id.
    async fn edit_message(
        &self,
        workspace_id: Id,
        channel_id: Id,
        external_id: &str,
        text: String,
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
}
