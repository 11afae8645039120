//! How one delivery ended, and recording it on the reply: sent, failed, or queued again with a
//! retry time (backoff, or when the provider said), until the reply is given up.

use std::time::Duration;

use switchboard_model::{DeliveryStatus, now_millis};
use switchboard_store::OutboxItem;

use crate::{ServiceResult, Services};

/// Tries before a reply is given up as failed.
const MAX_ATTEMPTS: u32 = 5;
/// No wait between two attempts is longer than this.
const LONGEST_RETRY: Duration = Duration::from_secs(3600);

/// How one delivery ended.
pub(crate) enum Outcome {
    /// Sent; `via` names another way it went than its own channel.
    Sent {
        via: Option<String>,
    },
    /// Try again later, for this reason.
    Retry(String),
    /// Try again at this time (the provider said when), for this reason.
    RetryAt {
        reason: String,
        at: i64,
    },
    Failed(String),
    /// Not tried: wait until then, for this reason (a daily send limit).
    Wait {
        reason: String,
        until: i64,
    },
}

pub(super) async fn record(
    state: &Services,
    item: &OutboxItem,
    outcome: Outcome,
) -> ServiceResult<()> {
    let mut item = item.clone();
    let (status, retry_at) = match outcome {
        Outcome::Wait { reason, until } => {
            item.attempts = item.attempts.saturating_sub(1);
            (
                DeliveryStatus::Queued {
                    reason: Some(reason),
                },
                Some(until),
            )
        }
        Outcome::Sent { via } => (DeliveryStatus::Sent { via }, None),
        Outcome::Failed(reason) => (DeliveryStatus::Failed { reason }, None),
        Outcome::Retry(reason) | Outcome::RetryAt { reason, .. }
            if item.attempts >= MAX_ATTEMPTS =>
        {
            (
                DeliveryStatus::Failed {
                    reason: format!("{reason} (gave up after {MAX_ATTEMPTS} attempts)"),
                },
                None,
            )
        }
        Outcome::RetryAt { reason, at } => (
            DeliveryStatus::Queued {
                reason: Some(reason),
            },
            Some(at),
        ),
        Outcome::Retry(reason) => {
            let first = state.config.first_retry;
            let wait = crate::backoff::doubling(first, item.attempts, LONGEST_RETRY);
            let retry_at = now_millis() + i64::try_from(wait.as_millis()).unwrap_or(i64::MAX);
            (
                DeliveryStatus::Queued {
                    reason: Some(reason),
                },
                Some(retry_at),
            )
        }
    };
    tracing::info!(
        workspace_id = item.workspace_id,
        channel_id = item.channel_id,
        conversation_id = item.conversation_id,
        message_id = item.message_id,
        ?status,
        "delivery recorded"
    );
    state.store.record_delivery(&item, status, retry_at).await?;
    Ok(())
}
