//! Helpers for end-to-end tests and benchmarks: start the real gateway binary on a data folder
//! of its own, and talk to it over HTTP and WebSocket like any client would.
//!
//! The binary is found through `GATEWAY_BIN` (set by `cargo xtask test` and `cargo xtask
//! bench`), or else in the workspace's target folder.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use anyhow::{Context, bail};
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::{Method, Request, StatusCode};
use hyper_util::client::legacy::Client as HyperClient;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

pub mod browser;
pub mod front_end_size;
pub mod mail_rig;
pub mod multipart;
pub mod oauth_stand_in;
pub mod scale_rig;
pub mod sites;
pub mod sms_stand_in;
pub mod telegram_stand_in;
pub mod whatsapp_stand_in;
pub mod wordpress;

/// The first admin's password in every test gateway.
pub const ADMIN_EMAIL: &str = "admin@example.com";
pub const ADMIN_PASSWORD: &str = "e2e admin password";

/// The repository's root folder.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The shared target folder.
pub fn target_dir() -> PathBuf {
    std::env::var("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| workspace_root().join("target"))
}

/// The gateway binary to run.
pub fn gateway_binary() -> anyhow::Result<PathBuf> {
    if let Ok(path) = std::env::var("GATEWAY_BIN") {
        return Ok(PathBuf::from(path));
    }
    let path = target_dir().join("debug/switchboard");
    if !path.exists() {
        bail!(
            "no gateway binary at {}: run `cargo xtask test`, or `cargo build -p switchboard` first",
            path.display()
        );
    }
    Ok(path)
}

/// A running gateway process.
pub struct Gateway {
    child: Child,
    /// `http://127.0.0.1:PORT`
    pub base_url: String,
    /// The SMTP listener for forwarded mail.
    pub smtp: std::net::SocketAddr,
    output: Arc<Mutex<VecDeque<String>>>,
}

/// Lines of the gateway's output a test can read back.
const KEPT_LINES: usize = 10_000;

impl Gateway {
    /// Starts the gateway on a free port with its store in `data_dir`, and waits until it serves.
    pub async fn start(data_dir: &Path) -> anyhow::Result<Gateway> {
        Self::start_with(data_dir, &[]).await
    }

    /// Starts the gateway with extra `SWITCHBOARD_*` settings.
    pub async fn start_with(
        data_dir: &Path,
        settings: &[(&str, String)],
    ) -> anyhow::Result<Gateway> {
        Self::launch(Command::new(gateway_binary()?), data_dir, settings).await
    }

    /// Starts the gateway with its plugins allowed to reach providers' stand-ins on 127.0.0.1
    /// over plain HTTP (`plugins.fetch_allow_http`, `plugins.fetch_private_networks`), and
    /// extra `settings`.
    pub async fn start_beside_stand_ins(
        data_dir: &Path,
        settings: &[(&str, String)],
    ) -> anyhow::Result<Gateway> {
        let mut all = vec![
            ("SWITCHBOARD_PLUGINS__FETCH_ALLOW_HTTP", "true".to_string()),
            (
                "SWITCHBOARD_PLUGINS__FETCH_PRIVATE_NETWORKS",
                "[\"127.0.0.0/8\"]".to_string(),
            ),
        ];
        all.extend(settings.iter().map(|(name, value)| (*name, value.clone())));
        Self::start_with(data_dir, &all).await
    }

    /// Starts the gateway with no file allowed to grow past `max_file_bytes` (`prlimit
    /// --fsize`): a write past it fails as one on a full disk does.
    pub async fn start_with_file_size_limit(
        data_dir: &Path,
        settings: &[(&str, String)],
        max_file_bytes: u64,
    ) -> anyhow::Result<Gateway> {
        let mut command = Command::new("prlimit");
        command
            .arg(format!("--fsize={max_file_bytes}"))
            .arg(gateway_binary()?);
        Self::launch(command, data_dir, settings).await
    }

    async fn launch(
        mut command: Command,
        data_dir: &Path,
        settings: &[(&str, String)],
    ) -> anyhow::Result<Gateway> {
        let program = command.as_std().get_program().to_owned();
        let mut child = command
            .env("SWITCHBOARD_SERVER__LISTEN", "127.0.0.1:0")
            .env("SWITCHBOARD_MAIL__LISTEN", "127.0.0.1:0")
            .env(
                "SWITCHBOARD_MAIL__FORWARDING_DOMAIN",
                "forward.switchboard.test",
            )
            .env("SWITCHBOARD_STORE__PATH", data_dir.join("store"))
            .env("SWITCHBOARD_MAIL__SPOOL", data_dir.join("mail-spool"))
            .env("SWITCHBOARD_PLUGINS__FOLDER", data_dir.join("plugins"))
            .env("SWITCHBOARD_PLUGINS__CACHE", data_dir.join("plugin-cache"))
            .env("SWITCHBOARD_STORE__SECRET_KEY", data_dir.join("secret.key"))
            .env("SWITCHBOARD_BOOTSTRAP__ADMIN_EMAIL", ADMIN_EMAIL)
            .env("SWITCHBOARD_BOOTSTRAP__ADMIN_PASSWORD", ADMIN_PASSWORD)
            // The rig's demo workspace is set up already: its admin goes straight to the inbox.
            .env("SWITCHBOARD_BOOTSTRAP__FIRST_RUN", "false")
            .env("SWITCHBOARD_LOG__FILTER", "warn")
            .env("SWITCHBOARD_WEB__WWW", workspace_root().join("www"))
            .env("SWITCHBOARD_WEB__WIDGET", target_dir().join("widget-dist"))
            .env(
                "SWITCHBOARD_WEB__CONSOLE",
                target_dir().join("console-dist"),
            )
            .env("SWITCHBOARD_WEB__DEMO_PAGES", "true")
            .envs(settings.iter().map(|(name, value)| (*name, value.as_str())))
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("cannot start {}", program.display()))?;
        let stdout = child.stdout.take().context("no stdout")?;
        let mut lines = BufReader::new(stdout).lines();
        let (base_url, smtp) = tokio::time::timeout(Duration::from_secs(30), async {
            let mut base_url = None;
            while let Some(line) = lines.next_line().await? {
                if let Some(url) = line.strip_prefix("Switchboard is running at ") {
                    base_url = Some(url.trim().to_string());
                } else if let Some(address) = line.trim().strip_prefix("Forwarded mail:") {
                    let address = address.trim().trim_start_matches("smtp://").parse()?;
                    return Ok((base_url.context("no URL before the SMTP address")?, address));
                }
            }
            bail!("the gateway exited before it was ready")
        })
        .await
        .context("the gateway did not start within 30 s")??;
        // Keep draining stdout so the gateway never blocks on a full pipe; the last lines are
        // kept for tests that read the log.
        let output = Arc::new(Mutex::new(VecDeque::new()));
        let kept = output.clone();
        tokio::spawn(async move {
            while let Ok(Some(line)) = lines.next_line().await {
                let mut kept = kept.lock().unwrap_or_else(PoisonError::into_inner);
                if kept.len() == KEPT_LINES {
                    kept.pop_front();
                }
                kept.push_back(line);
            }
        });
        Ok(Gateway {
            child,
            base_url,
            smtp,
            output,
        })
    }

    /// The last lines the gateway wrote to its standard output (its log, with the level the
    /// test set: `warn` unless changed).
    pub fn output_lines(&self) -> Vec<String> {
        self.output
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .cloned()
            .collect()
    }

    /// The process id, for reading its memory use.
    pub fn pid(&self) -> Option<u32> {
        self.child.id()
    }

    /// Ends the process at once, as a power cut or `kill -9` would.
    pub async fn kill_hard(mut self) -> anyhow::Result<()> {
        self.child.start_kill()?;
        self.child.wait().await?;
        Ok(())
    }

    /// Asks the process to stop (`SIGTERM`, as a service manager does) and waits until it has.
    pub async fn terminate(mut self) -> anyhow::Result<()> {
        let pid = self.child.id().context("the gateway has exited")?;
        let status = Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .status()
            .await?;
        anyhow::ensure!(status.success(), "kill -TERM {pid} failed");
        tokio::time::timeout(Duration::from_secs(30), self.child.wait())
            .await
            .context("the gateway did not stop within 30 s of SIGTERM")??;
        Ok(())
    }

    /// A client logged in as the first admin.
    pub async fn admin(&self) -> anyhow::Result<Client> {
        let client = Client::new(&self.base_url);
        client.login(ADMIN_EMAIL, ADMIN_PASSWORD).await
    }
}

