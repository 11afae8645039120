//! The pages the gateway serves besides its API: the agent console (sign-in at `/`, the app at
//! `/app/…`), the widget's loader (`/widget/loader.js`), the
//! chat frame and the chat app Trunk built (`/widget/frame.html`, `/widget/app/…`), the demo
//! pages (`/demo/…`, with the demo widget filled in; only when `web.demo_pages` is on) and the
//! install guides (`/install/…`).
//!
//! Every page is served with a strict Content Security Policy: scripts only from the gateway,
//! and an inline script only by the hash of the script the file itself holds, so that a value
//! that slipped into a page can never run. Values put into a page are HTML-escaped. The chat
//! frame may be embedded only by the widget's allowed origins (`frame-ancestors`).

use std::path::{Path as FsPath, PathBuf};

use axum::Router;
use axum::extract::Request;
use axum::extract::State;
use axum::http::header::{
    CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, HOST, REFERRER_POLICY,
};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use switchboard_model::ChannelKind;
use tower::ServiceExt;
use tower_http::services::{ServeDir, ServeFile};
use tower_http::set_header::SetResponseHeaderLayer;

use crate::extract::{Path, Query};
use crate::{ApiError, ApiResult, AppState};

/// Where the served files are.
#[derive(Debug, Clone)]
pub struct WebRoot {
    /// `www/`: loader, demo pages, install guides.
    pub www: PathBuf,
    /// Trunk's output for the chat app.
    pub widget: PathBuf,
    /// Trunk's output for the agent console.
    pub console: PathBuf,
    /// Serve the demo pages under `/demo/` (`cargo xtask run` turns them on).
    pub demo_pages: bool,
}

/// The policy of a page that sets none itself (the install guides).
const STRICT_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

pub fn routes(root: &WebRoot) -> Router<AppState> {
    let mut router = Router::new()
        .route("/", get(console_page))
        .route("/app", get(|| async { Redirect::permanent("/app/") }))
        .route("/app/", get(console_page))
        .route("/app/{*path}", get(console_file))
        .route("/widget/loader.js", get(loader))
        .route("/widget/frame.html", get(frame))
        .nest_service(
            "/widget/app",
            ServeDir::new(&root.widget)
                .precompressed_br()
                .precompressed_gzip(),
        )
        .nest_service("/install", ServeDir::new(root.www.join("install")));
    if root.demo_pages {
        router = router
            .route("/demo/{page}", get(demo))
            .route("/demo/", get(demo_index));
    }
    router.layer(SetResponseHeaderLayer::if_not_present(
        CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(STRICT_POLICY),
    ))
}

fn read(file: &FsPath) -> ApiResult<String> {
    std::fs::read_to_string(file).map_err(|_| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "no_route",
            format!("{} is not built or not installed", file.display()),
        )
    })
}

async fn loader(State(state): State<AppState>) -> ApiResult<Response> {
    let script = read(&state.config.web.www.join("widget/loader.js"))?;
    Ok((
        [
            (CONTENT_TYPE, "text/javascript; charset=utf-8"),
            // Sites keep the snippet for years: let a new loader reach them within minutes.
            (CACHE_CONTROL, "public, max-age=300"),
        ],
        script,
    )
        .into_response())
}

#[derive(Debug, Deserialize)]
struct FrameQuery {
    /// The widget id.
    w: Option<String>,
}

/// The chat app's page. Only the widget's allowed origins may frame it.
async fn frame(
    State(state): State<AppState>,
    Query(query): Query<FrameQuery>,
) -> ApiResult<Response> {
    let html = read(&state.config.web.widget.join("index.html"))?;
    let ancestors = match &query.w {
        Some(widget) => {
            let allowed = switchboard_services::widget::allowed_origins(
                &switchboard_services::widget::channel(&state, widget).await?,
            );
            if allowed.is_empty() {
                "*".to_string()
            } else {
                allowed.join(" ")
            }
        }
        // Without a widget the page has no one to allow.
        None => "'none'".to_string(),
    };
    // Trunk starts the app with an inline module script, allowed by its hash.
    let policy = format!(
        "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'{}; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors {ancestors}",
        inline_script_hashes(&html)
    );
    html_page(html, &policy)
}

/// The console's page: the same at `/` (where it signs the agent in) and at every address of
/// the app under `/app/`, which it reads to open the right screen.
async fn console_page(State(state): State<AppState>) -> ApiResult<Response> {
    app_page(&state, "index.html")
}

/// The settings' page, at every address under `/app/settings` (its files are under
/// `/app/admin/`, built apart so that agents never load them).
const SETTINGS_PAGE: &str = "admin/index.html";

/// One of the console's two pages (Trunk's `index.html` of each). Nobody may frame it.
fn app_page(state: &AppState, page: &str) -> ApiResult<Response> {
    let html = read(&state.config.web.console.join(page))?;
    let policy = format!(
        "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'{}; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
        inline_script_hashes(&html)
    );
    let mut page = html_page(html, &policy)?;
    // A new build must reach agents at their next reload; its files carry their hash.
    page.headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    Ok(page)
}

