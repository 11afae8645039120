//! Outgoing webhooks: the URLs an admin subscribes to the workspace's events, checked against
//! the operator's fetch policy when they are saved (and again at each connection), each with a
//! signing secret made here, sealed at rest and shown once. Deliveries come from the event log:
//! a workspace's cursor says up to which event its webhooks were told, and moving it queues the
//! deliveries in the same step, so nothing is missed or told twice across a restart. Queued
//! deliveries are leased, posted signed ([`signature`]) and retried with the outbox's backoff
//! on no answer, a 5xx or a 429, up to [`MAX_ATTEMPTS`]; each attempt is in the delivery's log.
//! The body and its sending are in `sending`.

use std::collections::BTreeMap;
use std::time::Duration;

use futures_util::StreamExt;
use rand::RngCore;
use switchboard_model::{
    Id, NewWebhook, SavedWebhook, Webhook, WebhookAttempt, WebhookDelivery, WebhookEvent,
    WebhookUpdate, now_millis,
};
use switchboard_store::QueuedEvent;

use crate::{Fault, FaultKind, ServiceResult, Services};

mod sending;
pub mod signature;

use sending::Endpoint;

/// Attempts before a delivery is given up as failed.
pub const MAX_ATTEMPTS: usize = 8;
/// No wait between two attempts is longer than this.
const LONGEST_RETRY: Duration = Duration::from_secs(3600);
/// How long a claimed delivery is this node's before another may take it.
const LEASE_MS: i64 = 60_000;
/// Deliveries claimed per workspace per round.
const BATCH: usize = 50;
/// Deliveries of one workspace posted side by side.
const POSTS_AT_ONCE: usize = 8;
/// Events read from the log at once.
const EVENTS_AT_ONCE: usize = 500;
/// The longest URL a webhook may have.
const MAX_URL_CHARS: usize = 2048;
/// The name the signing secret is sealed under.
const SECRET_NAME: &str = "signing_secret";

/// Adds a webhook, with a new signing secret shown in this answer only.
pub async fn create(
    state: &Services,
    workspace_id: Id,
    mut new: NewWebhook,
) -> ServiceResult<SavedWebhook> {
    new.url = checked_url(state, &new.url).await?;
    new.events = checked_events(new.events)?;
    let (secret, sealed) = new_secret(state)?;
    let webhook = state
        .store
        .create_webhook(workspace_id, new, sealed)
        .await?;
    Ok(SavedWebhook {
        webhook,
        secret: Some(secret),
    })
}

/// Changes a webhook; `rotate_secret` makes a new signing secret, shown in this answer only.
pub async fn update(
    state: &Services,
    workspace_id: Id,
    id: Id,
    mut change: WebhookUpdate,
) -> ServiceResult<SavedWebhook> {
    state.store.webhook(workspace_id, id).await?;
    if let Some(url) = &change.url {
        change.url = Some(checked_url(state, url).await?);
    }
    if let Some(events) = change.events {
        change.events = Some(checked_events(events)?);
    }
    let (secret, sealed) = match change.rotate_secret {
        true => new_secret(state).map(|(secret, sealed)| (Some(secret), Some(sealed)))?,
        false => (None, None),
    };
    let webhook = state
        .store
        .update_webhook(workspace_id, id, change, sealed)
        .await?;
    Ok(SavedWebhook { webhook, secret })
}

/// Sends a `ping` to the webhook now, whether it is active or not, and logs it; the answer
/// says what the endpoint said.
pub async fn send_test(
    state: &Services,
    workspace_id: Id,
    id: Id,
) -> ServiceResult<WebhookDelivery> {
    let (webhook, sealed) = state.store.webhook(workspace_id, id).await?;
    let endpoint = endpoint(state, &webhook, &sealed)?;
    let delivery = state.store.start_webhook_test(workspace_id, id).await?;
    let attempt = match sending::body_of(state, workspace_id, &delivery).await? {
        Some(body) => sending::post(state, &endpoint, &delivery, body).await?,
        None => return Err(Fault::internal("a ping always has a body")),
    };
    Ok(state
        .store
        .record_webhook_attempt(workspace_id, &delivery, attempt, None)
        .await?)
}

