//! A stand-in for the Telegram Bot API, written from its published reference
//! (<https://core.telegram.org/bots/api>), on 127.0.0.1:
//!
//! - Every method is served at `/bot<token>/<method>`, by GET or POST, its name matched without
//!   regard to case as Telegram's are. Parameters come from the query string, a JSON body, an
//!   `application/x-www-form-urlencoded` body or a `multipart/form-data` one (the only way to
//!   upload a file); whichever way they came, a test reads them back as JSON.
//! - Answers use Telegram's envelope: `{"ok":true,"result":…}` (plus a `description` where
//!   Telegram adds one, as for `setWebhook`), or `{"ok":false,"error_code":N,"description":…}`
//!   with the same HTTP status, and `parameters.retry_after` on 429. A token other than the one
//!   the stand-in was started with gets `401 Unauthorized`, a method it does not serve
//!   `404 Not Found`.
//! - Served: `getMe`; `setWebhook`, `deleteWebhook` and `getWebhookInfo` (no update is ever
//!   pushed to the webhook: a test posts the updates it builds with the helpers below to the
//!   gateway itself); `getUpdates` over updates the test queued, with `offset` confirming what
//!   came before and `limit`, waiting up to `timeout` seconds for one, and `409 Conflict` while a
//!   webhook is set or when a newer `getUpdates` call takes over; `sendMessage`, which checks
//!   MarkdownV2 and HTML text the way Telegram refuses it (`400 can't parse entities`);
//!   `sendPhoto` and `sendDocument` with an uploaded file, an URL or a known `file_id`;
//!   `sendChatAction`; `getFile` and the download of a file at `/file/bot<token>/<file_path>`,
//!   with Telegram's 20 MB limit on what a bot may download.
//!
//! A test steers it as Telegram would behave: a user who blocked the bot (`403`), flood control
//! (`429` with `retry_after`), or an upstream that cannot be reached (`502` with an HTML page,
//! as a proxy in front of the API answers); then reads what the gateway sent.

use std::collections::{HashMap, HashSet, VecDeque};
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::bail;

use crate::multipart::{Part, header_parameter, parse_multipart};
use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

/// What Telegram lets a bot download through `getFile` (20 MB).
pub const MAX_DOWNLOAD_BYTES: u64 = 20 * 1024 * 1024;
/// What Telegram takes in one upload (50 MB).
const MAX_UPLOAD_BYTES: usize = 50 * 1024 * 1024;
/// The longest text of a message and caption of a media message, in characters.
const MAX_TEXT_CHARS: usize = 4096;
const MAX_CAPTION_CHARS: usize = 1024;
/// The longest `getUpdates` long poll Telegram holds.
const MAX_POLL: Duration = Duration::from_secs(50);

/// The methods served, in Telegram's spelling.
const METHODS: &[&str] = &[
    "getMe",
    "setWebhook",
    "deleteWebhook",
    "getWebhookInfo",
    "getUpdates",
    "sendMessage",
    "sendPhoto",
    "sendDocument",
    "sendChatAction",
    "getFile",
];

/// The actions `sendChatAction` takes.
const CHAT_ACTIONS: &[&str] = &[
    "typing",
    "upload_photo",
    "record_video",
    "upload_video",
    "record_voice",
    "upload_voice",
    "upload_document",
    "choose_sticker",
    "find_location",
    "record_video_note",
    "upload_video_note",
];

/// Parameters Telegram types as integers, booleans or JSON-serialized objects; the ones that
/// came as strings (from a form or the query) are turned into those types.
const INTEGER_PARAMS: &[&str] = &[
    "chat_id",
    "message_id",
    "reply_to_message_id",
    "message_thread_id",
    "offset",
    "limit",
    "timeout",
    "max_connections",
];
const BOOLEAN_PARAMS: &[&str] = &[
    "drop_pending_updates",
    "disable_notification",
    "protect_content",
    "allow_sending_without_reply",
    "disable_web_page_preview",
    "disable_content_type_detection",
    "has_spoiler",
    "show_caption_above_media",
];
const JSON_PARAMS: &[&str] = &[
    "reply_parameters",
    "allowed_updates",
    "reply_markup",
    "entities",
    "caption_entities",
    "link_preview_options",
];

/// One request that reached a method with the right token.
#[derive(Debug, Clone)]
pub struct Call {
    /// The method in Telegram's spelling (`sendMessage`), however the caller wrote it.
    pub method: String,
    /// Every parameter, from the query and the body, as a JSON object.
    pub params: Value,
    /// The file uploaded for `sendPhoto` or `sendDocument`: its name (the part's `filename`,
    /// else the field's name) and its bytes.
    pub file: Option<(String, Vec<u8>)>,
    /// The HTTP status the stand-in answered.
    pub status: u16,
}

/// A text message Telegram took.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentMessage {
    pub message_id: i64,
    pub chat_id: i64,
    pub text: String,
    pub parse_mode: Option<String>,
    /// The message replied to, from `reply_parameters.message_id` or `reply_to_message_id`.
    pub reply_to: Option<i64>,
}

/// A photo or document Telegram took.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentFile {
    /// `sendPhoto` or `sendDocument`.
    pub method: String,
    pub message_id: i64,
    pub chat_id: i64,
    pub caption: Option<String>,
    pub file_name: Option<String>,
    /// The bytes, when the file was uploaded.
    pub bytes: Option<Vec<u8>>,
    /// The URL or `file_id` given instead of an upload.
    pub reference: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
struct Webhook {
    url: String,
    secret_token: Option<String>,
    allowed_updates: Option<Vec<String>>,
    max_connections: i64,
}

struct StoredFile {
    path: String,
    size: u64,
    /// `None` for a file too big to download.
    bytes: Option<Vec<u8>>,
}

#[derive(Default)]
struct Bot {
    webhook: Option<Webhook>,
    /// The updates not confirmed yet, oldest first.
    updates: VecDeque<Value>,
    /// Counts `getUpdates` calls, so that a waiting one knows a newer one took over.
    polls: u64,
    files: HashMap<String, StoredFile>,
    blocked: HashSet<i64>,
    /// (calls left, seconds to wait) of flood control.
    throttle: (usize, u64),
    down: bool,
    next_message_id: i64,
    next_file: u64,
    /// Chats and messages learnt from queued updates and from sends, to fill in answers.
    chats: HashMap<i64, Value>,
    messages: HashMap<(i64, i64), Value>,
    calls: Vec<Call>,
    sent: Vec<SentMessage>,
    sent_files: Vec<SentFile>,
    actions: Vec<(i64, String)>,
}

impl Bot {
    fn new_file_id(&mut self, prefix: &str) -> String {
        self.next_file += 1;
        format!("{prefix}StandIn{:08}", self.next_file)
    }

    /// The chat object for `chat_id`: the one learnt from an update, or a plausible one.
    fn chat(&self, chat_id: i64) -> Value {
        if let Some(chat) = self.chats.get(&chat_id) {
            return chat.clone();
        }
        if chat_id > 0 {
            json!({ "id": chat_id, "type": "private" })
        } else if chat_id <= -1_000_000_000_000 {
            json!({ "id": chat_id, "title": "Stand-in supergroup", "type": "supergroup" })
        } else {
            json!({ "id": chat_id, "title": "Stand-in group", "type": "group" })
        }
    }

    /// A new message from the bot in `chat_id`, without its content.
    fn new_message(
        &mut self,
        from: &Value,
        chat_id: i64,
        reply_to: Option<i64>,
    ) -> Map<String, Value> {
        self.next_message_id += 1;
        let chat = self.chat(chat_id);
        let mut message = Map::new();
        message.insert("message_id".into(), json!(self.next_message_id));
        message.insert("from".into(), from.clone());
        message.insert("chat".into(), chat.clone());
        message.insert("date".into(), json!(unix_now()));
        if let Some(reply_to) = reply_to {
            let replied = self
                .messages
                .get(&(chat_id, reply_to))
                .cloned()
                .unwrap_or_else(
                    || json!({ "message_id": reply_to, "chat": chat, "date": unix_now() }),
                );
            message.insert("reply_to_message".into(), replied);
        }
        message
    }