/// One of the console's built files (`/app/switchboard-console-….wasm`, or the settings'
/// `/app/admin/switchboard-settings-….wasm`), else the settings' page for their addresses
/// (`/app/settings/teams`), else the console's page for an address of the app
/// (`/app/conversations/12`).
async fn console_file(
    state: State<AppState>,
    Path(path): Path<String>,
    request: Request,
) -> ApiResult<Response> {
    if path == "settings" || path.starts_with("settings/") {
        return app_page(&state, SETTINGS_PAGE);
    }
    let name = path.strip_prefix("admin/").unwrap_or(&path);
    let plain_name = !name.contains(['/', '\\']) && !name.starts_with('.');
    let file = state.config.web.console.join(&path);
    if !plain_name || name == "index.html" || !file.is_file() {
        return console_page(state).await;
    }
    // The build puts a brotli and a gzipped copy beside each file (`cargo xtask` does); a
    // browser gets the smaller one it takes, with the type and length headers a compressed
    // answer needs.
    ServeFile::new(file)
        .precompressed_br()
        .precompressed_gzip()
        .oneshot(request)
        .await
        .map(IntoResponse::into_response)
        .map_err(|error| ApiError::internal(error.to_string()))
}

/// A page the gateway writes itself, with no script, style or image: nothing but its text and
/// forms that post back to the gateway.
pub(crate) fn strict_page(html: String) -> ApiResult<Response> {
    html_page(
        html,
        "default-src 'none'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
    )
}

/// A message's sanitized HTML as a page of its own, for the console to show in a sandboxed
/// frame: no script, form or plugin; links open in a new tab; images only from the message
/// itself (`data:`) unless the agent chose to load remote ones, which tell a sender that the
/// mail was opened. Only the console may frame it, and no referrer leaves with a request.
pub(crate) fn email_page(sanitized: &str, remote_images: bool) -> ApiResult<Response> {
    let images = if remote_images {
        "data: https: http:"
    } else {
        "data:"
    };
    let policy = format!(
        "default-src 'none'; style-src 'unsafe-inline'; img-src {images}; form-action 'none'; base-uri 'none'; frame-ancestors 'self'; sandbox allow-popups allow-popups-to-escape-sandbox"
    );
    let html = format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><base target=\"_blank\">\
         <style>body{{font:14px/1.45 system-ui,sans-serif;margin:8px;color:#1d2430;overflow-wrap:anywhere}}\
         img{{max-width:100%;height:auto}}</style></head><body>{sanitized}</body></html>"
    );
    let mut page = html_page(html, &policy)?;
    let headers = page.headers_mut();
    headers.insert(REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    Ok(page)
}

/// An HTML page with its policy.
fn html_page(html: String, policy: &str) -> ApiResult<Response> {
    let policy =
        HeaderValue::from_str(policy).map_err(|error| ApiError::internal(error.to_string()))?;
    Ok((
        [
            (
                CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            ),
            (CONTENT_SECURITY_POLICY, policy),
        ],
        html,
    )
        .into_response())
}

/// `'sha256-…'` sources, each with a space before it, for the inline `<script>` elements of a
/// page as its file holds them: read before any value is put into the page, so that nothing
/// put in can add an allowed script.
fn inline_script_hashes(html: &str) -> String {
    html.split("<script")
        .skip(1)
        .filter_map(|rest| {
            let (attributes, body) = rest.split_once('>')?;
            let (body, _) = body.split_once("</script>")?;
            (!attributes.contains("src=")).then_some(body)
        })
        .map(|script| {
            format!(
                " 'sha256-{}'",
                STANDARD.encode(Sha256::digest(script.as_bytes()))
            )
        })
        .collect()
}

#[derive(Debug, Deserialize)]
struct DemoQuery {
    /// Which widget the page shows; the first webchat channel when absent.
    widget: Option<String>,
}

async fn demo_index(
    state: State<AppState>,
    headers: HeaderMap,
    query: Query<DemoQuery>,
) -> ApiResult<Response> {
    demo(state, Path("index.html".into()), headers, query).await
}

/// A demo page with the snippet pointing at this gateway and a real widget.
async fn demo(
    State(state): State<AppState>,
    Path(page): Path<String>,
    headers: HeaderMap,
    Query(query): Query<DemoQuery>,
) -> ApiResult<Response> {
    if page.contains(['/', '\\']) || page.starts_with('.') {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "no_route",
            format!("there is no demo page {page}"),
        ));
    }
    let file = state.config.web.www.join("demo").join(&page);
    if page.ends_with(".js") {
        return Ok((
            [(CONTENT_TYPE, "text/javascript; charset=utf-8")],
            read(&file)?,
        )
            .into_response());
    }
    if !page.ends_with(".html") {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "no_route",
            format!("there is no demo page {page}"),
        ));
    }
    let html = read(&file)?;
    let policy = format!(
        "default-src 'self'; script-src 'self'{}; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
        inline_script_hashes(&html)
    );
    let widget = match query.widget {
        Some(widget) => widget,
        None => first_widget(&state).await?.unwrap_or_default(),
    };
    let host = headers
        .get(HOST)
        .and_then(|host| host.to_str().ok())
        .unwrap_or("127.0.0.1:8080");
    let gateway = format!("http://{host}");
    let html = html
        .replace("{{WIDGET_ID}}", &ammonia::clean_text(&widget))
        .replace("{{GATEWAY}}", &ammonia::clean_text(&gateway));
    html_page(html, &policy)
}

/// The first webchat channel of the first workspace, as a widget id.
pub async fn first_widget(state: &AppState) -> ApiResult<Option<String>> {
    for workspace in state.store.workspaces().await? {
        for channel in state.store.channels(workspace.id).await? {
            if channel.kind == ChannelKind::WEBCHAT && channel.active {
                return Ok(Some(format!("{}.{}", workspace.id, channel.id)));
            }
        }
    }
    Ok(None)
}