/// The workspace's event stream as an API client holds it open.
pub type EventSocket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// A JSON client with keep-alive connections, authenticated by a bearer token once logged in
/// (or by the session cookie of [`Client::session`]).
#[derive(Clone)]
pub struct Client {
    http: HyperClient<HttpConnector, Full<Bytes>>,
    pub base_url: String,
    authorization: Option<String>,
    cookie: Option<String>,
}

impl Client {
    pub fn new(base_url: &str) -> Client {
        Client::from_address(base_url, None)
    }

    /// A client whose connections come from `local` (any of 127.0.0.0/8 on loopback), so that
    /// limits per client address count it apart from others.
    pub fn from_address(base_url: &str, local: Option<std::net::IpAddr>) -> Client {
        let mut connector = HttpConnector::new();
        connector.set_nodelay(true);
        connector.set_local_address(local);
        let http = HyperClient::builder(TokioExecutor::new())
            .pool_max_idle_per_host(1024)
            .build(connector);
        Client {
            http,
            base_url: base_url.to_string(),
            authorization: None,
            cookie: None,
        }
    }

    /// Signs in as the console does and sends the session cookie from now on (the one way in
    /// while a generated password is to be exchanged for one's own).
    pub async fn session(mut self, email: &str, password: &str) -> anyhow::Result<Client> {
        self.cookie = Some(self.session_cookie(email, password).await?);
        Ok(self)
    }

