//! The visitor API that the chat widget calls, under `/widget/v1/{widget}`: its public
//! settings, visitor sessions, history, sending, uploads, typing and read signals, and the
//! event socket that resumes from the last event id. Visitors authenticate with a visitor token
//! (`Authorization: Bearer …`, or `?token=` on the socket); they see only their own messages.

use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::extract::ws::{Message as Frame, WebSocket};
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE, HOST, ORIGIN};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use switchboard_model::{
    Attachment, Author, Channel, ConversationFilter, EventId, EventKind, Id, Message, now_millis,
};
use switchboard_store::{FilePurpose, UploadQuota};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::client_address::ClientAddress;
use crate::error::body_too_large;
use crate::extract::{Json, Path, Query, Upgrade};
use crate::{ApiError, ApiResult, AppState};
use switchboard_services::ingest::{StoredPayload, StoredWidgetEvent, Unprocessed, through_plugin};
use switchboard_services::language::Language;
use switchboard_services::throttle::rate_limited;
use switchboard_services::widget::{self, Live, Presence, Side, SignalKind, Visitor};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(widget_config))
        .routes(routes!(start_session))
        .routes(routes!(history, send_message))
        .routes(routes!(upload))
        .routes(routes!(signal))
        .routes(routes!(socket))
        .routes(routes!(avatar))
}

/// The largest upload a widget takes unless its settings say less.
const DEFAULT_UPLOAD_BYTES: u64 = 10 * 1024 * 1024;
/// Media types visitors may upload unless the settings list others.
const DEFAULT_UPLOAD_TYPES: &[&str] = &["image/*", "application/pdf", "text/plain"];

/// The widget's public settings.
#[derive(Debug, Serialize, utoipa::ToSchema)]
struct WidgetConfig {
    color: String,
    /// `right` or `left`.
    position: String,
    greeting: String,
    locale: Option<String>,
    pre_chat: Vec<PreChatField>,
    /// Inside office hours (or none set).
    online: bool,
    max_upload_bytes: u64,
    upload_types: Vec<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
struct PreChatField {
    name: String,
    required: bool,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
struct LocaleQuery {
    /// `en`, `es` or `pt-BR`; picks the greeting.
    locale: Option<String>,
}

fn default_greeting(locale: &str) -> &'static str {
    match Language::of(locale) {
        Language::Spanish => "¡Hola! ¿En qué podemos ayudarte?",
        Language::Portuguese => "Olá! Como podemos ajudar?",
        Language::English => "Hi! How can we help?",
    }
}

/// Whether `now` falls in the channel's `office_hours`: `{"utc_offset_minutes": -180,
/// "days": [1,2,3,4,5], "from": "09:00", "to": "18:00"}` (days 0 = Sunday). None set: always.
fn online(channel: &Channel, now: i64) -> bool {
    let Some(hours) = channel
        .settings
        .get("office_hours")
        .filter(|hours| hours.is_object())
    else {
        return true;
    };
    let offset = hours["utc_offset_minutes"].as_i64().unwrap_or(0);
    let local_minutes = (now / 60_000) + offset;
    let day_index = local_minutes.div_euclid(24 * 60);
    let minute_of_day = local_minutes.rem_euclid(24 * 60);
    // 1970-01-01 was a Thursday (4).
    let weekday = (day_index + 4).rem_euclid(7);
    let days: Vec<i64> = hours["days"].as_array().map_or_else(
        || vec![1, 2, 3, 4, 5],
        |days| days.iter().filter_map(|d| d.as_i64()).collect(),
    );
    let minutes = |value: &serde_json::Value, default: i64| {
        value
            .as_str()
            .and_then(|text| text.split_once(':'))
            .and_then(|(h, m)| Some(h.parse::<i64>().ok()? * 60 + m.parse::<i64>().ok()?))
            .unwrap_or(default)
    };
    let (from, to) = (
        minutes(&hours["from"], 9 * 60),
        minutes(&hours["to"], 18 * 60),
    );
    days.contains(&weekday) && (from..to).contains(&minute_of_day)
}

/// The widget's public settings: colour, position, greeting, pre-chat form, office hours.
#[utoipa::path(get, path = "/widget/v1/{widget}/config", tag = "widget", security(()), params(("widget" = String, Path), LocaleQuery),
    responses((status = 200, body = WidgetConfig), (status = 404, body = switchboard_model::ErrorBody)))]
