//! Talking to the gateway's visitor API: the widget's settings, the visitor's token (kept in
//! the browser so that identity and history survive reloads and tabs), history, sending, file
//! upload, and the event socket that resumes from the last event id.

use gloo_net::http::Request;
use serde::{Deserialize, Serialize};

/// The widget's public settings.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Config {
    pub color: String,
    pub greeting: String,
    #[serde(default)]
    pub locale: Option<String>,
    /// Pre-chat fields asked before the first message: `name`, `email`.
    #[serde(default)]
    pub pre_chat: Vec<Field>,
    /// Inside office hours: agents answer here; outside, the widget asks for an email.
    pub online: bool,
    pub max_upload_bytes: u64,
    /// Media types accepted for upload, e.g. `image/*`, `application/pdf`.
    #[serde(default)]
    pub upload_types: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Field {
    pub name: String,
    pub required: bool,
}

/// A visitor session, as the gateway issued it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Session {
    pub token: String,
    /// Whether the visitor already told us who they are (pre-chat form filled).
    #[serde(default)]
    pub known: bool,
}

/// A message as the visitor sees it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ChatMessage {
    pub id: u64,
    /// `visitor` or `agent` (bots count as agents).
    pub from: String,
    #[serde(default)]
    pub author: Option<String>,
    #[serde(default)]
    pub avatar: Option<String>,
    pub text: String,
    #[serde(default)]
    pub attachments: Vec<FileRef>,
    pub created_at: f64,
    /// The id the widget gave a message it sent.
    #[serde(default)]
    pub client_id: Option<String>,
    /// For the visitor's own messages: `read` once an agent has seen it.
    #[serde(default)]
    pub read: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FileRef {
    pub sha256: String,
    pub name: String,
    pub media_type: String,
    pub size: u64,
}

/// What the event socket sends.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum VisitorEvent {
    Message { id: u64, message: ChatMessage },
    Typing { typing: bool, author: Option<String> },
    Read { up_to: u64 },
}

#[derive(Debug, Clone, Deserialize)]
pub struct History {
    pub messages: Vec<ChatMessage>,
    /// Resume the socket after this event id.
    pub last_event_id: u64,
}

#[derive(Serialize)]
struct Outgoing<'a> {
    client_id: &'a str,
    text: &'a str,
    attachments: &'a [FileRef],
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    email: Option<&'a str>,
}

/// Where the gateway is and which widget this is.
#[derive(Debug, Clone, PartialEq)]
pub struct Api {
    pub base: String,
    pub widget: String,
}

const TOKEN_KEY: &str = "switchboard.visitor.";

impl Api {
    fn url(&self, path: &str) -> String {
        format!("{}/widget/v1/{}{path}", self.base, self.widget)
    }

    /// The socket's URL, resuming after `after`.
    pub fn socket_url(&self, token: &str, after: u64) -> String {
        let base = self.base.replacen("http", "ws", 1);
        format!("{base}/widget/v1/{}/socket?token={token}&after={after}", self.widget)
    }

    pub async fn config(&self, locale: &str) -> Result<Config, String> {
        get_json(Request::get(&self.url(&format!("/config?locale={locale}")))).await
    }

    fn storage() -> Option<web_sys::Storage> {
        web_sys::window()?.local_storage().ok()?
    }

    /// The visitor's session: the one kept in the browser, or a new one.
    pub async fn session(&self, user: Option<&serde_json::Value>) -> Result<Session, String> {
        let key = format!("{TOKEN_KEY}{}", self.widget);
        let kept = Self::storage().and_then(|storage| storage.get_item(&key).ok().flatten());
        let body = serde_json::json!({ "token": kept, "user": user });
        let request = Request::post(&self.url("/visitors")).json(&body).map_err(|e| e.to_string())?;
        let session: Session = get_json_request(request).await?;
        if let Some(storage) = Self::storage() {
            let _ = storage.set_item(&key, &session.token);
        }
        Ok(session)
    }

    pub async fn history(&self, token: &str) -> Result<History, String> {
        get_json(Request::get(&self.url("/messages")).header("authorization", &format!("Bearer {token}"))).await
    }

    #[allow(clippy::too_many_arguments)]
    pub async fn send(
        &self,
        token: &str,
        client_id: &str,
        text: &str,
        attachments: &[FileRef],
        name: Option<&str>,
        email: Option<&str>,
    ) -> Result<(), String> {
        let body = Outgoing { client_id, text, attachments, name, email };
        let request = Request::post(&self.url("/messages"))
            .header("authorization", &format!("Bearer {token}"))
            .json(&body)
            .map_err(|e| e.to_string())?;
        let response = request.send().await.map_err(|e| e.to_string())?;
        if response.ok() { Ok(()) } else { Err(error_text(response).await) }
    }

    pub async fn upload(&self, token: &str, file: &web_sys::File) -> Result<FileRef, String> {
        let name = js_sys::encode_uri_component(&file.name());
        let request = Request::post(&self.url(&format!("/attachments?name={name}")))
            .header("authorization", &format!("Bearer {token}"))
            .header("content-type", &file.type_())
            .body(wasm_bindgen::JsValue::from(file.clone()))
            .map_err(|e| e.to_string())?;
        get_json_request(request).await
    }

    /// Tells agents the visitor is typing, or has read everything so far.
    pub async fn signal(&self, token: &str, kind: &str) {
        let body = serde_json::json!({ "kind": kind });
        if let Ok(request) = Request::post(&self.url("/signals"))
            .header("authorization", &format!("Bearer {token}"))
            .json(&body)
        {
            let _ = request.send().await;
        }
    }
}

async fn get_json<T: for<'de> Deserialize<'de>>(request: gloo_net::http::RequestBuilder) -> Result<T, String> {
    let response = request.send().await.map_err(|e| e.to_string())?;
    if !response.ok() {
        return Err(error_text(response).await);
    }
    response.json().await.map_err(|e| e.to_string())
}

async fn get_json_request<T: for<'de> Deserialize<'de>>(request: Request) -> Result<T, String> {
    let response = request.send().await.map_err(|e| e.to_string())?;
    if !response.ok() {
        return Err(error_text(response).await);
    }
    response.json().await.map_err(|e| e.to_string())
}

/// The gateway's error message (`{"error": {"message": ...}}`), or the status.
async fn error_text(response: gloo_net::http::Response) -> String {
    let status = response.status();
    match response.json::<serde_json::Value>().await {
        Ok(body) => body["error"]["message"].as_str().map_or_else(|| format!("HTTP {status}"), str::to_string),
        Err(_) => format!("HTTP {status}"),
    }
}
