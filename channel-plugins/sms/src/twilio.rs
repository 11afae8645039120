//! Twilio Programmable Messaging: webhooks signed with `X-Twilio-Signature` (HMAC-SHA1 with
//! the auth token over the full URL and the form's parameters sorted by name), inbound SMS and
//! MMS, status callbacks, and the Messages resource for sending.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use serde_json::Value;
use sha1::Sha1;
use switchboard_channel_sdk::{
    Attachment, AttachmentContent, DeliveryState, DeliveryUpdate, Error, Header, HttpRequest,
    HttpResponse, InboundResult, Refusal, Reply, ResponseOutcome, RetryLater, header, host,
};

use crate::{api_base, required_secret, required_setting, status_callback};

const API: &str = "https://api.twilio.com";

pub fn inbound(request: &HttpRequest) -> Result<InboundResult, Error> {
    let params: Vec<(String, String)> = form_urlencoded::parse(&request.body)
        .map(|(key, value)| (key.into_owned(), value.into_owned()))
        .collect();
    let signature = header(&request.headers, "x-twilio-signature")
        .ok_or_else(|| Error::Forged("the request has no X-Twilio-Signature".into()))?;
    let expected = signature_of(&required_secret("auth_token")?, &request.url, &params)?;
    if !constant_time_equal(signature.trim().as_bytes(), expected.as_bytes()) {
        return Err(Error::Forged(
            "X-Twilio-Signature is not the auth token's signature of this request".into(),
        ));
    }
    let value = |name: &str| {
        params
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.clone())
    };
    let sid = value("MessageSid")
        .or_else(|| value("SmsSid"))
        .ok_or_else(|| Error::Malformed("the request has no MessageSid".into()))?;
    let mut result = if let Some(status) =
        value("MessageStatus").filter(|_| value("Body").is_none())
    {
        InboundResult::from(
            status_update(&sid, &status, value("ErrorCode"))
                .into_iter()
                .collect::<Vec<_>>(),
        )
    } else {
        let from = value("From").ok_or_else(|| Error::Malformed("the SMS has no From".into()))?;
        let count: usize = value("NumMedia").and_then(|n| n.parse().ok()).unwrap_or(0);
        let mut attachments = Vec::new();
        for index in 0..count.min(10) {
            let Some(url) = value(&format!("MediaUrl{index}")) else {
                continue;
            };
            let media_type = value(&format!("MediaContentType{index}"))
                .unwrap_or_else(|| "application/octet-stream".into());
            attachments.push(Attachment {
                name: format!("mms-{}.{}", index + 1, extension(&media_type)),
                media_type,
                content: AttachmentContent::Request(media_request(&url)?),
                inline: false,
            });
        }
        InboundResult::from(crate::message::sms_events(
            &from,
            &sid,
            &value("Body").unwrap_or_default(),
            attachments,
        )?)
    };
    // Twilio reads the answer as TwiML: an empty one sends nothing back.
    result.answer = Some(HttpResponse {
        status: 200,
        headers: vec![Header {
            name: "content-type".into(),
            value: "text/xml".into(),
        }],
        body: b"<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response></Response>".to_vec(),
    });
    Ok(result)
}

/// Twilio's signature of a request: Base64 HMAC-SHA1, keyed with the auth token, of the URL
/// followed by each parameter's name and value, sorted by name.
fn signature_of(token: &str, url: &str, params: &[(String, String)]) -> Result<String, Error> {
    let mut sorted: Vec<&(String, String)> = params.iter().collect();
    sorted.sort();
    let mut signed = url.to_string();
    for (key, value) in sorted {
        signed.push_str(key);
        signed.push_str(value);
    }
    let mut mac = Hmac::<Sha1>::new_from_slice(token.as_bytes())
        .map_err(|error| Error::Internal(error.to_string()))?;
    mac.update(signed.as_bytes());
    Ok(STANDARD.encode(mac.finalize().into_bytes()))
}

fn constant_time_equal(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn status_update(
    sid: &str,
    status: &str,
    error_code: Option<String>,
) -> Option<switchboard_channel_sdk::Event> {
    let state = match status {
        "sent" => DeliveryState::Sent,
        "delivered" => DeliveryState::Delivered,
        "read" => DeliveryState::Read,
        "undelivered" | "failed" => DeliveryState::Failed,
        _ => return None,
    };
    Some(switchboard_channel_sdk::Event::Delivery(DeliveryUpdate {
        message_id: sid.to_string(),
        state,
        reason: error_code.map(|code| format!("Twilio error {code}: {}", meaning(&code))),
    }))
}

/// What Twilio's common error codes mean for the agent.
fn meaning(code: &str) -> &'static str {
    match code {
        "30003" => "the phone is off or out of coverage",
        "30004" => "the message was blocked (the contact or their carrier blocks this number)",
        "30005" => "the number does not exist or is not a mobile number",
        "30006" => "the number is a landline or cannot receive SMS",
        "30007" => "the carrier filtered the message as spam",
        "30008" => "the carrier could not deliver it",
        "21610" => "the contact texted STOP to this number",
        "21211" => "the number is not valid",
        "21408" => "this account may not send to that country",
        _ => "see twilio.com/docs/errors",
    }
}

