//! A stand-in for Meta's WhatsApp Cloud API (the WhatsApp edges of the Graph API), written from
//! Meta's published Cloud API reference
//! (<https://developers.facebook.com/docs/whatsapp/cloud-api>), on 127.0.0.1:
//!
//! - Everything is served under `/{version}/…` for any Graph version written `v<major>.<minor>`
//!   (`v21.0`), and only to `Authorization: Bearer <token>` with the token the stand-in was
//!   started with (Graph's `access_token` query parameter is taken too). Any other caller gets
//!   `401` with the Graph error code 190.
//! - Failures carry Graph's error object: `{"error":{"message","type","code","error_data":
//!   {"messaging_product":"whatsapp","details"},"fbtrace_id"}}` (plus `error_subcode` where
//!   Graph adds one, and `is_transient` for code 2).
//! - Served: `GET /{v}/{phone-number-id}` (with `?fields=`); `POST /{v}/{phone-number-id}/messages`
//!   for sends of every type and for read receipts; `POST /{v}/{phone-number-id}/media` (a
//!   `multipart/form-data` upload); `GET` and `DELETE /{v}/{media-id}`; the download of a media
//!   file at the URL `GET /{v}/{media-id}` hands out (`/media-download/{id}?token=…`, which also
//!   needs the bearer token); `GET /{v}/{waba-id}/message_templates` with `fields`, `limit`,
//!   `after` and the `name`, `status`, `language` and `category` filters.
//! - Sends are checked the way Cloud API refuses them: `messaging_product`, `to`, the object
//!   matching `type`, a text body of at most 4096 characters, media by the `id` of an uploaded
//!   file or by an http(s) `link`, a template that exists in the language asked for (132001),
//!   is neither paused (132015) nor disabled (132016) and gets as many body parameters as its
//!   body has placeholders (132000). A free-form message to a customer whose last message is
//!   more than 24 hours old is taken (`200` with a wamid) as Cloud API takes it, and remembered:
//!   Meta reports it later as a `failed` status with error 131047, which a test builds with
//!   [`WhatsAppStandIn::re_engagement_failures`].
//!
//! No webhook is ever pushed: a test builds notifications as Meta sends them with
//! [`Notifications`], signs them with [`signature`] (`X-Hub-Signature-256`) and posts them to the
//! gateway itself. It steers the stand-in as Cloud API would behave (throughput limit, outage),
//! then reads what the gateway sent.

use std::collections::{BTreeSet, HashMap};
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::bail;

use crate::multipart::{Part, header_parameter, parse_multipart};
use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use hmac::{Hmac, Mac};
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

/// The longest text body of a message, in characters.
pub const MAX_TEXT_CHARS: usize = 4096;
/// The longest caption of an image, video or document, in characters.
pub const MAX_CAPTION_CHARS: usize = 1024;
/// How long after a customer's last message a business may send free-form messages.
pub const SERVICE_WINDOW_SECS: i64 = 24 * 60 * 60;
/// The HTTP status of a send refused for the throughput limit (code 130429). Meta's error-code
/// table gives `400 Bad Request` for its throttling codes (older copies of it said 429).
pub const THROTTLE_STATUS: StatusCode = StatusCode::BAD_REQUEST;
/// A Graph version to build URLs with; any `v<major>.<minor>` is served.
pub const VERSION: &str = "v21.0";

/// Where Meta documents its error codes, as failed statuses link to it.
const ERROR_CODES_URL: &str =
    "https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/";

/// The media types Cloud API takes, with the largest file of each kind.
const MEDIA_TYPES: &[(&str, usize)] = &[
    ("image/jpeg", 5 * MB),
    ("image/png", 5 * MB),
    // Stickers.
    ("image/webp", 500 * KB),
    ("audio/aac", 16 * MB),
    ("audio/amr", 16 * MB),
    ("audio/mpeg", 16 * MB),
    ("audio/mp4", 16 * MB),
    ("audio/ogg", 16 * MB),
    ("video/mp4", 16 * MB),
    ("video/3gpp", 16 * MB),
    ("text/plain", 100 * MB),
    ("application/pdf", 100 * MB),
    ("application/msword", 100 * MB),
    (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        100 * MB,
    ),
    ("application/vnd.ms-excel", 100 * MB),
    (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        100 * MB,
    ),
    ("application/vnd.ms-powerpoint", 100 * MB),
    (
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        100 * MB,
    ),
];
const KB: usize = 1024;
const MB: usize = 1024 * 1024;

/// The message types a send may have.
const MESSAGE_TYPES: &[&str] = &[
    "text",
    "image",
    "audio",
    "video",
    "document",
    "sticker",
    "location",
    "contacts",
    "interactive",
    "template",
    "reaction",
];

/// One request the stand-in answered (whatever the answer, a refused token included).
#[derive(Debug, Clone)]
pub struct Call {
    /// `GET`, `POST`, `DELETE`.
    pub method: String,
    /// The path as requested (`/v21.0/1234/messages`).
    pub path: String,
    /// The query string, empty if none.
    pub query: String,
    /// What the call was: `phone_number`, `waba`, `send`, `read_receipt`, `upload`,
    /// `media_url`, `media_delete`, `media_download`, `templates` or `unknown`.
    pub kind: String,
    /// The JSON body; for an upload its fields, with the file as `{file_name, content_type,
    /// size}`; `Null` when there was none.
    pub body: Value,
    /// Whether the bearer token was the right one.
    pub authorized: bool,
    /// The HTTP status answered.
    pub status: u16,
}

/// A message Cloud API took (a 200 answer with a wamid).
#[derive(Debug, Clone, PartialEq)]
pub struct SentMessage {
    pub wamid: String,
    /// `to` as the gateway wrote it.
    pub to: String,
    /// The message type: `text`, `image`, `template`, …
    pub kind: String,
    /// The whole request body.
    pub body: Value,
    /// A free-form message sent more than 24 hours after the customer last wrote (see
    /// [`WhatsAppStandIn::customer_wrote`]): Meta takes it and then reports it failed (131047).
    pub outside_window: bool,
}

/// A file uploaded to `/{phone-number-id}/media`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upload {
    pub media_id: String,
    /// The `type` field of the upload.
    pub mime_type: String,
    /// The `filename` of the file part, if it had one.
    pub file_name: Option<String>,
    pub bytes: Vec<u8>,
}

struct Media {
    mime_type: String,
    bytes: Vec<u8>,
    /// The opaque part of its download URL.
    download_token: String,
}

struct Template {
    id: String,
    name: String,
    language: String,
    status: String,
    category: String,
    components: Value,
}

impl Template {
    fn to_json(&self) -> Value {
        json!({
            "name": self.name,
            "language": self.language,
            "status": self.status,
            "category": self.category,
            "components": self.components,
            "id": self.id,
        })
    }

    /// The placeholders of its body (`{{1}}`, or `{{name}}` for named parameters).
    fn body_placeholders(&self) -> usize {
        let Some(components) = self.components.as_array() else {
            return 0;
        };
        components
            .iter()
            .filter(|component| {
                component["type"]
                    .as_str()
                    .is_some_and(|kind| kind.eq_ignore_ascii_case("body"))
            })
            .filter_map(|component| component["text"].as_str())
            .map(|text| placeholders(text).len())
            .sum()
    }
}

/// The distinct `{{…}}` placeholders of a template text.
fn placeholders(text: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else {
            break;
        };
        let name = after[..end].trim();
        if !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            found.insert(name.to_string());
        }
        rest = &after[end + 2..];
    }
    found
}

#[derive(Default)]
struct Account {
    media: HashMap<String, Media>,
    templates: Vec<Template>,
    /// wa_id → when the customer last wrote, in Unix seconds.
    last_customer_message: HashMap<String, i64>,
    /// Sends left to refuse for the throughput limit.
    throttle: usize,
    down: bool,
    next_id: u64,
    calls: Vec<Call>,
    sent: Vec<SentMessage>,
    read_receipts: Vec<String>,
    uploads: Vec<Upload>,
}

