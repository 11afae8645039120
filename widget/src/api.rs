//! Talking to the gateway's visitor API: the widget's settings, the visitor's token (kept in
//! the browser so that identity and history survive reloads and tabs), history, sending, file
//! upload, and the event socket's address, which resumes from the last event id. Requests go
//! through the browser's `fetch`; bodies are read and written with the browser's `JSON`.

use js_sys::{JSON, Object, Promise};
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{RequestInit, Response};

use crate::js::{self, FromJs};

/// The widget's public settings.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    pub color: String,
    pub greeting: String,
    /// Pre-chat fields asked before the first message: `name`, `email`.
    pub pre_chat: Vec<Field>,
    /// Inside office hours: agents answer here; outside, the widget asks for an email.
    pub online: bool,
    pub max_upload_bytes: u64,
    /// Media types accepted for upload, e.g. `image/*`, `application/pdf`.
    pub upload_types: Vec<String>,
}

impl FromJs for Config {
    fn from_js(value: &JsValue) -> Option<Config> {
        Some(Config {
            color: js::string(value, "color")?,
            greeting: js::string(value, "greeting")?,
            pre_chat: js::list(value, "pre_chat")?,
            online: js::boolean(value, "online")?,
            max_upload_bytes: js::whole(value, "max_upload_bytes")?,
            upload_types: js::list(value, "upload_types")?,
        })
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    pub name: String,
    pub required: bool,
}

impl FromJs for Field {
    fn from_js(value: &JsValue) -> Option<Field> {
        Some(Field {
            name: js::string(value, "name")?,
            required: js::boolean(value, "required")?,
        })
    }
}

/// A visitor session, as the gateway issued it.
#[derive(Debug, Clone, PartialEq)]
pub struct Session {
    pub token: String,
    /// Whether the visitor already told us who they are (pre-chat form filled).
    pub known: bool,
}

impl FromJs for Session {
    fn from_js(value: &JsValue) -> Option<Session> {
        Some(Session {
            token: js::string(value, "token")?,
            known: js::boolean(value, "known").unwrap_or_default(),
        })
    }
}

/// A message as the visitor sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct ChatMessage {
    pub id: u64,
    /// `visitor` or `agent` (bots count as agents).
    pub from: String,
    pub author: Option<String>,
    pub avatar: Option<String>,
    pub text: String,
    pub attachments: Vec<FileRef>,
    pub created_at: f64,
    /// The id the widget gave a message it sent.
    pub client_id: Option<String>,
    /// For the visitor's own messages: `read` once an agent has seen it.
    pub read: bool,
}

