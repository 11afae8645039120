//! A gateway application on a temporary store, driven without sockets, with an admin session,
//! an agent token and a second workspace for isolation checks.

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use http_body_util::BodyExt;
use metrics_exporter_prometheus::PrometheusBuilder;
use serde_json::{Value, json};
use switchboard_api::{ApiConfig, AppState, hash_password};
use switchboard_model::{ChannelKind, Id, NewChannel, Role};
use switchboard_services::{HttpFetcher, Plugins, Services, ServicesConfig};
use switchboard_store::prelude::*;
use switchboard_store::{InProcessBus, NewAgentRecord, RecordStore};
use tower::ServiceExt;

pub const PASSWORD: &str = "correct horse battery";

/// How a request authenticates.
#[derive(Debug, Clone)]
pub enum Auth {
    None,
    Cookie(String),
    Bearer(String),
}

pub struct TestApp {
    pub router: Router,
    pub state: AppState,
    pub plugins: Arc<Plugins>,
    pub store: Arc<RecordStore>,
    pub workspace: Id,
    pub channel: Id,
    pub admin: Auth,
    pub agent: Auth,
    pub agent_id: Id,
    /// An admin of another workspace.
    pub stranger: Auth,
    pub stranger_channel: Id,
    _dir: tempfile::TempDir,
}

impl TestApp {
    pub async fn new() -> TestApp {
        Self::with_config(ApiConfig::default()).await
    }

    pub async fn with_config(config: ApiConfig) -> TestApp {
        Self::with_runtime(config, shared_runtime()).await
    }

    /// An application whose plugins run on `runtime` (say, one with few instance slots).
    pub async fn with_runtime(
        config: ApiConfig,
        runtime: Arc<switchboard_plugins::Runtime>,
    ) -> TestApp {
        // The tests' providers listen on loopback, over plain HTTP.
        let policy = switchboard_services::FetchPolicy {
            allow_http: true,
            private_networks: vec!["127.0.0.0/8".parse().expect("network")],
        };
        Self::build(config, ServicesConfig::default(), runtime, policy).await
    }

    /// An application whose services have `services` for settings.
    pub async fn with_services_config(services: ServicesConfig) -> TestApp {
        let policy = switchboard_services::FetchPolicy {
            allow_http: true,
            private_networks: vec!["127.0.0.0/8".parse().expect("network")],
        };
        Self::build(ApiConfig::default(), services, shared_runtime(), policy).await
    }

    /// An application whose plugins' requests follow `policy`.
    pub async fn with_fetch_policy(policy: switchboard_services::FetchPolicy) -> TestApp {
        Self::build(
            ApiConfig::default(),
            ServicesConfig::default(),
            shared_runtime(),
            policy,
        )
        .await
    }

    async fn build(
        config: ApiConfig,
        services: ServicesConfig,
        runtime: Arc<switchboard_plugins::Runtime>,
        policy: switchboard_services::FetchPolicy,
    ) -> TestApp {
        let dir = tempfile::tempdir().expect("temp dir");
        let bus = Arc::new(InProcessBus::new(1024));
        let store = Arc::new(RecordStore::open(dir.path(), bus.clone()).expect("store"));
        let metrics = PrometheusBuilder::new().build_recorder().handle();
        let fetcher = Arc::new(HttpFetcher::new(policy).expect("fetcher"));
        let plugins = Arc::new(Plugins::new(runtime, fetcher));
        let services = Services {
            store: store.clone(),
            bus,
            config: services,
            plugins: plugins.clone(),
            secrets: Arc::new(switchboard_services::SecretBox::from_key([42; 32])),
            mail: Arc::new(switchboard_services::MailService::new(
                switchboard_mail::Trust::new(Vec::new()).expect("trust"),
                Some("forward.acme.test".into()),
            )),
            widgets: Arc::new(switchboard_services::Widgets::default()),
            replies_queued: Arc::default(),
            signals: Arc::default(),
            quotas_told: Arc::default(),
            search: Arc::new(switchboard_search::SearchIndex::in_memory().expect("index")),
        };
        let state = AppState {
            services: Arc::new(services),
            config: Arc::new(config),
            metrics,
            fanout: Arc::default(),
        };
        switchboard_search::Indexer::new(state.store.clone(), state.search.clone()).spawn();
        let router = switchboard_api::router(state.clone());
        let (workspace, channel, _) =
            seed(store.as_ref(), "Acme", "admin@acme.test", Role::Admin).await;
        let agent_id = store
            .create_agent(workspace, agent_record("bea@acme.test", Role::Agent).await)
            .await
            .expect("agent")
            .id;
        let (_, stranger_channel, _) =
            seed(store.as_ref(), "Rival", "admin@rival.test", Role::Admin).await;
        let mut app = TestApp {
            router,
            state,
            plugins,
            store,
            workspace,
            channel,
            admin: Auth::None,
            agent: Auth::None,
            agent_id,
            stranger: Auth::None,
            stranger_channel,
            _dir: dir,
        };
        app.admin = app.login("admin@acme.test").await;
        app.agent = app.login("bea@acme.test").await;
        app.stranger = app.login("admin@rival.test").await;
        app
    }

