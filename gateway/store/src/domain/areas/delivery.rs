//! The store's delivery area on sled (see `crate::store`).

use async_trait::async_trait;
use switchboard_model::{DeadLetter, DeliveryStatus, Id, Message, Page, now_millis};

use crate::engine::txn::Read;
use crate::keys::key;
use crate::{DeadLetterLimits, Delivery, KeptLetter, OutboxItem, StoreResult};

use crate::domain::{RecordStore, delivery, keys};

#[async_trait]
impl Delivery for RecordStore {
    async fn claim_outbox(
        &self,
        channel_id: Id,
        holder: &str,
        lease_ms: i64,
        limit: usize,
    ) -> StoreResult<Vec<OutboxItem>> {
        // An idle channel is the common case: look first without writing, so that it costs no
        // commit. Whatever is due is claimed in a step of its own, which looks again.
        if delivery::due_items(&self.view(), channel_id, now_millis(), 1)?.is_empty() {
            return Ok(Vec::new());
        }
        let holder = holder.to_string();
        self.writer
            .write(move |txn| delivery::claim_outbox(txn, channel_id, &holder, lease_ms, limit))
            .await
    }

    async fn record_delivery(
        &self,
        item: &OutboxItem,
        status: DeliveryStatus,
        retry_at: Option<i64>,
    ) -> StoreResult<Message> {
        let item = item.clone();
        self.writer
            .write(move |txn| delivery::record_delivery(txn, &item, status, retry_at))
            .await
    }

    async fn note_provider_ids(
        &self,
        item: &OutboxItem,
        provider_ids: Vec<String>,
    ) -> StoreResult<()> {
        let item = item.clone();
        self.writer
            .write(move |txn| delivery::note_provider_ids(txn, &item, provider_ids))
            .await
    }

    async fn report_delivery(
        &self,
        workspace_id: Id,
        channel_id: Id,
        provider_id: &str,
        status: DeliveryStatus,
    ) -> StoreResult<Option<Message>> {
        let provider_id = provider_id.to_string();
        self.writer
            .write(move |txn| {
                delivery::report_delivery(txn, workspace_id, channel_id, &provider_id, status)
            })
            .await
    }

    async fn put_dead_letter(
        &self,
        workspace_id: Id,
        channel_id: Id,
        reason: &str,
        payload: Vec<u8>,
        limits: DeadLetterLimits,
    ) -> StoreResult<KeptLetter> {
        let reason = reason.to_string();
        self.writer
            .write(move |txn| {
                delivery::put_dead_letter(txn, workspace_id, channel_id, reason, payload, limits)
            })
            .await
    }

    async fn sent_today(&self, workspace_id: Id) -> StoreResult<u64> {
        delivery::sent_today(&self.view(), workspace_id, now_millis())
    }

    async fn dead_letters(
        &self,
        workspace_id: Id,
        cursor: Option<Id>,
        limit: usize,
    ) -> StoreResult<Page<DeadLetter>> {
        self.newest_dead_letters(workspace_id, None, cursor, limit)
    }

    async fn channel_dead_letters(
        &self,
        workspace_id: Id,
        channel_id: Id,
        cursor: Option<Id>,
        limit: usize,
    ) -> StoreResult<Page<DeadLetter>> {
        self.newest_dead_letters(workspace_id, Some(channel_id), cursor, limit)
    }

    async fn delete_dead_letter(&self, workspace_id: Id, id: Id) -> StoreResult<DeadLetter> {
        self.writer
            .write(move |txn| delivery::delete_dead_letter(txn, workspace_id, id))
            .await
    }

    async fn send_again(
        &self,
        workspace_id: Id,
        conversation_id: Id,
        message_id: Id,
    ) -> StoreResult<Message> {
        self.writer
            .write(move |txn| delivery::send_again(txn, workspace_id, conversation_id, message_id))
            .await
    }

    async fn fail_our_email(
        &self,
        workspace_id: Id,
        our_message_id: &str,
        reason: String,
    ) -> StoreResult<Message> {
        let our_message_id = our_message_id.to_string();
        self.writer
            .write(move |txn| delivery::fail_our_email(txn, workspace_id, &our_message_id, reason))
            .await
    }

    async fn expire_dead_letters(&self, before: i64) -> StoreResult<u64> {
        self.writer
            .write(move |txn| delivery::expire_dead_letters(txn, before))
            .await
    }

    async fn dead_letter(&self, workspace_id: Id, id: Id) -> StoreResult<(DeadLetter, Vec<u8>)> {
        delivery::dead_letter(&self.view(), workspace_id, id)
    }

    async fn record_replay(
        &self,
        workspace_id: Id,
        id: Id,
        resolved: bool,
        reason: Option<String>,
    ) -> StoreResult<DeadLetter> {
        self.writer
            .write(move |txn| delivery::record_replay(txn, workspace_id, id, resolved, reason))
            .await
    }

    async fn acquire_lease(&self, name: &str, holder: &str, ttl_ms: i64) -> StoreResult<bool> {
        let (name, holder) = (name.to_string(), holder.to_string());
        self.writer
            .write(move |txn| delivery::acquire_lease(txn, &name, &holder, ttl_ms))
            .await
    }

    async fn release_leases(&self, holder: &str) -> StoreResult<usize> {
        let holder = holder.to_string();
        self.writer
            .write(move |txn| delivery::release_leases(txn, &holder))
            .await
    }
}

impl RecordStore {
    /// Unresolved dead letters, the workspace's or one channel's (through its index), newest
    /// first from just below the cursor, reading only as far as the page needs.
    fn newest_dead_letters(
        &self,
        workspace_id: Id,
        channel_id: Option<Id>,
        cursor: Option<Id>,
        limit: usize,
    ) -> StoreResult<Page<DeadLetter>> {
        let (prefix, scope) = match channel_id {
            Some(channel_id) => (keys::DEAD_BY_CHANNEL, vec![workspace_id, channel_id]),
            None => (keys::DEAD_LETTER, vec![workspace_id]),
        };
        let start = key(prefix, &scope);
        let end = match cursor {
            Some(cursor) => key(prefix, &[scope.as_slice(), &[cursor]].concat()),
            None => {
                let mut next = scope.clone();
                if let Some(last) = next.last_mut() {
                    *last = last.saturating_add(1);
                }
                key(prefix, &next)
            }
        };
        let view = self.view();
        let mut items = Vec::new();
        if limit == 0 {
            return Ok(Page {
                items,
                next_cursor: None,
            });
        }
        view.walk_back(&start, &end, &mut |entry_key, value| {
            let letter: Option<DeadLetter> = match channel_id {
                None => Some(serde_json::from_slice(value)?),
                Some(_) => {
                    let id = keys::last_id(entry_key).unwrap_or_default();
                    view.get_json(&key(keys::DEAD_LETTER, &[workspace_id, id]))?
                }
            };
            if let Some(letter) = letter
                && !letter.resolved
            {
                items.push(letter);
            }
            Ok(items.len() < limit)
        })?;
        let next_cursor = (items.len() == limit)
            .then(|| items.last().map(|letter| letter.id.to_string()))
            .flatten();
        Ok(Page { items, next_cursor })
    }
}