impl Account {
    fn next(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    /// A new id of the kind Graph gives its objects: a long number.
    fn new_object_id(&mut self) -> String {
        (1_000_000_000_000_000 + self.next()).to_string()
    }

    fn new_wamid(&mut self, wa_id: &str) -> String {
        let number = self.next();
        let seed = format!("stand-in:{wa_id}:{number:012}:{:x}", nanos());
        format!(
            "wamid.{}",
            base64::engine::general_purpose::STANDARD.encode(seed)
        )
    }

    fn new_download_token(&mut self, media_id: &str) -> String {
        let number = self.next();
        format!("{:016x}", hash_of(&(media_id, number, nanos())))
    }

    fn fbtrace_id(&mut self) -> String {
        let number = self.next();
        let mut bytes = hash_of(&(number, nanos())).to_be_bytes().to_vec();
        bytes.extend(hash_of(&(nanos(), number)).to_be_bytes());
        format!(
            "A{}",
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
        )
    }
}

struct Shared {
    token: String,
    phone_number_id: String,
    display_phone_number: String,
    verified_name: String,
    waba_id: String,
    base_url: String,
    account: Mutex<Account>,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Account> {
        self.account.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The running stand-in; it stops when dropped.
pub struct WhatsAppStandIn {
    /// `http://127.0.0.1:PORT`, what the gateway takes in place of `https://graph.facebook.com`.
    pub base_url: String,
    shared: Arc<Shared>,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for WhatsAppStandIn {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl WhatsAppStandIn {
    /// Serves the business phone number `phone_number_id` (shown as `display_phone_number`,
    /// e.g. `+1 555-010-0199`, under the name `verified_name`) of the WhatsApp Business Account
    /// `waba_id`, on a free port, to callers with `token` only.
    pub async fn start(
        token: &str,
        phone_number_id: &str,
        display_phone_number: &str,
        verified_name: &str,
        waba_id: &str,
    ) -> anyhow::Result<WhatsAppStandIn> {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?;
        let base_url = format!("http://127.0.0.1:{}", listener.local_addr()?.port());
        let shared = Arc::new(Shared {
            token: token.to_string(),
            phone_number_id: phone_number_id.to_string(),
            display_phone_number: display_phone_number.to_string(),
            verified_name: verified_name.to_string(),
            waba_id: waba_id.to_string(),
            base_url: base_url.clone(),
            account: Mutex::new(Account::default()),
        });
        let app = Router::new()
            .fallback(handle)
            .layer(DefaultBodyLimit::disable())
            .with_state(shared.clone());
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(WhatsAppStandIn {
            base_url,
            shared,
            server,
        })
    }

    fn account(&self) -> MutexGuard<'_, Account> {
        self.shared.lock()
    }

    /// The URL of `path` under [`VERSION`]: `url("1234/messages")`.
    pub fn url(&self, path: &str) -> String {
        format!(
            "{}/{VERSION}/{}",
            self.base_url,
            path.trim_start_matches('/')
        )
    }

    /// The builder of webhook notifications for this phone number and account.
    pub fn notifications(&self) -> Notifications {
        Notifications::new(
            &self.shared.waba_id,
            &self.shared.phone_number_id,
            &self.shared.display_phone_number,
        )
    }

    // Steering.

    /// The next `sends` sends (not read receipts) are refused for the throughput limit:
    /// [`THROTTLE_STATUS`] with code 130429 "Rate limit hit".
    pub fn throttle_next(&self, sends: usize) {
        self.account().throttle = sends;
    }

    /// While `down`, every request answers `503` with the Graph error code 2 (service
    /// temporarily unavailable, `is_transient`); the calls are still recorded.
    pub fn set_down(&self, down: bool) {
        self.account().down = down;
    }

    /// The customer `wa_id` wrote to the business at `unix_seconds`, which opens (or, if long
    /// ago, does not open) the 24-hour window for free-form messages. A customer never
    /// mentioned is taken as inside the window.
    pub fn customer_wrote(&self, wa_id: &str, unix_seconds: i64) {
        self.account()
            .last_customer_message
            .insert(digits(wa_id), unix_seconds);
    }

    /// A media file a customer sent, which `GET /{v}/{media_id}` describes and the download URL
    /// serves.
    pub fn add_media(&self, media_id: &str, mime_type: &str, bytes: impl Into<Vec<u8>>) {
        let mut account = self.account();
        let download_token = account.new_download_token(media_id);
        account.media.insert(
            media_id.to_string(),
            Media {
                mime_type: mime_type.to_string(),
                bytes: bytes.into(),
                download_token,
            },
        );
    }

    /// A message template of the account (category `UTILITY`) whose only component is a body
    /// with `body_text` (placeholders `{{1}}`, `{{2}}`…); `status` as Meta spells it
    /// (`APPROVED`, `PENDING`, `REJECTED`, `PAUSED`, `DISABLED`). Answers its id.
    pub fn add_template(
        &self,
        name: &str,
        language: &str,
        status: &str,
        body_text: &str,
    ) -> String {
        self.add_template_with(
            name,
            language,
            status,
            "UTILITY",
            json!([{ "type": "BODY", "text": body_text }]),
        )
    }

    /// A message template with its category (`UTILITY`, `MARKETING`, `AUTHENTICATION`) and
    /// components as the templates edge lists them. Answers its id.
    pub fn add_template_with(
        &self,
        name: &str,
        language: &str,
        status: &str,
        category: &str,
        components: Value,
    ) -> String {
        let mut account = self.account();
        let id = account.new_object_id();
        account.templates.push(Template {
            id: id.clone(),
            name: name.to_string(),
            language: language.to_string(),
            status: status.to_ascii_uppercase(),
            category: category.to_ascii_uppercase(),
            components,
        });
        id
    }

    // Inspection.

    /// Every request answered, oldest first.
    pub fn calls(&self) -> Vec<Call> {
        self.account().calls.clone()
    }

    /// The calls of one kind (see [`Call::kind`]: `send`, `read_receipt`, `upload`, …) or whose
    /// path ends with `path_suffix_or_kind` (`/messages` takes sends and read receipts).
    pub fn calls_of(&self, path_suffix_or_kind: &str) -> Vec<Call> {
        self.account()
            .calls
            .iter()
            .filter(|call| call_matches(call, path_suffix_or_kind))
            .cloned()
            .collect()
    }

    /// The messages Cloud API took, oldest first.
    pub fn sent_messages(&self) -> Vec<SentMessage> {
        self.account().sent.clone()
    }

    /// The message ids the gateway marked as read, oldest first.
    pub fn read_receipts(&self) -> Vec<String> {
        self.account().read_receipts.clone()
    }

    /// The files uploaded, oldest first.
    pub fn uploads(&self) -> Vec<Upload> {
        self.account().uploads.clone()
    }

    /// The free-form messages taken outside the 24-hour window, which Meta reports failed.
    pub fn outside_window_sends(&self) -> Vec<SentMessage> {
        self.account()
            .sent
            .iter()
            .filter(|sent| sent.outside_window)
            .cloned()
            .collect()
    }

    /// For each free-form message taken outside the 24-hour window, the notification of its
    /// `failed` status with error 131047 (re-engagement message), as Meta posts it.
    pub fn re_engagement_failures(&self) -> Vec<Value> {
        let notifications = self.notifications();
        self.outside_window_sends()
            .iter()
            .map(|sent| notifications.re_engagement_failed(&sent.wamid, &digits(&sent.to)))
            .collect()
    }

    /// Waits until `count` calls of a kind or path suffix (as [`Self::calls_of`]) arrived,
    /// whatever their answer, for up to `timeout`; answers them.
    pub async fn wait_for_calls(
        &self,
        path_suffix_or_kind: &str,
        count: usize,
        timeout: Duration,
    ) -> anyhow::Result<Vec<Call>> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let calls = self.calls_of(path_suffix_or_kind);
            if calls.len() >= count {
                return Ok(calls);
            }
            if tokio::time::Instant::now() >= deadline {
                let seen: Vec<String> = self
                    .calls()
                    .into_iter()
                    .map(|call| format!("{} {} ({})", call.method, call.path, call.status))
                    .collect();
                bail!(
                    "{count} {path_suffix_or_kind} calls expected within {timeout:?}, {} arrived (calls: {seen:?})",
                    calls.len()
                );
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

fn call_matches(call: &Call, path_suffix_or_kind: &str) -> bool {
    call.kind == path_suffix_or_kind || call.path.ends_with(path_suffix_or_kind)
}

// Answers.

/// A Graph API error.
#[derive(Debug)]
struct GraphError {
    status: StatusCode,
    code: i64,
    /// The error's `type`.
    kind: &'static str,
    message: String,
    subcode: Option<i64>,
    details: Option<String>,
    transient: bool,
}

impl GraphError {
    fn new(status: StatusCode, code: i64, message: impl Into<String>) -> GraphError {
        GraphError {
            status,
            code,
            kind: "OAuthException",
            message: message.into(),
            subcode: None,
            details: None,
            transient: false,
        }
    }

    fn with_details(mut self, details: impl Into<String>) -> GraphError {
        self.details = Some(details.into());
        self
    }

    fn invalid_parameter(details: impl Into<String>) -> GraphError {
        GraphError::new(StatusCode::BAD_REQUEST, 100, "(#100) Invalid parameter")
            .with_details(details)
    }

    fn required(parameter: &str) -> GraphError {
        GraphError::new(
            StatusCode::BAD_REQUEST,
            100,
            format!("(#100) The parameter {parameter} is required."),
        )
        .with_details(format!("The parameter {parameter} is required."))
    }

    fn bad_token() -> GraphError {
        GraphError::new(
            StatusCode::UNAUTHORIZED,
            190,
            "Invalid OAuth access token - Cannot parse access token",
        )
    }

    /// An object that does not exist, or does not serve `method` (`get`, `post`, `delete`).
    fn unknown_object(method: &str, id: &str) -> GraphError {
        GraphError {
            kind: "GraphMethodException",
            subcode: Some(33),
            ..GraphError::new(
                StatusCode::BAD_REQUEST,
                100,
                format!(
                    "Unsupported {method} request. Object with ID '{id}' does not exist, cannot be loaded due to missing permissions, or does not support this operation. Please read the Graph API documentation at https://developers.facebook.com/docs/graph-api"
                ),
            )
        }
    }

    fn unknown_path(path: &str) -> GraphError {
        GraphError::new(
            StatusCode::BAD_REQUEST,
            2500,
            format!("Unknown path components: {path}"),
        )
    }

    fn rate_limited() -> GraphError {
        GraphError::new(THROTTLE_STATUS, 130429, "(#130429) Rate limit hit").with_details(
            "The phone number reached its Cloud API throughput limit; send again later or more slowly.",
        )
    }

    fn unavailable() -> GraphError {
        GraphError {
            transient: true,
            ..GraphError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                2,
                "(#2) Service temporarily unavailable",
            )
        }
    }

    fn template(code: i64, title: &str, details: impl Into<String>) -> GraphError {
        GraphError::new(StatusCode::BAD_REQUEST, code, format!("(#{code}) {title}"))
            .with_details(details)
    }

    fn body(&self, fbtrace_id: String) -> Value {
        let mut error = Map::new();
        error.insert("message".into(), json!(self.message));
        error.insert("type".into(), json!(self.kind));
        error.insert("code".into(), json!(self.code));
        if let Some(details) = &self.details {
            error.insert(
                "error_data".into(),
                json!({ "messaging_product": "whatsapp", "details": details }),
            );
        }
        if let Some(subcode) = self.subcode {
            error.insert("error_subcode".into(), json!(subcode));
        }
        if self.transient {
            error.insert("is_transient".into(), json!(true));
        }
        error.insert("fbtrace_id".into(), json!(fbtrace_id));
        json!({ "error": error })
    }
}

enum Answer {
    Json(Value),
    File { mime_type: String, bytes: Vec<u8> },
}

type Outcome = Result<Answer, GraphError>;

fn json_response(status: StatusCode, body: &Value) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json; charset=UTF-8")],
        body.to_string(),
    )
        .into_response()
}

// Requests.

/// What a path asks for.
enum Route {
    /// `GET /{v}/{id}`.
    Node(String),
    /// `DELETE /{v}/{id}`.
    DeleteNode(String),
    /// `POST /{v}/{id}/messages`.
    Messages(String),
    /// `POST /{v}/{id}/media`.
    Upload(String),
    /// `GET /{v}/{id}/message_templates`.
    Templates(String),
    /// `GET /media-download/{id}`.
    Download(String),
    Unknown,
}

fn route(method: &Method, path: &str) -> Route {
    let segments: Vec<&str> = path
        .split('/')
        .filter(|segment| !segment.is_empty())
        .collect();
    match (method.as_str(), segments.as_slice()) {
        ("GET", ["media-download", id]) => Route::Download((*id).to_string()),
        ("GET", [version, id]) if is_version(version) => Route::Node((*id).to_string()),
        ("DELETE", [version, id]) if is_version(version) => Route::DeleteNode((*id).to_string()),
        ("POST", [version, id, "messages"]) if is_version(version) => {
            Route::Messages((*id).to_string())
        }
        ("POST", [version, id, "media"]) if is_version(version) => Route::Upload((*id).to_string()),
        ("GET", [version, id, "message_templates"]) if is_version(version) => {
            Route::Templates((*id).to_string())
        }
        _ => Route::Unknown,
    }
}

/// `v21.0`, say.
fn is_version(segment: &str) -> bool {
    let Some((major, minor)) = segment
        .strip_prefix('v')
        .and_then(|number| number.split_once('.'))
    else {
        return false;
    };
    let number = |part: &str| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit());
    number(major) && number(minor)
}

/// Whether the request carries the token, as a bearer token or as `access_token`.
fn authorized(headers: &HeaderMap, query: &HashMap<String, String>, token: &str) -> bool {
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, given)| given.trim());
    bearer == Some(token) || query.get("access_token").map(String::as_str) == Some(token)
}