    /// Remembers the chat and message an update carries.
    fn learn(&mut self, update: &Value) {
        for kind in [
            "message",
            "edited_message",
            "channel_post",
            "my_chat_member",
        ] {
            let Some(chat) = update[kind].get("chat") else {
                continue;
            };
            let Some(chat_id) = chat["id"].as_i64() else {
                continue;
            };
            self.chats.insert(chat_id, chat.clone());
            if let Some(message_id) = update[kind]["message_id"].as_i64() {
                self.messages
                    .insert((chat_id, message_id), update[kind].clone());
            }
        }
    }
}

struct Shared {
    token: String,
    /// The bot as `getMe` answers it.
    me: Value,
    /// The bot as the `from` of its messages.
    bot_user: Value,
    bot: Mutex<Bot>,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Bot> {
        self.bot.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The running stand-in; it stops when dropped.
pub struct TelegramStandIn {
    /// `http://127.0.0.1:PORT`, the root under which `/bot<token>/…` and `/file/bot<token>/…`
    /// are served (what the gateway takes in place of `https://api.telegram.org`).
    pub base_url: String,
    shared: Arc<Shared>,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for TelegramStandIn {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl TelegramStandIn {
    /// Serves the bot `@bot_username` on a free port, taking only `token`. The bot's user id is
    /// the number before the token's colon, as with Telegram's tokens (`123456:ABC…`).
    pub async fn start(token: &str, bot_username: &str) -> anyhow::Result<TelegramStandIn> {
        let bot_id = token
            .split(':')
            .next()
            .and_then(|id| id.parse::<i64>().ok())
            .unwrap_or(7_000_000_001);
        let bot_user = json!({
            "id": bot_id,
            "is_bot": true,
            "first_name": bot_username,
            "username": bot_username,
        });
        let mut me = bot_user.clone();
        if let Some(fields) = me.as_object_mut() {
            fields.insert("can_join_groups".into(), json!(true));
            fields.insert("can_read_all_group_messages".into(), json!(false));
            fields.insert("supports_inline_queries".into(), json!(false));
            fields.insert("can_connect_to_business".into(), json!(false));
            fields.insert("has_main_web_app".into(), json!(false));
        }
        let shared = Arc::new(Shared {
            token: token.to_string(),
            me,
            bot_user,
            bot: Mutex::new(Bot {
                next_message_id: 1000,
                ..Bot::default()
            }),
        });
        let app = Router::new()
            .fallback(handle)
            .layer(DefaultBodyLimit::disable())
            .with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?;
        let port = listener.local_addr()?.port();
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(TelegramStandIn {
            base_url: format!("http://127.0.0.1:{port}"),
            shared,
            server,
        })
    }

    fn bot(&self) -> MutexGuard<'_, Bot> {
        self.shared.lock()
    }

    /// The URL of `method` with the right token.
    pub fn method_url(&self, method: &str) -> String {
        format!("{}/bot{}/{method}", self.base_url, self.shared.token)
    }

    /// The bot's user id.
    pub fn bot_id(&self) -> i64 {
        self.shared.bot_user["id"].as_i64().unwrap_or_default()
    }

    /// The bot as a User object (`id`, `is_bot`, `first_name`, `username`), for
    /// [`my_chat_member_blocked`] and the like.
    pub fn bot_user(&self) -> Value {
        self.shared.bot_user.clone()
    }

    // Steering.

    /// From now on every send to `chat_id` answers `403 Forbidden: bot was blocked by the user`.
    pub fn block(&self, chat_id: i64) {
        self.bot().blocked.insert(chat_id);
    }

    /// The user of `chat_id` unblocked the bot.
    pub fn unblock(&self, chat_id: i64) {
        self.bot().blocked.remove(&chat_id);
    }

    /// The next `calls` sends (`sendMessage`, `sendPhoto`, `sendDocument`, `sendChatAction`)
    /// answer `429 Too Many Requests` asking to retry after `retry_after_secs`.
    pub fn throttle_next(&self, calls: usize, retry_after_secs: u64) {
        self.bot().throttle = (calls, retry_after_secs);
    }

    /// While `down`, every request answers `502 Bad Gateway` with an HTML page, and none is
    /// recorded.
    pub fn set_down(&self, down: bool) {
        self.bot().down = down;
    }

    /// A file `getFile` knows as `file_id`, served at `/file/bot<token>/<file_path>`.
    pub fn add_file(&self, file_id: &str, file_path: &str, bytes: impl Into<Vec<u8>>) {
        let bytes = bytes.into();
        let file = StoredFile {
            path: file_path.to_string(),
            size: bytes.len() as u64,
            bytes: Some(bytes),
        };
        self.bot().files.insert(file_id.to_string(), file);
    }

    /// A file of `size` bytes, more than a bot may download, so `getFile` refuses it.
    pub fn add_big_file(&self, file_id: &str, size: u64) {
        let file = StoredFile {
            path: format!("documents/{file_id}"),
            size,
            bytes: None,
        };
        self.bot().files.insert(file_id.to_string(), file);
    }

    /// An update for `getUpdates` to hand out (build one with [`text_update`] and the like).
    pub fn queue_update(&self, update: Value) {
        let mut bot = self.bot();
        bot.learn(&update);
        bot.updates.push_back(update);
    }

    // Inspection.

    /// Every call that reached a method with the right token, oldest first.
    pub fn calls(&self) -> Vec<Call> {
        self.bot().calls.clone()
    }

    /// The calls of `method` (in any case).
    pub fn calls_of(&self, method: &str) -> Vec<Call> {
        self.bot()
            .calls
            .iter()
            .filter(|call| call.method.eq_ignore_ascii_case(method))
            .cloned()
            .collect()
    }

    /// The text messages Telegram took: (chat id, text).
    pub fn sent_texts(&self) -> Vec<(i64, String)> {
        self.bot()
            .sent
            .iter()
            .map(|sent| (sent.chat_id, sent.text.clone()))
            .collect()
    }

    /// The text messages Telegram took, with their parse mode and the message they replied to.
    pub fn sent_messages(&self) -> Vec<SentMessage> {
        self.bot().sent.clone()
    }

    /// The photos and documents Telegram took.
    pub fn sent_files(&self) -> Vec<SentFile> {
        self.bot().sent_files.clone()
    }

    /// The chat actions Telegram took: (chat id, action).
    pub fn chat_actions(&self) -> Vec<(i64, String)> {
        self.bot().actions.clone()
    }

    /// The webhook set: its URL and secret token.
    pub fn webhook(&self) -> Option<(String, Option<String>)> {
        self.bot()
            .webhook
            .as_ref()
            .map(|webhook| (webhook.url.clone(), webhook.secret_token.clone()))
    }

    /// The update types the webhook was set for, if the gateway chose them.
    pub fn webhook_allowed_updates(&self) -> Option<Vec<String>> {
        self.bot()
            .webhook
            .as_ref()
            .and_then(|webhook| webhook.allowed_updates.clone())
    }

    /// The updates queued and not confirmed yet.
    pub fn pending_updates(&self) -> usize {
        self.bot().updates.len()
    }

    /// Waits until `count` calls of `method` arrived (answered, whatever the answer), for up to
    /// `timeout`; answers them.
    pub async fn wait_for_calls(
        &self,
        method: &str,
        count: usize,
        timeout: Duration,
    ) -> anyhow::Result<Vec<Call>> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let calls = self.calls_of(method);
            if calls.len() >= count {
                return Ok(calls);
            }
            if tokio::time::Instant::now() >= deadline {
                let seen: Vec<String> = self.calls().into_iter().map(|call| call.method).collect();
                bail!(
                    "{count} {method} calls expected within {timeout:?}, {} arrived (calls: {seen:?})",
                    calls.len()
                );
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

// Answers.

struct Success {
    result: Value,
    /// The `description` Telegram adds to some successes ("Webhook was set").
    description: Option<&'static str>,
}

impl Success {
    fn of(result: Value) -> Success {
        Success {
            result,
            description: None,
        }
    }

    fn described(result: Value, description: &'static str) -> Success {
        Success {
            result,
            description: Some(description),
        }
    }
}

#[derive(Debug)]
struct Failure {
    status: StatusCode,
    description: String,
    retry_after: Option<u64>,
}

impl Failure {
    fn new(status: StatusCode, description: impl Into<String>) -> Failure {
        Failure {
            status,
            description: description.into(),
            retry_after: None,
        }
    }

    fn bad_request(what: impl std::fmt::Display) -> Failure {
        Failure::new(StatusCode::BAD_REQUEST, format!("Bad Request: {what}"))
    }

    fn unauthorized() -> Failure {
        Failure::new(StatusCode::UNAUTHORIZED, "Unauthorized")
    }

    fn not_found() -> Failure {
        Failure::new(StatusCode::NOT_FOUND, "Not Found")
    }

    fn blocked() -> Failure {
        Failure::new(
            StatusCode::FORBIDDEN,
            "Forbidden: bot was blocked by the user",
        )
    }

    fn conflict(what: &str) -> Failure {
        Failure::new(StatusCode::CONFLICT, format!("Conflict: {what}"))
    }

    fn too_many_requests(retry_after: u64) -> Failure {
        Failure {
            status: StatusCode::TOO_MANY_REQUESTS,
            description: format!("Too Many Requests: retry after {retry_after}"),
            retry_after: Some(retry_after),
        }
    }
}

type Outcome = Result<Success, Failure>;

fn answer(outcome: &Outcome) -> Response {
    match outcome {
        Ok(success) => {
            let mut body = json!({ "ok": true, "result": success.result });
            if let Some(description) = success.description {
                body["description"] = json!(description);
            }
            json_response(StatusCode::OK, &body)
        }
        Err(failure) => {
            let mut body = json!({
                "ok": false,
                "error_code": failure.status.as_u16(),
                "description": failure.description,
            });
            if let Some(retry_after) = failure.retry_after {
                body["parameters"] = json!({ "retry_after": retry_after });
            }
            json_response(failure.status, &body)
        }
    }
}

fn json_response(status: StatusCode, body: &Value) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

/// What a reverse proxy answers when the API behind it cannot be reached.
fn bad_gateway() -> Response {
    let page = "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n\
                <center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n\
                </body>\r\n</html>\r\n";
    (
        StatusCode::BAD_GATEWAY,
        [(header::CONTENT_TYPE, "text/html")],
        page,
    )
        .into_response()
}

// Requests.

async fn handle(
    State(shared): State<Arc<Shared>>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if shared.lock().down {
        return bad_gateway();
    }
    let path = uri.path().strip_prefix('/').unwrap_or_default();
    if let Some(rest) = path.strip_prefix("file/") {
        return download(&shared, rest);
    }
    let Some((token, method)) = path
        .split_once('/')
        .and_then(|(first, method)| Some((first.strip_prefix("bot")?, method)))
    else {
        return answer(&Err(Failure::not_found()));
    };
    if !token_matches(token, &shared.token) {
        return answer(&Err(Failure::unauthorized()));
    }
    let Some(method) = METHODS
        .iter()
        .copied()
        .find(|known| known.eq_ignore_ascii_case(method))
    else {
        return answer(&Err(Failure::not_found()));
    };
    if body.len() > MAX_UPLOAD_BYTES {
        return answer(&Err(Failure::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "Request Entity Too Large",
        )));
    }
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default();
    let (params, parts) = match read_params(uri.query(), content_type, &body) {
        Ok(read) => read,
        Err(failure) => return answer(&Err(failure)),
    };
    let upload = match method {
        "sendPhoto" => upload_in("photo", &params, &parts),
        "sendDocument" => upload_in("document", &params, &parts),
        _ => None,
    };
    let outcome = if method == "getUpdates" {
        get_updates(&shared, &params).await
    } else {
        let mut bot = shared.lock();
        dispatch(&shared, &mut bot, method, &params, upload)
    };
    let status = match &outcome {
        Ok(_) => StatusCode::OK,
        Err(failure) => failure.status,
    };
    shared.lock().calls.push(Call {
        method: method.to_string(),
        params: Value::Object(params.clone()),
        file: upload.map(|part| {
            (
                part.file_name.clone().unwrap_or_else(|| part.name.clone()),
                part.data.clone(),
            )
        }),
        status: status.as_u16(),
    });
    answer(&outcome)
}

/// The token in the path, which a client may have percent-encoded (`%3A` for the colon).
fn token_matches(given: &str, token: &str) -> bool {
    given == token || given.replace("%3A", ":").replace("%3a", ":") == token
}

fn dispatch(
    shared: &Shared,
    bot: &mut Bot,
    method: &str,
    params: &Map<String, Value>,
    upload: Option<&Part>,
) -> Outcome {
    match method {
        "getMe" => Ok(Success::of(shared.me.clone())),
        "setWebhook" => set_webhook(bot, params),
        "deleteWebhook" => {
            if bool_param(params, "drop_pending_updates") {
                bot.updates.clear();
            }
            Ok(match bot.webhook.take() {
                Some(_) => Success::described(json!(true), "Webhook was deleted"),
                None => Success::described(json!(true), "Webhook is already deleted"),
            })
        }
        "getWebhookInfo" => Ok(Success::of(webhook_info(bot))),
        "getFile" => get_file(bot, params),
        "sendMessage" => {
            let chat_id = admit_send(bot, params)?;
            send_message(shared, bot, chat_id, params)
        }
        "sendPhoto" | "sendDocument" => {
            let chat_id = admit_send(bot, params)?;
            send_media(shared, bot, method, chat_id, params, upload)
        }
        "sendChatAction" => {
            let chat_id = admit_send(bot, params)?;
            let action = string_param(params, "action").unwrap_or_default();
            if !CHAT_ACTIONS.contains(&action.as_str()) {
                return Err(Failure::bad_request("wrong parameter action in request"));
            }
            bot.actions.push((chat_id, action));
            Ok(Success::of(json!(true)))
        }
        _ => Err(Failure::not_found()),
    }
}

/// Flood control, then the chat: answers the chat a send goes to.
fn admit_send(bot: &mut Bot, params: &Map<String, Value>) -> Result<i64, Failure> {
    let (left, retry_after) = bot.throttle;
    if left > 0 {
        bot.throttle.0 = left - 1;
        return Err(Failure::too_many_requests(retry_after));
    }
    let chat_id = match params.get("chat_id") {
        None | Some(Value::Null) => return Err(Failure::bad_request("chat_id is empty")),
        Some(Value::String(text)) if text.is_empty() => {
            return Err(Failure::bad_request("chat_id is empty"));
        }
        Some(value) => int_value(value).ok_or_else(|| Failure::bad_request("chat not found"))?,
    };
    if bot.blocked.contains(&chat_id) {
        return Err(Failure::blocked());
    }
    Ok(chat_id)
}

fn set_webhook(bot: &mut Bot, params: &Map<String, Value>) -> Outcome {
    let url = string_param(params, "url").unwrap_or_default();
    let secret_token = string_param(params, "secret_token").filter(|secret| !secret.is_empty());
    if let Some(secret) = &secret_token {
        let allowed = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '-';
        if secret.len() > 256 || !secret.chars().all(allowed) {
            return Err(Failure::bad_request(
                "secret token contains unallowed characters",
            ));
        }
    }
    // Left out, the update types stay as they were set before.
    let allowed_updates = match params.get("allowed_updates") {
        Some(Value::Array(types)) => Some(
            types
                .iter()
                .filter_map(|kind| kind.as_str().map(str::to_string))
                .collect(),
        ),
        _ => bot
            .webhook
            .as_ref()
            .and_then(|webhook| webhook.allowed_updates.clone()),
    };
    if bool_param(params, "drop_pending_updates") {
        bot.updates.clear();
    }
    if url.is_empty() {
        return Ok(match bot.webhook.take() {
            Some(_) => Success::described(json!(true), "Webhook was deleted"),
            None => Success::described(json!(true), "Webhook is already deleted"),
        });
    }
    let webhook = Webhook {
        url,
        secret_token,
        allowed_updates,
        max_connections: int_param(params, "max_connections").unwrap_or(40),
    };
    let description = if bot.webhook.as_ref() == Some(&webhook) {
        "Webhook is already set"
    } else {
        "Webhook was set"
    };
    bot.webhook = Some(webhook);
    Ok(Success::described(json!(true), description))
}

fn webhook_info(bot: &Bot) -> Value {
    let mut info = json!({
        "url": "",
        "has_custom_certificate": false,
        "pending_update_count": bot.updates.len(),
    });
    if let Some(webhook) = &bot.webhook {
        info["url"] = json!(webhook.url);
        info["max_connections"] = json!(webhook.max_connections);
        info["ip_address"] = json!("127.0.0.1");
        if let Some(types) = &webhook.allowed_updates {
            info["allowed_updates"] = json!(types);
        }
    }
    info
}

async fn get_updates(shared: &Shared, params: &Map<String, Value>) -> Outcome {
    let poll = {
        let mut bot = shared.lock();
        if bot.webhook.is_some() {
            return Err(Failure::conflict(
                "can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first",
            ));
        }
        match int_param(params, "offset") {
            Some(offset) if offset > 0 => bot
                .updates
                .retain(|update| update["update_id"].as_i64().unwrap_or_default() >= offset),
            Some(offset) if offset < 0 => {
                let keep = usize::try_from(offset.unsigned_abs()).unwrap_or(usize::MAX);
                while bot.updates.len() > keep {
                    bot.updates.pop_front();
                }
            }
            _ => {}
        }
        bot.polls += 1;
        bot.polls
    };
    let limit = int_param(params, "limit")
        .filter(|limit| *limit > 0)
        .map_or(100, |limit| limit.min(100)) as usize;
    let timeout = int_param(params, "timeout")
        .filter(|timeout| *timeout > 0)
        .map_or(Duration::ZERO, |secs| {
            Duration::from_secs(secs.unsigned_abs())
        })
        .min(MAX_POLL);
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        {
            let bot = shared.lock();
            if bot.polls != poll {
                return Err(Failure::conflict(
                    "terminated by other getUpdates request; make sure that only one bot instance is running",
                ));
            }
            if !bot.updates.is_empty() || tokio::time::Instant::now() >= deadline {
                let updates: Vec<Value> = bot.updates.iter().take(limit).cloned().collect();
                return Ok(Success::of(Value::Array(updates)));
            }
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn get_file(bot: &Bot, params: &Map<String, Value>) -> Outcome {
    let file_id = string_param(params, "file_id").unwrap_or_default();
    let Some(file) = bot.files.get(&file_id) else {
        return Err(Failure::bad_request("invalid file_id"));
    };
    if file.bytes.is_none() || file.size > MAX_DOWNLOAD_BYTES {
        return Err(Failure::bad_request("file is too big"));
    }
    Ok(Success::of(json!({
        "file_id": file_id,
        "file_unique_id": unique_id(&file_id),
        "file_size": file.size,
        "file_path": file.path,
    })))
}

/// `GET /file/bot<token>/<file_path>`.
fn download(shared: &Shared, rest: &str) -> Response {
    let Some((token, path)) = rest
        .split_once('/')
        .and_then(|(first, path)| Some((first.strip_prefix("bot")?, path)))
    else {
        return answer(&Err(Failure::not_found()));
    };
    if !token_matches(token, &shared.token) {
        return answer(&Err(Failure::unauthorized()));
    }
    let bot = shared.lock();
    let found = bot
        .files
        .values()
        .find(|file| file.path == path)
        .and_then(|file| file.bytes.clone());
    match found {
        Some(bytes) => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "application/octet-stream")],
            bytes,
        )
            .into_response(),
        None => answer(&Err(Failure::not_found())),
    }
}

fn send_message(
    shared: &Shared,
    bot: &mut Bot,
    chat_id: i64,
    params: &Map<String, Value>,
) -> Outcome {
    let text = string_param(params, "text").unwrap_or_default();
    if text.trim().is_empty() {
        return Err(Failure::bad_request("message text is empty"));
    }
    if text.chars().count() > MAX_TEXT_CHARS {
        return Err(Failure::bad_request("message is too long"));
    }
    let parse_mode = string_param(params, "parse_mode").filter(|mode| !mode.is_empty());
    check_entities(parse_mode.as_deref(), &text)?;
    let reply_to = reply_target(params)?;
    let mut message = bot.new_message(&shared.bot_user, chat_id, reply_to);
    let message_id = bot.next_message_id;
    message.insert("text".into(), json!(text));
    let message = Value::Object(message);
    bot.messages.insert((chat_id, message_id), message.clone());
    bot.sent.push(SentMessage {
        message_id,
        chat_id,
        text,
        parse_mode,
        reply_to,
    });
    Ok(Success::of(message))
}

/// The message a send replies to: `reply_parameters.message_id`, else the older
/// `reply_to_message_id`.
fn reply_target(params: &Map<String, Value>) -> Result<Option<i64>, Failure> {
    match params.get("reply_parameters") {
        Some(Value::Object(reply)) => Ok(reply.get("message_id").and_then(int_value)),
        Some(Value::Null) | None => Ok(int_param(params, "reply_to_message_id")),
        Some(_) => Err(Failure::bad_request(
            "can't parse reply parameters JSON object",
        )),
    }
}

fn send_media(
    shared: &Shared,
    bot: &mut Bot,
    method: &str,
    chat_id: i64,
    params: &Map<String, Value>,
    upload: Option<&Part>,
) -> Outcome {
    let photo = method == "sendPhoto";
    let field = if photo { "photo" } else { "document" };
    let caption = string_param(params, "caption").filter(|caption| !caption.is_empty());
    if let Some(caption) = &caption {
        if caption.chars().count() > MAX_CAPTION_CHARS {
            return Err(Failure::bad_request("message caption is too long"));
        }
        let parse_mode = string_param(params, "parse_mode").filter(|mode| !mode.is_empty());
        check_entities(parse_mode.as_deref(), caption)?;
    }
    // The file: uploaded, an URL Telegram would fetch, or a file it already has.
    let (file_id, bytes, file_name, media_type, reference) = match upload {
        Some(part) => {
            let file_id = bot.new_file_id(if photo { "AgAC" } else { "BQAC" });
            (
                file_id,
                Some(part.data.clone()),
                part.file_name.clone(),
                part.content_type.clone(),
                None,
            )
        }
        None => {
            let given = string_param(params, field).unwrap_or_default();
            if given.is_empty() || given.starts_with("attach://") {
                return Err(Failure::bad_request(format!(
                    "there is no {field} in the request"
                )));
            }
            if given.starts_with("http://") || given.starts_with("https://") {
                let name = given
                    .split(['?', '#'])
                    .next()
                    .and_then(|url| url.rsplit('/').next())
                    .filter(|name| !name.is_empty())
                    .map(str::to_string);
                let file_id = bot.new_file_id(if photo { "AgAC" } else { "BQAC" });
                (file_id, None, name, None, Some(given))
            } else if bot.files.contains_key(&given) {
                (given.clone(), None, None, None, Some(given))
            } else {
                return Err(Failure::bad_request(
                    "wrong file identifier/HTTP URL specified",
                ));
            }
        }
    };
    let size = match (&bytes, bot.files.get(&file_id)) {
        (Some(bytes), _) => bytes.len() as u64,
        (None, Some(known)) => known.size,
        (None, None) => 0,
    };
    if !bot.files.contains_key(&file_id) {
        let number = bot.next_file;
        let path = if photo {
            format!("photos/file_{number}.jpg")
        } else {
            let extension = file_name
                .as_deref()
                .and_then(|name| name.rsplit_once('.'))
                .map_or("bin", |(_, extension)| extension);
            format!("documents/file_{number}.{extension}")
        };
        let stored = StoredFile {
            path,
            size,
            bytes: Some(bytes.clone().unwrap_or_default()),
        };
        bot.files.insert(file_id.clone(), stored);
    }
    let mut message = bot.new_message(&shared.bot_user, chat_id, reply_target(params)?);
    let message_id = bot.next_message_id;
    if photo {
        message.insert(
            "photo".into(),
            json!([{
                "file_id": file_id,
                "file_unique_id": unique_id(&file_id),
                "file_size": size,
                "width": 800,
                "height": 600,
            }]),
        );
    } else {
        let media_type = media_type
            .filter(|media_type| !media_type.is_empty())
            .unwrap_or_else(|| guess_media_type(file_name.as_deref()).to_string());
        let mut document = json!({
            "file_id": file_id,
            "file_unique_id": unique_id(&file_id),
            "file_size": size,
            "mime_type": media_type,
        });
        if let Some(name) = &file_name {
            document["file_name"] = json!(name);
        }
        message.insert("document".into(), document);
    }
    if let Some(caption) = &caption {
        message.insert("caption".into(), json!(caption));
    }
    let message = Value::Object(message);
    bot.messages.insert((chat_id, message_id), message.clone());
    bot.sent_files.push(SentFile {
        method: method.to_string(),
        message_id,
        chat_id,
        caption,
        file_name,
        bytes,
        reference,
    });
    Ok(Success::of(message))
}

fn guess_media_type(file_name: Option<&str>) -> &'static str {
    let extension = file_name
        .and_then(|name| name.rsplit_once('.'))
        .map(|(_, extension)| extension.to_ascii_lowercase());
    match extension.as_deref() {
        Some("pdf") => "application/pdf",
        Some("txt") => "text/plain",
        Some("csv") => "text/csv",
        Some("json") => "application/json",
        Some("zip") => "application/zip",
        Some("jpg" | "jpeg") => "image/jpeg",
        Some("png") => "image/png",
        Some("gif") => "image/gif",
        Some("mp4") => "video/mp4",
        Some("ogg" | "oga") => "audio/ogg",
        Some("mp3") => "audio/mpeg",
        _ => "application/octet-stream",
    }
}

/// A stable stand-in for the short `file_unique_id` Telegram gives each file.
fn unique_id(file_id: &str) -> String {
    let mut hasher = DefaultHasher::new();
    file_id.hash(&mut hasher);
    format!("AQAD{:012x}", hasher.finish() & 0xffff_ffff_ffff)
}

// Parameters.

/// The parameters of a request, from its query and its body, and the files it uploads.
fn read_params(
    query: Option<&str>,
    content_type: &str,
    body: &[u8],
) -> Result<(Map<String, Value>, Vec<Part>), Failure> {
    let mut params = Map::new();
    if let Some(query) = query {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query)
            .map_err(|_| Failure::bad_request("can't parse query string"))?;
        params.extend(pairs.into_iter().map(|(name, value)| (name, json!(value))));
    }
    let media_type = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    let mut parts = Vec::new();
    if !body.is_empty() {
        match media_type.as_str() {
            "application/json" => match serde_json::from_slice::<Value>(body) {
                Ok(Value::Object(fields)) => params.extend(fields),
                _ => return Err(Failure::bad_request("can't parse JSON object")),
            },
            "application/x-www-form-urlencoded" => {
                let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(body)
                    .map_err(|_| Failure::bad_request("can't parse form body"))?;
                params.extend(pairs.into_iter().map(|(name, value)| (name, json!(value))));
            }
            "multipart/form-data" => {
                let boundary = header_parameter(content_type, "boundary")
                    .ok_or_else(|| Failure::bad_request("no multipart boundary"))?;
                for part in parse_multipart(body, &boundary)
                    .ok_or_else(|| Failure::bad_request("can't parse multipart body"))?
                {
                    match (&part.file_name, std::str::from_utf8(&part.data)) {
                        (None, Ok(text)) => {
                            params.insert(part.name.clone(), json!(text));
                        }
                        _ => parts.push(part),
                    }
                }
            }
            _ => {}
        }
    }
    normalize(&mut params);
    Ok((params, parts))
}

/// Gives parameters that came as text the type Telegram documents for them.
fn normalize(params: &mut Map<String, Value>) {
    for (name, value) in params.iter_mut() {
        let Value::String(text) = value else {
            continue;
        };
        if INTEGER_PARAMS.contains(&name.as_str()) {
            if let Ok(number) = text.trim().parse::<i64>() {
                *value = json!(number);
            }
        } else if BOOLEAN_PARAMS.contains(&name.as_str()) {
            match text.to_ascii_lowercase().as_str() {
                "true" | "1" => *value = json!(true),
                "false" | "0" => *value = json!(false),
                _ => {}
            }
        } else if JSON_PARAMS.contains(&name.as_str())
            && let Ok(parsed) = serde_json::from_str::<Value>(text)
            && (parsed.is_object() || parsed.is_array())
        {
            *value = parsed;
        }
    }
}

/// The file a `sendPhoto` or `sendDocument` uploads in `field`, or in the part `field` names
/// with `attach://<part>`.
fn upload_in<'a>(field: &str, params: &Map<String, Value>, parts: &'a [Part]) -> Option<&'a Part> {
    let wanted = params
        .get(field)
        .and_then(Value::as_str)
        .and_then(|value| value.strip_prefix("attach://"))
        .unwrap_or(field);
    parts.iter().find(|part| part.name == wanted)
}

