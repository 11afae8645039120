//! Work that must not be lost: the outbox, dead letters, and leases on work only one node may do.

use async_trait::async_trait;
use switchboard_model::{DeadLetter, DeliveryStatus, Id, Message, Page};

use crate::{DeadLetterLimits, KeptLetter, OutboxItem, StoreResult};

#[async_trait]
pub trait Delivery: Send + Sync {
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

    /// Remembers the ids a provider gave a reply's deliveries, so that its status reports
    /// find the reply.
    async fn note_provider_ids(
        &self,
        item: &OutboxItem,
        provider_ids: Vec<String>,
    ) -> StoreResult<()>;

    /// A provider's status report about one of our replies, named by the id the provider gave
    /// it: the reply's delivery moves forward, never back (see
    /// [`DeliveryStatus::advanced_by`]). A report that comes before the id is known (it raced
    /// the outbox reading the provider's answer) is kept and applied when it is (`None`); not
    /// found when the channel has no reply on its way and none has that id.
    async fn report_delivery(
        &self,
        workspace_id: Id,
        channel_id: Id,
        provider_id: &str,
        status: DeliveryStatus,
    ) -> StoreResult<Option<Message>>;

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
    /// How many messages to contacts the workspace wrote today (UTC), bots' included.
    async fn sent_today(&self, workspace_id: Id) -> StoreResult<u64>;
    async fn dead_letters(
        &self,
        workspace_id: Id,
        cursor: Option<Id>,
        limit: usize,
    ) -> StoreResult<Page<DeadLetter>>;
    /// One channel's unresolved dead letters, newest first, a page at a time.
    async fn channel_dead_letters(
        &self,
        workspace_id: Id,
        channel_id: Id,
        cursor: Option<Id>,
        limit: usize,
    ) -> StoreResult<Page<DeadLetter>>;
    /// Removes a dead letter and its payload for good; answers what it was.
    async fn delete_dead_letter(&self, workspace_id: Id, id: Id) -> StoreResult<DeadLetter>;
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

    // ---- leases for work only one node may do ----
    /// Takes or renews the lease `name` for `holder`; `false` when another holder has it.
    async fn acquire_lease(&self, name: &str, holder: &str, ttl_ms: i64) -> StoreResult<bool>;
    /// Lets go of every lease and outbox claim `holder` has (a node draining before it stops),
    /// so that the other nodes take the work over at once; answers how many.
    async fn release_leases(&self, holder: &str) -> StoreResult<usize>;
}