async fn handle(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = uri.path().to_string();
    let query_string = uri.query().unwrap_or_default().to_string();
    let query: HashMap<String, String> =
        serde_urlencoded::from_str(&query_string).unwrap_or_default();
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let route = route(&method, &path);
    let authorized = authorized(&headers, &query, &shared.token);
    let mut recorded_body = if content_type.starts_with("application/json") {
        serde_json::from_slice(&body).unwrap_or(Value::Null)
    } else {
        Value::Null
    };
    let kind = match &route {
        Route::Node(id) if *id == shared.phone_number_id => "phone_number",
        Route::Node(id) if *id == shared.waba_id => "waba",
        Route::Node(_) => "media_url",
        Route::DeleteNode(_) => "media_delete",
        Route::Messages(_) => {
            if is_read_receipt(&recorded_body) {
                "read_receipt"
            } else {
                "send"
            }
        }
        Route::Upload(_) => "upload",
        Route::Templates(_) => "templates",
        Route::Download(_) => "media_download",
        Route::Unknown => "unknown",
    };
    let outcome = {
        let mut account = shared.lock();
        if account.down {
            Err(GraphError::unavailable())
        } else if !authorized {
            Err(GraphError::bad_token())
        } else {
            match &route {
                Route::Node(id) => get_node(&shared, &account, id, &query),
                Route::DeleteNode(id) => delete_media(&mut account, id),
                Route::Messages(id) if *id != shared.phone_number_id => {
                    Err(GraphError::unknown_object("post", id))
                }
                Route::Messages(_) => messages(&mut account, &body, &content_type),
                Route::Upload(id) if *id != shared.phone_number_id => {
                    Err(GraphError::unknown_object("post", id))
                }
                Route::Upload(_) => match read_upload(&content_type, &body) {
                    Ok((fields, file)) => {
                        recorded_body = upload_record(&fields, file.as_ref());
                        upload(&mut account, &fields, file)
                    }
                    Err(failure) => Err(failure),
                },
                Route::Templates(id) if *id != shared.waba_id => {
                    Err(GraphError::unknown_object("get", id))
                }
                Route::Templates(_) => list_templates(&shared, &account, &query),
                Route::Download(id) => download(&account, id, &query),
                Route::Unknown => Err(GraphError::unknown_path(&path)),
            }
        }
    };
    let (status, response) = match outcome {
        Ok(Answer::Json(answer)) => (StatusCode::OK, json_response(StatusCode::OK, &answer)),
        Ok(Answer::File { mime_type, bytes }) => (
            StatusCode::OK,
            (StatusCode::OK, [(header::CONTENT_TYPE, mime_type)], bytes).into_response(),
        ),
        Err(failure) => {
            let trace = shared.lock().fbtrace_id();
            (
                failure.status,
                json_response(failure.status, &failure.body(trace)),
            )
        }
    };
    shared.lock().calls.push(Call {
        method: method.to_string(),
        path,
        query: query_string,
        kind: kind.to_string(),
        body: recorded_body,
        authorized,
        status: status.as_u16(),
    });
    response
}

/// `{"messaging_product":"whatsapp","status":"read","message_id":…}`.
fn is_read_receipt(body: &Value) -> bool {
    body["status"] == "read" && body.get("message_id").is_some()
}

/// Picks the `fields` asked for (all of them if none was), with `id` always.
fn pick_fields(all: Value, query: &HashMap<String, String>) -> Value {
    let Some(fields) = query
        .get("fields")
        .filter(|fields| !fields.trim().is_empty())
    else {
        return all;
    };
    let wanted: Vec<&str> = fields.split(',').map(str::trim).collect();
    let Value::Object(all) = all else {
        return all;
    };
    let picked: Map<String, Value> = all
        .into_iter()
        .filter(|(name, _)| name == "id" || wanted.contains(&name.as_str()))
        .collect();
    Value::Object(picked)
}

fn get_node(
    shared: &Shared,
    account: &Account,
    id: &str,
    query: &HashMap<String, String>,
) -> Outcome {
    if id == shared.phone_number_id {
        let all = if query.contains_key("fields") {
            json!({
                "verified_name": shared.verified_name,
                "display_phone_number": shared.display_phone_number,
                "quality_rating": "GREEN",
                "code_verification_status": "VERIFIED",
                "platform_type": "CLOUD_API",
                "throughput": { "level": "STANDARD" },
                "name_status": "APPROVED",
                "messaging_limit_tier": "TIER_1K",
                "id": shared.phone_number_id,
            })
        } else {
            json!({
                "verified_name": shared.verified_name,
                "display_phone_number": shared.display_phone_number,
                "id": shared.phone_number_id,
                "quality_rating": "GREEN",
            })
        };
        return Ok(Answer::Json(pick_fields(all, query)));
    }
    if id == shared.waba_id {
        let all = json!({
            "id": shared.waba_id,
            "name": shared.verified_name,
            "currency": "USD",
            "timezone_id": "1",
            "message_template_namespace": format!("{:032x}", hash_of(&shared.waba_id)),
        });
        return Ok(Answer::Json(pick_fields(all, query)));
    }
    let Some(media) = account.media.get(id) else {
        return Err(GraphError::unknown_object("get", id));
    };
    Ok(Answer::Json(json!({
        "messaging_product": "whatsapp",
        "url": format!("{}/media-download/{id}?token={}", shared.base_url, media.download_token),
        "mime_type": media.mime_type,
        "sha256": hex::encode(Sha256::digest(&media.bytes)),
        "file_size": media.bytes.len(),
        "id": id,
    })))
}

fn delete_media(account: &mut Account, id: &str) -> Outcome {
    match account.media.remove(id) {
        Some(_) => Ok(Answer::Json(json!({ "success": true }))),
        None => Err(GraphError::unknown_object("delete", id)),
    }
}

/// `GET /media-download/{id}?token=…`: the file, for the URL handed out only.
fn download(account: &Account, id: &str, query: &HashMap<String, String>) -> Outcome {
    match account.media.get(id) {
        Some(media) if query.get("token") == Some(&media.download_token) => Ok(Answer::File {
            mime_type: media.mime_type.clone(),
            bytes: media.bytes.clone(),
        }),
        _ => Err(GraphError {
            status: StatusCode::NOT_FOUND,
            ..GraphError::unknown_object("get", id)
        }),
    }
}

