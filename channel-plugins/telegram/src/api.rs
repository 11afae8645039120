//! The Bot API as this adapter uses it: the bot's token and server, requests and the
//! `{"ok": …}` envelope of every answer, the webhook's secret, and polling.

use serde::Deserialize;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use switchboard_channel_sdk::{
    Error, Header, HttpRequest, HttpResponse, Refusal, ResponseOutcome, RetryLater, Transport, host,
};

/// The header Telegram puts the webhook's secret token in.
pub const SECRET_HEADER: &str = "X-Telegram-Bot-Api-Secret-Token";
/// The updates this channel asks Telegram for.
const UPDATES: [&str; 3] = ["message", "edited_message", "my_chat_member"];
/// Updates taken per poll.
const POLL_LIMIT: u32 = 50;

/// The channel's bot: its token and the Bot API server it talks to.
pub struct Bot {
    token: String,
    base: String,
}

/// Telegram's answer envelope.
#[derive(Deserialize)]
struct Answer {
    ok: bool,
    #[serde(default)]
    result: Value,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    parameters: Option<Parameters>,
}

#[derive(Deserialize)]
struct Parameters {
    #[serde(default)]
    retry_after: Option<u64>,
}

/// Whether the channel polls for updates instead of taking webhooks.
pub fn polling() -> bool {
    host::setting("receive").is_some_and(|mode| mode.trim().eq_ignore_ascii_case("polling"))
}

/// Whether group chats are taken in.
pub fn groups() -> bool {
    host::setting("groups").is_some_and(|on| on.trim().eq_ignore_ascii_case("true"))
}

impl Bot {
    pub fn from_channel() -> Result<Bot, Error> {
        let token = host::secret("bot_token")
            .map(|token| token.trim().to_string())
            .filter(|token| !token.is_empty())
            .ok_or_else(|| {
                Error::Denied("the channel has no `bot_token` secret (from @BotFather)".into())
            })?;
        let base = host::setting("api_base")
            .map(|base| base.trim().trim_end_matches('/').to_string())
            .filter(|base| !base.is_empty())
            .unwrap_or_else(|| "https://api.telegram.org".into());
        Ok(Bot { token, base })
    }

    /// The secret token Telegram sends with every update: derived from the bot token, so
    /// that it changes with it and needs no setting of its own (1–256 of `A-Za-z0-9_-`).
    pub fn webhook_secret(&self) -> String {
        let digest = Sha256::digest(format!("switchboard-telegram-webhook:{}", self.token));
        digest
            .iter()
            .take(24)
            .map(|byte| format!("{byte:02x}"))
            .collect()
    }

    /// The URL of a Bot API method.
    pub fn method_url(&self, method: &str) -> String {
        format!("{}/bot{}/{method}", self.base, self.token)
    }

    /// The URL a file's `file_path` is downloaded from.
    pub fn file_url(&self, file_path: &str) -> String {
        format!("{}/file/bot{}/{file_path}", self.base, self.token)
    }

    /// A JSON request to a method.
    pub fn request(&self, method: &str, body: &Value) -> HttpRequest {
        HttpRequest {
            method: "POST".into(),
            url: self.method_url(method),
            headers: vec![Header {
                name: "content-type".into(),
                value: "application/json".into(),
            }],
            body: body.to_string().into_bytes(),
        }
    }

    /// Calls a method now (through the host) and returns its `result`.
    pub fn call(&self, method: &str, body: &Value) -> Result<Value, Error> {
        let response = host::fetch(&self.request(method, body))?;
        let answer: Answer = serde_json::from_slice(&response.body).map_err(|_| {
            Error::Provider(format!(
                "Telegram answered {method} with {} and no Bot API answer",
                response.status
            ))
        })?;
        if answer.ok {
            Ok(answer.result)
        } else {
            Err(Error::Provider(format!(
                "Telegram refused {method}: {}",
                answer
                    .description
                    .unwrap_or_else(|| response.status.to_string())
            )))
        }
    }