    /// Logs in and returns the session cookie.
    pub async fn login(&self, email: &str) -> Auth {
        let request = Request::post("/api/v1/auth/login")
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(
                json!({ "email": email, "password": PASSWORD }).to_string(),
            ))
            .expect("request");
        let response = self
            .router
            .clone()
            .oneshot(request)
            .await
            .expect("response");
        assert_eq!(response.status(), StatusCode::OK, "login of {email}");
        let cookie = response
            .headers()
            .get(header::SET_COOKIE)
            .expect("a session cookie")
            .to_str()
            .expect("text");
        assert!(
            cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
            "{cookie}"
        );
        Auth::Cookie(cookie.split(';').next().expect("pair").to_string())
    }

    pub async fn call(
        &self,
        method: Method,
        path: &str,
        auth: &Auth,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let raw = body.map(|body| body.to_string());
        self.call_raw(method, path, auth, raw.as_deref(), Some("application/json"))
            .await
    }

    pub async fn get(&self, path: &str, auth: &Auth) -> (StatusCode, Value) {
        self.call(Method::GET, path, auth, None).await
    }

    pub async fn post(&self, path: &str, auth: &Auth, body: Value) -> (StatusCode, Value) {
        self.call(Method::POST, path, auth, Some(body)).await
    }

    pub async fn call_raw(
        &self,
        method: Method,
        path: &str,
        auth: &Auth,
        body: Option<&str>,
        content_type: Option<&str>,
    ) -> (StatusCode, Value) {
        let mut request = Request::builder().method(method).uri(path);
        match auth {
            Auth::None => {}
            Auth::Cookie(cookie) => request = request.header(header::COOKIE, cookie),
            Auth::Bearer(token) => {
                request = request.header(header::AUTHORIZATION, format!("Bearer {token}"))
            }
        }
        if let (Some(_), Some(content_type)) = (body, content_type) {
            request = request.header(header::CONTENT_TYPE, content_type);
        }
        let request = request
            .body(body.map_or_else(Body::empty, |body| Body::from(body.to_string())))
            .expect("request");
        self.send(request).await
    }

    /// Any request through the router: the status and the body as JSON (or as a string when
    /// it is not JSON).
    pub async fn send(&self, request: Request<Body>) -> (StatusCode, Value) {
        let response = self
            .router
            .clone()
            .oneshot(request)
            .await
            .expect("response");
        let status = response.status();
        let bytes = response
            .into_body()
            .collect()
            .await
            .expect("body")
            .to_bytes();
        let value = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes)
                .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()))
        };
        (status, value)
    }

    /// A page as a browser gets it: status, headers and the body as text.
    pub async fn page(&self, path: &str) -> (StatusCode, header::HeaderMap, String) {
        let request = Request::get(path).body(Body::empty()).expect("request");
        let response = self
            .router
            .clone()
            .oneshot(request)
            .await
            .expect("response");
        let (parts, body) = response.into_parts();
        let bytes = body.collect().await.expect("body").to_bytes();
        (
            parts.status,
            parts.headers,
            String::from_utf8_lossy(&bytes).into_owned(),
        )
    }

    /// Posts an inbound API-channel message from `email`.
    pub async fn inbound(&self, email: &str, external_id: &str, text: &str) -> Value {
        let body = json!({
            "contact": { "identity": { "kind": "email", "value": email }, "name": email },
            "external_id": external_id,
            "text": text,
        });
        let (status, value) = self
            .post(
                &format!("/api/v1/channels/{}/inbound", self.channel),
                &self.admin,
                body,
            )
            .await;
        assert!(status.is_success(), "{status} {value}");
        value
    }
}

/// Asserts an error answer, as [`assert_error`] does, whose message names `named`.
pub fn assert_error_naming(
    answer: &(StatusCode, Value),
    status: StatusCode,
    code: &str,
    named: &str,
) {
    assert_error(answer, status, code);
    assert!(
        answer.1["error"]["message"]
            .as_str()
            .is_some_and(|message| message.contains(named)),
        "the message should name {named:?}: {}",
        answer.1
    );
}

/// Asserts an error answer: its status, its stable code, and a message that says something.
pub fn assert_error(answer: &(StatusCode, Value), status: StatusCode, code: &str) {
    assert_eq!(answer.0, status, "{}", answer.1);
    assert_eq!(answer.1["error"]["code"], code, "{}", answer.1);
    let message = answer.1["error"]["message"].as_str().unwrap_or_default();
    assert!(
        message.len() > 10,
        "the message names the problem: {message:?}"
    );
}

async fn agent_record(email: &str, role: Role) -> NewAgentRecord {
    let password_hash = hash_password(PASSWORD.to_string()).await.expect("hash");
    NewAgentRecord {
        name: email.split('@').next().unwrap_or(email).to_string(),
        email: email.to_string(),
        role,
        password_hash,
        must_choose_password: false,
    }
}

async fn seed(store: &RecordStore, name: &str, admin_email: &str, role: Role) -> (Id, Id, Id) {
    let workspace = store.create_workspace(name).await.expect("workspace").id;
    let admin = store
        .create_agent(workspace, agent_record(admin_email, role).await)
        .await
        .expect("admin")
        .id;
    let channel = NewChannel::new(ChannelKind::API, "API");
    let channel = store
        .create_channel(workspace, channel, None)
        .await
        .expect("channel")
        .id;
    (workspace, channel, admin)
}

/// One plugin runtime for the whole test binary: an engine per test would reserve an instance
/// pool per test.
pub fn shared_runtime() -> Arc<switchboard_plugins::Runtime> {
    static RUNTIME: std::sync::OnceLock<Arc<switchboard_plugins::Runtime>> =
        std::sync::OnceLock::new();
    RUNTIME
        .get_or_init(|| {
            switchboard_plugins::Runtime::new(Default::default()).expect("plugin runtime")
        })
        .clone()
}