fn list_templates(shared: &Shared, account: &Account, query: &HashMap<String, String>) -> Outcome {
    let filter = |name: &str| {
        query
            .get(name)
            .map(|value| value.trim().to_string())
            .filter(|v| !v.is_empty())
    };
    let name = filter("name");
    let status = filter("status");
    let language = filter("language");
    let category = filter("category");
    let matching: Vec<&Template> = account
        .templates
        .iter()
        .filter(|template| {
            name.as_ref()
                .is_none_or(|name| template.name.contains(name.as_str()))
        })
        .filter(|template| {
            status
                .as_ref()
                .is_none_or(|status| template.status.eq_ignore_ascii_case(status))
        })
        .filter(|template| {
            language
                .as_ref()
                .is_none_or(|language| template.language == *language)
        })
        .filter(|template| {
            category
                .as_ref()
                .is_none_or(|category| template.category.eq_ignore_ascii_case(category))
        })
        .collect();
    let limit = query
        .get("limit")
        .and_then(|limit| limit.parse::<usize>().ok())
        .filter(|limit| *limit > 0)
        .unwrap_or(25);
    let start = match query.get("after") {
        Some(cursor) => match decode_cursor(cursor) {
            Some(index) => index + 1,
            None => {
                return Err(GraphError::invalid_parameter(
                    "The after cursor is not valid.",
                ));
            }
        },
        None => 0,
    };
    let page: Vec<Value> = matching
        .iter()
        .skip(start)
        .take(limit)
        .map(|template| pick_fields(template.to_json(), query))
        .collect();
    let mut body = json!({ "data": page });
    if !page.is_empty() {
        let last = start + page.len() - 1;
        let mut paging = json!({
            "cursors": { "before": encode_cursor(start), "after": encode_cursor(last) },
        });
        if last + 1 < matching.len() {
            let mut next_query: Vec<(String, String)> = query
                .iter()
                .filter(|(name, _)| name.as_str() != "after" && name.as_str() != "access_token")
                .map(|(name, value)| (name.clone(), value.clone()))
                .collect();
            next_query.sort();
            next_query.push(("after".into(), encode_cursor(last)));
            paging["next"] = json!(format!(
                "{}/{VERSION}/{}/message_templates?{}",
                shared.base_url,
                shared.waba_id,
                serde_urlencoded::to_string(&next_query).unwrap_or_default()
            ));
        }
        body["paging"] = paging;
    }
    Ok(Answer::Json(body))
}

fn encode_cursor(index: usize) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("template:{index}"))
}

fn decode_cursor(cursor: &str) -> Option<usize> {
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(cursor)
        .ok()?;
    String::from_utf8(bytes)
        .ok()?
        .strip_prefix("template:")?
        .parse()
        .ok()
}

// Sends.

fn messages(account: &mut Account, body: &[u8], content_type: &str) -> Outcome {
    if !content_type.starts_with("application/json") {
        return Err(GraphError::invalid_parameter(
            "The request body must be JSON (Content-Type: application/json).",
        ));
    }
    let Ok(Value::Object(message)) = serde_json::from_slice::<Value>(body) else {
        return Err(GraphError::invalid_parameter(
            "The request body must be a JSON object.",
        ));
    };
    match message.get("messaging_product").and_then(Value::as_str) {
        Some("whatsapp") => {}
        Some(other) => {
            return Err(GraphError::invalid_parameter(format!(
                "Param messaging_product must be whatsapp, not {other}."
            )));
        }
        None => return Err(GraphError::required("messaging_product")),
    }
    let message = Value::Object(message);
    if is_read_receipt(&message) {
        let Some(message_id) = message["message_id"].as_str().filter(|id| !id.is_empty()) else {
            return Err(GraphError::invalid_parameter(
                "Param message_id must be a message id.",
            ));
        };
        account.read_receipts.push(message_id.to_string());
        return Ok(Answer::Json(json!({ "success": true })));
    }
    if account.throttle > 0 {
        account.throttle -= 1;
        return Err(GraphError::rate_limited());
    }
    let to = message["to"].as_str().map(str::trim).unwrap_or_default();
    if to.is_empty() {
        return Err(GraphError::required("to"));
    }
    let wa_id = digits(to);
    if wa_id.is_empty() {
        return Err(GraphError::invalid_parameter(format!(
            "Param to must be a phone number, not {to}."
        )));
    }
    if let Some(recipient_type) = message["recipient_type"].as_str()
        && recipient_type != "individual"
    {
        return Err(GraphError::invalid_parameter(
            "Param recipient_type must be individual.",
        ));
    }
    // Left out, the type is text.
    let kind = message["type"].as_str().unwrap_or("text").to_string();
    if !MESSAGE_TYPES.contains(&kind.as_str()) {
        return Err(GraphError::invalid_parameter(format!(
            "Param type must be one of {{{}}}, not {kind}.",
            MESSAGE_TYPES.join(", ")
        )));
    }
    // `contacts` is an array of cards; every other type's content is an object.
    let Some(object) = message
        .get(&kind)
        .filter(|object| object.is_object() || (kind == "contacts" && object.is_array()))
    else {
        return Err(GraphError::required(&kind));
    };
    match kind.as_str() {
        "text" => check_text(object)?,
        "image" | "audio" | "video" | "document" | "sticker" => {
            check_media(account, &kind, object)?
        }
        "location" => {
            for field in ["latitude", "longitude"] {
                if number_value(&object[field]).is_none() {
                    return Err(GraphError::required(&format!("location['{field}']")));
                }
            }
        }
        "contacts" => check_contacts(object)?,
        "interactive" => check_interactive(object)?,
        "template" => check_template(account, object)?,
        "reaction" => {
            if object["message_id"].as_str().is_none_or(str::is_empty) {
                return Err(GraphError::required("reaction['message_id']"));
            }
            if !object["emoji"].is_string() {
                return Err(GraphError::required("reaction['emoji']"));
            }
        }
        _ => {}
    }
    let outside_window = kind != "template"
        && account
            .last_customer_message
            .get(&wa_id)
            .is_some_and(|wrote| unix_now() - wrote > SERVICE_WINDOW_SECS);
    let wamid = account.new_wamid(&wa_id);
    account.sent.push(SentMessage {
        wamid: wamid.clone(),
        to: to.to_string(),
        kind: kind.clone(),
        body: message.clone(),
        outside_window,
    });
    let mut sent = json!({ "id": wamid });
    if kind == "template" {
        sent["message_status"] = json!("accepted");
    }
    Ok(Answer::Json(json!({
        "messaging_product": "whatsapp",
        "contacts": [{ "input": to, "wa_id": wa_id }],
        "messages": [sent],
    })))
}

fn check_text(text: &Value) -> Result<(), GraphError> {
    let Some(body) = text["body"].as_str().filter(|body| !body.trim().is_empty()) else {
        return Err(GraphError::required("text['body']"));
    };
    if body.chars().count() > MAX_TEXT_CHARS {
        return Err(GraphError::invalid_parameter(format!(
            "Param text['body'] must be at most {MAX_TEXT_CHARS} characters long."
        )));
    }
    if !text["preview_url"].is_null() && !text["preview_url"].is_boolean() {
        return Err(GraphError::invalid_parameter(
            "Param text['preview_url'] must be a boolean.",
        ));
    }
    Ok(())
}

fn check_media(account: &Account, kind: &str, media: &Value) -> Result<(), GraphError> {
    let id = media["id"].as_str().filter(|id| !id.is_empty());
    let link = media["link"].as_str().filter(|link| !link.is_empty());
    match (id, link) {
        (Some(_), Some(_)) => {
            return Err(GraphError::invalid_parameter(format!(
                "Param {kind} must have either id or link, not both."
            )));
        }
        (None, None) => {
            return Err(GraphError::invalid_parameter(format!(
                "Param {kind} must have an id or a link."
            )));
        }
        (Some(id), None) if !account.media.contains_key(id) => {
            return Err(GraphError::invalid_parameter(format!(
                "Param {kind}['id'] is not a valid media id: {id}."
            )));
        }
        (None, Some(link)) if !(link.starts_with("https://") || link.starts_with("http://")) => {
            return Err(GraphError::invalid_parameter(format!(
                "Param {kind}['link'] must be an http or https URL."
            )));
        }
        _ => {}
    }
    if matches!(kind, "image" | "video" | "document")
        && let Some(caption) = media["caption"].as_str()
        && caption.chars().count() > MAX_CAPTION_CHARS
    {
        return Err(GraphError::invalid_parameter(format!(
            "Param {kind}['caption'] must be at most {MAX_CAPTION_CHARS} characters long."
        )));
    }
    Ok(())
}

fn check_contacts(contacts: &Value) -> Result<(), GraphError> {
    let Some(cards) = contacts.as_array().filter(|cards| !cards.is_empty()) else {
        return Err(GraphError::invalid_parameter(
            "Param contacts must be a non-empty array of contacts.",
        ));
    };
    for card in cards {
        if card["name"]["formatted_name"]
            .as_str()
            .is_none_or(str::is_empty)
        {
            return Err(GraphError::required("contacts['name']['formatted_name']"));
        }
    }
    Ok(())
}