fn string_param(params: &Map<String, Value>, name: &str) -> Option<String> {
    match params.get(name)? {
        Value::String(text) => Some(text.clone()),
        Value::Number(number) => Some(number.to_string()),
        Value::Bool(flag) => Some(flag.to_string()),
        _ => None,
    }
}

fn int_param(params: &Map<String, Value>, name: &str) -> Option<i64> {
    params.get(name).and_then(int_value)
}

fn int_value(value: &Value) -> Option<i64> {
    match value {
        Value::Number(number) => number.as_i64(),
        Value::String(text) => text.trim().parse().ok(),
        _ => None,
    }
}

fn bool_param(params: &Map<String, Value>, name: &str) -> bool {
    params.get(name).and_then(Value::as_bool).unwrap_or(false)
}

// Formatting, checked the way Telegram refuses text it cannot parse.

fn check_entities(parse_mode: Option<&str>, text: &str) -> Result<(), Failure> {
    let checked = match parse_mode.map(str::to_ascii_lowercase).as_deref() {
        None => Ok(()),
        Some("markdownv2") => check_markdown_v2(text),
        Some("html") => check_html(text),
        // The legacy Markdown mode is taken as it comes.
        Some("markdown") => Ok(()),
        Some(_) => return Err(Failure::bad_request("unsupported parse_mode")),
    };
    checked.map_err(|problem| Failure::bad_request(format!("can't parse entities: {problem}")))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mark {
    Bold,
    Italic,
    Underline,
    Strikethrough,
    Spoiler,
    Code,
    Pre,
    Link,
}

impl Mark {
    fn name(self) -> &'static str {
        match self {
            Mark::Bold => "Bold",
            Mark::Italic => "Italic",
            Mark::Underline => "Underline",
            Mark::Strikethrough => "Strikethrough",
            Mark::Spoiler => "Spoiler",
            Mark::Code => "Code",
            Mark::Pre => "Pre",
            Mark::Link => "TextUrl",
        }
    }
}