async fn widget_config(
    State(state): State<AppState>,
    Path(widget): Path<String>,
    Query(query): Query<LocaleQuery>,
) -> ApiResult<(
    [(axum::http::HeaderName, &'static str); 1],
    axum::Json<WidgetConfig>,
)> {
    let channel = widget::channel(&state, &widget).await?;
    let locale = query
        .locale
        .or_else(|| widget::text(&channel, "locale"))
        .unwrap_or_else(|| "en".into());
    let pre_chat = match channel
        .settings
        .get("pre_chat")
        .and_then(|fields| fields.as_array())
    {
        Some(fields) => fields
            .iter()
            .filter_map(|field| {
                let name = field["name"].as_str().or_else(|| field.as_str())?;
                matches!(name, "name" | "email").then(|| PreChatField {
                    name: name.to_string(),
                    required: field["required"].as_bool().unwrap_or(false),
                })
            })
            .collect(),
        None => Vec::new(),
    };
    // The loader reads this from the host page's origin; it is public and carries no cookie.
    let cors = [(axum::http::header::ACCESS_CONTROL_ALLOW_ORIGIN, "*")];
    Ok((
        cors,
        axum::Json(WidgetConfig {
            color: widget::text(&channel, "color")
                .filter(|color| valid_color(color))
                .unwrap_or_else(|| "#1f6feb".into()),
            position: widget::text(&channel, "position")
                .filter(|p| p == "left")
                .unwrap_or_else(|| "right".into()),
            greeting: widget::localized(&channel, "greeting", &locale)
                .unwrap_or_else(|| default_greeting(&locale).into()),
            locale: widget::text(&channel, "locale"),
            pre_chat,
            online: online(&channel, now_millis()),
            max_upload_bytes: upload_limit(&state, &channel),
            upload_types: upload_types(&channel),
        }),
    ))
}

/// `#rgb` or `#rrggbb`: the colour goes into a style, so nothing else gets through.
fn valid_color(color: &str) -> bool {
    color
        .strip_prefix('#')
        .is_some_and(|hex| matches!(hex.len(), 3 | 6) && hex.bytes().all(|b| b.is_ascii_hexdigit()))
}

fn upload_limit(state: &AppState, channel: &Channel) -> u64 {
    let most = state.services.config.max_attachment_bytes as u64;
    widget::text(channel, "max_upload_bytes")
        .and_then(|limit| limit.parse().ok())
        .unwrap_or(DEFAULT_UPLOAD_BYTES)
        .min(most)
}

fn upload_types(channel: &Channel) -> Vec<String> {
    match channel
        .settings
        .get("upload_types")
        .and_then(|types| types.as_array())
    {
        Some(types) => types
            .iter()
            .filter_map(|kind| kind.as_str().map(str::to_string))
            .collect(),
        None => DEFAULT_UPLOAD_TYPES
            .iter()
            .map(|kind| kind.to_string())
            .collect(),
    }
}

/// A session request: the token the browser kept, and a site's logged-in user.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
struct SessionRequest {
    #[serde(default)]
    token: Option<String>,
    #[serde(default)]
    #[schema(value_type = Object)]
    user: Option<serde_json::Value>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
struct SessionAnswer {
    token: String,
    /// The visitor already gave a name or email (no pre-chat form needed).
    known: bool,
}

/// Starts or resumes a visitor session. With `user` (`{id, name, email, hash}`, where `hash` is
/// the hex HMAC-SHA256 of `id` with the widget's `identity_secret`), the visitor becomes that
/// user, and their history follows them across browsers. A `hash` of `id`, a line break and
/// `email` vouches for the email too: the chat may go on by email to it with no confirmation.
#[utoipa::path(post, path = "/widget/v1/{widget}/visitors", tag = "widget", security(()), params(("widget" = String, Path)),
    request_body = SessionRequest, responses((status = 200, body = SessionAnswer), (status = 403, body = switchboard_model::ErrorBody)))]
async fn start_session(
    State(state): State<AppState>,
    Path(widget): Path<String>,
    headers: HeaderMap,
    client: ClientAddress,
    Json(request): Json<SessionRequest>,
) -> ApiResult<axum::Json<SessionAnswer>> {
    let channel = widget::channel(&state, &widget).await?;
    guard(&state, &channel, &headers, client)?;
    let kept = request
        .token
        .as_deref()
        .and_then(|token| Visitor::from_renewable_token(&state.secrets, token))
        .filter(|visitor| {
            visitor.channel_id == channel.id && visitor.workspace_id == channel.workspace_id
        });
    let visitor = match request.user.as_ref().filter(|user| !user.is_null()) {
        Some(user) => verified_user(&state, &channel, user).await?,
        None => match kept {
            Some(visitor) => visitor,
            None => Visitor {
                workspace_id: channel.workspace_id,
                channel_id: channel.id,
                id: format!("a-{}", hex::encode(rand::random::<[u8; 16]>())),
            },
        },
    };
    let known = state
        .store
        .contact_by_identity(channel.workspace_id, &visitor.identity())
        .await?
        .is_some_and(|contact| contact.email_to_write().is_some() || !contact.unnamed());
    Ok(axum::Json(SessionAnswer {
        token: visitor.token(&state.secrets),
        known,
    }))
}

/// A site's user, if the site vouched for them with the widget's identity secret.
async fn verified_user(
    state: &AppState,
    channel: &Channel,
    user: &serde_json::Value,
) -> ApiResult<Visitor> {
    let refused = |why: &str| {
        ApiError::new(
            StatusCode::FORBIDDEN,
            "identity_not_verified",
            why.to_string(),
        )
    };
    let id = user["id"]
        .as_str()
        .filter(|id| !id.is_empty() && id.len() <= 200)
        .ok_or_else(|| refused("`user.id` must be 1 to 200 characters"))?;
    let hash = user["hash"]
        .as_str()
        .ok_or_else(|| refused("`user.hash` is missing: the site must sign the user id"))?;
    let secrets = switchboard_services::plugins::channel_secrets(state, channel).await?;
    let secret = secrets
        .get("identity_secret")
        .ok_or_else(|| refused("this widget has no identity secret, so it cannot verify users"))?;
    // The hex HMAC-SHA256 of the id (or of the id, a line break and the email, which vouches
    // for the email too), as sites compute it with their language's standard library;
    // compared in constant time.
    let told = |field: &str| {
        user[field]
            .as_str()
            .map(str::trim)
            .filter(|value| !value.is_empty() && value.len() <= 200)
    };
    let email = told("email")
        .filter(|email| email.contains('@'))
        .map(str::to_lowercase);
    let signs = |data: &str| -> ApiResult<bool> {
        let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes())
            .map_err(|error| ApiError::internal(error.to_string()))?;
        mac.update(data.as_bytes());
        Ok(hex::decode(hash).is_ok_and(|hash| mac.verify_slice(&hash).is_ok()))
    };
    let email_vouched = match &email {
        Some(email) => signs(&format!("{id}\n{email}"))?,
        None => false,
    };
    if !email_vouched && !signs(id)? {
        return Err(refused("`user.hash` does not match the user id"));
    }
    let visitor = Visitor {
        workspace_id: channel.workspace_id,
        channel_id: channel.id,
        id: format!("u-{}", hex::encode(id.as_bytes())),
    };
    // The site vouched for the id; its name and email fill in what the contact lacks, and an
    // email another contact holds is kept aside (`given_email`), as the chat's form would.
    let name = told("name").map(str::to_string);
    if name.is_some() || email.is_some() {
        let who = switchboard_model::ContactRef {
            identity: visitor.identity(),
            name,
            email: email.clone(),
            phone: None,
        };
        let contact = state
            .store
            .introduce_contact(channel.workspace_id, who)
            .await?;
        if let Some(email) = email.filter(|_| email_vouched) {
            state
                .store
                .verify_email(channel.workspace_id, contact.id, &email)
                .await?;
        }
    }
    Ok(visitor)
}