fn check_interactive(interactive: &Value) -> Result<(), GraphError> {
    let Some(kind) = interactive["type"].as_str() else {
        return Err(GraphError::required("interactive['type']"));
    };
    let action = &interactive["action"];
    if !action.is_object() && kind != "location_request_message" {
        return Err(GraphError::required("interactive['action']"));
    }
    match kind {
        "button" => {
            let buttons = action["buttons"].as_array().map_or(0, Vec::len);
            if !(1..=3).contains(&buttons) {
                return Err(GraphError::invalid_parameter(
                    "Param interactive['action']['buttons'] must have 1 to 3 buttons.",
                ));
            }
            for button in action["buttons"].as_array().into_iter().flatten() {
                let title = button["reply"]["title"].as_str().unwrap_or_default();
                if title.is_empty() || title.chars().count() > 20 {
                    return Err(GraphError::invalid_parameter(
                        "Param interactive['action']['buttons'][]['reply']['title'] must be 1 to 20 characters long.",
                    ));
                }
                if button["reply"]["id"].as_str().is_none_or(str::is_empty) {
                    return Err(GraphError::required(
                        "interactive['action']['buttons'][]['reply']['id']",
                    ));
                }
            }
        }
        "list" => {
            if action["button"].as_str().is_none_or(str::is_empty) {
                return Err(GraphError::required("interactive['action']['button']"));
            }
            let rows: usize = action["sections"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|section| section["rows"].as_array().map_or(0, Vec::len))
                .sum();
            if !(1..=10).contains(&rows) {
                return Err(GraphError::invalid_parameter(
                    "Param interactive['action']['sections'] must hold 1 to 10 rows in all.",
                ));
            }
        }
        "cta_url"
        | "product"
        | "product_list"
        | "flow"
        | "location_request_message"
        | "address_message"
        | "catalog_message" => {}
        other => {
            return Err(GraphError::invalid_parameter(format!(
                "Param interactive['type'] is not a known interactive type: {other}."
            )));
        }
    }
    if matches!(kind, "button" | "list")
        && interactive["body"]["text"]
            .as_str()
            .is_none_or(str::is_empty)
    {
        return Err(GraphError::required("interactive['body']['text']"));
    }
    Ok(())
}

fn check_template(account: &Account, template: &Value) -> Result<(), GraphError> {
    let Some(name) = template["name"].as_str().filter(|name| !name.is_empty()) else {
        return Err(GraphError::required("template['name']"));
    };
    let Some(language) = template["language"]["code"]
        .as_str()
        .filter(|code| !code.is_empty())
    else {
        return Err(GraphError::required("template['language']['code']"));
    };
    let found = account
        .templates
        .iter()
        .find(|known| known.name == name && known.language == language);
    let missing = || {
        GraphError::template(
            132001,
            "Template name does not exist in the translation",
            format!("template name ({name}) does not exist in {language}"),
        )
    };
    let Some(found) = found else {
        return Err(missing());
    };
    match found.status.as_str() {
        "APPROVED" => {}
        "PAUSED" => {
            return Err(GraphError::template(
                132015,
                "Template is Paused",
                format!("The template {name} is paused for low quality."),
            ));
        }
        "DISABLED" => {
            return Err(GraphError::template(
                132016,
                "Template is Disabled",
                format!("The template {name} is disabled for low quality."),
            ));
        }
        _ => return Err(missing()),
    }
    let expected = found.body_placeholders();
    let given: usize = template["components"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|component| {
            component["type"]
                .as_str()
                .is_some_and(|kind| kind.eq_ignore_ascii_case("body"))
        })
        .map(|component| component["parameters"].as_array().map_or(0, Vec::len))
        .sum();
    if given != expected {
        return Err(GraphError::template(
            132000,
            "Number of parameters does not match the expected number of params",
            format!(
                "body: number of localizable_params ({given}) does not match the expected number of params ({expected})"
            ),
        ));
    }
    Ok(())
}

fn number_value(value: &Value) -> Option<f64> {
    match value {
        Value::Number(number) => number.as_f64(),
        Value::String(text) => text.trim().parse().ok(),
        _ => None,
    }
}

// Uploads.

/// The text fields and the `file` part of an upload.
fn read_upload(
    content_type: &str,
    body: &[u8],
) -> Result<(HashMap<String, String>, Option<Part>), GraphError> {
    let media_type = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    if media_type != "multipart/form-data" {
        return Err(GraphError::invalid_parameter(
            "The upload must be a multipart/form-data body.",
        ));
    }
    let boundary = header_parameter(content_type, "boundary")
        .ok_or_else(|| GraphError::invalid_parameter("The multipart body has no boundary."))?;
    let parts = parse_multipart(body, &boundary)
        .ok_or_else(|| GraphError::invalid_parameter("The multipart body cannot be read."))?;
    let mut fields = HashMap::new();
    let mut file = None;
    for part in parts {
        if part.name == "file" {
            file = Some(part);
        } else if let Ok(text) = String::from_utf8(part.data) {
            fields.insert(part.name, text);
        }
    }
    Ok((fields, file))
}

/// An upload as [`Call::body`] shows it.
fn upload_record(fields: &HashMap<String, String>, file: Option<&Part>) -> Value {
    let mut record: Map<String, Value> = fields
        .iter()
        .map(|(name, value)| (name.clone(), json!(value)))
        .collect();
    if let Some(file) = file {
        record.insert(
            "file".into(),
            json!({
                "file_name": file.file_name,
                "content_type": file.content_type,
                "size": file.data.len(),
            }),
        );
    }
    Value::Object(record)
}

fn upload(account: &mut Account, fields: &HashMap<String, String>, file: Option<Part>) -> Outcome {
    match fields.get("messaging_product").map(String::as_str) {
        Some("whatsapp") => {}
        Some(other) => {
            return Err(GraphError::invalid_parameter(format!(
                "Param messaging_product must be whatsapp, not {other}."
            )));
        }
        None => return Err(GraphError::required("messaging_product")),
    }
    let Some(file) = file else {
        return Err(GraphError::required("file"));
    };
    let Some(mime_type) = fields
        .get("type")
        .map(|kind| kind.trim().to_ascii_lowercase())
    else {
        return Err(GraphError::required("type"));
    };
    let Some(&(_, max_bytes)) = MEDIA_TYPES.iter().find(|(known, _)| *known == mime_type) else {
        let known: Vec<&str> = MEDIA_TYPES.iter().map(|(known, _)| *known).collect();
        return Err(GraphError::invalid_parameter(format!(
            "Param file must be a file with one of the following types: {}. Received file of type '{mime_type}'.",
            known.join(", ")
        )));
    };
    if file.data.is_empty() {
        return Err(GraphError::invalid_parameter(
            "Param file must not be empty.",
        ));
    }
    if file.data.len() > max_bytes {
        return Err(GraphError::template(
            131053,
            "Media upload error",
            format!(
                "The file is {} bytes, more than the {max_bytes} bytes allowed for {mime_type}.",
                file.data.len()
            ),
        ));
    }
    let media_id = account.new_object_id();
    let download_token = account.new_download_token(&media_id);
    account.media.insert(
        media_id.clone(),
        Media {
            mime_type: mime_type.clone(),
            bytes: file.data.clone(),
            download_token,
        },
    );
    account.uploads.push(Upload {
        media_id: media_id.clone(),
        mime_type,
        file_name: file.file_name,
        bytes: file.data,
    });
    Ok(Answer::Json(json!({ "id": media_id })))
}

// Webhook notifications as Meta posts them, for a test to post to the gateway.

/// Builds the `messages` webhook notifications of one business phone number: each is a whole
/// body `{"object":"whatsapp_business_account","entry":[{"id":<waba id>,"changes":[{"field":
/// "messages","value":{…}}]}]}` carrying one message (with the sender's profile in `contacts`)
/// or one status. Timestamps are Unix seconds as strings, as Meta writes them; messages other
/// than [`Notifications::text_message`] are dated now (see [`with_timestamp`]).
#[derive(Debug, Clone)]
pub struct Notifications {
    pub waba_id: String,
    pub phone_number_id: String,
    /// As the phone number shows it (`+1 555-010-0199`); notifications carry its digits.
    pub display_phone_number: String,
}

impl Notifications {
    pub fn new(waba_id: &str, phone_number_id: &str, display_phone_number: &str) -> Notifications {
        Notifications {
            waba_id: waba_id.to_string(),
            phone_number_id: phone_number_id.to_string(),
            display_phone_number: display_phone_number.to_string(),
        }
    }

    fn envelope(&self, value: Map<String, Value>) -> Value {
        let mut full = Map::new();
        full.insert("messaging_product".into(), json!("whatsapp"));
        full.insert(
            "metadata".into(),
            json!({
                "display_phone_number": digits(&self.display_phone_number),
                "phone_number_id": self.phone_number_id,
            }),
        );
        full.extend(value);
        json!({
            "object": "whatsapp_business_account",
            "entry": [{
                "id": self.waba_id,
                "changes": [{ "field": "messages", "value": full }],
            }],
        })
    }

    /// A message of `kind` from `from` (a wa_id) whose profile name is `name`, with `content`
    /// under the key `kind`.
    fn inbound(
        &self,
        wamid: &str,
        from: &str,
        name: &str,
        unix_seconds: i64,
        kind: &str,
        content: Value,
    ) -> Value {
        let mut message = Map::new();
        message.insert("from".into(), json!(from));
        message.insert("id".into(), json!(wamid));
        message.insert("timestamp".into(), json!(unix_seconds.to_string()));
        message.insert("type".into(), json!(kind));
        message.insert(kind.into(), content);
        let mut value = Map::new();
        value.insert(
            "contacts".into(),
            json!([{ "profile": { "name": name }, "wa_id": from }]),
        );
        value.insert("messages".into(), json!([message]));
        self.envelope(value)
    }