fn reserved(c: char) -> String {
    format!("Character '{c}' is reserved and must be escaped with the preceding '\\'")
}

/// MarkdownV2: outside code, `_ * [ ] ( ) ~ ` > # + - = | { } . !` are either markup (paired
/// `*`, `_`, `__`, `~`, `||`, `` ` ``, ```` ``` ````, a link `[text](url)`, a quote `>` at the
/// start of a line) or must be escaped with `\`; inside code only `` ` `` and `\` must be.
fn check_markdown_v2(text: &str) -> Result<(), String> {
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let at = |i: usize| chars.get(i).map(|&(_, c)| c);
    let mut open: Vec<(Mark, usize)> = Vec::new();
    let mut line_start = true;
    let mut expandable_quote = false;
    let mut i = 0;
    while let Some(&(offset, c)) = chars.get(i) {
        let next = at(i + 1);
        let fence = next == Some('`') && at(i + 2) == Some('`');
        if c == '\\' {
            // A backslash escapes any ASCII character after it.
            i += if next.is_some_and(|n| n.is_ascii() && n != '\0') {
                2
            } else {
                1
            };
            line_start = false;
            continue;
        }
        match open.last().map(|&(mark, _)| mark) {
            Some(Mark::Code) => {
                if c == '`' {
                    open.pop();
                }
                line_start = c == '\n';
                i += 1;
                continue;
            }
            Some(Mark::Pre) => {
                if c == '`' {
                    if !fence {
                        return Err(reserved(c));
                    }
                    open.pop();
                    i += 3;
                } else {
                    i += 1;
                }
                line_start = c == '\n';
                continue;
            }
            _ => {}
        }
        if line_start && c != '>' && !(c == '*' && next == Some('*') && at(i + 2) == Some('>')) {
            expandable_quote = false;
        }
        let mut step = 1;
        match c {
            // `**>` starts an expandable block quotation, whose last line ends with `||`.
            '*' if line_start && next == Some('*') && at(i + 2) == Some('>') => {
                expandable_quote = true;
                step = 3;
            }
            '|' if expandable_quote
                && next == Some('|')
                && matches!(at(i + 2), None | Some('\n'))
                && !open.iter().any(|&(mark, _)| mark == Mark::Spoiler) =>
            {
                expandable_quote = false;
                step = 2;
            }
            // `![emoji](tg://emoji?id=…)`, a custom emoji.
            '!' if next == Some('[') => {}
            '`' if fence => {
                open.push((Mark::Pre, offset));
                step = 3;
            }
            '`' => open.push((Mark::Code, offset)),
            '*' => toggle(&mut open, Mark::Bold, offset)?,
            '_' if next == Some('_') => {
                toggle(&mut open, Mark::Underline, offset)?;
                step = 2;
            }
            '_' => toggle(&mut open, Mark::Italic, offset)?,
            '~' => toggle(&mut open, Mark::Strikethrough, offset)?,
            '|' if next == Some('|') => {
                toggle(&mut open, Mark::Spoiler, offset)?;
                step = 2;
            }
            '[' => open.push((Mark::Link, offset)),
            ']' if matches!(open.last(), Some((Mark::Link, _))) => {
                if next != Some('(') {
                    return Err(reserved(c));
                }
                open.pop();
                // The URL runs to the first `)` not escaped.
                let mut j = i + 2;
                loop {
                    match at(j) {
                        None => {
                            return Err(format!("Can't find end of a URL at byte offset {offset}"));
                        }
                        Some('\\') => j += 2,
                        Some(')') => break,
                        Some(_) => j += 1,
                    }
                }
                step = j + 1 - i;
            }
            '>' if line_start => {}
            // `_`, `*`, `[`, `~` and the backtick were taken above; these are markup only where
            // matched there.
            ']' | '(' | ')' | '>' | '#' | '+' | '-' | '=' | '|' | '{' | '}' | '.' | '!' => {
                return Err(reserved(c));
            }
            _ => {}
        }
        line_start = c == '\n';
        i += step;
    }
    match open.last() {
        Some(&(mark, offset)) => Err(format!(
            "Can't find end of {} entity at byte offset {offset}",
            mark.name()
        )),
        None => Ok(()),
    }
}

