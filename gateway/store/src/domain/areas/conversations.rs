//! The store's conversations area on sled (see `crate::store`).

use async_trait::async_trait;
use switchboard_model::{
    Author, Conversation, ConversationFilter, EventId, Id, InboundMessage, InboxCounts, Ingested,
    Message, Millis, NewConversation, NewReply, Page, Started,
};

use crate::{ConversationChange, Conversations, StoreResult};

use crate::domain::conversations::Queued;
use crate::domain::{RecordStore, conversations, edits};

#[async_trait]
impl Conversations for RecordStore {
    async fn edit_message(
        &self,
        workspace_id: Id,
        channel_id: Id,
        external_id: &str,
        text: String,
    ) -> StoreResult<Message> {
        let external_id = external_id.to_string();
        self.writer
            .write(move |txn| {
                edits::edit_message(txn, workspace_id, channel_id, &external_id, text)
            })
            .await
    }

    async fn ingest(
        &self,
        workspace_id: Id,
        channel_id: Id,
        message: InboundMessage,
    ) -> StoreResult<Ingested> {
        let inbox = self.inbox.clone();
        self.writer
            .write(move |txn| conversations::ingest(txn, &inbox, workspace_id, channel_id, message))
            .await
    }

    async fn conversations(
        &self,
        workspace_id: Id,
        filter: &ConversationFilter,
    ) -> StoreResult<Page<Conversation>> {
        self.index_up_to_date();
        conversations::list(&self.view(), &self.inbox, workspace_id, filter)
    }

    async fn inbox_counts(&self, workspace_id: Id, agent_id: Id) -> StoreResult<InboxCounts> {
        self.index_up_to_date();
        Ok(self.inbox.counts(workspace_id, agent_id))
    }

    async fn start_conversation(
        &self,
        workspace_id: Id,
        agent_id: Id,
        new: NewConversation,
    ) -> StoreResult<Started> {
        self.writer
            .write(move |txn| conversations::start(txn, workspace_id, agent_id, new))
            .await
    }

    async fn wake_snoozed(&self, now: Millis) -> StoreResult<Vec<Conversation>> {
        let mut woken = Vec::new();
        for (workspace_id, id) in self.inbox.due(now) {
            let conversation = self
                .writer
                .write(move |txn| conversations::wake(txn, workspace_id, id, now))
                .await?;
            woken.extend(conversation);
        }
        Ok(woken)
    }

    async fn assign_queued(&self, limit: usize) -> StoreResult<Vec<Conversation>> {
        let mut assigned = Vec::new();
        // A team whose queue could not be served is not asked again until the next round.
        let mut full = std::collections::HashSet::new();
        for (workspace_id, id, team_id) in self.inbox.queued(limit) {
            if full.contains(&(workspace_id, team_id)) {
                continue;
            }
            let inbox = self.inbox.clone();
            let taken = self
                .writer
                .write(move |txn| conversations::assign_queued(txn, &inbox, workspace_id, id))
                .await?;
            match taken {
                Queued::Assigned(conversation) => assigned.push(*conversation),
                Queued::NotWaiting => {}
                Queued::NobodyFree => {
                    full.insert((workspace_id, team_id));
                }
            }
        }
        Ok(assigned)
    }

    async fn conversation(&self, workspace_id: Id, id: Id) -> StoreResult<Conversation> {
        conversations::load(&self.view(), workspace_id, id)
    }

    async fn update_conversation(
        &self,
        workspace_id: Id,
        id: Id,
        change: ConversationChange,
        by: Author,
    ) -> StoreResult<Conversation> {
        self.writer
            .write(move |txn| conversations::update(txn, workspace_id, id, change, by))
            .await
    }

    async fn add_reply(
        &self,
        workspace_id: Id,
        conversation_id: Id,
        author: Author,
        reply: NewReply,
    ) -> StoreResult<Message> {
        self.writer
            .write(move |txn| {
                conversations::add_reply(txn, workspace_id, conversation_id, author, reply)
            })
            .await
    }

    async fn message(
        &self,
        workspace_id: Id,
        conversation_id: Id,
        message_id: Id,
    ) -> StoreResult<Message> {
        let stored = conversations::load_stored(&self.view(), workspace_id, conversation_id)?;
        conversations::find_message(&self.view(), &stored, message_id)
    }

    async fn messages(
        &self,
        workspace_id: Id,
        conversation_id: Id,
        cursor: Option<Id>,
        limit: usize,
    ) -> StoreResult<Page<Message>> {
        conversations::messages(self.view(), workspace_id, conversation_id, cursor, limit)
    }

    async fn latest_messages(
        &self,
        workspace_id: Id,
        conversation_id: Id,
        limit: usize,
    ) -> StoreResult<Vec<Message>> {
        conversations::latest_messages(self.view(), workspace_id, conversation_id, limit)
    }

    async fn messages_since(
        &self,
        workspace_id: Id,
        conversation_id: Id,
        after: EventId,
        limit: usize,
    ) -> StoreResult<Vec<(EventId, Message)>> {
        conversations::messages_since(self.view(), workspace_id, conversation_id, after, limit)
    }
}
