//! Calls to the gateway's REST API with the session cookie, through the browser's `fetch`:
//! bodies are the wire types of `switchboard-model`, refusals come back as the gateway names
//! them (a reached quota told in the agent's language).

use serde::Serialize;
use serde::de::DeserializeOwned;
use switchboard_model::{Attachment, ErrorBody, Quota};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{Headers, RequestCredentials, RequestInit, Response};

use crate::i18n::{Locale, texts};

/// Why a call did not give what it asked for.
#[derive(Debug, Clone, PartialEq)]
pub enum Failure {
    /// No answer: the network or the gateway is down.
    Offline,
    /// The session ended (or never began): the agent must sign in.
    SignedOut,
    /// The gateway answered with an error.
    Refused {
        status: u16,
        code: String,
        message: String,
        /// A provider's own words, when it refused.
        reason: Option<String>,
        /// The setting or field at fault, by name.
        field: Option<String>,
        /// The entry of that setting at fault, as written, when it holds several.
        value: Option<String>,
    },
}

impl Failure {
    /// What to tell the agent: the gateway's words, or `offline` when there was no answer.
    pub fn said(&self, offline: &str) -> String {
        match self {
            Failure::Refused { message, .. } => message.clone(),
            Failure::Offline | Failure::SignedOut => offline.to_string(),
        }
    }

    /// The gateway's reason, when it gave one in its error body (not a page or text that
    /// something else answered with).
    pub fn reason(&self) -> Option<&str> {
        match self {
            Failure::Refused { code, message, .. } if code != UNEXPECTED => Some(message),
            _ => None,
        }
    }
}

/// `GET path`, read as `T`.
pub async fn get<T: DeserializeOwned>(path: &str) -> Result<T, Failure> {
    parse(&call("GET", path, None).await?)
}

/// `POST path` with `body` as JSON, the answer read as `T`.
pub async fn post<T: DeserializeOwned>(path: &str, body: &impl Serialize) -> Result<T, Failure> {
    parse(&send_json("POST", path, body).await?)
}

/// `PUT path` with `body` as JSON, the answer read as `T`.
pub async fn put<T: DeserializeOwned>(path: &str, body: &impl Serialize) -> Result<T, Failure> {
    parse(&send_json("PUT", path, body).await?)
}

/// `PATCH path` with `body` as JSON, the answer read as `T`.
pub async fn patch<T: DeserializeOwned>(path: &str, body: &impl Serialize) -> Result<T, Failure> {
    parse(&send_json("PATCH", path, body).await?)
}

/// `PATCH path` with `body` as JSON, for a change that answers nothing (`204`).
pub async fn patch_only(path: &str, body: &impl Serialize) -> Result<(), Failure> {
    send_json("PATCH", path, body).await.map(drop)
}

/// A call whose body is `body` as JSON; the answer's text when it succeeded.
async fn send_json(method: &str, path: &str, body: &impl Serialize) -> Result<String, Failure> {
    let body = serde_json::to_string(body).map_err(|error| refused(0, &error.to_string()))?;
    call(
        method,
        path,
        Some(("application/json", JsValue::from_str(&body))),
    )
    .await
}

/// Uploads a file the agent picked, dropped or pasted; the gateway's record of it.
pub async fn upload(file: &web_sys::File) -> Result<Attachment, Failure> {
    let path = format!(
        "/api/v1/attachments?name={}",
        String::from(js_sys::encode_uri_component(&file.name()))
    );
    send_file("POST", &path, file).await
}

/// `PUT path` with a file as the body (an agent's picture), the answer read as `T`.
pub async fn put_file<T: DeserializeOwned>(path: &str, file: &web_sys::File) -> Result<T, Failure> {
    send_file("PUT", path, file).await
}

/// `POST path` with a file as the body (a signed plugin package), the answer read as `T`.
pub async fn post_file<T: DeserializeOwned>(
    path: &str,
    file: &web_sys::File,
) -> Result<T, Failure> {
    send_file("POST", path, file).await
}

/// A call whose body is a file, typed as the browser types it (else as bytes of no known type).
async fn send_file<T: DeserializeOwned>(
    method: &str,
    path: &str,
    file: &web_sys::File,
) -> Result<T, Failure> {
    let media_type = match file.type_() {
        media_type if media_type.is_empty() => "application/octet-stream".to_string(),
        media_type => media_type,
    };
    parse(
        &call(
            method,
            path,
            Some((&media_type, JsValue::from(file.clone()))),
        )
        .await?,
    )
}

/// `DELETE path`, the answer read as `T`.
pub async fn delete<T: DeserializeOwned>(path: &str) -> Result<T, Failure> {
    parse(&call("DELETE", path, None).await?)
}

/// `DELETE path`, for a removal that answers nothing (`204`).
pub async fn delete_only(path: &str) -> Result<(), Failure> {
    call("DELETE", path, None).await.map(drop)
}

/// `POST path` with no body and no answer worth reading.
pub async fn post_empty(path: &str) -> Result<(), Failure> {
    call("POST", path, None).await.map(drop)
}

fn parse<T: DeserializeOwned>(text: &str) -> Result<T, Failure> {
    serde_json::from_str(text).map_err(|error| refused(0, &format!("unexpected answer: {error}")))
}

/// A refusal the console words itself, in the page's language: a reached quota (which
/// limit, what it stops, whom to ask).
fn told(code: &str, field: Option<&str>) -> Option<String> {
    let quota = (code == "quota_reached")
        .then_some(field?)
        .and_then(Quota::named)?;
    let language = web_sys::window()?
        .document()?
        .document_element()?
        .get_attribute("lang")?;
    Some(texts(Locale::from_tag(&language)?).quota_refusal(quota))
}

/// The code of a refusal that did not come as the gateway's error body.
const UNEXPECTED: &str = "unexpected";

fn refused(status: u16, message: &str) -> Failure {
    Failure::Refused {
        status,
        code: UNEXPECTED.into(),
        message: message.into(),
        reason: None,
        field: None,
        value: None,
    }
}

/// One request, with a body of its media type; the answer's text when it succeeded.
async fn call(method: &str, path: &str, body: Option<(&str, JsValue)>) -> Result<String, Failure> {
    let window = web_sys::window().ok_or(Failure::Offline)?;
    let init = RequestInit::new();
    init.set_method(method);
    init.set_credentials(RequestCredentials::SameOrigin);
    let headers = Headers::new().map_err(|_| Failure::Offline)?;
    let _ = headers.set("Accept", "application/json");
    if let Some((media_type, body)) = &body {
        let _ = headers.set("Content-Type", media_type);
        init.set_body(body);
    }
    init.set_headers(&headers);
    let response: Response = JsFuture::from(window.fetch_with_str_and_init(path, &init))
        .await
        .map_err(|_| Failure::Offline)?
        .dyn_into()
        .map_err(|_| Failure::Offline)?;
    let text = match response.text() {
        Ok(promise) => JsFuture::from(promise)
            .await
            .ok()
            .and_then(|text| text.as_string())
            .unwrap_or_default(),
        Err(_) => String::new(),
    };
    let status = response.status();
    if response.ok() {
        return Ok(text);
    }
    if status == 401 {
        return Err(Failure::SignedOut);
    }
    Err(match serde_json::from_str::<ErrorBody>(&text) {
        Ok(body) => Failure::Refused {
            status,
            message: told(&body.error.code, body.error.field.as_deref())
                .unwrap_or(body.error.message),
            code: body.error.code,
            reason: body.error.reason,
            field: body.error.field,
            value: body.error.value,
        },
        Err(_) => refused(status, &text),
    })
}