    /// A text message sent at `unix_seconds`.
    pub fn text_message(
        &self,
        wamid: &str,
        from: &str,
        name: &str,
        text: &str,
        unix_seconds: i64,
    ) -> Value {
        self.inbound(
            wamid,
            from,
            name,
            unix_seconds,
            "text",
            json!({ "body": text }),
        )
    }

    /// A photo (`media_id`, register it with [`WhatsAppStandIn::add_media`] for the gateway to
    /// download it).
    pub fn image_message(
        &self,
        wamid: &str,
        from: &str,
        name: &str,
        media_id: &str,
        mime_type: &str,
        caption: Option<&str>,
    ) -> Value {
        let content = media_content(media_id, mime_type, caption);
        self.inbound(wamid, from, name, unix_now(), "image", content)
    }

    /// A video.
    pub fn video_message(
        &self,
        wamid: &str,
        from: &str,
        name: &str,
        media_id: &str,
        mime_type: &str,
        caption: Option<&str>,
    ) -> Value {
        let content = media_content(media_id, mime_type, caption);
        self.inbound(wamid, from, name, unix_now(), "video", content)
    }

    /// A file sent as a document, named `filename`.
    #[allow(clippy::too_many_arguments)]
    pub fn document_message(
        &self,
        wamid: &str,
        from: &str,
        name: &str,
        media_id: &str,
        mime_type: &str,
        filename: &str,
        caption: Option<&str>,
    ) -> Value {
        let mut content = media_content(media_id, mime_type, caption);
        content["filename"] = json!(filename);
        self.inbound(wamid, from, name, unix_now(), "document", content)
    }

    /// An audio file, or a voice note recorded in WhatsApp when `voice`.
    pub fn audio_message(
        &self,
        wamid: &str,
        from: &str,
        name: &str,
        media_id: &str,
        mime_type: &str,
        voice: bool,
    ) -> Value {
        let mut content = media_content(media_id, mime_type, None);
        content["voice"] = json!(voice);
        self.inbound(wamid, from, name, unix_now(), "audio", content)
    }

    /// A sticker (`image/webp`).
    pub fn sticker_message(
        &self,
        wamid: &str,
        from: &str,
        name: &str,
        media_id: &str,
        animated: bool,
    ) -> Value {
        let mut content = media_content(media_id, "image/webp", None);
        content["animated"] = json!(animated);
        self.inbound(wamid, from, name, unix_now(), "sticker", content)
    }

    /// A location shared, with the place's name and address when one was picked.
    #[allow(clippy::too_many_arguments)]
    pub fn location_message(
        &self,
        wamid: &str,
        from: &str,
        name: &str,
        latitude: f64,
        longitude: f64,
        place_name: Option<&str>,
        address: Option<&str>,
    ) -> Value {
        let mut content = json!({ "latitude": latitude, "longitude": longitude });
        if let Some(place_name) = place_name {
            content["name"] = json!(place_name);
        }
        if let Some(address) = address {
            content["address"] = json!(address);
        }
        self.inbound(wamid, from, name, unix_now(), "location", content)
    }

    /// A contact card shared: `contact_name` with the number `contact_phone`, whose wa_id is
    /// given when the number is on WhatsApp.
    #[allow(clippy::too_many_arguments)]
    pub fn contacts_message(
        &self,
        wamid: &str,
        from: &str,
        name: &str,
        contact_name: &str,
        contact_phone: &str,
        contact_wa_id: Option<&str>,
    ) -> Value {
        let first_name = contact_name
            .split_whitespace()
            .next()
            .unwrap_or(contact_name);
        let mut phone = json!({ "phone": contact_phone, "type": "CELL" });
        if let Some(wa_id) = contact_wa_id {
            phone["wa_id"] = json!(wa_id);
        }
        let card = json!({
            "name": { "formatted_name": contact_name, "first_name": first_name },
            "phones": [phone],
        });
        self.inbound(wamid, from, name, unix_now(), "contacts", json!([card]))
    }

    /// A tap on a reply button of an interactive message (`id` and `title` as the business
    /// sent them). Add the message it answers with [`Notifications::in_reply_to`].
    pub fn button_reply_message(
        &self,
        wamid: &str,
        from: &str,
        name: &str,
        id: &str,
        title: &str,
    ) -> Value {
        let content = json!({
            "type": "button_reply",
            "button_reply": { "id": id, "title": title },
        });
        self.inbound(wamid, from, name, unix_now(), "interactive", content)
    }

    /// A row picked in a list message.
    pub fn list_reply_message(
        &self,
        wamid: &str,
        from: &str,
        name: &str,
        id: &str,
        title: &str,
        description: Option<&str>,
    ) -> Value {
        let mut reply = json!({ "id": id, "title": title });
        if let Some(description) = description {
            reply["description"] = json!(description);
        }
        let content = json!({ "type": "list_reply", "list_reply": reply });
        self.inbound(wamid, from, name, unix_now(), "interactive", content)
    }

    /// A tap on a quick-reply button of a template (type `button`).
    pub fn quick_reply_message(
        &self,
        wamid: &str,
        from: &str,
        name: &str,
        payload: &str,
        text: &str,
    ) -> Value {
        let content = json!({ "payload": payload, "text": text });
        self.inbound(wamid, from, name, unix_now(), "button", content)
    }

    /// A reaction with `emoji` to the message `reacted_wamid` (an empty emoji takes a reaction
    /// back).
    pub fn reaction_message(
        &self,
        wamid: &str,
        from: &str,
        name: &str,
        reacted_wamid: &str,
        emoji: &str,
    ) -> Value {
        let content = json!({ "message_id": reacted_wamid, "emoji": emoji });
        self.inbound(wamid, from, name, unix_now(), "reaction", content)
    }

    /// A message of a kind Cloud API does not pass on (type `unsupported`, error 131051).
    pub fn unsupported_message(&self, wamid: &str, from: &str, name: &str) -> Value {
        let mut body = self.inbound(wamid, from, name, unix_now(), "unsupported", json!({}));
        if let Some(message) = first_mut(&mut body, "messages")
            && let Some(message) = message.as_object_mut()
        {
            message.remove("unsupported");
            message.insert(
                "errors".into(),
                json!([{
                    "code": 131051,
                    "title": "Message type unknown",
                    "message": "Message type unknown",
                    "error_data": { "details": "Message type is currently not supported." },
                    "href": ERROR_CODES_URL,
                }]),
            );
        }
        body
    }

    /// `message` (a notification built here) as a reply to the business's message
    /// `replied_wamid`, with the `context` Meta adds.
    pub fn in_reply_to(&self, mut message: Value, replied_wamid: &str) -> Value {
        if let Some(inbound) = first_mut(&mut message, "messages") {
            inbound["context"] = json!({
                "from": digits(&self.display_phone_number),
                "id": replied_wamid,
            });
        }
        message
    }

    /// The status `sent`, `delivered` or `read` of the business's message `wamid` to
    /// `recipient` (a wa_id).
    pub fn status(&self, wamid: &str, recipient: &str, status: &str) -> Value {
        let now = unix_now();
        let mut update = json!({
            "id": wamid,
            "status": status,
            "timestamp": now.to_string(),
            "recipient_id": recipient,
        });
        if status == "sent" || status == "delivered" {
            let mut conversation = json!({
                "id": format!("{:032x}", hash_of(&(recipient, &self.phone_number_id))),
                "origin": { "type": "service" },
            });
            if status == "sent" {
                conversation["expiration_timestamp"] =
                    json!((now + SERVICE_WINDOW_SECS).to_string());
            }
            update["conversation"] = conversation;
            update["pricing"] =
                json!({ "billable": false, "pricing_model": "PMP", "category": "service" });
        }
        self.status_envelope(update)
    }

    /// The `failed` status of `wamid`, with one error (`code`, its `title`, and `details`).
    pub fn failed_status(
        &self,
        wamid: &str,
        recipient: &str,
        code: i64,
        title: &str,
        details: &str,
    ) -> Value {
        let update = json!({
            "id": wamid,
            "status": "failed",
            "timestamp": unix_now().to_string(),
            "recipient_id": recipient,
            "errors": [{
                "code": code,
                "title": title,
                "message": title,
                "error_data": { "details": details },
                "href": ERROR_CODES_URL,
            }],
        });
        self.status_envelope(update)
    }

    /// The `failed` status Meta reports for a free-form message sent outside the 24-hour window
    /// (131047).
    pub fn re_engagement_failed(&self, wamid: &str, recipient: &str) -> Value {
        self.failed_status(
            wamid,
            recipient,
            131047,
            "Re-engagement message",
            "More than 24 hours have passed since the customer last wrote to this number, so only a template message can reach them.",
        )
    }

    fn status_envelope(&self, update: Value) -> Value {
        let mut value = Map::new();
        value.insert("statuses".into(), json!([update]));
        self.envelope(value)
    }
}

/// `notification` (built by [`Notifications`]) dated `unix_seconds`: its messages and statuses.
pub fn with_timestamp(mut notification: Value, unix_seconds: i64) -> Value {
    if let Some(value) = change_value(&mut notification) {
        for list in ["messages", "statuses"] {
            for item in value[list].as_array_mut().into_iter().flatten() {
                item["timestamp"] = json!(unix_seconds.to_string());
            }
        }
    }
    notification
}

