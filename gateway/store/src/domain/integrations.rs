//! Webhooks, their queue and log, and the audit log as sled keeps them. A delivery's log
//! entry (`WEBHOOK_LOG`) is the record; the queue (`WEBHOOK_QUEUE`) only says which are due
//! when, and a claim moves that time on by the lease, so a node that dies mid-delivery leaves
//! it to the next claim. The rules (what a webhook hears of, what is retried) are the caller's.

use serde::{Deserialize, Serialize};
use switchboard_model::{
    AuditEntry, AuditRecord, EventId, Id, Millis, NewWebhook, Webhook, WebhookAttempt,
    WebhookDelivery, WebhookDeliveryState, WebhookEvent, WebhookUpdate,
};

use super::directory::require_workspace;
use crate::engine::txn::{Read, Scan, Txn};
use crate::keys::{self, key, last_id};
use crate::{QueuedEvent, StoreError, StoreResult, WEBHOOK_LOG_KEPT};

/// A webhook as stored: the record admins see and its signing secret, sealed by the services.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StoredWebhook {
    #[serde(flatten)]
    pub webhook: Webhook,
    pub sealed_secret: Vec<u8>,
}

/// Where a delivery waits in the queue.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
struct Queued {
    webhook_id: Id,
    /// Due then: its first attempt, a retry, or the end of a claim's lease.
    due_at: Millis,
}

pub fn load_webhook(txn: &impl Read, workspace_id: Id, id: Id) -> StoreResult<StoredWebhook> {
    txn.get_json(&key(keys::WEBHOOK, &[workspace_id, id]))?
        .ok_or_else(|| StoreError::not_found("webhook", id))
}

pub fn create_webhook(
    txn: &mut Txn,
    workspace_id: Id,
    new: NewWebhook,
    sealed_secret: Vec<u8>,
) -> StoreResult<Webhook> {
    require_workspace(txn, workspace_id)?;
    let id = txn.next_id();
    let first = Scan::scan_prefix(txn, &key(keys::WEBHOOK, &[workspace_id]))?.is_empty();
    if first {
        // Every event from now on has a higher id than this webhook's.
        txn.put_json(key(keys::WEBHOOK_CURSOR, &[workspace_id]), &id)?;
    }
    let webhook = Webhook {
        id,
        workspace_id,
        url: new.url,
        events: new.events,
        active: new.active,
        created_at: txn.now,
        updated_at: txn.now,
    };
    save(txn, webhook.clone(), sealed_secret)?;
    Ok(webhook)
}

fn save(txn: &mut Txn, webhook: Webhook, sealed_secret: Vec<u8>) -> StoreResult<()> {
    let webhook_key = key(keys::WEBHOOK, &[webhook.workspace_id, webhook.id]);
    txn.put_json(
        webhook_key,
        &StoredWebhook {
            webhook,
            sealed_secret,
        },
    )
}

pub fn update_webhook(
    txn: &mut Txn,
    workspace_id: Id,
    id: Id,
    change: WebhookUpdate,
    sealed_secret: Option<Vec<u8>>,
) -> StoreResult<Webhook> {
    let StoredWebhook {
        mut webhook,
        sealed_secret: old_secret,
    } = load_webhook(txn, workspace_id, id)?;
    if let Some(url) = change.url {
        webhook.url = url;
    }
    if let Some(events) = change.events {
        webhook.events = events;
    }
    if let Some(active) = change.active {
        webhook.active = active;
    }
    webhook.updated_at = txn.now;
    save(txn, webhook.clone(), sealed_secret.unwrap_or(old_secret))?;
    Ok(webhook)
}

pub fn delete_webhook(txn: &mut Txn, workspace_id: Id, id: Id) -> StoreResult<Webhook> {
    let stored = load_webhook(txn, workspace_id, id)?;
    txn.remove(key(keys::WEBHOOK, &[workspace_id, id]));
    for (log_key, _) in Scan::scan_prefix(txn, &key(keys::WEBHOOK_LOG, &[workspace_id, id]))? {
        txn.remove(log_key);
    }
    for (queue_key, value) in Scan::scan_prefix(txn, &key(keys::WEBHOOK_QUEUE, &[workspace_id]))? {
        let queued: Queued = serde_json::from_slice(&value)?;
        if queued.webhook_id == id {
            txn.remove(queue_key);
        }
    }
    Ok(stored.webhook)
}

pub fn queue_events(
    txn: &mut Txn,
    workspace_id: Id,
    from: EventId,
    to: EventId,
    events: Vec<QueuedEvent>,
) -> StoreResult<()> {
    let cursor_key = key(keys::WEBHOOK_CURSOR, &[workspace_id]);
    if txn.get_json::<EventId>(&cursor_key)? != Some(from) {
        return Err(StoreError::Conflict(format!(
            "the webhooks of workspace {workspace_id} were told of the events after {from} already"
        )));
    }
    let mut webhooks = Vec::new();
    for queued in events {
        let delivery = WebhookDelivery {
            id: txn.next_id(),
            webhook_id: queued.webhook_id,
            event: queued.event,
            event_id: Some(queued.event_id),
            state: WebhookDeliveryState::Queued,
            attempts: Vec::new(),
            next_attempt_at: Some(txn.now),
            created_at: txn.now,
        };
        txn.put_json(
            key(keys::WEBHOOK_QUEUE, &[workspace_id, delivery.id]),
            &Queued {
                webhook_id: queued.webhook_id,
                due_at: txn.now,
            },
        )?;
        put_log(txn, workspace_id, &delivery)?;
        if !webhooks.contains(&queued.webhook_id) {
            webhooks.push(queued.webhook_id);
        }
    }
    for webhook_id in webhooks {
        trim_log(txn, workspace_id, webhook_id)?;
    }
    txn.put_json(cursor_key, &to)
}

