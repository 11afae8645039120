//! Vonage's Messages API: webhooks signed with a JWT in `Authorization: Bearer` (HS256 with
//! the account's signature secret, carrying the SHA-256 of the body), inbound SMS and status
//! reports, and `POST /v1/messages` for sending.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};
use switchboard_channel_sdk::{
    DeliveryState, DeliveryUpdate, Error, Event, Header, HttpRequest, HttpResponse, InboundResult,
    Refusal, Reply, ResponseOutcome, RetryLater, header, host,
};

use crate::jwt::{fresh_and_first, sha256_hex, verified_claims};
use crate::{api_base, required_secret, required_setting};

const API: &str = "https://api.nexmo.com";

pub fn inbound(request: &HttpRequest) -> Result<InboundResult, Error> {
    let token = header(&request.headers, "authorization")
        .and_then(|value| value.strip_prefix("Bearer "))
        .ok_or_else(|| Error::Forged("the request has no signed token".into()))?;
    let claims = verified_claims(token, &required_secret("signature_secret")?)?;
    if claims["payload_hash"].as_str() != Some(sha256_hex(&request.body).as_str()) {
        return Err(Error::Forged(
            "the body is not the one the token signed".into(),
        ));
    }
    fresh_and_first(&claims, claims["iat"].as_u64(), host::now_ms())?;
    let body: Value = serde_json::from_slice(&request.body)
        .map_err(|error| Error::Malformed(format!("the body is not JSON: {error}")))?;
    let id = body["message_uuid"]
        .as_str()
        .ok_or_else(|| Error::Malformed("the webhook has no message_uuid".into()))?;
    if let Some(status) = body["status"].as_str() {
        let state = match status {
            "submitted" => DeliveryState::Sent,
            "delivered" => DeliveryState::Delivered,
            "read" => DeliveryState::Read,
            "rejected" | "undeliverable" => DeliveryState::Failed,
            _ => return Ok(Vec::new().into()),
        };
        let reason = body
            .get("error")
            .filter(|error| !error.is_null())
            .map(|error| {
                format!(
                    "Vonage: {} {}",
                    error["title"]
                        .as_str()
                        .map_or_else(|| error["title"].to_string(), str::to_string),
                    error["detail"].as_str().unwrap_or_default()
                )
                .trim()
                .to_string()
            });
        return Ok(vec![Event::Delivery(DeliveryUpdate {
            message_id: id.to_string(),
            state,
            reason,
        })]
        .into());
    }
    let from = body["from"]
        .as_str()
        .ok_or_else(|| Error::Malformed("the SMS has no `from`".into()))?;
    let from = if from.starts_with('+') {
        from.to_string()
    } else {
        format!("+{from}")
    };
    crate::message::sms_events(
        &from,
        id,
        body["text"].as_str().unwrap_or_default(),
        Vec::new(),
    )
    .map(Into::into)
}

pub fn send(to: &str, reply: &Reply) -> Result<HttpRequest, Error> {
    let credentials = format!(
        "{}:{}",
        required_setting("api_key")?,
        required_secret("api_secret")?
    );
    let body = json!({
        "message_type": "text",
        "channel": "sms",
        "to": to.trim_start_matches('+'),
        "from": required_setting("from")?.trim_start_matches('+'),
        "text": reply.text,
        "client_ref": reply.reply_id,
    });
    Ok(HttpRequest {
        method: "POST".into(),
        url: format!("{}/v1/messages", api_base(API)),
        headers: vec![
            Header {
                name: "authorization".into(),
                value: format!("Basic {}", STANDARD.encode(credentials)),
            },
            Header {
                name: "content-type".into(),
                value: "application/json".into(),
            },
        ],
        body: body.to_string().into_bytes(),
    })
}

pub fn read_answer(response: &HttpResponse) -> ResponseOutcome {
    let answer: Value = serde_json::from_slice(&response.body).unwrap_or(Value::Null);
    if (200..300).contains(&response.status) {
        return ResponseOutcome::Sent(answer["message_uuid"].as_str().map(str::to_string));
    }
    let reason = match (answer["title"].as_str(), answer["detail"].as_str()) {
        (Some(title), Some(detail)) => format!("Vonage: {title}: {detail}"),
        (Some(title), None) => format!("Vonage: {title}"),
        _ => format!("Vonage answered {}", response.status),
    };
    if response.status == 429 || response.status >= 500 {
        return ResponseOutcome::Retry(RetryLater {
            reason,
            after_ms: None,
        });
    }
    ResponseOutcome::Refused(Refusal {
        reason,
        unreachable: false,
    })
}