    /// Logs in, then creates an API token and uses it from now on.
    pub async fn login(mut self, email: &str, password: &str) -> anyhow::Result<Client> {
        let cookie = self.session_cookie(email, password).await?;
        let name = serde_json::json!({ "name": "e2e" });
        let (_, _, answer) = self
            .exchange(
                Method::POST,
                "/api/v1/api-tokens",
                &[("cookie", &cookie)],
                Some(json_body(&name)?),
            )
            .await?;
        let body: Value = serde_json::from_slice(&answer)?;
        let token = body["token"]
            .as_str()
            .with_context(|| format!("no token in the answer: {body}"))?;
        self.authorization = Some(format!("Bearer {token}"));
        Ok(self)
    }

    /// The session cookie a sign-in as `email` sets.
    async fn session_cookie(&self, email: &str, password: &str) -> anyhow::Result<String> {
        let credentials = serde_json::json!({ "email": email, "password": password });
        let (status, headers, _) = self
            .exchange(
                Method::POST,
                "/api/v1/auth/login",
                &[],
                Some(json_body(&credentials)?),
            )
            .await?;
        let cookie = headers
            .get("set-cookie")
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.split(';').next())
            .map(str::to_string)
            .with_context(|| format!("login of {email} failed with {status}"))?;
        Ok(cookie)
    }

    /// The same client, sending `token` as its bearer token (a widget visitor's, say).
    pub fn with_bearer(&self, token: &str) -> Client {
        Client {
            authorization: Some(format!("Bearer {token}")),
            ..self.clone()
        }
    }

    /// The demo workspace's webchat channel id and its widget id, `{workspace}.{channel}`.
    pub async fn demo_widget(&self) -> anyhow::Result<(u64, String)> {
        let (_, channels) = self.get("/api/v1/channels").await?;
        let channel = channels
            .as_array()
            .and_then(|all| all.iter().find(|channel| channel["kind"] == "webchat"))
            .context("the demo workspace has a webchat channel")?;
        let id = channel["id"].as_u64().context("channel id")?;
        Ok((id, format!("{}.{id}", channel["workspace_id"])))
    }

    /// Sets the sites that may use the widget of `channel` (its `allowed_origins`).
    pub async fn allow_origins(&self, channel: u64, origins: &[&str]) -> anyhow::Result<()> {
        let settings = serde_json::json!({ "settings": { "allowed_origins": origins } });
        let (status, updated) = self
            .call(
                Method::PATCH,
                &format!("/api/v1/channels/{channel}"),
                Some(&settings),
            )
            .await?;
        anyhow::ensure!(status == StatusCode::OK, "{updated}");
        Ok(())
    }

    /// The bearer token this client sends.
    pub fn token(&self) -> Option<&str> {
        self.authorization
            .as_deref()
            .and_then(|value| value.strip_prefix("Bearer "))
    }

    /// Opens the workspace's event socket (`/api/v1/events/ws`) after event `after`, with this
    /// client's bearer token.
    pub async fn event_socket(&self, after: u64) -> anyhow::Result<EventSocket> {
        use tokio_tungstenite::tungstenite::client::IntoClientRequest;
        let url = format!(
            "{}/api/v1/events/ws?after={after}",
            self.base_url.replacen("http", "ws", 1)
        );
        let mut request = url.into_client_request()?;
        let authorization = self.authorization.as_deref().context("not logged in")?;
        request
            .headers_mut()
            .insert("authorization", authorization.parse()?);
        Ok(tokio_tungstenite::connect_async(request).await?.0)
    }

    pub async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> anyhow::Result<(StatusCode, Value)> {
        let (status, bytes) = self.call_raw(method, path, body).await?;
        Ok((status, json_answer(&bytes)?))
    }

    /// A call whose answer is not JSON (a file download).
    pub async fn call_raw(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> anyhow::Result<(StatusCode, Bytes)> {
        let body = body.map(json_body).transpose()?;
        let (status, _, bytes) = self.exchange(method, path, &[], body).await?;
        Ok((status, bytes))
    }

    /// One login attempt with extra `headers`, answered as it came: status, headers, body.
    pub async fn attempt_login(
        &self,
        email: &str,
        password: &str,
        headers: &[(&str, &str)],
    ) -> anyhow::Result<(StatusCode, hyper::HeaderMap, Value)> {
        let credentials = serde_json::json!({ "email": email, "password": password });
        let (status, headers, bytes) = self
            .exchange(
                Method::POST,
                "/api/v1/auth/login",
                headers,
                Some(json_body(&credentials)?),
            )
            .await?;
        Ok((status, headers, json_answer(&bytes)?))
    }

    /// Sends a request with extra `headers` and, if given, a raw body with its media type (a
    /// file, an image); answers JSON (`Null` for an empty answer).
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<(&str, Vec<u8>)>,
    ) -> anyhow::Result<(StatusCode, Value)> {
        let (status, _, bytes) = self.exchange(method, path, headers, body).await?;
        Ok((status, json_answer(&bytes)?))
    }

    /// One request with this client's authorization, extra `headers` and an optional body
    /// (media type, bytes); answers the status, the headers and the body.
    pub async fn exchange(
        &self,
        method: Method,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<(&str, Vec<u8>)>,
    ) -> anyhow::Result<(StatusCode, hyper::HeaderMap, Bytes)> {
        let mut builder = Request::builder()
            .method(method)
            .uri(format!("{}{path}", self.base_url));
        if let Some(authorization) = &self.authorization {
            builder = builder.header("authorization", authorization);
        }
        if let Some(cookie) = &self.cookie {
            builder = builder.header("cookie", cookie);
        }
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        let body = match body {
            Some((media_type, bytes)) => {
                builder = builder.header("content-type", media_type);
                Bytes::from(bytes)
            }
            None => Bytes::new(),
        };
        let response = self.http.request(builder.body(Full::new(body))?).await?;
        let (parts, body) = response.into_parts();
        Ok((
            parts.status,
            parts.headers,
            body.collect().await?.to_bytes(),
        ))
    }

    /// An agent's reply in `conversation`, which must be accepted; answers its message id.
    pub async fn reply(&self, conversation: u64, text: &str) -> anyhow::Result<u64> {
        let (status, reply) = self
            .post(
                &format!("/api/v1/conversations/{conversation}/messages"),
                &serde_json::json!({ "text": text }),
            )
            .await?;
        anyhow::ensure!(
            status == StatusCode::CREATED,
            "the reply was refused: {reply}"
        );
        reply["id"].as_u64().context("the reply has no id")
    }

    /// The status and headers of a GET (a page's Content-Security-Policy, say).
    pub async fn get_headers(&self, path: &str) -> anyhow::Result<(StatusCode, hyper::HeaderMap)> {
        let (status, headers, _) = self.exchange(Method::GET, path, &[], None).await?;
        Ok((status, headers))
    }

    /// A GET as a browser that takes gzip makes it: status, headers and the bytes as sent.
    /// A GET as a browser that takes `encodings` (an `Accept-Encoding` value) makes it.
    pub async fn get_encoded(
        &self,
        path: &str,
        encodings: &str,
    ) -> anyhow::Result<(StatusCode, hyper::HeaderMap, Bytes)> {
        self.exchange(Method::GET, path, &[("accept-encoding", encodings)], None)
            .await
    }

    pub async fn get_bytes(&self, path: &str) -> anyhow::Result<(StatusCode, Bytes)> {
        self.call_raw(Method::GET, path, None).await
    }

    pub async fn get(&self, path: &str) -> anyhow::Result<(StatusCode, Value)> {
        self.call(Method::GET, path, None).await
    }

    pub async fn post(&self, path: &str, body: &Value) -> anyhow::Result<(StatusCode, Value)> {
        self.call(Method::POST, path, Some(body)).await
    }

    /// Installs the built plugin `file` (from the gateway's test plugins) under `manifest`, and
    /// an API channel named `channel_name` that uses it; answers the channel's webhook path.
    pub async fn install_plugin_channel(
        &self,
        file: &str,
        manifest: Value,
        channel_name: &str,
    ) -> anyhow::Result<String> {
        self.install_component(file, &manifest).await?;
        self.channel_for_plugin(manifest["name"].as_str().unwrap_or_default(), channel_name)
            .await
    }

    /// Installs the component built from `channel-plugins/` as `file` (`telegram_adapter`)
    /// with `manifest`, as an admin uploads one.
    pub async fn install_component(&self, file: &str, manifest: &Value) -> anyhow::Result<()> {
        use base64::Engine;
        let wasm = std::fs::read(
            Path::new(switchboard_plugins::BUILT_PLUGINS).join(format!("{file}.wasm")),
        )?;
        let upload = serde_json::json!({
            "wasm_base64": base64::engine::general_purpose::STANDARD.encode(wasm),
            "manifest": manifest,
        });
        let (status, installed) = self.post("/api/v1/plugins", &upload).await?;
        anyhow::ensure!(
            status == StatusCode::CREATED,
            "the plugin was refused: {installed}"
        );
        Ok(())
    }

    /// A new channel of `kind` with `settings` (its plugin the one the gateway ships for the
    /// kind, or the admin's own of that name); the channel and its webhook path.
    pub async fn new_channel(&self, kind: &str, settings: Value) -> anyhow::Result<(u64, String)> {
        let (status, channel) = self
            .post(
                "/api/v1/channels",
                &serde_json::json!({ "kind": kind, "name": kind, "settings": settings }),
            )
            .await?;
        anyhow::ensure!(status == StatusCode::CREATED, "{channel}");
        let id = channel["id"].as_u64().context("channel id")?;
        Ok((
            id,
            format!(
                "/hooks/{}/{id}/{}",
                channel["workspace_id"],
                channel["webhook_token"].as_str().unwrap_or_default()
            ),
        ))
    }

    /// The message a channel knows as `external_id`, once it is stored (within `within`).
    pub async fn message_with(
        &self,
        external_id: &str,
        within: std::time::Duration,
    ) -> anyhow::Result<Value> {
        eventually_within(within, external_id, async || {
            Ok(self
                .all_messages()
                .await?
                .into_iter()
                .find(|message| message["external_id"] == external_id))
        })
        .await
    }

    /// The bytes of a stored message's first attachment, as an agent downloads them.
    pub async fn first_attachment(&self, message: &Value) -> anyhow::Result<Bytes> {
        let sha256 = message["attachments"][0]["sha256"]
            .as_str()
            .with_context(|| format!("the message has no attachment: {message}"))?;
        let (status, bytes) = self
            .get_bytes(&format!("/api/v1/attachments/{sha256}"))
            .await?;
        anyhow::ensure!(status == StatusCode::OK, "{status}");
        Ok(bytes)
    }

    /// The contact who wrote a stored message, as the API shows it.
    pub async fn contact_of(&self, message: &Value) -> anyhow::Result<Value> {
        let (_, conversation) = self
            .get(&format!(
                "/api/v1/conversations/{}",
                message["conversation_id"]
            ))
            .await?;
        let (_, contact) = self
            .get(&format!("/api/v1/contacts/{}", conversation["contact_id"]))
            .await?;
        Ok(contact)
    }

    /// A reply's delivery, once its `state` is the one given (within `within`).
    pub async fn delivery_reaching(
        &self,
        conversation: u64,
        reply: u64,
        state: &str,
        within: std::time::Duration,
    ) -> anyhow::Result<Value> {
        self.delivery_where(conversation, reply, state, within, |delivery| {
            delivery["state"] == state
        })
        .await
    }

    /// How many stored messages carry the provider's id `external_id`.
    pub async fn copies_of(&self, external_id: &str) -> anyhow::Result<usize> {
        Ok(self
            .all_messages()
            .await?
            .into_iter()
            .filter(|stored| stored["external_id"] == external_id)
            .count())
    }

    /// The delivery state of a reply once it waits to be tried again, with the reason.
    pub async fn delivery_waiting_to_retry(
        &self,
        conversation: u64,
        reply: u64,
        within: std::time::Duration,
    ) -> anyhow::Result<Value> {
        self.delivery_where(
            conversation,
            reply,
            "waiting to be tried again",
            within,
            |delivery| delivery["state"] == "queued" && delivery["reason"].is_string(),
        )
        .await
    }

    /// The delivery state of a reply once `done` holds for it (`what` names it in a failure).
    pub async fn delivery_where(
        &self,
        conversation: u64,
        reply: u64,
        what: &str,
        within: std::time::Duration,
        done: impl Fn(&Value) -> bool,
    ) -> anyhow::Result<Value> {
        eventually_within(within, &format!("the reply {what}"), async || {
            let messages = self
                .all_pages(&format!(
                    "/api/v1/conversations/{conversation}/messages?limit=200"
                ))
                .await?;
            Ok(messages
                .into_iter()
                .find(|message| message["id"] == reply)
                .map(|message| message["delivery"].clone())
                .filter(|delivery| done(delivery)))
        })
        .await
    }

    /// A new API channel named `channel_name` that uses the installed plugin `plugin`;
    /// answers the channel's webhook path.
    pub async fn channel_for_plugin(
        &self,
        plugin: &str,
        channel_name: &str,
    ) -> anyhow::Result<String> {
        let channel = serde_json::json!({ "kind": "api", "name": channel_name, "plugin": plugin });
        let (status, channel) = self.post("/api/v1/channels", &channel).await?;
        anyhow::ensure!(
            status == StatusCode::CREATED,
            "the channel was refused: {channel}"
        );
        Ok(format!(
            "/hooks/{}/{}/{}",
            channel["workspace_id"],
            channel["id"],
            channel["webhook_token"].as_str().unwrap_or_default()
        ))
    }

    /// Posts `message` (see [`inbound_message`]) into the API channel `channel`, which must take
    /// it; answers where it was stored.
    pub async fn post_inbound(
        &self,
        channel: u64,
        message: &Value,
    ) -> anyhow::Result<switchboard_model::Ingested> {
        let (status, answer) = self
            .post(&format!("/api/v1/channels/{channel}/inbound"), message)
            .await?;
        anyhow::ensure!(
            status.is_success(),
            "the inbound message was refused ({status}): {answer}"
        );
        Ok(serde_json::from_value(answer)?)
    }

    /// The id of the workspace's first API channel.
    pub async fn api_channel(&self) -> anyhow::Result<u64> {
        let (_, channels) = self.get("/api/v1/channels").await?;
        channels
            .as_array()
            .and_then(|channels| channels.iter().find(|channel| channel["kind"] == "api"))
            .and_then(|channel| channel["id"].as_u64())
            .context("the workspace has no API channel")
    }

    /// Every message of every conversation, following the pages.
    pub async fn all_messages(&self) -> anyhow::Result<Vec<Value>> {
        let mut messages = Vec::new();
        for conversation in self.all_pages("/api/v1/conversations?limit=200").await? {
            let id = conversation["id"].as_u64().context("conversation id")?;
            messages.extend(
                self.all_pages(&format!("/api/v1/conversations/{id}/messages?limit=200"))
                    .await?,
            );
        }
        Ok(messages)
    }

    /// The items of every page of a list, following `next_cursor`.
    pub async fn all_pages(&self, path: &str) -> anyhow::Result<Vec<Value>> {
        let mut items = Vec::new();
        let mut cursor = String::new();
        loop {
            let (_, page) = self.get(&format!("{path}{cursor}")).await?;
            items.extend(page["items"].as_array().cloned().unwrap_or_default());
            match page["next_cursor"].as_str() {
                Some(next) => cursor = format!("&cursor={next}"),
                None => return Ok(items),
            }
        }
    }
}