fn put_log(txn: &mut Txn, workspace_id: Id, delivery: &WebhookDelivery) -> StoreResult<()> {
    txn.put_json(
        key(
            keys::WEBHOOK_LOG,
            &[workspace_id, delivery.webhook_id, delivery.id],
        ),
        delivery,
    )
}

/// Drops a webhook's oldest finished deliveries beyond [`WEBHOOK_LOG_KEPT`] (those still
/// queued stay, however many).
fn trim_log(txn: &mut Txn, workspace_id: Id, webhook_id: Id) -> StoreResult<()> {
    let prefix = key(keys::WEBHOOK_LOG, &[workspace_id, webhook_id]);
    let mut entries: usize = 0;
    txn.walk_prefix(&prefix, &mut |_, _| {
        entries += 1;
        Ok(true)
    })?;
    let mut over = entries.saturating_sub(WEBHOOK_LOG_KEPT);
    if over == 0 {
        return Ok(());
    }
    let mut dropped = Vec::new();
    txn.walk_prefix(&prefix, &mut |log_key, value| {
        let delivery: WebhookDelivery = serde_json::from_slice(value)?;
        if delivery.state != WebhookDeliveryState::Queued {
            dropped.push(log_key.to_vec());
            over -= 1;
        }
        Ok(over > 0)
    })?;
    for log_key in dropped {
        txn.remove(log_key);
    }
    Ok(())
}

pub fn claim(
    txn: &mut Txn,
    workspace_id: Id,
    lease_ms: i64,
    limit: usize,
) -> StoreResult<Vec<WebhookDelivery>> {
    let now = txn.now;
    let mut due = Vec::new();
    if limit > 0 {
        txn.walk_prefix(
            &key(keys::WEBHOOK_QUEUE, &[workspace_id]),
            &mut |queue_key, value| {
                let queued: Queued = serde_json::from_slice(value)?;
                if queued.due_at <= now {
                    due.push((queue_key.to_vec(), queued));
                }
                Ok(due.len() < limit)
            },
        )?;
    }
    let mut claimed = Vec::new();
    for (queue_key, mut queued) in due {
        let delivery_id = last_id(&queue_key).unwrap_or_default();
        let log_key = key(
            keys::WEBHOOK_LOG,
            &[workspace_id, queued.webhook_id, delivery_id],
        );
        let Some(delivery) = txn.get_json::<WebhookDelivery>(&log_key)? else {
            txn.remove(queue_key);
            continue;
        };
        queued.due_at = now.saturating_add(lease_ms);
        txn.put_json(queue_key, &queued)?;
        claimed.push(delivery);
    }
    Ok(claimed)
}

pub fn start_test(txn: &mut Txn, workspace_id: Id, webhook_id: Id) -> StoreResult<WebhookDelivery> {
    load_webhook(txn, workspace_id, webhook_id)?;
    let delivery = WebhookDelivery {
        id: txn.next_id(),
        webhook_id,
        event: WebhookEvent::Ping,
        event_id: None,
        state: WebhookDeliveryState::Queued,
        attempts: Vec::new(),
        next_attempt_at: None,
        created_at: txn.now,
    };
    put_log(txn, workspace_id, &delivery)?;
    Ok(delivery)
}

pub fn record_attempt(
    txn: &mut Txn,
    workspace_id: Id,
    delivery: &WebhookDelivery,
    attempt: WebhookAttempt,
    retry_at: Option<Millis>,
) -> StoreResult<WebhookDelivery> {
    let log_key = key(
        keys::WEBHOOK_LOG,
        &[workspace_id, delivery.webhook_id, delivery.id],
    );
    let queue_key = key(keys::WEBHOOK_QUEUE, &[workspace_id, delivery.id]);
    // A webhook deleted meanwhile took its log and queue with it.
    let Some(mut stored) = txn.get_json::<WebhookDelivery>(&log_key)? else {
        return Err(StoreError::not_found("webhook delivery", delivery.id));
    };
    stored.state = match retry_at {
        Some(_) => WebhookDeliveryState::Queued,
        None if attempt.delivered() => WebhookDeliveryState::Delivered,
        None => WebhookDeliveryState::Failed,
    };
    stored.next_attempt_at = retry_at;
    stored.attempts.push(attempt);
    match retry_at {
        Some(due_at) => txn.put_json(
            queue_key,
            &Queued {
                webhook_id: delivery.webhook_id,
                due_at,
            },
        )?,
        None => txn.remove(queue_key),
    }
    put_log(txn, workspace_id, &stored)?;
    if retry_at.is_none() {
        trim_log(txn, workspace_id, delivery.webhook_id)?;
    }
    Ok(stored)
}

pub fn record_audit(
    txn: &mut Txn,
    workspace_id: Id,
    record: AuditRecord,
) -> StoreResult<AuditEntry> {
    require_workspace(txn, workspace_id)?;
    let entry = AuditEntry {
        id: txn.next_id(),
        workspace_id,
        at: txn.now,
        record,
    };
    txn.put_json(key(keys::AUDIT, &[workspace_id, entry.id]), &entry)?;
    Ok(entry)
}