/// One round over every workspace that has webhooks: tells them of new events and posts what
/// is due. Answers how many attempts were made.
pub async fn deliver_due(state: &Services) -> ServiceResult<usize> {
    let mut attempts = 0;
    for workspace in state.store.workspaces().await? {
        attempts += deliver_workspace(state, workspace.id).await?;
    }
    Ok(attempts)
}

/// Tells a workspace's webhooks of new events and posts its due deliveries.
pub async fn deliver_workspace(state: &Services, workspace_id: Id) -> ServiceResult<usize> {
    let webhooks = state.store.webhooks(workspace_id).await?;
    if webhooks.is_empty() {
        return Ok(0);
    }
    queue_new_events(state, workspace_id, &webhooks).await?;
    let due = state
        .store
        .claim_webhook_deliveries(workspace_id, LEASE_MS, BATCH)
        .await?;
    let attempts = due.len();
    let posts = futures_util::stream::iter(due)
        .map(|delivery| attempt(state, workspace_id, &webhooks, delivery))
        .buffer_unordered(POSTS_AT_ONCE);
    let done: Vec<ServiceResult<()>> = posts.collect().await;
    done.into_iter().collect::<ServiceResult<()>>()?;
    Ok(attempts)
}

/// Queues a delivery of each new event to each active webhook that hears of it, moving the
/// workspace's cursor in the same step.
async fn queue_new_events(
    state: &Services,
    workspace_id: Id,
    webhooks: &[Webhook],
) -> ServiceResult<()> {
    let Some(mut cursor) = state.store.webhook_cursor(workspace_id).await? else {
        return Ok(());
    };
    loop {
        let events = state
            .store
            .events_after(workspace_id, cursor, EVENTS_AT_ONCE)
            .await?;
        let Some(last) = events.last().map(|event| event.id) else {
            return Ok(());
        };
        let mut queued = Vec::new();
        for event in &events {
            let Some(heard) = WebhookEvent::of(&event.kind) else {
                continue;
            };
            queued.extend(
                webhooks
                    .iter()
                    .filter(|webhook| webhook.active && webhook.events.contains(&heard))
                    .map(|webhook| QueuedEvent {
                        webhook_id: webhook.id,
                        event: heard,
                        event_id: event.id,
                    }),
            );
        }
        match state
            .store
            .queue_webhook_events(workspace_id, cursor, last, queued)
            .await
        {
            // Another node told them first: it delivers them.
            Err(switchboard_store::StoreError::Conflict(_)) => return Ok(()),
            done => done?,
        }
        if events.len() < EVENTS_AT_ONCE {
            return Ok(());
        }
        cursor = last;
    }
}

/// One attempt at a claimed delivery, recorded in its log with what comes next: a retry
/// after the outbox's backoff, or the end.
async fn attempt(
    state: &Services,
    workspace_id: Id,
    webhooks: &[Webhook],
    delivery: WebhookDelivery,
) -> ServiceResult<()> {
    let started = now_millis();
    let failed = |error: String| WebhookAttempt {
        at: started,
        duration_ms: 0,
        status: None,
        error: Some(error),
        response: None,
    };
    let attempt = match webhooks
        .iter()
        .find(|webhook| webhook.id == delivery.webhook_id)
    {
        // Deleted since this round read them: its deliveries went with it.
        None => return Ok(()),
        Some(webhook) => {
            let (_, sealed) = state.store.webhook(workspace_id, webhook.id).await?;
            match (
                endpoint(state, webhook, &sealed),
                sending::body_of(state, workspace_id, &delivery).await?,
            ) {
                (Err(fault), _) => failed(fault.message),
                (Ok(_), None) => {
                    let gone = failed("the event is no longer in the log (erased)".into());
                    return record(state, workspace_id, &delivery, gone, false).await;
                }
                (Ok(endpoint), Some(body)) => {
                    sending::post(state, &endpoint, &delivery, body).await?
                }
            }
        }
    };
    let retry = attempt.retryable();
    record(state, workspace_id, &delivery, attempt, retry).await
}

