//! What a workspace tells the world and what it remembers of its admins: outgoing webhooks with
//! their queue of deliveries and each one's log, and the audit log.

use async_trait::async_trait;
use switchboard_model::{
    AuditEntry, AuditRecord, EventId, Id, Millis, NewWebhook, Page, Webhook, WebhookAttempt,
    WebhookDelivery, WebhookEvent, WebhookUpdate,
};

use crate::StoreResult;

/// One delivery to queue: a webhook, the event it hears of, and the entry of the event log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueuedEvent {
    pub webhook_id: Id,
    pub event: WebhookEvent,
    pub event_id: EventId,
}

#[async_trait]
pub trait Integrations: Send + Sync {
    // ---- webhooks ----
    /// Adds a webhook with its signing secret, sealed by the caller. The workspace's first
    /// webhook hears of what happens from now on, not of its past.
    async fn create_webhook(
        &self,
        workspace_id: Id,
        new: NewWebhook,
        sealed_secret: Vec<u8>,
    ) -> StoreResult<Webhook>;
    async fn webhooks(&self, workspace_id: Id) -> StoreResult<Vec<Webhook>>;
    /// A webhook and its sealed signing secret.
    async fn webhook(&self, workspace_id: Id, id: Id) -> StoreResult<(Webhook, Vec<u8>)>;
    /// Applies a change (checked by the caller); `sealed_secret` replaces the signing secret.
    async fn update_webhook(
        &self,
        workspace_id: Id,
        id: Id,
        change: WebhookUpdate,
        sealed_secret: Option<Vec<u8>>,
    ) -> StoreResult<Webhook>;
    /// Removes a webhook with its queued deliveries and its log.
    async fn delete_webhook(&self, workspace_id: Id, id: Id) -> StoreResult<Webhook>;

    // ---- deliveries ----
    /// The last entry of the event log the workspace's webhooks were told of; `None` while it
    /// never had a webhook.
    async fn webhook_cursor(&self, workspace_id: Id) -> StoreResult<Option<EventId>>;
    /// Queues `events`, due now, and moves the cursor from `from` to `to`, in one step:
    /// `Conflict` when the cursor is no longer at `from` (another node queued them first).
    async fn queue_webhook_events(
        &self,
        workspace_id: Id,
        from: EventId,
        to: EventId,
        events: Vec<QueuedEvent>,
    ) -> StoreResult<()>;
    /// Leases up to `limit` of the workspace's due deliveries for `lease_ms`: another node
    /// takes one whose lease ran out.
    async fn claim_webhook_deliveries(
        &self,
        workspace_id: Id,
        lease_ms: i64,
        limit: usize,
    ) -> StoreResult<Vec<WebhookDelivery>>;
    /// Starts the log entry of a test delivery (`ping`), made at once and never queued.
    async fn start_webhook_test(
        &self,
        workspace_id: Id,
        webhook_id: Id,
    ) -> StoreResult<WebhookDelivery>;
    /// Adds an attempt to a delivery's log: `retry_at` queues it again for then; otherwise
    /// it is delivered or failed as the attempt says and leaves the queue. The webhook's log
    /// keeps its [`WEBHOOK_LOG_KEPT`] newest finished deliveries.
    async fn record_webhook_attempt(
        &self,
        workspace_id: Id,
        delivery: &WebhookDelivery,
        attempt: WebhookAttempt,
        retry_at: Option<Millis>,
    ) -> StoreResult<WebhookDelivery>;
    /// A webhook's log, newest first.
    async fn webhook_deliveries(
        &self,
        workspace_id: Id,
        webhook_id: Id,
        limit: usize,
    ) -> StoreResult<Vec<WebhookDelivery>>;

    // ---- audit log ----
    async fn record_audit(&self, workspace_id: Id, record: AuditRecord) -> StoreResult<AuditEntry>;
    /// The audit log, newest first, a page at a time (`cursor`: the last id seen).
    async fn audit_log(
        &self,
        workspace_id: Id,
        cursor: Option<Id>,
        limit: usize,
    ) -> StoreResult<Page<AuditEntry>>;
}

/// How many finished deliveries each webhook's log keeps.
pub const WEBHOOK_LOG_KEPT: usize = 100;
