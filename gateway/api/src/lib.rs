//! Switchboard's HTTP edge: the REST API under `/api/v1`, the agents' WebSocket event stream,
//! login, `/healthz`, Prometheus `/metrics` and the OpenAPI description.
//!
//! Every route but login, health and the API description needs a [`Caller`] (a session cookie
//! or a bearer token) and sees only the caller's workspace. Handlers return [`ApiError`] for
//! every failure. The binary serves [`router`] with [`serve`], whose connections the event
//! fan-out writes to directly.

mod audit;
mod auth;
mod client_address;
mod connection;
mod error;
mod extract;
mod fanout;
mod live;
mod observe;
pub mod operator;
mod routes;
mod web;

use std::sync::Arc;

use axum::Router;
use metrics_exporter_prometheus::PrometheusHandle;
use switchboard_services::Services;

pub use auth::{Caller, SESSION_COOKIE, hash_password, new_password};
pub use connection::serve;
pub use error::{ApiError, ApiResult};
pub use fanout::FanOut;
pub use web::{WebRoot, first_widget};

/// Limits and switches of the API, set from the gateway's configuration.
#[derive(Debug, Clone)]
pub struct ApiConfig {
    /// How long a console login lasts.
    pub session_hours: u32,
    /// Largest request body accepted, in bytes.
    pub max_body_bytes: usize,
    /// Mark the session cookie `Secure` (turn on behind HTTPS).
    pub secure_cookies: bool,
    /// Where the widget, demo pages and install guides are read from.
    pub web: WebRoot,
    /// Proxies whose `Forwarded` / `X-Forwarded-For` headers name the client.
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// The first admin's generated password file, removed once that admin chose their own.
    pub first_password: Option<FirstPassword>,
    /// The bearer token of the installation's operator (`/api/v1/operator`); none turns
    /// those routes off.
    pub operator_token: Option<String>,
}

/// Where the first admin's generated password waits until they choose their own.
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
            web: WebRoot {
                www: "www".into(),
                widget: "target/widget-dist".into(),
                console: "target/console-dist".into(),
                demo_pages: false,
            },
            trusted_proxies: Vec::new(),
            first_password: None,
            operator_token: None,
        }
    }
}

/// What every handler can reach: the services (through `Deref`), and the edge's own parts.
#[derive(Clone)]
pub struct AppState {
    pub services: Arc<Services>,
    pub config: Arc<ApiConfig>,
    /// Renders `/metrics`; the binary installs the matching recorder.
    pub metrics: PrometheusHandle,
    /// Live events to the agents' event sockets.
    pub fanout: Arc<FanOut>,
}

impl std::ops::Deref for AppState {
    type Target = Services;

    fn deref(&self) -> &Services {
        &self.services
    }
}

/// The whole HTTP application.
pub fn router(state: AppState) -> Router {
    let max_body = state.config.max_body_bytes;
    let (api, openapi) = routes::api_routes().split_for_parts();
    let openapi = Arc::new(openapi);
    let web = web::routes(&state.config.web);
    api.merge(routes::ops_routes(openapi))
        .merge(web)
        .merge(routes::confirmation::routes())
        .merge(routes::signup::routes())
        .merge(routes::password_reset::routes())
        .merge(routes::invitation_page::routes())
        .merge(routes::oauth_sign_in::callback_routes())
        .layer(axum::Extension(Arc::new(
            switchboard_services::throttle::LoginThrottle::default(),
        )))
        .fallback(routes::no_route)
        .method_not_allowed_fallback(routes::method_not_allowed)
        .with_state(state)
        .layer(axum::extract::DefaultBodyLimit::max(max_body))
        .layer(axum::middleware::from_fn(observe::observe))
}