/// Origin and per-address limits, for every visitor request.
fn guard(
    state: &AppState,
    channel: &Channel,
    headers: &HeaderMap,
    client: ClientAddress,
) -> ApiResult<()> {
    let header = |name| {
        headers
            .get(name)
            .and_then(|value: &axum::http::HeaderValue| value.to_str().ok())
    };
    if !widget::origin_allowed(channel, header(ORIGIN), header(HOST)) {
        return Err(ApiError::forbidden(format!(
            "the origin {} may not use this widget; add it to the widget's allowed origins",
            header(ORIGIN).unwrap_or_default()
        )));
    }
    if let Some(key) = client.limit_key() {
        state
            .widgets
            .limits
            .per_address
            .take(&key)
            .map_err(|wait| rate_limited("requests from this address", wait))?;
    }
    Ok(())
}

/// The visitor a request's bearer token names, for this widget.
async fn visitor(
    state: &AppState,
    widget: &str,
    headers: &HeaderMap,
    token: Option<&str>,
) -> ApiResult<(Channel, Visitor)> {
    let channel = widget::channel(state, widget).await?;
    let token = token.or_else(|| {
        headers
            .get(AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.strip_prefix("Bearer "))
    });
    let visitor = token
        .and_then(|token| Visitor::from_token(&state.secrets, token))
        .filter(|visitor| {
            visitor.channel_id == channel.id && visitor.workspace_id == channel.workspace_id
        })
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::UNAUTHORIZED,
                "unauthenticated",
                "a visitor token for this widget is needed",
            )
        })?;
    state.widgets.seen.saw(&visitor);
    Ok((channel, visitor))
}