/// Opens `mark`, or closes it if it is the innermost one open.
fn toggle(open: &mut Vec<(Mark, usize)>, mark: Mark, offset: usize) -> Result<(), String> {
    match open.iter().rposition(|&(open_mark, _)| open_mark == mark) {
        None => open.push((mark, offset)),
        Some(index) if index + 1 == open.len() => {
            open.pop();
        }
        Some(_) => {
            let (inner, inner_offset) = open[open.len() - 1];
            return Err(format!(
                "Can't find end of {} entity at byte offset {inner_offset}",
                inner.name()
            ));
        }
    }
    Ok(())
}

/// The tags Telegram's HTML mode knows.
const HTML_TAGS: &[&str] = &[
    "b",
    "strong",
    "i",
    "em",
    "u",
    "ins",
    "s",
    "strike",
    "del",
    "a",
    "code",
    "pre",
    "tg-spoiler",
    "span",
    "tg-emoji",
    "blockquote",
];

/// HTML: every `<` must open or close a known tag, and tags must nest.
fn check_html(text: &str) -> Result<(), String> {
    let mut open: Vec<String> = Vec::new();
    let mut at = 0;
    while let Some(found) = text[at..].find('<') {
        let offset = at + found;
        let rest = &text[offset + 1..];
        let closing = rest.starts_with('/');
        let name: String = rest[usize::from(closing)..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
            .collect::<String>()
            .to_ascii_lowercase();
        let Some(end) = text[offset..].find('>').map(|end| offset + end) else {
            return Err(format!("Unclosed start tag at byte offset {offset}"));
        };
        if closing {
            match open.pop() {
                None => return Err(format!("Unexpected end tag at byte offset {offset}")),
                Some(expected) if expected != name => {
                    return Err(format!(
                        "Unmatched end tag at byte offset {offset}, expected \"</{expected}>\", found \"</{name}>\""
                    ));
                }
                Some(_) => {}
            }
        } else if HTML_TAGS.contains(&name.as_str()) {
            open.push(name);
        } else {
            return Err(format!(
                "Unsupported start tag \"{name}\" at byte offset {offset}"
            ));
        }
        at = end + 1;
    }
    match open.last() {
        Some(name) => Err(format!(
            "Can't find end tag corresponding to start tag \"{name}\""
        )),
        None => Ok(()),
    }
}

// Updates as Telegram sends them, for a test to post to the gateway's webhook or to queue.

/// Seconds since the Unix epoch.
fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| {
            i64::try_from(since.as_secs()).unwrap_or(i64::MAX)
        })
}

