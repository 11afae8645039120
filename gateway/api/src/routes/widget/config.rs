//! The widget's public settings, which the loader asks for before it draws anything.

use axum::extract::State;
use serde::{Deserialize, Serialize};
use switchboard_model::{Channel, now_millis};

use crate::extract::{Path, Query};
use crate::{ApiResult, AppState};
use switchboard_services::language::Language;
use switchboard_services::widget::{self, office_hours};

/// The largest upload a widget takes unless its settings say less.
const DEFAULT_UPLOAD_BYTES: u64 = 10 * 1024 * 1024;
/// Media types visitors may upload unless the settings list others.
const DEFAULT_UPLOAD_TYPES: &[&str] = &["image/*", "application/pdf", "text/plain"];

/// The widget's public settings.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(super) struct WidgetConfig {
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
pub(super) struct PreChatField {
    name: String,
    required: bool,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub(super) struct LocaleQuery {
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

/// The widget's public settings: colour, position, greeting, pre-chat form, office hours.
#[utoipa::path(get, path = "/widget/v1/{widget}/config", tag = "widget", security(()), params(("widget" = String, Path), LocaleQuery),
    responses((status = 200, body = WidgetConfig), (status = 404, body = switchboard_model::ErrorBody)))]
pub(super) async fn widget_config(
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
            online: office_hours::staffed(&channel, now_millis()),
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

pub(super) fn upload_limit(state: &AppState, channel: &Channel) -> u64 {
    let most = state.services.config.max_attachment_bytes as u64;
    widget::text(channel, "max_upload_bytes")
        .and_then(|limit| limit.parse().ok())
        .unwrap_or(DEFAULT_UPLOAD_BYTES)
        .min(most)
}

pub(super) fn upload_types(channel: &Channel) -> Vec<String> {
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