/// The notifications built by [`Notifications`] as one, as Meta sometimes batches them: the
/// messages, statuses and sender profiles of all of them in the first one's change.
pub fn batch(notifications: &[Value]) -> Value {
    let mut all = notifications.first().cloned().unwrap_or(Value::Null);
    let mut lists: HashMap<&str, Vec<Value>> = HashMap::new();
    for notification in notifications {
        let mut notification = notification.clone();
        if let Some(value) = change_value(&mut notification) {
            for list in ["contacts", "messages", "statuses"] {
                for item in value[list].as_array().into_iter().flatten() {
                    let kept = lists.entry(list).or_default();
                    if !kept.contains(item) {
                        kept.push(item.clone());
                    }
                }
            }
        }
    }
    if let Some(value) = change_value(&mut all)
        && let Some(value) = value.as_object_mut()
    {
        for list in ["contacts", "messages", "statuses"] {
            match lists.remove(list) {
                Some(items) => {
                    value.insert(list.into(), Value::Array(items));
                }
                None => {
                    value.remove(list);
                }
            }
        }
    }
    all
}

fn change_value(notification: &mut Value) -> Option<&mut Value> {
    notification
        .get_mut("entry")?
        .get_mut(0)?
        .get_mut("changes")?
        .get_mut(0)?
        .get_mut("value")
}

fn first_mut<'a>(notification: &'a mut Value, list: &str) -> Option<&'a mut Value> {
    change_value(notification)?.get_mut(list)?.get_mut(0)
}

/// The `id`, `mime_type`, `sha256` (base64, standing in for the file's hash) and caption of an
/// inbound media message.
fn media_content(media_id: &str, mime_type: &str, caption: Option<&str>) -> Value {
    let mut content = json!({
        "id": media_id,
        "mime_type": mime_type,
        "sha256": base64::engine::general_purpose::STANDARD.encode(Sha256::digest(media_id.as_bytes())),
    });
    if let Some(caption) = caption {
        content["caption"] = json!(caption);
    }
    content
}

/// The `X-Hub-Signature-256` header value Meta sends with a notification: `sha256=` and the
/// lowercase hex HMAC-SHA256 of the raw body, keyed with the app secret.
pub fn signature(app_secret: &str, body: &[u8]) -> String {
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(app_secret.as_bytes()) else {
        // HMAC takes keys of any length.
        return String::new();
    };
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// The query string of Meta's webhook verification request
/// (`hub.mode=subscribe&hub.verify_token=…&hub.challenge=…`), for a GET to the webhook URL,
/// which must answer the challenge as its body.
pub fn verification_query(verify_token: &str, challenge: &str) -> String {
    serde_urlencoded::to_string([
        ("hub.mode", "subscribe"),
        ("hub.verify_token", verify_token),
        ("hub.challenge", challenge),
    ])
    .unwrap_or_default()
}

// Small helpers.

/// The digits of a phone number (a wa_id has no `+`, spaces or dashes).
fn digits(number: &str) -> String {
    number.chars().filter(char::is_ascii_digit).collect()
}

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| {
            i64::try_from(since.as_secs()).unwrap_or(i64::MAX)
        })
}

fn nanos() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_nanos())
}