/// A message as the visitor sees it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
struct VisitorMessage {
    id: Id,
    /// `visitor` or `agent`.
    from: &'static str,
    author: Option<String>,
    avatar: Option<String>,
    text: String,
    attachments: Vec<Attachment>,
    created_at: i64,
    client_id: Option<String>,
    /// The visitor's message was read by an agent.
    read: bool,
}

async fn visitor_view(
    state: &AppState,
    channel: &Channel,
    message: &Message,
) -> Option<VisitorMessage> {
    let (from, agent) = match &message.author {
        Author::Contact { .. } => ("visitor", None),
        Author::Agent { id } => (
            "agent",
            state.store.agent(message.workspace_id, *id).await.ok(),
        ),
        Author::Bot { .. } | Author::System => ("agent", None),
    };
    let avatar = agent
        .as_ref()
        .and_then(|agent| agent.avatar.as_ref())
        .map(|picture| {
            format!(
                "/widget/v1/{}.{}/avatars/{}",
                channel.workspace_id, channel.id, picture.sha256
            )
        });
    let author = agent.map(|agent| agent.name);
    if !message.direction.seen_by_contact() {
        return None;
    }
    Some(VisitorMessage {
        id: message.id,
        from,
        author,
        avatar,
        text: message.text.clone(),
        attachments: message.attachments.clone(),
        created_at: message.created_at,
        client_id: (from == "visitor")
            .then(|| message.external_id.clone())
            .flatten(),
        read: false,
    })
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
struct History {
    messages: Vec<VisitorMessage>,
    /// Open the socket with `after` set to this.
    last_event_id: EventId,
}

/// The newest messages of each conversation that the history shows.
const HISTORY_PER_CONVERSATION: usize = 500;

/// The visitor's conversation history on this widget, oldest first.
#[utoipa::path(get, path = "/widget/v1/{widget}/messages", tag = "widget", security(()), params(("widget" = String, Path)),
    responses((status = 200, body = History), (status = 401, body = switchboard_model::ErrorBody), (status = 403, body = switchboard_model::ErrorBody), (status = 429, body = switchboard_model::ErrorBody)))]
