//! MessageBird's SMS API: webhooks signed with `MessageBird-Signature-JWT` (HS256 with the
//! signing key, carrying the SHA-256 of the URL called and of the body), inbound SMS and
//! status reports, and `POST /messages` for sending.

use serde_json::{Value, json};
use switchboard_channel_sdk::{
    DeliveryState, DeliveryUpdate, Error, Event, Header, HttpRequest, HttpResponse, InboundResult,
    Refusal, Reply, ResponseOutcome, RetryLater, header, host,
};

use crate::jwt::{fresh_and_first, sha256_hex, verified_claims};
use crate::{api_base, required_secret, required_setting, status_callback};

const API: &str = "https://rest.messagebird.com";

pub fn inbound(request: &HttpRequest) -> Result<InboundResult, Error> {
    let token = header(&request.headers, "messagebird-signature-jwt")
        .ok_or_else(|| Error::Forged("the request has no MessageBird-Signature-JWT".into()))?;
    let claims = verified_claims(token, &required_secret("signing_key")?)?;
    if claims["iss"] != "MessageBird" {
        return Err(Error::Forged(
            "the token was not issued by MessageBird".into(),
        ));
    }
    if claims["url_hash"].as_str() != Some(sha256_hex(request.url.as_bytes()).as_str()) {
        return Err(Error::Forged(
            "the token was signed for another address".into(),
        ));
    }
    let body_hash = claims["payload_hash"].as_str();
    match (body_hash, request.body.is_empty()) {
        (Some(hash), false) if hash == sha256_hex(&request.body) => {}
        (None, true) => {}
        _ => {
            return Err(Error::Forged(
                "the body is not the one the token signed".into(),
            ));
        }
    }
    let now = host::now_ms();
    if claims["exp"]
        .as_u64()
        .is_some_and(|exp| exp.saturating_mul(1000) < now)
    {
        return Err(Error::Forged("the token has expired: a replay".into()));
    }
    fresh_and_first(&claims, claims["nbf"].as_u64(), now)?;
    // MessageBird sends its fields in the query of a GET or the form of a POST.
    let query = request
        .url
        .split_once('?')
        .map(|(_, query)| query)
        .unwrap_or_default();
    let fields: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes())
        .chain(form_urlencoded::parse(&request.body))
        .map(|(key, value)| (key.into_owned(), value.into_owned()))
        .collect();
    let value = |name: &str| {
        fields
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.clone())
    };
    let id = value("id").ok_or_else(|| Error::Malformed("the webhook has no id".into()))?;
    if let Some(status) = value("status") {
        let state = match status.as_str() {
            "sent" | "buffered" => DeliveryState::Sent,
            "delivered" => DeliveryState::Delivered,
            "delivery_failed" | "expired" => DeliveryState::Failed,
            _ => return Ok(Vec::new().into()),
        };
        let reason = (state == DeliveryState::Failed).then(|| {
            format!(
                "MessageBird: {} {}",
                value("statusReason").unwrap_or_default(),
                value("statusErrorCode")
                    .map(|code| format!("(error {code})"))
                    .unwrap_or_default()
            )
            .trim()
            .to_string()
        });
        return Ok(vec![Event::Delivery(DeliveryUpdate {
            message_id: id,
            state,
            reason,
        })]
        .into());
    }
    let from =
        value("originator").ok_or_else(|| Error::Malformed("the SMS has no originator".into()))?;
    let from = if from.starts_with('+') {
        from
    } else {
        format!("+{from}")
    };
    crate::message::sms_events(&from, &id, &value("body").unwrap_or_default(), Vec::new())
        .map(Into::into)
}

pub fn send(to: &str, reply: &Reply) -> Result<HttpRequest, Error> {
    let mut body = json!({
        "recipients": [to.trim_start_matches('+')],
        "originator": required_setting("from")?,
        "body": reply.text,
        "reference": reply.reply_id,
    });
    if let Some(callback) = status_callback() {
        body["reportUrl"] = json!(callback);
    }
    Ok(HttpRequest {
        method: "POST".into(),
        url: format!("{}/messages", api_base(API)),
        headers: vec![
            Header {
                name: "authorization".into(),
                value: format!("AccessKey {}", required_secret("access_key")?),
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
        return ResponseOutcome::Sent(answer["id"].as_str().map(str::to_string));
    }
    let reason = answer["errors"][0]["description"]
        .as_str()
        .map(|description| format!("MessageBird: {description}"))
        .unwrap_or_else(|| format!("MessageBird answered {}", response.status));
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