    /// Checks the token and registers (or, for polling, removes) the webhook.
    pub fn connect(&self, webhook_url: Option<&str>) -> Result<String, Error> {
        let me = self.call("getMe", &json!({}))?;
        let username = me["username"].as_str().unwrap_or("bot");
        match (polling(), webhook_url) {
            (false, Some(url)) => {
                self.call(
                    "setWebhook",
                    &json!({
                        "url": url,
                        "secret_token": self.webhook_secret(),
                        "allowed_updates": UPDATES,
                    }),
                )?;
                Ok(format!("@{username}, updates by webhook"))
            }
            (false, None) => Err(Error::Denied(
                "the gateway has no public URL for Telegram to call; set `receive` to `polling`"
                    .into(),
            )),
            (true, _) => {
                self.call("deleteWebhook", &json!({}))?;
                Ok(format!("@{username}, updates by polling"))
            }
        }
    }

    /// New updates, each as the webhook request Telegram would have made; the offset that
    /// confirms them is kept for the next poll.
    pub fn poll(&self) -> Result<Vec<Transport>, Error> {
        let offset = host::kv_get("offset")
            .and_then(|bytes| String::from_utf8(bytes).ok())
            .and_then(|text| text.parse::<i64>().ok());
        let mut ask = json!({ "timeout": 0, "limit": POLL_LIMIT, "allowed_updates": UPDATES });
        if let Some(offset) = offset {
            ask["offset"] = json!(offset);
        }
        let updates = self.call("getUpdates", &ask)?;
        let updates = updates.as_array().cloned().unwrap_or_default();
        let mut payloads = Vec::with_capacity(updates.len());
        let mut next = offset;
        for update in updates {
            if let Some(id) = update["update_id"].as_i64() {
                next = Some(next.map_or(id + 1, |next: i64| next.max(id + 1)));
            }
            payloads.push(Transport::Webhook(HttpRequest {
                method: "POST".into(),
                url: String::new(),
                headers: vec![
                    Header {
                        name: SECRET_HEADER.into(),
                        value: self.webhook_secret(),
                    },
                    Header {
                        name: "content-type".into(),
                        value: "application/json".into(),
                    },
                ],
                body: update.to_string().into_bytes(),
            }));
        }
        if let Some(next) = next {
            host::kv_set("offset", next.to_string().as_bytes());
        }
        Ok(payloads)
    }
}

/// What Telegram's answer to a send meant.
pub fn read_answer(response: &HttpResponse) -> ResponseOutcome {
    let answer: Option<Answer> = serde_json::from_slice(&response.body).ok();
    let description = answer
        .as_ref()
        .and_then(|answer| answer.description.clone())
        .unwrap_or_else(|| format!("HTTP {}", response.status));
    match (response.status, answer) {
        (200..=299, Some(answer)) if answer.ok => {
            let chat = answer.result["chat"]["id"].as_i64();
            let message = answer.result["message_id"].as_i64();
            ResponseOutcome::Sent(chat.zip(message).map(|(chat, id)| format!("{chat}:{id}")))
        }
        (429, answer) => ResponseOutcome::Retry(RetryLater {
            reason: format!("Telegram: {description}"),
            after_ms: answer
                .and_then(|answer| answer.parameters)
                .and_then(|parameters| parameters.retry_after)
                .map(|seconds| seconds.saturating_mul(1000)),
        }),
        (500.., _) => ResponseOutcome::Retry(RetryLater {
            reason: format!("Telegram: {description}"),
            after_ms: None,
        }),
        (403, _) => ResponseOutcome::Refused(Refusal {
            reason: format!(
                "Telegram: the contact blocked the bot or left the chat ({description})"
            ),
            unreachable: true,
        }),
        _ => ResponseOutcome::Refused(Refusal {
            reason: format!("Telegram: {description}"),
            unreachable: false,
        }),
    }
}