fn basic_auth() -> Result<Header, Error> {
    let credentials = format!(
        "{}:{}",
        required_setting("account_sid")?,
        required_secret("auth_token")?
    );
    Ok(Header {
        name: "authorization".into(),
        value: format!("Basic {}", STANDARD.encode(credentials)),
    })
}

/// The request that downloads an MMS file, with the account's credentials.
fn media_request(url: &str) -> Result<HttpRequest, Error> {
    Ok(HttpRequest {
        method: "GET".into(),
        url: url.to_string(),
        headers: vec![basic_auth()?],
        body: Vec::new(),
    })
}

fn extension(media_type: &str) -> &str {
    match media_type {
        "image/jpeg" => "jpg",
        "image/png" => "png",
        "image/gif" => "gif",
        "video/mp4" => "mp4",
        "audio/mpeg" => "mp3",
        "application/pdf" => "pdf",
        _ => "bin",
    }
}

pub fn send(to: &str, reply: &Reply) -> Result<HttpRequest, Error> {
    let sid = required_setting("account_sid")?;
    let from = required_setting("from")?;
    let mut form = form_urlencoded::Serializer::new(String::new());
    form.append_pair("To", to);
    if from.starts_with("MG") {
        form.append_pair("MessagingServiceSid", &from);
    } else {
        form.append_pair("From", &from);
    }
    form.append_pair("Body", &reply.text);
    if let Some(callback) = status_callback() {
        form.append_pair("StatusCallback", &callback);
    }
    Ok(HttpRequest {
        method: "POST".into(),
        url: format!("{}/2010-04-01/Accounts/{sid}/Messages.json", api_base(API)),
        headers: vec![
            basic_auth()?,
            Header {
                name: "content-type".into(),
                value: "application/x-www-form-urlencoded".into(),
            },
        ],
        body: form.finish().into_bytes(),
    })
}

/// Checks the account's credentials: its friendly name.
pub fn check() -> Result<String, Error> {
    let sid = required_setting("account_sid")?;
    let response = host::fetch(&HttpRequest {
        method: "GET".into(),
        url: format!("{}/2010-04-01/Accounts/{sid}.json", api_base(API)),
        headers: vec![basic_auth()?],
        body: Vec::new(),
    })?;
    if !(200..300).contains(&response.status) {
        return Err(Error::Provider(refusal_text(&response)));
    }
    let account: Value = serde_json::from_slice(&response.body).unwrap_or(Value::Null);
    Ok(format!(
        "Twilio ({})",
        account["friendly_name"].as_str().unwrap_or(&sid)
    ))
}

fn refusal_text(response: &HttpResponse) -> String {
    let answer: Value = serde_json::from_slice(&response.body).unwrap_or(Value::Null);
    match (answer["code"].as_u64(), answer["message"].as_str()) {
        (Some(code), Some(message)) => {
            format!(
                "Twilio error {code}: {message} ({})",
                meaning(&code.to_string())
            )
        }
        _ => format!("Twilio answered {}", response.status),
    }
}

pub fn read_answer(response: &HttpResponse) -> ResponseOutcome {
    let answer: Value = serde_json::from_slice(&response.body).unwrap_or(Value::Null);
    if (200..300).contains(&response.status) {
        return ResponseOutcome::Sent(answer["sid"].as_str().map(str::to_string));
    }
    let reason = refusal_text(response);
    if response.status == 429 || response.status >= 500 || answer["code"] == 20429 {
        return ResponseOutcome::Retry(RetryLater {
            reason,
            after_ms: None,
        });
    }
    ResponseOutcome::Refused(Refusal {
        reason,
        unreachable: answer["code"] == 21610,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example of Twilio's security documentation: its token, URL and parameters, and the
    /// signature it gives for them.
    #[test]
    fn the_signature_is_twilios() {
        let params: Vec<(String, String)> = [
            ("CallSid", "CA1234567890ABCDE"),
            ("Caller", "+14158675310"),
            ("Digits", "1234"),
            ("From", "+14158675310"),
            ("To", "+18005551212"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let signature = signature_of(
            "12345",
            "https://mycompany.com/myapp.php?foo=1&bar=2",
            &params,
        )
        .expect("signed");
        assert_eq!(signature, "GvWf1cFY/Q7PnoempGyD5oXAezc=");
    }
}