async fn history(
    State(state): State<AppState>,
    Path(widget): Path<String>,
    headers: HeaderMap,
    client: ClientAddress,
) -> ApiResult<axum::Json<History>> {
    let (channel, visitor) = visitor(&state, &widget, &headers, None).await?;
    guard(&state, &channel, &headers, client)?;
    let mut messages = Vec::new();
    let mut last_event_id = 0;
    if let Some(contact) = state
        .store
        .contact_by_identity(channel.workspace_id, &visitor.identity())
        .await?
    {
        let filter = ConversationFilter {
            contact_id: Some(contact.id),
            channel_id: Some(channel.id),
            limit: Some(20),
            ..ConversationFilter::default()
        };
        let mut conversations = state
            .store
            .conversations(channel.workspace_id, &filter)
            .await?
            .items;
        conversations.reverse();
        for conversation in conversations {
            last_event_id = last_event_id.max(conversation.last_event_id);
            let newest = state
                .store
                .latest_messages(
                    channel.workspace_id,
                    conversation.id,
                    HISTORY_PER_CONVERSATION,
                )
                .await?;
            let first = messages.len();
            for message in &newest {
                messages.extend(visitor_view(&state, &channel, message).await);
            }
            // The visitor's messages before the conversation's unread ones were read by agents.
            let mut unread = conversation.unread_count;
            for message in messages[first..].iter_mut().rev() {
                if message.from != "visitor" {
                    continue;
                }
                if unread > 0 {
                    unread -= 1;
                } else {
                    message.read = true;
                }
            }
        }
    }
    Ok(axum::Json(History {
        messages,
        last_event_id,
    }))
}

/// What the widget sends.
#[derive(Debug, Deserialize, Serialize, utoipa::ToSchema)]
struct Outgoing {
    /// The widget's id for the message; the same id twice is stored once.
    client_id: String,
    #[serde(default)]
    text: String,
    #[serde(default)]
    attachments: Vec<Attachment>,
    /// From the pre-chat or offline form.
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    email: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
struct Accepted {
    message_id: Id,
    conversation_id: Id,
}

/// The longest message a visitor may send, in characters.
const MAX_TEXT_CHARS: usize = 10_000;

/// Sends the visitor's message into their conversation.
#[utoipa::path(post, path = "/widget/v1/{widget}/messages", tag = "widget", security(()), params(("widget" = String, Path)),
    request_body = Outgoing, responses((status = 201, body = Accepted), (status = 422, body = switchboard_model::ErrorBody), (status = 429, body = switchboard_model::ErrorBody)))]
async fn send_message(
    State(state): State<AppState>,
    Path(widget): Path<String>,
    headers: HeaderMap,
    client: ClientAddress,
    Json(outgoing): Json<Outgoing>,
) -> ApiResult<(StatusCode, axum::Json<Accepted>)> {
    let (channel, visitor) = visitor(&state, &widget, &headers, None).await?;
    guard(&state, &channel, &headers, client)?;
    state
        .widgets
        .limits
        .per_visitor
        .take(&visitor.id)
        .map_err(|wait| rate_limited("messages", wait))?;
    if outgoing.text.chars().count() > MAX_TEXT_CHARS {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "too_long",
            format!("a message holds at most {MAX_TEXT_CHARS} characters"),
        ));
    }
    let payload = StoredPayload::Widget(StoredWidgetEvent {
        visitor_id: visitor.id.clone(),
        kind: "message".into(),
        payload: serde_json::to_string(&outgoing)
            .map_err(|error| ApiError::internal(error.to_string()))?,
    });
    match through_plugin(&state, &channel, &payload).await? {
        Ok(ingested) => {
            let first = ingested
                .first()
                .ok_or_else(|| ApiError::internal("the webchat adapter stored nothing"))?;
            Ok((
                StatusCode::CREATED,
                axum::Json(Accepted {
                    message_id: first.message_id,
                    conversation_id: first.conversation_id,
                }),
            ))
        }
        Err(Unprocessed::Busy(reason)) => Err(Unprocessed::busy(&reason).into()),
        Err(Unprocessed::Refused(reason)) => Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_message",
            reason,
        )),
    }
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
struct UploadQuery {
    /// The file's name.
    name: String,
}

/// Uploads a file for the next message (size and type limits from the widget's settings).
#[utoipa::path(post, path = "/widget/v1/{widget}/attachments", tag = "widget", security(()), params(("widget" = String, Path), UploadQuery),
    request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses((status = 201, body = Attachment), (status = 413, body = switchboard_model::ErrorBody), (status = 415, body = switchboard_model::ErrorBody),
        (status = 429, body = switchboard_model::ErrorBody, description = "`over_quota`: the visitor's or the site's files for today add up to the daily quota"),
        (status = 507, body = switchboard_model::ErrorBody, description = "`insufficient_storage`: the gateway's disk is under its reserve")))]
