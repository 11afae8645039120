//! The widget's public settings, which the loader asks for before it draws anything.

use std::collections::BTreeMap;

use axum::extract::State;
use axum::http::HeaderMap;
use axum::http::header::{ACCESS_CONTROL_ALLOW_ORIGIN, ORIGIN};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use switchboard_model::{WebchatSettings, WidgetConfig, now_millis};

use crate::client_address::ClientAddress;
use crate::extract::{Path, Query};
use crate::{ApiResult, AppState};
use switchboard_services::language::Language;
use switchboard_services::widget::{self, office_hours, refused_origins};

/// The largest upload a widget takes unless its settings say less.
const DEFAULT_UPLOAD_BYTES: u64 = 10 * 1024 * 1024;
/// Media types visitors may upload unless the settings list others.
const DEFAULT_UPLOAD_TYPES: &[&str] = &["image/*", "application/pdf", "text/plain"];

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub(super) struct LocaleQuery {
    /// `en`, `es` or `pt-BR`; picks the greeting.
    locale: Option<String>,
}

/// The launcher's names in the three languages, closed then open.
fn launcher_names() -> BTreeMap<String, [String; 2]> {
    [
        ("en", ["Open chat", "Close chat"]),
        ("es", ["Abrir chat", "Cerrar chat"]),
        ("pt-BR", ["Abrir chat", "Fechar chat"]),
    ]
    .into_iter()
    .map(|(language, names)| (language.to_string(), names.map(str::to_string)))
    .collect()
}

fn default_greeting(locale: &str) -> &'static str {
    match Language::of(locale) {
        Language::Spanish => "¡Hola! ¿En qué podemos ayudarte?",
        Language::Portuguese => "Olá! Como podemos ajudar?",
        Language::English => "Hi! How can we help?",
    }
}

/// The widget's public settings: colour, position, greeting, pre-chat form, office hours. A
/// page on a site the widget does not allow gets `403 origin_not_allowed`, and the refusal is
/// counted for the channel's admins (`GET /api/v1/channels/{id}/refused-origins`).
#[utoipa::path(get, path = "/widget/v1/{widget}/config", tag = "widget", security(()), params(("widget" = String, Path), LocaleQuery),
    responses((status = 200, body = WidgetConfig), (status = 403, body = switchboard_model::ErrorBody),
        (status = 404, body = switchboard_model::ErrorBody), (status = 409, body = switchboard_model::ErrorBody)))]
pub(super) async fn widget_config(
    State(state): State<AppState>,
    Path(widget): Path<String>,
    Query(query): Query<LocaleQuery>,
    headers: HeaderMap,
    client: ClientAddress,
) -> Response {
    // The loader reads this from the host page's origin, and a refusal too: it tells the site's
    // owner why in the browser's console. It is public and carries no cookie.
    let cors = [(ACCESS_CONTROL_ALLOW_ORIGIN, "*")];
    let config = config_for_page(&state, &widget, query, &headers, client).await;
    (cors, config.map(axum::Json)).into_response()
}

async fn config_for_page(
    state: &AppState,
    widget: &str,
    query: LocaleQuery,
    headers: &HeaderMap,
    client: ClientAddress,
) -> ApiResult<WidgetConfig> {
    let channel = widget::channel(state, widget).await?;
    if let Err(refusal) = super::check_site(&channel, headers) {
        // Counted for the admins, within the address's limit so that no client writes without end.
        let within_limit = client
            .limit_key()
            .is_none_or(|key| state.widgets.limits.per_address.take(&key).is_ok());
        let origin = headers.get(ORIGIN).and_then(|value| value.to_str().ok());
        if let (true, Some(origin)) = (within_limit, origin)
            && let Err(fault) = refused_origins::record(state, &channel, origin).await
        {
            tracing::warn!(channel_id = channel.id, reason = %fault.message, "cannot count a refused site");
        }
        return Err(refusal);
    }
    let settings = WebchatSettings::read(&channel.settings);
    let locale = query
        .locale
        .or_else(|| settings.locale.clone())
        .unwrap_or_else(|| "en".into());
    let greeting = settings
        .greeting
        .in_locale(&locale)
        .map_or_else(|| default_greeting(&locale).to_string(), str::to_string);
    let pre_chat = settings
        .pre_chat
        .iter()
        .filter(|field| matches!(field.name.as_str(), "name" | "email"))
        .cloned()
        .collect();
    let (max_upload_bytes, upload_types) =
        (upload_limit(state, &settings), upload_types(&settings));
    Ok(WidgetConfig {
        color: settings
            .color
            .filter(|color| widget::valid_color(color))
            .unwrap_or_else(|| "#1f6feb".into()),
        position: settings
            .position
            .filter(|p| p == "left")
            .unwrap_or_else(|| "right".into()),
        greeting,
        pre_chat,
        online: office_hours::staffed(&channel, now_millis()),
        max_upload_bytes,
        upload_types,
        locale: settings.locale,
        launcher: launcher_names(),
    })
}

pub(super) fn upload_limit(state: &AppState, settings: &WebchatSettings) -> u64 {
    let most = state.services.config.max_attachment_bytes as u64;
    settings
        .max_upload_bytes
        .unwrap_or(DEFAULT_UPLOAD_BYTES)
        .min(most)
}

pub(super) fn upload_types(settings: &WebchatSettings) -> Vec<String> {
    settings.upload_types.clone().unwrap_or_else(|| {
        DEFAULT_UPLOAD_TYPES
            .iter()
            .map(|kind| kind.to_string())
            .collect()
    })
}