/// A person (not a bot) as a User object.
fn person(user_id: i64, first_name: &str, username: Option<&str>) -> Value {
    let mut user = json!({
        "id": user_id,
        "is_bot": false,
        "first_name": first_name,
        "language_code": "en",
    });
    if let Some(username) = username {
        user["username"] = json!(username);
    }
    user
}

/// The private chat with a person, whose id is theirs.
fn private_chat(user_id: i64, first_name: &str, username: Option<&str>) -> Value {
    let mut chat = json!({ "id": user_id, "first_name": first_name, "type": "private" });
    if let Some(username) = username {
        chat["username"] = json!(username);
    }
    chat
}

/// A message from `from` in `chat`, sent now, without its content.
fn message(message_id: i64, from: Value, chat: Value) -> Map<String, Value> {
    let mut message = Map::new();
    message.insert("message_id".into(), json!(message_id));
    message.insert("from".into(), from);
    message.insert("chat".into(), chat);
    message.insert("date".into(), json!(unix_now()));
    message
}

/// A message from a person in their private chat with the bot.
fn private_message(
    message_id: i64,
    chat_id: i64,
    first_name: &str,
    username: Option<&str>,
) -> Map<String, Value> {
    message(
        message_id,
        person(chat_id, first_name, username),
        private_chat(chat_id, first_name, username),
    )
}

fn update(update_id: i64, kind: &str, content: Map<String, Value>) -> Value {
    json!({ "update_id": update_id, kind: Value::Object(content) })
}

/// Adds `text`, with a `bot_command` entity when it starts with a command (`/start`).
fn with_text(mut message: Map<String, Value>, text: &str) -> Map<String, Value> {
    message.insert("text".into(), json!(text));
    if text.starts_with('/') {
        let command = text.split_whitespace().next().unwrap_or_default();
        let length = command.encode_utf16().count();
        message.insert(
            "entities".into(),
            json!([{ "offset": 0, "length": length, "type": "bot_command" }]),
        );
    }
    message
}

/// A text message from a person in their private chat with the bot (`chat.id` = `from.id` =
/// `chat_id`).
pub fn text_update(
    update_id: i64,
    message_id: i64,
    chat_id: i64,
    first_name: &str,
    username: Option<&str>,
    text: &str,
) -> Value {
    let message = private_message(message_id, chat_id, first_name, username);
    update(update_id, "message", with_text(message, text))
}

/// The message `message_id` edited to `text` (an `edited_message` update, sent a minute
/// after the message and edited now).
pub fn edited_text_update(
    update_id: i64,
    message_id: i64,
    chat_id: i64,
    first_name: &str,
    username: Option<&str>,
    text: &str,
) -> Value {
    let mut message = with_text(
        private_message(message_id, chat_id, first_name, username),
        text,
    );
    let now = unix_now();
    message.insert("date".into(), json!(now - 60));
    message.insert("edit_date".into(), json!(now));
    update(update_id, "edited_message", message)
}