/// Runs a benchmark on a runtime of two worker threads (one per core of the machine the
/// figures are for), with the open-file limit raised for the benchmarks that open thousands of
/// sockets.
pub fn run_bench(bench: impl Future<Output = anyhow::Result<()>>) -> anyhow::Result<()> {
    rlimit::increase_nofile_limit(u64::MAX).context("cannot raise the open-file limit")?;
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?
        .block_on(bench)
}

/// A numeric benchmark setting from the environment, or its default.
pub fn setting(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(default)
}

/// The median, 99th percentile and maximum of samples in nanoseconds, in milliseconds.
pub fn percentiles(samples: impl Iterator<Item = u64>) -> String {
    let mut samples: Vec<u64> = samples.collect();
    samples.sort_unstable();
    format!(
        "p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        percentile(&samples, 0.50) / 1e6,
        percentile(&samples, 0.99) / 1e6,
        percentile(&samples, 1.0) / 1e6
    )
}

/// The value at `p` (0 to 1) of samples sorted in ascending order.
pub fn percentile(sorted: &[u64], p: f64) -> f64 {
    sorted[((sorted.len() as f64 * p) as usize).min(sorted.len() - 1)] as f64
}

/// The CPU time (user and system, in clock ticks of 10 ms) that a process or thread has used so
/// far, from its `/proc` folder (`/proc/self`, `/proc/<pid>`, `/proc/self/task/<tid>`).
pub fn cpu_ticks(proc_entry: &Path) -> anyhow::Result<u64> {
    let stat = std::fs::read_to_string(proc_entry.join("stat"))?;
    // The command name in parentheses may hold spaces; utime and stime are the 12th and 13th
    // fields after it.
    let (_, fields) = stat.rsplit_once(')').context("no command name in stat")?;
    let mut fields = fields.split_whitespace().skip(11);
    let mut next = || -> anyhow::Result<u64> { Ok(fields.next().context("short stat")?.parse()?) };
    Ok(next()? + next()?)
}

/// An inbound API-channel message from `email`.
pub fn inbound_message(email: &str, external_id: &str, text: &str) -> Value {
    serde_json::json!({
        "contact": { "identity": { "kind": "email", "value": email }, "name": email },
        "external_id": external_id,
        "text": text,
    })
}

/// A JSON request body.
fn json_body(body: &Value) -> anyhow::Result<(&'static str, Vec<u8>)> {
    Ok(("application/json", serde_json::to_vec(body)?))
}

/// An answer's JSON, `Null` when it is empty.
fn json_answer(bytes: &[u8]) -> anyhow::Result<Value> {
    Ok(if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(bytes)?
    })
}

/// Asks `probe` every 100 ms until it answers, for up to `within`.
pub async fn eventually_within<T>(
    within: Duration,
    what: &str,
    mut probe: impl AsyncFnMut() -> anyhow::Result<Option<T>>,
) -> anyhow::Result<T> {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        if let Some(found) = probe().await? {
            return Ok(found);
        }
        if tokio::time::Instant::now() >= deadline {
            bail!("timed out waiting for {what}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