async fn upload(
    State(state): State<AppState>,
    Path(widget): Path<String>,
    Query(query): Query<UploadQuery>,
    headers: HeaderMap,
    client: ClientAddress,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<(StatusCode, axum::Json<Attachment>)> {
    let (channel, visitor) = visitor(&state, &widget, &headers, None).await?;
    guard(&state, &channel, &headers, client)?;
    state
        .widgets
        .limits
        .per_visitor
        .take(&visitor.id)
        .map_err(|wait| rate_limited("uploads", wait))?;
    let body = body.map_err(|_| body_too_large())?;
    let limit = upload_limit(&state, &channel);
    if body.len() as u64 > limit {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
            format!("files may be at most {limit} bytes"),
        ));
    }
    let media_type = headers
        .get(CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or("application/octet-stream")
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    let accepted = upload_types(&channel).iter().any(|kind| {
        kind == &media_type
            || kind
                .strip_suffix("/*")
                .is_some_and(|family| media_type.starts_with(&format!("{family}/")))
    });
    if !accepted {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "file_type",
            format!("files of type {media_type} cannot be sent here"),
        ));
    }
    let name: String = query
        .name
        .chars()
        .filter(|c| !c.is_control() && !matches!(c, '/' | '\\'))
        .take(200)
        .collect();
    let size = body.len() as u64;
    let quota = UploadQuota {
        visitor: visitor.id.to_string(),
        visitor_bytes_per_day: state.services.config.uploads.visitor_bytes_per_day,
        workspace_bytes_per_day: state.services.config.uploads.workspace_bytes_per_day,
    };
    let sha256 = state
        .store
        .put_blob(
            channel.workspace_id,
            body.to_vec(),
            limit,
            FilePurpose::VisitorUpload(quota),
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(Attachment {
            sha256,
            name,
            media_type,
            size,
        }),
    ))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
struct Signal {
    /// `typing` or `read`.
    kind: String,
}

/// The visitor is typing, or has read the conversation.
#[utoipa::path(post, path = "/widget/v1/{widget}/signals", tag = "widget", security(()), params(("widget" = String, Path)),
    request_body = Signal, responses((status = 204), (status = 401, body = switchboard_model::ErrorBody), (status = 403, body = switchboard_model::ErrorBody), (status = 429, body = switchboard_model::ErrorBody)))]
async fn signal(
    State(state): State<AppState>,
    Path(widget): Path<String>,
    headers: HeaderMap,
    client: ClientAddress,
    Json(signal): Json<Signal>,
) -> ApiResult<StatusCode> {
    let (channel, visitor) = visitor(&state, &widget, &headers, None).await?;
    guard(&state, &channel, &headers, client)?;
    // Every agent socket of the workspace wakes for a signal: a visitor gets a few a second.
    state
        .widgets
        .limits
        .signals_per_visitor
        .take(&visitor.id)
        .map_err(|wait| rate_limited("typing and read signals", wait))?;
    let Some(contact) = state
        .store
        .contact_by_identity(channel.workspace_id, &visitor.identity())
        .await?
    else {
        return Ok(StatusCode::NO_CONTENT);
    };
    let filter = ConversationFilter {
        contact_id: Some(contact.id),
        channel_id: Some(channel.id),
        limit: Some(1),
        ..ConversationFilter::default()
    };
    let Some(conversation) = state
        .store
        .conversations(channel.workspace_id, &filter)
        .await?
        .items
        .into_iter()
        .next()
    else {
        return Ok(StatusCode::NO_CONTENT);
    };
    let kind = match signal.kind.as_str() {
        "typing" => SignalKind::Typing,
        "read" => SignalKind::Read,
        other => {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid",
                format!("`{other}` is not a signal: use typing or read"),
            ));
        }
    };
    state.widgets.presence.publish(Presence {
        workspace_id: channel.workspace_id,
        conversation_id: conversation.id,
        from: Side::Visitor,
        kind,
        author: Some(contact.name),
    });
    Ok(StatusCode::NO_CONTENT)
}