/// A photo, in three sizes smallest first as Telegram sends them: the largest one is
/// `file_id` (register it with [`TelegramStandIn::add_file`]); the smaller ones are
/// `<file_id>_90` and `<file_id>_320`, which `getFile` does not know.
pub fn photo_update(
    update_id: i64,
    message_id: i64,
    chat_id: i64,
    first_name: &str,
    username: Option<&str>,
    file_id: &str,
    caption: Option<&str>,
) -> Value {
    let mut message = private_message(message_id, chat_id, first_name, username);
    let size = |file_id: String, width: u32, height: u32| {
        json!({
            "file_id": file_id,
            "file_unique_id": unique_id(&file_id),
            "width": width,
            "height": height,
        })
    };
    message.insert(
        "photo".into(),
        json!([
            size(format!("{file_id}_90"), 90, 68),
            size(format!("{file_id}_320"), 320, 240),
            size(file_id.to_string(), 1280, 960),
        ]),
    );
    if let Some(caption) = caption {
        message.insert("caption".into(), json!(caption));
    }
    update(update_id, "message", message)
}

/// A file sent as a document.
#[allow(clippy::too_many_arguments)]
pub fn document_update(
    update_id: i64,
    message_id: i64,
    chat_id: i64,
    first_name: &str,
    username: Option<&str>,
    file_id: &str,
    file_name: &str,
    mime_type: &str,
) -> Value {
    let mut message = private_message(message_id, chat_id, first_name, username);
    message.insert(
        "document".into(),
        json!({
            "file_name": file_name,
            "mime_type": mime_type,
            "file_id": file_id,
            "file_unique_id": unique_id(file_id),
        }),
    );
    update(update_id, "message", message)
}

/// A voice note (OGG/Opus) of `duration` seconds.
pub fn voice_update(
    update_id: i64,
    message_id: i64,
    chat_id: i64,
    first_name: &str,
    username: Option<&str>,
    file_id: &str,
    duration: u32,
) -> Value {
    let mut message = private_message(message_id, chat_id, first_name, username);
    message.insert(
        "voice".into(),
        json!({
            "duration": duration,
            "mime_type": "audio/ogg",
            "file_id": file_id,
            "file_unique_id": unique_id(file_id),
        }),
    );
    update(update_id, "message", message)
}

/// A (static, regular) sticker standing for `emoji`.
pub fn sticker_update(
    update_id: i64,
    message_id: i64,
    chat_id: i64,
    first_name: &str,
    username: Option<&str>,
    file_id: &str,
    emoji: &str,
) -> Value {
    let mut message = private_message(message_id, chat_id, first_name, username);
    message.insert(
        "sticker".into(),
        json!({
            "width": 512,
            "height": 512,
            "emoji": emoji,
            "type": "regular",
            "is_animated": false,
            "is_video": false,
            "file_id": file_id,
            "file_unique_id": unique_id(file_id),
        }),
    );
    update(update_id, "message", message)
}

/// A location shared once (not live).
pub fn location_update(
    update_id: i64,
    message_id: i64,
    chat_id: i64,
    first_name: &str,
    username: Option<&str>,
    latitude: f64,
    longitude: f64,
) -> Value {
    let mut message = private_message(message_id, chat_id, first_name, username);
    message.insert(
        "location".into(),
        json!({ "latitude": latitude, "longitude": longitude }),
    );
    update(update_id, "message", message)
}

/// A contact shared; `contact_user_id` is the contact's Telegram user id when they have one
/// (the sender's own id when they share their own number).
#[allow(clippy::too_many_arguments)]
pub fn contact_update(
    update_id: i64,
    message_id: i64,
    chat_id: i64,
    first_name: &str,
    username: Option<&str>,
    phone_number: &str,
    contact_first_name: &str,
    contact_user_id: Option<i64>,
) -> Value {
    let mut message = private_message(message_id, chat_id, first_name, username);
    let mut contact = json!({ "phone_number": phone_number, "first_name": contact_first_name });
    if let Some(user_id) = contact_user_id {
        contact["user_id"] = json!(user_id);
    }
    message.insert("contact".into(), contact);
    update(update_id, "message", message)
}

/// A text message from a person in a basic group (`group_chat_id` is negative, `chat.type`
/// "group", `from` is the person).
#[allow(clippy::too_many_arguments)]
pub fn group_text_update(
    update_id: i64,
    message_id: i64,
    group_chat_id: i64,
    group_title: &str,
    user_id: i64,
    first_name: &str,
    username: Option<&str>,
    text: &str,
) -> Value {
    let chat = json!({ "id": group_chat_id, "title": group_title, "type": "group" });
    let message = message(message_id, person(user_id, first_name, username), chat);
    update(update_id, "message", with_text(message, text))
}

/// What a person blocking the bot in their private chat produces: a `my_chat_member` update
/// where the bot (`bot`, see [`TelegramStandIn::bot_user`]) goes from "member" to "kicked".
pub fn my_chat_member_blocked(
    update_id: i64,
    chat_id: i64,
    first_name: &str,
    username: Option<&str>,
    bot: &Value,
) -> Value {
    member_change(
        update_id, chat_id, first_name, username, bot, "member", "kicked",
    )
}

/// The person unblocked the bot (restarted it): "kicked" back to "member".
pub fn my_chat_member_unblocked(
    update_id: i64,
    chat_id: i64,
    first_name: &str,
    username: Option<&str>,
    bot: &Value,
) -> Value {
    member_change(
        update_id, chat_id, first_name, username, bot, "kicked", "member",
    )
}