impl FromJs for ChatMessage {
    fn from_js(value: &JsValue) -> Option<ChatMessage> {
        Some(ChatMessage {
            id: js::whole(value, "id")?,
            from: js::string(value, "from")?,
            author: js::string(value, "author"),
            avatar: js::string(value, "avatar"),
            text: js::string(value, "text")?,
            attachments: js::list(value, "attachments")?,
            created_at: js::number(value, "created_at")?,
            client_id: js::string(value, "client_id"),
            read: js::boolean(value, "read").unwrap_or_default(),
        })
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct FileRef {
    pub sha256: String,
    pub name: String,
    pub media_type: String,
    pub size: u64,
}

impl FromJs for FileRef {
    fn from_js(value: &JsValue) -> Option<FileRef> {
        Some(FileRef {
            sha256: js::string(value, "sha256")?,
            name: js::string(value, "name")?,
            media_type: js::string(value, "media_type")?,
            size: js::whole(value, "size")?,
        })
    }
}

impl FileRef {
    fn to_js(&self) -> JsValue {
        js::object(&[
            ("sha256", self.sha256.as_str().into()),
            ("name", self.name.as_str().into()),
            ("media_type", self.media_type.as_str().into()),
            ("size", (self.size as f64).into()),
        ])
        .into()
    }
}

/// What the event socket sends.
#[derive(Debug, Clone)]
pub enum VisitorEvent {
    Message {
        id: u64,
        message: ChatMessage,
    },
    Typing {
        typing: bool,
        author: Option<String>,
    },
    Read {
        up_to: u64,
    },
}

impl FromJs for VisitorEvent {
    fn from_js(value: &JsValue) -> Option<VisitorEvent> {
        match js::string(value, "type")?.as_str() {
            "message" => Some(VisitorEvent::Message {
                id: js::whole(value, "id")?,
                message: ChatMessage::from_js(&js::get(value, "message"))?,
            }),
            "typing" => Some(VisitorEvent::Typing {
                typing: js::boolean(value, "typing")?,
                author: js::string(value, "author"),
            }),
            "read" => Some(VisitorEvent::Read {
                up_to: js::whole(value, "up_to")?,
            }),
            _ => None,
        }
    }
}

#[derive(Debug, Clone)]
pub struct History {
    pub messages: Vec<ChatMessage>,
    /// Resume the socket after this event id.
    pub last_event_id: u64,
}

impl FromJs for History {
    fn from_js(value: &JsValue) -> Option<History> {
        Some(History {
            messages: js::list(value, "messages")?,
            last_event_id: js::whole(value, "last_event_id")?,
        })
    }
}

/// Where the gateway is and which widget this is.
#[derive(Debug, Clone, PartialEq)]
pub struct Api {
    pub base: String,
    pub widget: String,
}

const TOKEN_KEY: &str = "switchboard.visitor.";

/// What the visitor reads when an answer does not have the expected shape.
const UNREADABLE: &str = "the chat server sent an answer the chat cannot read";

/// A request body and its media type.
struct Body {
    media_type: String,
    content: JsValue,
}

impl Body {
    /// The object as JSON text, as `JSON.stringify` writes it.
    fn json(object: &Object) -> Result<Body, String> {
        let text = JSON::stringify(object).map_err(error_message)?;
        Ok(Body {
            media_type: "application/json".into(),
            content: text.into(),
        })
    }

    /// A file as it is, with the media type the browser gave it.
    fn file(file: &web_sys::File) -> Body {
        Body {
            media_type: file.type_(),
            content: file.clone().into(),
        }
    }
}

#[wasm_bindgen]
extern "C" {
    /// The global `fetch`, which needs no `window`.
    #[wasm_bindgen(js_name = fetch)]
    fn fetch_with_init(url: &str, init: &RequestInit) -> Promise;
}

impl Api {
    fn url(&self, path: &str) -> String {
        format!("{}/widget/v1/{}{path}", self.base, self.widget)
    }

    /// The socket's URL, resuming after `after`.
    pub fn socket_url(&self, token: &str, after: u64) -> String {
        let (scheme, rest) = match self.base.strip_prefix("http") {
            Some(rest) => ("ws", rest),
            None => ("", self.base.as_str()),
        };
        format!(
            "{scheme}{rest}/widget/v1/{}/socket?token={token}&after={after}",
            self.widget
        )
    }

    /// Calls the visitor API, with the visitor's `token` when there is one; an answer other than
    /// 2xx becomes the gateway's error message.
    async fn call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Body>,
    ) -> Result<Response, String> {
        let response = self.request(method, path, token, body).await?;
        if response.ok() {
            Ok(response)
        } else {
            Err(error_text(&response).await)
        }
    }

    /// Sends a request; `Err` only when no answer came.
    async fn request(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Body>,
    ) -> Result<Response, String> {
        let headers = Object::new();
        if let Some(token) = token {
            js::set(&headers, "authorization", &format!("Bearer {token}").into());
        }
        let init = RequestInit::new();
        init.set_method(method);
        if let Some(body) = body {
            js::set(&headers, "content-type", &body.media_type.into());
            init.set_body(&body.content);
        }
        init.set_headers(&headers);
        Ok(JsFuture::from(fetch_with_init(&self.url(path), &init))
            .await
            .map_err(error_message)?
            .unchecked_into())
    }

    /// Like [`Api::call`], for the answer's JSON.
    async fn call_json(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Body>,
    ) -> Result<JsValue, String> {
        json(&self.call(method, path, token, body).await?).await
    }

    pub async fn config(&self, locale: &str) -> Result<Config, String> {
        shape(
            self.call_json("GET", &format!("/config?locale={locale}"), None, None)
                .await?,
        )
    }

    fn storage() -> Option<web_sys::Storage> {
        web_sys::window()?.local_storage().ok()?
    }

    /// The visitor's session: the one kept in the browser, or a new one.
    pub async fn session(&self, user: Option<&JsValue>) -> Result<Session, String> {
        let key = format!("{TOKEN_KEY}{}", self.widget);
        let kept = Self::storage().and_then(|storage| storage.get_item(&key).ok().flatten());
        let body = js::object(&[
            ("token", kept.map_or(JsValue::NULL, JsValue::from)),
            ("user", user.cloned().unwrap_or(JsValue::NULL)),
        ]);
        let session: Session = shape(
            self.call_json("POST", "/visitors", None, Some(Body::json(&body)?))
                .await?,
        )?;
        if let Some(storage) = Self::storage() {
            let _ = storage.set_item(&key, &session.token);
        }
        Ok(session)
    }

    pub async fn history(&self, token: &str) -> Result<History, String> {
        shape(
            self.call_json("GET", "/messages", Some(token), None)
                .await?,
        )
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
        let attachments: js_sys::Array = attachments.iter().map(FileRef::to_js).collect();
        let body = js::object(&[
            ("client_id", client_id.into()),
            ("text", text.into()),
            ("attachments", attachments.into()),
        ]);
        for (key, value) in [("name", name), ("email", email)] {
            if let Some(value) = value {
                js::set(&body, key, &value.into());
            }
        }
        self.call("POST", "/messages", Some(token), Some(Body::json(&body)?))
            .await?;
        Ok(())
    }

    pub async fn upload(
        &self,
        token: &str,
        file: &web_sys::File,
    ) -> Result<FileRef, UploadRefused> {
        let name = js_sys::encode_uri_component(&file.name());
        let response = self
            .request(
                "POST",
                &format!("/attachments?name={name}"),
                Some(token),
                Some(Body::file(file)),
            )
            .await
            .map_err(|_| UploadRefused::NotNow)?;
        match response.status() {
            200..=299 => json(&response)
                .await
                .ok()
                .and_then(|answer| FileRef::from_js(&answer))
                .ok_or(UploadRefused::NotNow),
            413 => Err(UploadRefused::TooLarge),
            415 => Err(UploadRefused::FileType),
            429 => Err(UploadRefused::DailyQuota),
            _ => Err(UploadRefused::NotNow),
        }
    }

    /// Tells agents the visitor is typing, or has read everything so far.
    pub async fn signal(&self, token: &str, kind: &str) {
        if let Ok(body) = Body::json(&js::object(&[("kind", kind.into())])) {
            let _ = self.call("POST", "/signals", Some(token), Some(body)).await;
        }
    }
}

/// Why the gateway did not take a file, for a message in the visitor's language.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum UploadRefused {
    TooLarge,
    FileType,
    /// The visitor (or the site) sent as many files as allowed today.
    DailyQuota,
    /// The gateway cannot take files now (no answer, or no room on its disk).
    NotNow,
}

/// The answer's JSON, parsed by the browser.
async fn json(response: &Response) -> Result<JsValue, String> {
    let parsing = response.json().map_err(error_message)?;
    JsFuture::from(parsing).await.map_err(error_message)
}

/// The answer as the value it should be.
fn shape<T: FromJs>(answer: JsValue) -> Result<T, String> {
    T::from_js(&answer).ok_or_else(|| UNREADABLE.to_string())
}

/// The gateway's error message (`{"error": {"message": ...}}`), or the status.
async fn error_text(response: &Response) -> String {
    let body = json(response).await.unwrap_or(JsValue::UNDEFINED);
    js::string(&js::get(&body, "error"), "message")
        .unwrap_or_else(|| format!("HTTP {}", response.status()))
}

/// A JavaScript exception as its `toString()` puts it, e.g. `TypeError: Failed to fetch`.
fn error_message(error: JsValue) -> String {
    match error.dyn_ref::<js_sys::Error>() {
        Some(error) => error.to_string().into(),
        None => error.as_string().unwrap_or_default(),
    }
}