fn hash_of(value: &impl Hash) -> u64 {
    let mut hasher = DefaultHasher::new();
    value.hash(&mut hasher);
    hasher.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Client;

    const TOKEN: &str = "EAAG-stand-in-token";
    const PHONE_NUMBER_ID: &str = "106540352242922";
    const WABA_ID: &str = "102290129340398";

    async fn start() -> anyhow::Result<WhatsAppStandIn> {
        WhatsAppStandIn::start(
            TOKEN,
            PHONE_NUMBER_ID,
            "+1 555-010-0199",
            "Switchboard Test",
            WABA_ID,
        )
        .await
    }

    #[tokio::test]
    async fn sends_with_the_right_token_are_taken_and_recorded() -> anyhow::Result<()> {
        let whatsapp = start().await?;
        let client = Client::new(&whatsapp.base_url).with_bearer(TOKEN);
        let messages = format!("/v22.0/{PHONE_NUMBER_ID}/messages");

        let text = json!({
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": "+34 600 111 222",
            "type": "text",
            "text": { "body": "Hola, ¿en qué podemos ayudarte?" },
        });
        let (status, sent) = client.post(&messages, &text).await?;
        assert_eq!(status, StatusCode::OK, "{sent}");
        assert_eq!(sent["messaging_product"], "whatsapp");
        assert_eq!(sent["contacts"][0]["input"], "+34 600 111 222");
        assert_eq!(sent["contacts"][0]["wa_id"], "34600111222");
        let wamid = sent["messages"][0]["id"].as_str().unwrap_or_default();
        assert!(wamid.starts_with("wamid."), "{wamid}");

        let long = json!({
            "messaging_product": "whatsapp",
            "to": "34600111222",
            "text": { "body": "x".repeat(MAX_TEXT_CHARS + 1) },
        });
        let (status, refused) = client.post(&messages, &long).await?;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(refused["error"]["code"], 100);
        assert_eq!(
            refused["error"]["error_data"]["messaging_product"],
            "whatsapp"
        );

        // Templates: unknown, then registered with its parameters.
        let template = |name: &str, parameters: usize| {
            let parameters: Vec<Value> = (0..parameters)
                .map(|n| json!({ "type": "text", "text": format!("p{n}") }))
                .collect();
            json!({
                "messaging_product": "whatsapp",
                "to": "34600111222",
                "type": "template",
                "template": {
                    "name": name,
                    "language": { "code": "es" },
                    "components": [{ "type": "body", "parameters": parameters }],
                },
            })
        };
        let (status, missing) = client.post(&messages, &template("pedido_listo", 2)).await?;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(missing["error"]["code"], 132001);
        assert!(missing["error"]["fbtrace_id"].is_string());
        whatsapp.add_template(
            "pedido_listo",
            "es",
            "APPROVED",
            "Hola {{1}}, tu pedido {{2}} está listo.",
        );
        let (status, mismatch) = client.post(&messages, &template("pedido_listo", 1)).await?;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(mismatch["error"]["code"], 132000);
        let (status, accepted) = client.post(&messages, &template("pedido_listo", 2)).await?;
        assert_eq!(status, StatusCode::OK, "{accepted}");
        assert_eq!(accepted["messages"][0]["message_status"], "accepted");

        // A read receipt, then free-form messages to a customer whose window closed.
        let read =
            json!({ "messaging_product": "whatsapp", "status": "read", "message_id": "wamid.in1" });
        let (status, receipt) = client.post(&messages, &read).await?;
        assert_eq!(
            (status, receipt),
            (StatusCode::OK, json!({ "success": true }))
        );
        whatsapp.customer_wrote("34600111222", unix_now() - SERVICE_WINDOW_SECS - 60);
        let (status, late) = client.post(&messages, &text).await?;
        assert_eq!(status, StatusCode::OK, "Meta takes it and fails it later");
        let (status, _) = client.post(&messages, &template("pedido_listo", 2)).await?;
        assert_eq!(status, StatusCode::OK);

        let sent_messages = whatsapp.sent_messages();
        let kinds: Vec<(&str, bool)> = sent_messages
            .iter()
            .map(|sent| (sent.kind.as_str(), sent.outside_window))
            .collect();
        assert_eq!(
            kinds,
            vec![
                ("text", false),
                ("template", false),
                ("text", true),
                ("template", false)
            ]
        );
        assert_eq!(sent_messages[0].wamid, wamid);
        assert_eq!(
            sent_messages[0].body["text"]["body"],
            "Hola, ¿en qué podemos ayudarte?"
        );
        assert_eq!(whatsapp.read_receipts(), vec!["wamid.in1".to_string()]);
        let failures = whatsapp.re_engagement_failures();
        assert_eq!(failures.len(), 1);
        let failed = &failures[0]["entry"][0]["changes"][0]["value"]["statuses"][0];
        assert_eq!(failed["id"], late["messages"][0]["id"]);
        assert_eq!(failed["status"], "failed");
        assert_eq!(failed["recipient_id"], "34600111222");
        assert_eq!(failed["errors"][0]["code"], 131047);
        assert_eq!(whatsapp.calls_of("send").len(), 7);
        assert_eq!(whatsapp.calls_of("read_receipt").len(), 1);
        whatsapp
            .wait_for_calls("/messages", 8, Duration::from_secs(1))
            .await?;

        // Notifications and their signature.
        let notifications = whatsapp.notifications();
        let inbound = notifications.text_message(
            "wamid.in2",
            "34600111222",
            "Ana",
            "¿Y mi pedido?",
            1_700_000_000,
        );
        assert_eq!(inbound["object"], "whatsapp_business_account");
        assert_eq!(inbound["entry"][0]["id"], WABA_ID);
        let value = &inbound["entry"][0]["changes"][0]["value"];
        assert_eq!(inbound["entry"][0]["changes"][0]["field"], "messages");
        assert_eq!(value["metadata"]["display_phone_number"], "15550100199");
        assert_eq!(value["metadata"]["phone_number_id"], PHONE_NUMBER_ID);
        assert_eq!(value["contacts"][0]["profile"]["name"], "Ana");
        assert_eq!(value["messages"][0]["timestamp"], "1700000000");
        assert_eq!(value["messages"][0]["text"]["body"], "¿Y mi pedido?");
        let reply = notifications.in_reply_to(
            notifications.button_reply_message("wamid.in3", "34600111222", "Ana", "yes", "Sí"),
            wamid,
        );
        let value = &reply["entry"][0]["changes"][0]["value"];
        assert_eq!(
            value["messages"][0]["interactive"]["button_reply"]["id"],
            "yes"
        );
        assert_eq!(value["messages"][0]["context"]["id"], wamid);
        let both = batch(&[
            inbound,
            notifications.status(wamid, "34600111222", "delivered"),
        ]);
        let value = &both["entry"][0]["changes"][0]["value"];
        assert_eq!(value["messages"].as_array().map(Vec::len), Some(1));
        assert_eq!(value["statuses"][0]["status"], "delivered");
        assert_eq!(
            signature("key", b"The quick brown fox jumps over the lazy dog"),
            "sha256=f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8"
        );
        assert_eq!(
            verification_query("my token", "1158201444"),
            "hub.mode=subscribe&hub.verify_token=my+token&hub.challenge=1158201444"
        );
        Ok(())
    }

    #[tokio::test]
    async fn wrong_tokens_and_steering_get_graph_errors() -> anyhow::Result<()> {
        let whatsapp = start().await?;
        let messages = format!("/v21.0/{PHONE_NUMBER_ID}/messages");
        let hello = json!({
            "messaging_product": "whatsapp",
            "to": "34600111222",
            "type": "text",
            "text": { "body": "hello" },
        });
        for client in [
            Client::new(&whatsapp.base_url).with_bearer("EAAG-wrong"),
            Client::new(&whatsapp.base_url),
        ] {
            let (status, refused) = client.post(&messages, &hello).await?;
            assert_eq!(status, StatusCode::UNAUTHORIZED);
            assert_eq!(refused["error"]["code"], 190);
            assert_eq!(refused["error"]["type"], "OAuthException");
            assert_eq!(
                refused["error"]["message"],
                "Invalid OAuth access token - Cannot parse access token"
            );
        }
        assert!(whatsapp.sent_messages().is_empty());
        assert_eq!(whatsapp.calls_of("send").len(), 2);
        assert!(
            whatsapp
                .calls()
                .iter()
                .all(|call| !call.authorized && call.status == 401)
        );

        let client = Client::new(&whatsapp.base_url).with_bearer(TOKEN);
        let (status, number) = client
            .get(&format!(
                "/v21.0/{PHONE_NUMBER_ID}?fields=verified_name,display_phone_number,quality_rating"
            ))
            .await?;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(
            number,
            json!({
                "verified_name": "Switchboard Test",
                "display_phone_number": "+1 555-010-0199",
                "quality_rating": "GREEN",
                "id": PHONE_NUMBER_ID,
            })
        );
        let (status, unknown) = client.get("/v21.0/999").await?;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(unknown["error"]["code"], 100);
        assert_eq!(unknown["error"]["error_subcode"], 33);
        let (status, _) = client.get(&format!("/latest/{PHONE_NUMBER_ID}")).await?;
        assert_eq!(status, StatusCode::BAD_REQUEST);

        whatsapp.throttle_next(1);
        let (status, throttled) = client.post(&messages, &hello).await?;
        assert_eq!(status, THROTTLE_STATUS);
        assert_eq!(throttled["error"]["code"], 130429);
        let (status, _) = client.post(&messages, &hello).await?;
        assert_eq!(status, StatusCode::OK);
        whatsapp.set_down(true);
        let (status, down) = client.post(&messages, &hello).await?;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(down["error"]["code"], 2);
        assert_eq!(down["error"]["is_transient"], true);
        whatsapp.set_down(false);
        assert_eq!(whatsapp.sent_messages().len(), 1);

        // Templates as the account lists them, page by page.
        whatsapp.add_template(
            "pedido_listo",
            "es",
            "APPROVED",
            "Hola {{1}}, tu pedido {{2}} está listo.",
        );
        whatsapp.add_template(
            "order_ready",
            "en_US",
            "APPROVED",
            "Hi {{1}}, order {{2}} is ready.",
        );
        whatsapp.add_template("promo", "en_US", "REJECTED", "Sale!");
        let (status, first) = client
            .get(&format!(
                "/v21.0/{WABA_ID}/message_templates?fields=name,status,language,components&limit=2"
            ))
            .await?;
        assert_eq!(status, StatusCode::OK, "{first}");
        assert_eq!(first["data"].as_array().map(Vec::len), Some(2));
        assert_eq!(first["data"][0]["name"], "pedido_listo");
        assert_eq!(first["data"][0]["components"][0]["type"], "BODY");
        assert!(
            first["data"][0].get("category").is_none(),
            "only the fields asked for"
        );
        let next = first["paging"]["next"].as_str().unwrap_or_default();
        let next = next.strip_prefix(&whatsapp.base_url).unwrap_or_default();
        let (_, second) = client.get(next).await?;
        assert_eq!(second["data"][0]["name"], "promo");
        assert!(second["paging"].get("next").is_none());
        Ok(())
    }

    #[tokio::test]
    async fn media_is_uploaded_then_retrieved_and_downloaded() -> anyhow::Result<()> {
        let whatsapp = start().await?;
        let client = Client::new(&whatsapp.base_url).with_bearer(TOKEN);
        let upload = b"--XyZ\r\nContent-Disposition: form-data; name=\"messaging_product\"\r\n\r\nwhatsapp\r\n\
            --XyZ\r\nContent-Disposition: form-data; name=\"type\"\r\n\r\napplication/pdf\r\n\
            --XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"invoice.pdf\"\r\n\
            Content-Type: application/pdf\r\n\r\n%PDF-1.7\r\nbody\r\n--XyZ--\r\n"
            .to_vec();
        let (status, uploaded) = client
            .send(
                Method::POST,
                &format!("/v21.0/{PHONE_NUMBER_ID}/media"),
                &[],
                Some(("multipart/form-data; boundary=XyZ", upload)),
            )
            .await?;
        assert_eq!(status, StatusCode::OK, "{uploaded}");
        let media_id = uploaded["id"].as_str().unwrap_or_default().to_string();
        assert!(!media_id.is_empty());
        assert_eq!(
            whatsapp.uploads(),
            vec![Upload {
                media_id: media_id.clone(),
                mime_type: "application/pdf".into(),
                file_name: Some("invoice.pdf".into()),
                bytes: b"%PDF-1.7\r\nbody".to_vec(),
            }]
        );

        let (status, info) = client.get(&format!("/v21.0/{media_id}")).await?;
        assert_eq!(status, StatusCode::OK, "{info}");
        assert_eq!(info["messaging_product"], "whatsapp");
        assert_eq!(info["mime_type"], "application/pdf");
        assert_eq!(info["file_size"], 14);
        assert_eq!(
            info["sha256"],
            hex::encode(Sha256::digest(b"%PDF-1.7\r\nbody"))
        );
        let url = info["url"].as_str().unwrap_or_default();
        let path = url.strip_prefix(&whatsapp.base_url).unwrap_or_default();
        assert!(
            path.starts_with(&format!("/media-download/{media_id}?token=")),
            "{url}"
        );
        let (status, _) = Client::new(&whatsapp.base_url).get_bytes(path).await?;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        let (status, bytes) = client.get_bytes(path).await?;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(&bytes[..], b"%PDF-1.7\r\nbody");
        let (status, _) = client
            .get_bytes(&format!("/media-download/{media_id}?token=guess"))
            .await?;
        assert_eq!(status, StatusCode::NOT_FOUND);

        // Sends by media id: uploaded, added by the test, unknown.
        whatsapp.add_media(
            "4490709327384033",
            "image/jpeg",
            b"\xff\xd8\xff\xe0jpeg".to_vec(),
        );
        let (_, info) = client.get("/v21.0/4490709327384033").await?;
        assert_eq!(info["file_size"], 8);
        let messages = format!("/v21.0/{PHONE_NUMBER_ID}/messages");
        let document = |id: &str| {
            json!({
                "messaging_product": "whatsapp",
                "to": "34600111222",
                "type": "document",
                "document": { "id": id, "filename": "invoice.pdf", "caption": "Your invoice" },
            })
        };
        let (status, _) = client.post(&messages, &document(&media_id)).await?;
        assert_eq!(status, StatusCode::OK);
        let (status, refused) = client.post(&messages, &document("123")).await?;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(refused["error"]["code"], 100);

        // A type Cloud API does not take.
        let zip = b"--b\r\nContent-Disposition: form-data; name=\"messaging_product\"\r\n\r\nwhatsapp\r\n\
            --b\r\nContent-Disposition: form-data; name=\"type\"\r\n\r\napplication/zip\r\n\
            --b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.zip\"\r\n\r\nPK\r\n--b--\r\n"
            .to_vec();
        let (status, refused) = client
            .send(
                Method::POST,
                &format!("/v21.0/{PHONE_NUMBER_ID}/media"),
                &[],
                Some(("multipart/form-data; boundary=b", zip)),
            )
            .await?;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(refused["error"]["code"], 100);
        assert_eq!(whatsapp.calls_of("upload").len(), 2);
        assert_eq!(
            whatsapp.calls_of("upload")[1].body["type"],
            "application/zip"
        );
        assert_eq!(whatsapp.calls_of("media_download").len(), 3);
        Ok(())
    }
}
