//! The store's integrations area on sled (see `crate::store`).

use async_trait::async_trait;
use switchboard_model::{
    AuditEntry, AuditRecord, EventId, Id, Millis, NewWebhook, Page, Webhook, WebhookAttempt,
    WebhookDelivery, WebhookUpdate,
};

use crate::domain::RecordStore;
use crate::domain::integrations::{self, StoredWebhook};
use crate::engine::txn::{Read, Scan};
use crate::keys::{self, key};
use crate::{Integrations, QueuedEvent, StoreResult};

#[async_trait]
impl Integrations for RecordStore {
    async fn create_webhook(
        &self,
        workspace_id: Id,
        new: NewWebhook,
        sealed_secret: Vec<u8>,
    ) -> StoreResult<Webhook> {
        self.writer
            .write(move |txn| integrations::create_webhook(txn, workspace_id, new, sealed_secret))
            .await
    }

    async fn webhooks(&self, workspace_id: Id) -> StoreResult<Vec<Webhook>> {
        let stored: Vec<StoredWebhook> = self.scan(&key(keys::WEBHOOK, &[workspace_id]))?;
        Ok(stored.into_iter().map(|stored| stored.webhook).collect())
    }

    async fn webhook(&self, workspace_id: Id, id: Id) -> StoreResult<(Webhook, Vec<u8>)> {
        let stored = integrations::load_webhook(&self.view(), workspace_id, id)?;
        Ok((stored.webhook, stored.sealed_secret))
    }

    async fn update_webhook(
        &self,
        workspace_id: Id,
        id: Id,
        change: WebhookUpdate,
        sealed_secret: Option<Vec<u8>>,
    ) -> StoreResult<Webhook> {
        self.writer
            .write(move |txn| {
                integrations::update_webhook(txn, workspace_id, id, change, sealed_secret)
            })
            .await
    }

    async fn delete_webhook(&self, workspace_id: Id, id: Id) -> StoreResult<Webhook> {
        self.writer
            .write(move |txn| integrations::delete_webhook(txn, workspace_id, id))
            .await
    }

    async fn webhook_cursor(&self, workspace_id: Id) -> StoreResult<Option<EventId>> {
        self.view()
            .get_json(&key(keys::WEBHOOK_CURSOR, &[workspace_id]))
    }

    async fn queue_webhook_events(
        &self,
        workspace_id: Id,
        from: EventId,
        to: EventId,
        events: Vec<QueuedEvent>,
    ) -> StoreResult<()> {
        self.writer
            .write(move |txn| integrations::queue_events(txn, workspace_id, from, to, events))
            .await
    }

    async fn claim_webhook_deliveries(
        &self,
        workspace_id: Id,
        lease_ms: i64,
        limit: usize,
    ) -> StoreResult<Vec<WebhookDelivery>> {
        self.writer
            .write(move |txn| integrations::claim(txn, workspace_id, lease_ms, limit))
            .await
    }

    async fn start_webhook_test(
        &self,
        workspace_id: Id,
        webhook_id: Id,
    ) -> StoreResult<WebhookDelivery> {
        self.writer
            .write(move |txn| integrations::start_test(txn, workspace_id, webhook_id))
            .await
    }

    async fn record_webhook_attempt(
        &self,
        workspace_id: Id,
        delivery: &WebhookDelivery,
        attempt: WebhookAttempt,
        retry_at: Option<Millis>,
    ) -> StoreResult<WebhookDelivery> {
        let delivery = delivery.clone();
        self.writer
            .write(move |txn| {
                integrations::record_attempt(txn, workspace_id, &delivery, attempt, retry_at)
            })
            .await
    }

    async fn webhook_deliveries(
        &self,
        workspace_id: Id,
        webhook_id: Id,
        limit: usize,
    ) -> StoreResult<Vec<WebhookDelivery>> {
        integrations::load_webhook(&self.view(), workspace_id, webhook_id)?;
        let prefix = key(keys::WEBHOOK_LOG, &[workspace_id, webhook_id]);
        let deliveries = Scan::scan_prefix(&self.view(), &prefix)?
            .into_iter()
            .rev()
            .take(limit)
            .map(|(_, value)| serde_json::from_slice(&value))
            .collect::<Result<_, _>>()?;
        Ok(deliveries)
    }

    async fn record_audit(&self, workspace_id: Id, record: AuditRecord) -> StoreResult<AuditEntry> {
        self.writer
            .write(move |txn| integrations::record_audit(txn, workspace_id, record))
            .await
    }

    async fn audit_log(
        &self,
        workspace_id: Id,
        cursor: Option<Id>,
        limit: usize,
    ) -> StoreResult<Page<AuditEntry>> {
        // Newest first, from just below the cursor, reading only as far as the page needs.
        let prefix = key(keys::AUDIT, &[workspace_id]);
        let end = match cursor {
            Some(cursor) => key(keys::AUDIT, &[workspace_id, cursor]),
            None => key(keys::AUDIT, &[workspace_id.saturating_add(1)]),
        };
        let mut items = Vec::new();
        if limit > 0 {
            self.view().walk_back(&prefix, &end, &mut |_, value| {
                items.push(serde_json::from_slice::<AuditEntry>(value)?);
                Ok(items.len() < limit)
            })?;
        }
        let next_cursor = (items.len() == limit)
            .then(|| items.last().map(|entry| entry.id.to_string()))
            .flatten();
        Ok(Page { items, next_cursor })
    }
}