/// Records an attempt: queued again after the backoff when `retry` and attempts remain.
async fn record(
    state: &Services,
    workspace_id: Id,
    delivery: &WebhookDelivery,
    attempt: WebhookAttempt,
    retry: bool,
) -> ServiceResult<()> {
    let made = delivery.attempts.len() + 1;
    let retry_at = (retry && made < MAX_ATTEMPTS).then(|| {
        let failures = u32::try_from(made).unwrap_or(u32::MAX);
        let wait = crate::backoff::doubling(state.config.first_retry, failures, LONGEST_RETRY);
        now_millis().saturating_add(i64::try_from(wait.as_millis()).unwrap_or(i64::MAX))
    });
    tracing::info!(
        workspace_id,
        webhook_id = delivery.webhook_id,
        delivery_id = delivery.id,
        event = delivery.event.as_str(),
        status = attempt.status,
        retry_at,
        "webhook delivery attempted"
    );
    match state
        .store
        .record_webhook_attempt(workspace_id, delivery, attempt, retry_at)
        .await
    {
        // Its webhook was deleted meanwhile.
        Err(switchboard_store::StoreError::NotFound { .. }) => Ok(()),
        done => done.map(|_| ()).map_err(Fault::from),
    }
}

/// The webhook's URL and its secret, opened.
fn endpoint(state: &Services, webhook: &Webhook, sealed: &[u8]) -> ServiceResult<Endpoint> {
    let secret = state
        .secrets
        .open(sealed)
        .map_err(Fault::internal)?
        .remove(SECRET_NAME)
        .ok_or_else(|| Fault::internal("the webhook has no signing secret"))?;
    Ok(Endpoint {
        url: webhook.url.clone(),
        secret,
    })
}

/// A new signing secret, and it sealed for the store.
fn new_secret(state: &Services) -> ServiceResult<(String, Vec<u8>)> {
    let mut bytes = [0u8; 24];
    rand::rng().fill_bytes(&mut bytes);
    let secret = format!("whsec_{}", hex::encode(bytes));
    let sealed = state
        .secrets
        .seal(&BTreeMap::from([(SECRET_NAME.to_string(), secret.clone())]))
        .map_err(Fault::internal)?;
    Ok((secret, sealed))
}

/// A webhook's URL as logs name it: its scheme, host and port, never its user, path or query,
/// which may hold the receiver's own secret (as chat tools' incoming-webhook URLs do).
pub fn shown_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(parsed) => format!("{}/…", parsed.origin().ascii_serialization()),
        Err(_) => "a URL that cannot be read".into(),
    }
}

fn invalid(message: String, field: &str) -> Fault {
    Fault::new(FaultKind::Invalid, "invalid_webhook", message).on_field(field)
}

/// The URL, trimmed, once the operator's fetch policy would let a delivery reach it.
async fn checked_url(state: &Services, url: &str) -> ServiceResult<String> {
    let url = url.trim().to_string();
    if url.chars().count() > MAX_URL_CHARS {
        return Err(invalid(
            format!("`url` is longer than {MAX_URL_CHARS} characters"),
            "url",
        ));
    }
    let parsed = url::Url::parse(&url)
        .map_err(|error| invalid(format!("`url` is not a URL: {error}"), "url"))?;
    if !["https", "http"].contains(&parsed.scheme()) || parsed.host().is_none() {
        return Err(invalid(
            "`url` must be an https:// address".to_string(),
            "url",
        ));
    }
    let fetcher = state.plugins.fetcher.clone();
    let checked = url.clone();
    tokio::task::spawn_blocking(move || fetcher.check_destination(&checked))
        .await
        .map_err(|error| Fault::internal(error.to_string()))?
        .map_err(|refusal| invalid(format!("`url`: {refusal}"), "url"))?;
    Ok(url)
}

/// The events, each once, when there is at least one and each may be subscribed to.
fn checked_events(mut events: Vec<WebhookEvent>) -> ServiceResult<Vec<WebhookEvent>> {
    events.sort();
    events.dedup();
    if events.is_empty() {
        return Err(invalid(
            "`events` must name at least one event".into(),
            "events",
        ));
    }
    if let Some(event) = events
        .iter()
        .find(|event| !WebhookEvent::SUBSCRIBABLE.contains(event))
    {
        return Err(invalid(
            format!(
                "`events` may not name {}: it is sent by \"send test\" only",
                event.as_str()
            ),
            "events",
        ));
    }
    Ok(events)
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_url_is_shown_without_its_user_path_or_query() {
        let shown =
            super::shown_url("https://bot:pw@hooks.example.com:8443/services/T0/B0/s3cret?x=1");
        assert_eq!(shown, "https://hooks.example.com:8443/…");
    }
}