/// An agent's avatar, for the widget's `<img>`. Public, since an image request carries no
/// token; only pictures of the widget's own workspace's agents are served, by their hash.
#[utoipa::path(get, path = "/widget/v1/{widget}/avatars/{sha256}", tag = "widget", security(()), params(("widget" = String, Path), ("sha256" = String, Path)),
    responses((status = 200, content_type = "image/png"), (status = 404, body = switchboard_model::ErrorBody)))]
async fn avatar(
    State(state): State<AppState>,
    Path((widget, sha256)): Path<(String, String)>,
) -> ApiResult<Response> {
    use axum::http::header::{CACHE_CONTROL, X_CONTENT_TYPE_OPTIONS};
    use axum::response::IntoResponse;

    let channel = widget::channel(&state, &widget).await?;
    let agents = state.store.agents(channel.workspace_id).await?;
    let picture = agents
        .iter()
        .filter_map(|agent| agent.avatar.as_ref())
        .find(|picture| picture.sha256 == sha256)
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::NOT_FOUND,
                "no_avatar",
                format!("no agent of this widget has the avatar {sha256}"),
            )
        })?;
    let bytes = state.store.blob(channel.workspace_id, &sha256).await?;
    Ok((
        [
            (CONTENT_TYPE, picture.media_type.clone()),
            (X_CONTENT_TYPE_OPTIONS, "nosniff".into()),
            // Named by its hash: the same address always holds the same picture.
            (CACHE_CONTROL, "public, max-age=31536000, immutable".into()),
        ],
        bytes,
    )
        .into_response())
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
struct SocketQuery {
    token: String,
    /// The last event id the widget saw.
    after: Option<EventId>,
}

/// What the socket sends the widget.
#[derive(Debug, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum VisitorEvent {
    Message {
        id: EventId,
        message: VisitorMessage,
    },
    Typing {
        typing: bool,
        author: Option<String>,
    },
    Read {
        up_to: Id,
    },
}

/// The visitor's events: their messages and agents' replies after `after`, then live ones;
/// agents typing; read receipts.
#[utoipa::path(get, path = "/widget/v1/{widget}/socket", tag = "widget", security(()), params(("widget" = String, Path), SocketQuery),
    responses((status = 101, description = "switching to the WebSocket protocol"),
        (status = 400, body = switchboard_model::ErrorBody, description = "`not_a_websocket`: a request that is no WebSocket handshake")))]
async fn socket(
    State(state): State<AppState>,
    Path(widget): Path<String>,
    Query(query): Query<SocketQuery>,
    headers: HeaderMap,
    client: ClientAddress,
    Upgrade(upgrade): Upgrade,
) -> ApiResult<Response> {
    let (channel, visitor) = visitor(&state, &widget, &headers, Some(&query.token)).await?;
    guard(&state, &channel, &headers, client)?;
    let after = query.after.unwrap_or(0);
    Ok(upgrade
        .max_message_size(4 * 1024)
        .on_upgrade(move |socket| async move {
            if let Err(error) = stream(socket, state, channel, visitor, after).await {
                tracing::debug!(%error, "a visitor socket closed");
            }
        }))
}

async fn stream(
    mut socket: WebSocket,
    state: AppState,
    channel: Channel,
    visitor: Visitor,
    mut last: EventId,
) -> Result<(), String> {
    let workspace_id = channel.workspace_id;
    let _in_chat = state.widgets.seen.enter(&visitor);
    // Joined first, then the backlog is read: an event is sent once, in order.
    let mut live = state.widgets.feeds.join(
        state.bus.as_ref(),
        &state.widgets.presence,
        state.store.clone(),
        workspace_id,
        channel.id,
        &visitor.id,
    );
    let mut contact = None;
    let mut ping = tokio::time::interval(std::time::Duration::from_secs(30));
    ping.reset();
    catch_up(
        &mut socket,
        &state,
        &channel,
        &visitor,
        &mut contact,
        &mut last,
    )
    .await?;
    loop {
        tokio::select! {
            live = live.next() => match live {
                Some(Live::Event(event)) if event.id > last => {
                    send_event(&mut socket, &state, &channel, &visitor, &mut contact, event.id, &event.kind).await?;
                    last = event.id;
                }
                Some(Live::Event(_)) => {}
                Some(Live::Typing(author)) => {
                    send(&mut socket, &VisitorEvent::Typing { typing: true, author }).await?;
                }
                // Some could not wait for this socket: the store has them.
                None => catch_up(&mut socket, &state, &channel, &visitor, &mut contact, &mut last).await?,
            },
            incoming = socket.recv() => match incoming {
                None | Some(Ok(Frame::Close(_))) => return Ok(()),
                Some(Err(error)) => return Err(error.to_string()),
                Some(Ok(_)) => {}
            },
            _ = ping.tick() => socket.send(Frame::Ping(Default::default())).await.map_err(|e| e.to_string())?,
        }
    }
}