fn member_change(
    update_id: i64,
    chat_id: i64,
    first_name: &str,
    username: Option<&str>,
    bot: &Value,
    old_status: &str,
    new_status: &str,
) -> Value {
    let member = |status: &str| {
        let mut member = json!({ "user": bot, "status": status });
        if status == "kicked" {
            // 0: banned for ever.
            member["until_date"] = json!(0);
        }
        member
    };
    let mut change = Map::new();
    change.insert("chat".into(), private_chat(chat_id, first_name, username));
    change.insert("from".into(), person(chat_id, first_name, username));
    change.insert("date".into(), json!(unix_now()));
    change.insert("old_chat_member".into(), member(old_status));
    change.insert("new_chat_member".into(), member(new_status));
    update(update_id, "my_chat_member", change)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Client;
    use hyper::Method;

    const TOKEN: &str = "123456789:AAH-stand-in-token";

    fn form(pairs: &[(&str, &str)]) -> anyhow::Result<Option<(&'static str, Vec<u8>)>> {
        Ok(Some((
            "application/x-www-form-urlencoded",
            serde_urlencoded::to_string(pairs)?.into_bytes(),
        )))
    }

    #[test]
    fn formatting_checks_follow_the_documented_syntax() {
        let markdown = [
            "*bold \\*text*",
            "_italic \\*text_ __underline__ ~strikethrough~ ||spoiler||",
            "*bold _italic bold ~italic bold strikethrough ||italic bold strikethrough spoiler||~ __underline italic bold___ bold*",
            "[inline URL](http://www.example.com/) ![👍](tg://emoji?id=5368324170671202286)",
            "`inline fixed-width code`\n```rust\nlet x = (1 + 2) * 3;\n```",
            ">Block quotation started\n>continued\n**>Expandable\n>hidden||\nafter",
            "Price: 10\\.50 \\(incl\\. VAT\\)\\!",
        ];
        for text in markdown {
            assert_eq!(check_markdown_v2(text), Ok(()), "{text}");
        }
        assert_eq!(check_markdown_v2("a-b"), Err(reserved('-')));
        assert_eq!(check_markdown_v2("x > y"), Err(reserved('>')));
        assert_eq!(
            check_markdown_v2("*bold"),
            Err("Can't find end of Bold entity at byte offset 0".to_string())
        );
        let html = [
            "<b>bold</b>, <strong>bold</strong> <i>i</i> <u>u</u> <s>s</s> <tg-spoiler>x</tg-spoiler>",
            "<a href=\"http://www.example.com/\">link</a> <code>a &lt; b</code>",
            "<pre><code class=\"language-rust\">fn main() {}</code></pre><blockquote>q</blockquote>",
        ];
        for text in html {
            assert_eq!(check_html(text), Ok(()), "{text}");
        }
        assert!(check_html("<b>x</i>").is_err());
        assert!(check_html("<b>x").is_err());
        assert!(check_html("x</b>").is_err());
    }

    #[tokio::test]
    async fn get_me_answers_only_the_right_token() -> anyhow::Result<()> {
        let telegram = TelegramStandIn::start(TOKEN, "switchboard_test_bot").await?;
        let client = Client::new(&telegram.base_url);

        let (status, me) = client
            .send(Method::GET, &format!("/bot{TOKEN}/GETME"), &[], None)
            .await?;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(me["ok"], true);
        assert_eq!(me["result"]["id"], 123456789);
        assert_eq!(me["result"]["is_bot"], true);
        assert_eq!(me["result"]["username"], "switchboard_test_bot");

        let (status, refused) = client
            .send(Method::POST, "/bot1:wrong/getMe", &[], None)
            .await?;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(
            refused,
            json!({ "ok": false, "error_code": 401, "description": "Unauthorized" })
        );

        let (status, unknown) = client
            .send(Method::POST, &format!("/bot{TOKEN}/sendPigeon"), &[], None)
            .await?;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_eq!(unknown["description"], "Not Found");
        assert_eq!(telegram.calls().len(), 1, "only getMe reached a method");
        Ok(())
    }

    #[tokio::test]
    async fn send_message_checks_formatting() -> anyhow::Result<()> {
        let telegram = TelegramStandIn::start(TOKEN, "switchboard_test_bot").await?;
        let client = Client::new(&telegram.base_url);
        let path = format!("/bot{TOKEN}/sendMessage");

        let body = form(&[
            ("chat_id", "42"),
            ("text", "Thanks. We'll call you!"),
            ("parse_mode", "MarkdownV2"),
        ])?;
        let (status, refused) = client.send(Method::POST, &path, &[], body).await?;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(
            refused["description"],
            "Bad Request: can't parse entities: Character '.' is reserved and must be escaped with the preceding '\\'"
        );

        let body = form(&[
            ("chat_id", "42"),
            (
                "text",
                "*Thanks\\.* We'll call [you](https://example.com/a_b)\\!",
            ),
            ("parse_mode", "MarkdownV2"),
            ("reply_parameters", r#"{"message_id":7}"#),
        ])?;
        let (status, sent) = client.send(Method::POST, &path, &[], body).await?;
        assert_eq!(status, StatusCode::OK, "{sent}");
        assert_eq!(sent["result"]["chat"]["id"], 42);
        assert_eq!(sent["result"]["reply_to_message"]["message_id"], 7);

        let html = json!({ "chat_id": 42, "text": "1 <br> 2", "parse_mode": "HTML" });
        let (status, refused) = client.post(&path, &html).await?;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(
            refused["description"],
            "Bad Request: can't parse entities: Unsupported start tag \"br\" at byte offset 2"
        );
        let html = json!({ "chat_id": 42, "text": "<b>1 &lt; 2</b>", "parse_mode": "HTML", "reply_to_message_id": 9 });
        let (status, _) = client.post(&path, &html).await?;
        assert_eq!(status, StatusCode::OK);

        let sent = telegram.sent_messages();
        assert_eq!(sent.len(), 2);
        assert_eq!(sent[0].reply_to, Some(7));
        assert_eq!(sent[1].reply_to, Some(9));
        assert!(sent[1].message_id > sent[0].message_id);
        let calls = telegram
            .wait_for_calls("sendmessage", 4, Duration::from_secs(1))
            .await?;
        assert_eq!(calls[0].params["chat_id"], 42, "form values are typed");
        assert_eq!(calls[1].params["reply_parameters"]["message_id"], 7);
        Ok(())
    }

    #[tokio::test]
    async fn steering_files_and_updates() -> anyhow::Result<()> {
        let telegram = TelegramStandIn::start(TOKEN, "switchboard_test_bot").await?;
        let client = Client::new(&telegram.base_url);
        let send = format!("/bot{TOKEN}/sendMessage");
        let hello = json!({ "chat_id": 42, "text": "hello" });

        telegram.throttle_next(1, 7);
        let (status, throttled) = client.post(&send, &hello).await?;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(throttled["description"], "Too Many Requests: retry after 7");
        assert_eq!(throttled["parameters"]["retry_after"], 7);
        let (status, _) = client.post(&send, &hello).await?;
        assert_eq!(status, StatusCode::OK);
        telegram.block(42);
        let (status, blocked) = client.post(&send, &hello).await?;
        assert_eq!(status, StatusCode::FORBIDDEN);
        assert_eq!(
            blocked["description"],
            "Forbidden: bot was blocked by the user"
        );
        assert_eq!(telegram.sent_texts(), vec![(42, "hello".to_string())]);

        // A document uploaded in a multipart body, then read back through getFile.
        let body = b"--XyZ\r\nContent-Disposition: form-data; name=\"chat_id\"\r\n\r\n43\r\n\
            --XyZ\r\nContent-Disposition: form-data; name=\"document\"; filename=\"notes.txt\"\r\n\
            Content-Type: text/plain\r\n\r\nline one\r\nline two\r\n--XyZ--\r\n"
            .to_vec();
        let (status, sent) = client
            .send(
                Method::POST,
                &format!("/bot{TOKEN}/sendDocument"),
                &[],
                Some(("multipart/form-data; boundary=XyZ", body)),
            )
            .await?;
        assert_eq!(status, StatusCode::OK, "{sent}");
        assert_eq!(sent["result"]["document"]["file_name"], "notes.txt");
        assert_eq!(sent["result"]["document"]["mime_type"], "text/plain");
        let file_id = sent["result"]["document"]["file_id"]
            .as_str()
            .unwrap_or_default();
        let (_, file) = client
            .post(
                &format!("/bot{TOKEN}/getFile"),
                &json!({ "file_id": file_id }),
            )
            .await?;
        let file_path = file["result"]["file_path"].as_str().unwrap_or_default();
        let (status, bytes) = client
            .get_bytes(&format!("/file/bot{TOKEN}/{file_path}"))
            .await?;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(&bytes[..], b"line one\r\nline two");
        assert_eq!(
            telegram.calls_of("sendDocument")[0].file,
            Some(("notes.txt".to_string(), b"line one\r\nline two".to_vec()))
        );
        telegram.add_big_file("big", MAX_DOWNLOAD_BYTES + 1);
        let (status, big) = client
            .post(
                &format!("/bot{TOKEN}/getFile"),
                &json!({ "file_id": "big" }),
            )
            .await?;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(big["description"], "Bad Request: file is too big");

        // getUpdates hands out what was queued until it is confirmed, and not beside a webhook.
        telegram.queue_update(text_update(1, 10, 42, "Ann", Some("ann"), "/start"));
        telegram.queue_update(text_update(2, 11, 42, "Ann", None, "hi"));
        let updates = format!("/bot{TOKEN}/getUpdates");
        let (_, first) = client.post(&updates, &json!({ "limit": 1 })).await?;
        assert_eq!(first["result"][0]["message"]["text"], "/start");
        let (_, rest) = client
            .post(&updates, &json!({ "offset": 2, "timeout": 1 }))
            .await?;
        assert_eq!(rest["result"].as_array().map(Vec::len), Some(1));
        assert_eq!(rest["result"][0]["update_id"], 2);
        let webhook = json!({ "url": "https://gateway.test/hook", "secret_token": "s3cret_-" });
        let (_, set) = client
            .post(&format!("/bot{TOKEN}/setWebhook"), &webhook)
            .await?;
        assert_eq!(
            set,
            json!({ "ok": true, "result": true, "description": "Webhook was set" })
        );
        assert_eq!(
            telegram.webhook(),
            Some((
                "https://gateway.test/hook".to_string(),
                Some("s3cret_-".to_string())
            ))
        );
        let (status, conflict) = client.post(&updates, &json!({})).await?;
        assert_eq!(status, StatusCode::CONFLICT);
        assert_eq!(conflict["error_code"], 409);

        telegram.set_down(true);
        let (status, page) = client.get_bytes(&format!("/bot{TOKEN}/getMe")).await?;
        assert_eq!(status, StatusCode::BAD_GATEWAY);
        assert!(page.starts_with(b"<html>"));
        Ok(())
    }
}
