//! Switchboard's HTTP edge: the REST API under `/api/v1`, the agents' WebSocket event stream,
//! login, `/healthz`, Prometheus `/metrics` and the OpenAPI description.
//!
//! Every route but login, health and the API description needs a [`Caller`] (a session cookie
//! or a bearer token) and sees only the caller's workspace. Handlers return [`ApiError`] for
//! every failure. The binary serves [`router`] with [`serve`], whose connections the event
//! fan-out writes to directly.

mod auth;
mod client_address;
mod connection;
mod email;
mod error;
mod extract;
mod fanout;
mod fetch;
mod inbound_rules;
mod ingest;
mod language;
mod observe;
mod outbox;
mod plugins;
mod routes;
mod secrets;
mod throttle;
mod web;
mod widget;

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use axum::Router;
use metrics_exporter_prometheus::PrometheusHandle;
use switchboard_store::{EventBus, Store};

pub use auth::{Caller, SESSION_COOKIE, hash_password};
pub use connection::serve;
pub use email::MailService;
pub use email::forwarding::Forwarding;
pub use email::sync::spawn as spawn_mailbox_sync;
pub use error::{ApiError, ApiResult};
pub use fanout::FanOut;
pub use fetch::{FetchPolicy, HttpFetcher};
pub use outbox::{QueuedReplies, deliver_due, deliver_queued};
pub use plugins::Plugins;
pub use secrets::SecretBox;
pub use web::{WebRoot, first_widget};
pub use widget::Widgets;

/// Limits and switches of the API, set from the gateway's configuration.
#[derive(Debug, Clone)]
pub struct ApiConfig {
    /// How long a console login lasts.
    pub session_hours: u32,
    /// Largest request body accepted, in bytes.
    pub max_body_bytes: usize,
    /// Mark the session cookie `Secure` (turn on behind HTTPS).
    pub secure_cookies: bool,
    /// Largest attachment accepted, in bytes.
    pub max_attachment_bytes: usize,
    /// Where the widget, demo pages and install guides are read from.
    pub web: WebRoot,
    /// Proxies whose `Forwarded` / `X-Forwarded-For` headers name the client.
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// The first admin's generated password file, removed at that admin's first login.
    pub first_password: Option<FirstPassword>,
    /// How many dead letters each channel keeps.
    pub dead_letters: switchboard_store::DeadLetterLimits,
    /// How much visitors may upload.
    pub uploads: UploadLimits,
    /// The address people reach the gateway at, for links in emails.
    pub public_url: String,
}

/// Daily quotas on visitors' uploads, in bytes.
#[derive(Debug, Clone, Copy)]
pub struct UploadLimits {
    pub visitor_bytes_per_day: u64,
    /// For all visitors of one workspace together.
    pub workspace_bytes_per_day: u64,
}

impl Default for UploadLimits {
    fn default() -> Self {
        UploadLimits {
            visitor_bytes_per_day: 50 << 20,
            workspace_bytes_per_day: 1 << 30,
        }
    }
}

/// Where the first admin's generated password waits for their first login.
#[derive(Debug, Clone)]
pub struct FirstPassword {
    pub email: String,
    pub file: std::path::PathBuf,
}

impl Default for ApiConfig {
    fn default() -> Self {
        ApiConfig {
            session_hours: 12,
            max_body_bytes: 1024 * 1024,
            secure_cookies: false,
            max_attachment_bytes: 25 * 1024 * 1024,
            web: WebRoot {
                www: "www".into(),
                widget: "target/widget-dist".into(),
                console: "target/console-dist".into(),
                demo_pages: false,
            },
            trusted_proxies: Vec::new(),
            first_password: None,
            dead_letters: switchboard_store::DeadLetterLimits::default(),
            uploads: UploadLimits::default(),
            public_url: "http://127.0.0.1:8080".into(),
        }
    }
}

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub bus: Arc<dyn EventBus>,
    pub config: Arc<ApiConfig>,
    /// Renders `/metrics`; the binary installs the matching recorder.
    pub metrics: PrometheusHandle,
    pub plugins: Arc<Plugins>,
    /// Seals and opens channel secrets.
    pub secrets: Arc<SecretBox>,
    /// Email transports' shared state: trusted CAs, forwarding domain, mailbox health.
    pub mail: Arc<MailService>,
    /// The chat widgets' rate limits and typing signals.
    pub widgets: Arc<widget::Widgets>,
    /// Where a reply was just queued, so that this node's delivery worker sends it at once
    /// instead of at its next full round.
    pub replies_queued: Arc<QueuedReplies>,
    /// Live events to the agents' event sockets.
    pub fanout: Arc<FanOut>,
    /// Full-text search over conversations, kept up with the store by its indexer.
    pub search: Arc<switchboard_search::SearchIndex>,
}

/// The whole HTTP application.
pub fn router(state: AppState) -> Router {
    let max_body = state.config.max_body_bytes;
    let (api, openapi) = routes::api_routes().split_for_parts();
    let openapi = Arc::new(openapi);
    let web = web::routes(&state.config.web);
    api.merge(routes::ops_routes(openapi))
        .merge(web)
        .merge(email::confirmation::routes())
        .layer(axum::Extension(
            Arc::new(throttle::LoginThrottle::default()),
        ))
        .fallback(routes::no_route)
        .method_not_allowed_fallback(routes::method_not_allowed)
        .with_state(state)
        .layer(axum::extract::DefaultBodyLimit::max(max_body))
        .layer(axum::middleware::from_fn(observe::observe))
}

/// Locks `mutex`. A panic elsewhere while it was held leaves data that is still whole here
/// (every critical section keeps it consistent), so poisoning is ignored.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}
