//! One delivery attempt: the body (the entry of the event log read back, or a `ping`), signed
//! at the moment it goes, posted through the gateway's fetcher (so the operator's fetch policy
//! applies to every connection), and what the endpoint said as a [`WebhookAttempt`].

use std::time::{Duration, Instant};

use serde_json::json;
use switchboard_model::{
    Id, WebhookAttempt, WebhookBody, WebhookDelivery, WebhookEvent, now_millis, webhook_data,
};
use switchboard_plugins::latest::{Header, HttpRequest};

use super::signature;
use crate::{Fault, ServiceResult, Services};

/// Longest an endpoint may take to answer, body included.
const TIMEOUT: Duration = Duration::from_secs(10);
/// How much of an endpoint's answer the log keeps, in characters.
const RESPONSE_CHARS: usize = 300;

/// Where a webhook's deliveries go, and the secret they are signed with.
pub(super) struct Endpoint {
    pub url: String,
    pub secret: String,
}

/// The body of `delivery` as JSON; `None` when the entry of the event log it told of is no
/// longer there (its contact was erased).
pub(super) async fn body_of(
    state: &Services,
    workspace_id: Id,
    delivery: &WebhookDelivery,
) -> ServiceResult<Option<Vec<u8>>> {
    let body = match delivery.event_id {
        None => WebhookBody {
            id: delivery.id,
            event: WebhookEvent::Ping,
            workspace_id,
            event_id: None,
            created_at: delivery.created_at,
            data: json!({ "webhook_id": delivery.webhook_id }),
        },
        Some(event_id) => {
            let found = state
                .store
                .events_after(workspace_id, event_id.saturating_sub(1), 1)
                .await?;
            let Some(logged) = found.into_iter().find(|event| event.id == event_id) else {
                return Ok(None);
            };
            let Some((event, data)) = webhook_data(&logged.kind) else {
                return Ok(None);
            };
            WebhookBody {
                id: delivery.id,
                event,
                workspace_id,
                event_id: Some(event_id),
                created_at: logged.at,
                data,
            }
        }
    };
    serde_json::to_vec(&body)
        .map(Some)
        .map_err(|error| Fault::internal(error.to_string()))
}

/// Posts `body` to the endpoint, signed now; what it answered, or why it could not be asked.
pub(super) async fn post(
    state: &Services,
    endpoint: &Endpoint,
    delivery: &WebhookDelivery,
    body: Vec<u8>,
) -> ServiceResult<WebhookAttempt> {
    let at = now_millis();
    let header = |name: &str, value: String| Header {
        name: name.to_string(),
        value,
    };
    let request = HttpRequest {
        method: "POST".into(),
        url: endpoint.url.clone(),
        headers: vec![
            header("content-type", "application/json".into()),
            header("user-agent", "Switchboard-Webhooks/1".into()),
            header("x-switchboard-event", delivery.event.as_str().into()),
            header("x-switchboard-delivery", delivery.id.to_string()),
            header(
                signature::HEADER,
                signature::sign(&endpoint.secret, at.div_euclid(1000), &body),
            ),
        ],
        body,
    };
    let fetcher = state.plugins.fetcher.clone();
    let started = Instant::now();
    let answer = tokio::task::spawn_blocking(move || fetcher.fetch(request, started + TIMEOUT))
        .await
        .map_err(|error| Fault::internal(error.to_string()))?;
    let duration_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    Ok(match answer {
        Ok(response) => WebhookAttempt {
            at,
            duration_ms,
            status: Some(response.status),
            error: None,
            response: Some(
                String::from_utf8_lossy(&response.body)
                    .chars()
                    .take(RESPONSE_CHARS)
                    .collect(),
            )
            .filter(|text: &String| !text.is_empty()),
        },
        Err(error) => WebhookAttempt {
            at,
            duration_ms,
            status: None,
            error: Some(error),
            response: None,
        },
    })
}
