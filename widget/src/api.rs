//! Talking to the gateway's visitor API: the widget's settings, the visitor's token (kept in
//! the browser so that identity and history survive reloads and tabs), history, sending, file
//! upload, and the event socket's address, which resumes from the last event id. Requests go
//! through the browser's `fetch`; bodies are the visitor API's types of `switchboard-model`.

use js_sys::{JSON, Object, Promise};
use serde::Serialize;
use serde::de::DeserializeOwned;
use switchboard_model::{
    Attachment, SessionAnswer, VisitorHistory, VisitorOutgoing, VisitorSignal, WidgetConfig,
};
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{RequestInit, Response};

use crate::js;

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
    /// The value as JSON text, written by the browser's `JSON`.
    fn json(value: &impl Serialize) -> Result<Body, String> {
        let value = serde_wasm_bindgen::to_value(value).map_err(|error| error.to_string())?;
        let text = JSON::stringify(&value).map_err(error_message)?;
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

    /// Like [`Api::call`], for the answer read as `T`.
    async fn call_json<T: DeserializeOwned>(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Body>,
    ) -> Result<T, String> {
        shape(&self.call(method, path, token, body).await?).await
    }

    pub async fn config(&self, locale: &str) -> Result<WidgetConfig, String> {
        self.call_json("GET", &format!("/config?locale={locale}"), None, None)
            .await
    }

    fn storage() -> Option<web_sys::Storage> {
        web_sys::window()?.local_storage().ok()?
    }

    /// The visitor's session: the one kept in the browser, or a new one.
    /// `user` is the site's logged-in user, passed on as the host page gave it.
    pub async fn session(&self, user: Option<&JsValue>) -> Result<SessionAnswer, String> {
        let key = format!("{TOKEN_KEY}{}", self.widget);
        let kept = Self::storage().and_then(|storage| storage.get_item(&key).ok().flatten());
        // A `SessionRequest`, written by the browser: the user is the page's own object.
        let request = js::object(&[
            ("token", kept.map_or(JsValue::NULL, JsValue::from)),
            ("user", user.cloned().unwrap_or(JsValue::NULL)),
        ]);
        let text = JSON::stringify(&request).map_err(error_message)?;
        let body = Body {
            media_type: "application/json".into(),
            content: text.into(),
        };
        let session: SessionAnswer = self
            .call_json("POST", "/visitors", None, Some(body))
            .await?;
        if let Some(storage) = Self::storage() {
            let _ = storage.set_item(&key, &session.token);
        }
        Ok(session)
    }

    pub async fn history(&self, token: &str) -> Result<VisitorHistory, String> {
        self.call_json("GET", "/messages", Some(token), None).await
    }

    pub async fn send(&self, token: &str, outgoing: &VisitorOutgoing) -> Result<(), String> {
        self.call(
            "POST",
            "/messages",
            Some(token),
            Some(Body::json(outgoing)?),
        )
        .await?;
        Ok(())
    }

    pub async fn upload(
        &self,
        token: &str,
        file: &web_sys::File,
    ) -> Result<Attachment, UploadRefused> {
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
            200..=299 => shape(&response).await.map_err(|_| UploadRefused::NotNow),
            413 => Err(UploadRefused::TooLarge),
            415 => Err(UploadRefused::FileType),
            429 => Err(UploadRefused::DailyQuota),
            _ => Err(UploadRefused::NotNow),
        }
    }

    /// Tells agents the visitor is typing, or has read everything so far.
    pub async fn signal(&self, token: &str, kind: &str) {
        let signal = VisitorSignal { kind: kind.into() };
        if let Ok(body) = Body::json(&signal) {
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

/// The answer's text.
async fn text(response: &Response) -> Result<String, String> {
    let reading = response.text().map_err(error_message)?;
    let text = JsFuture::from(reading).await.map_err(error_message)?;
    Ok(text.as_string().unwrap_or_default())
}

/// The answer as the value it should be.
async fn shape<T: DeserializeOwned>(response: &Response) -> Result<T, String> {
    parsed(&text(response).await?).ok_or_else(|| UNREADABLE.to_string())
}

/// JSON text as the value it should be, parsed by the browser's `JSON`.
pub fn parsed<T: DeserializeOwned>(text: &str) -> Option<T> {
    serde_wasm_bindgen::from_value(JSON::parse(text).ok()?).ok()
}

/// The gateway's error message (`{"error": {"message": ...}}`), or the status.
async fn error_text(response: &Response) -> String {
    text(response)
        .await
        .ok()
        .and_then(|body| parsed::<switchboard_model::ErrorBody>(&body))
        .map_or_else(
            || format!("HTTP {}", response.status()),
            |body| body.error.message,
        )
}

/// A JavaScript exception as its `toString()` puts it, e.g. `TypeError: Failed to fetch`.
fn error_message(error: JsValue) -> String {
    match error.dyn_ref::<js_sys::Error>() {
        Some(error) => error.to_string().into(),
        None => error.as_string().unwrap_or_default(),
    }
}