/// Sends the visitor's stored events after `last`.
/// Sends what the visitor missed after `last`: the messages of their own conversations on this
/// widget (at most the newest of each that the history shows), and a read receipt for each that
/// agents have read since. Only those conversations are read, never the workspace's log, so a
/// socket opened with `after=0` costs no more than the history.
async fn catch_up(
    socket: &mut WebSocket,
    state: &AppState,
    channel: &Channel,
    visitor: &Visitor,
    contact: &mut Option<Id>,
    last: &mut EventId,
) -> Result<(), String> {
    if contact.is_none() {
        *contact = state
            .store
            .contact_by_identity(channel.workspace_id, &visitor.identity())
            .await
            .map_err(|e| e.to_string())?
            .map(|c| c.id);
    }
    let Some(contact_id) = *contact else {
        return Ok(());
    };
    let filter = ConversationFilter {
        contact_id: Some(contact_id),
        channel_id: Some(channel.id),
        limit: Some(20),
        ..ConversationFilter::default()
    };
    let conversations = state
        .store
        .conversations(channel.workspace_id, &filter)
        .await
        .map_err(|e| e.to_string())?
        .items;
    let mut missed = Vec::new();
    let mut read = false;
    let mut newest = *last;
    for conversation in conversations {
        if conversation.last_event_id <= *last {
            continue;
        }
        newest = newest.max(conversation.last_event_id);
        read |= conversation.unread_count == 0;
        missed.extend(
            state
                .store
                .messages_since(
                    channel.workspace_id,
                    conversation.id,
                    *last,
                    HISTORY_PER_CONVERSATION,
                )
                .await
                .map_err(|e| e.to_string())?,
        );
    }
    missed.sort_by_key(|(event_id, _)| *event_id);
    for (id, message) in missed {
        if let Some(message) = visitor_view(state, channel, &message).await {
            send(socket, &VisitorEvent::Message { id, message }).await?;
        }
    }
    if read {
        send(socket, &VisitorEvent::Read { up_to: Id::MAX }).await?;
    }
    *last = newest;
    Ok(())
}

async fn send(socket: &mut WebSocket, event: &VisitorEvent) -> Result<(), String> {
    let text = serde_json::to_string(event).map_err(|e| e.to_string())?;
    socket
        .send(Frame::Text(text.into()))
        .await
        .map_err(|e| e.to_string())
}

async fn send_event(
    socket: &mut WebSocket,
    state: &AppState,
    channel: &Channel,
    visitor: &Visitor,
    contact: &mut Option<Id>,
    id: EventId,
    kind: &EventKind,
) -> Result<(), String> {
    let event = match kind {
        EventKind::MessageCreated {
            conversation,
            message,
        } if conversation.channel_id == channel.id => {
            if contact.is_none() {
                *contact = state
                    .store
                    .contact_by_identity(channel.workspace_id, &visitor.identity())
                    .await
                    .map_err(|e| e.to_string())?
                    .map(|c| c.id);
            }
            if Some(conversation.contact_id) != *contact {
                return Ok(());
            }
            let Some(message) = visitor_view(state, channel, message).await else {
                return Ok(());
            };
            VisitorEvent::Message { id, message }
        }
        // An agent opened the conversation: everything the visitor wrote so far is read.
        EventKind::ConversationUpdated(conversation)
            if conversation.channel_id == channel.id
                && Some(conversation.contact_id) == *contact
                && conversation.unread_count == 0 =>
        {
            VisitorEvent::Read { up_to: Id::MAX }
        }
        _ => return Ok(()),
    };
    send(socket, &event).await
}
