//! The event stream over a real socket: a client that reconnects with the last id it saw gets
//! every later event exactly once, in order, and only its own workspace's.

use std::time::Duration;

use futures_util::StreamExt;
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};

use crate::support::{Auth, TestApp, assert_error};

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

pub(crate) async fn serve(app: &TestApp) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let address = listener.local_addr().expect("address");
    let router = app.router.clone();
    tokio::spawn(switchboard_api::serve(
        listener,
        router,
        std::future::pending(),
    ));
    format!("ws://{address}/api/v1/events/ws")
}

pub(crate) async fn connect(
    url: &str,
    auth: &Auth,
    origin: Option<&str>,
) -> Result<Socket, WsError> {
    Ok(
        tokio_tungstenite::connect_async(request(url, auth, origin)?)
            .await?
            .0,
    )
}

/// A client whose socket takes only a few KiB at a time, as on a slow link.
async fn connect_slowly(url: &str, auth: &Auth) -> Socket {
    let address = url
        .trim_start_matches("ws://")
        .split('/')
        .next()
        .expect("an address")
        .parse()
        .expect("a socket address");
    let socket = tokio::net::TcpSocket::new_v4().expect("socket");
    socket.set_recv_buffer_size(4096).expect("a small buffer");
    let stream = socket.connect(address).await.expect("connect");
    let request = request(url, auth, None).expect("request");
    tokio_tungstenite::client_async(request, tokio_tungstenite::MaybeTlsStream::Plain(stream))
        .await
        .expect("handshake")
        .0
}

fn request(
    url: &str,
    auth: &Auth,
    origin: Option<&str>,
) -> Result<tokio_tungstenite::tungstenite::handshake::client::Request, WsError> {
    let mut request = url.into_client_request()?;
    match auth {
        Auth::Bearer(token) => {
            request.headers_mut().insert(
                "authorization",
                format!("Bearer {token}").parse().expect("header"),
            );
        }
        Auth::Cookie(cookie) => {
            request
                .headers_mut()
                .insert("cookie", cookie.parse().expect("header"));
        }
        Auth::None => {}
    }
    if let Some(origin) = origin {
        request
            .headers_mut()
            .insert("origin", origin.parse().expect("header"));
    }
    Ok(request)
}

async fn next_event(socket: &mut Socket) -> Value {
    loop {
        let frame = tokio::time::timeout(Duration::from_secs(5), socket.next())
            .await
            .expect("an event in time");
        match frame.expect("open socket").expect("frame") {
            Message::Text(text) => return serde_json::from_str(&text).expect("json"),
            Message::Ping(_) | Message::Pong(_) => continue,
            other => panic!("unexpected frame {other:?}"),
        }
    }
}

/// Reads events until one carries the message with this text; returns the ids read.
async fn read_until_text(socket: &mut Socket, text: &str, ids: &mut Vec<u64>) {
    loop {
        let event = next_event(socket).await;
        ids.push(event["id"].as_u64().expect("id"));
        if event["data"]["message"]["text"] == text {
            return;
        }
    }
}

/// Posts `count` messages from seven contacts, each text followed by `padding`; returns the
/// last text.
async fn post_messages(app: &TestApp, count: usize, padding: &str) -> String {
    let mut text = String::new();
    for n in 0..count {
        text = format!("mensaje {n}{padding}");
        app.inbound(&format!("c{}@example.com", n % 7), &format!("m-{n}"), &text)
            .await;
    }
    text
}

async fn token(app: &TestApp) -> Auth {
    let (_, created) = app
        .post(
            "/api/v1/api-tokens",
            &app.admin,
            json!({ "name": "stream" }),
        )
        .await;
    Auth::Bearer(created["token"].as_str().expect("token").to_string())
}

#[tokio::test]
async fn a_reconnecting_client_resumes_without_gaps_or_duplicates() {
    let app = TestApp::new().await;
    let url = serve(&app).await;
    let token = token(&app).await;

    let mut socket = connect(&url, &token, None).await.expect("connect");
    app.inbound("ana@example.com", "m-1", "uno").await;
    app.inbound("ana@example.com", "m-2", "dos").await;
    let mut seen = Vec::new();
    read_until_text(&mut socket, "dos", &mut seen).await;
    let last_seen = *seen.last().expect("an id");
    drop(socket);

    // While the client is away, more happens.
    app.inbound("ana@example.com", "m-3", "tres").await;
    app.inbound("bruno@example.com", "m-4", "cuatro").await;

    let mut socket = connect(&format!("{url}?after={last_seen}"), &token, None)
        .await
        .expect("reconnect");
    app.inbound("ana@example.com", "m-5", "cinco").await;
    read_until_text(&mut socket, "cinco", &mut seen).await;

    let stored: Vec<u64> = app.store_event_ids().await;
    assert_eq!(
        seen, stored,
        "the client saw every stored event once, in order"
    );
}

#[tokio::test]
async fn a_client_far_behind_catches_up_in_order() {
    let app = TestApp::new().await;
    let url = serve(&app).await;
    let token = token(&app).await;
    let mut socket = connect(&url, &token, None).await.expect("connect");
    let last = post_messages(&app, 300, "").await;
    let mut seen = Vec::new();
    read_until_text(&mut socket, &last, &mut seen).await;
    assert_eq!(seen, app.store_event_ids().await);
    socket.close(None).await.expect("close");
}

#[tokio::test]
async fn a_client_that_reads_slower_than_events_come_still_gets_each_once_in_order() {
    let app = TestApp::new().await;
    let url = serve(&app).await;
    let token = token(&app).await;
    let mut socket = connect_slowly(&url, &token).await;
    // About 8 MB of events while the client reads nothing: far more than the kernel and the
    // gateway hold for one socket, so this one falls behind and must catch up from the store.
    let last = post_messages(&app, 500, &" x".repeat(8 * 1024)).await;
    let mut seen = Vec::new();
    read_until_text(&mut socket, &last, &mut seen).await;
    assert_eq!(seen, app.store_event_ids().await);
}

#[tokio::test]
async fn a_workspace_stream_carries_only_that_workspace() {
    let app = TestApp::new().await;
    let url = serve(&app).await;
    let mut theirs = connect(&url, &app.stranger, None).await.expect("connect");
    app.inbound("ana@example.com", "m-1", "confidencial").await;
    let quiet = tokio::time::timeout(Duration::from_millis(300), theirs.next()).await;
    assert!(
        quiet.is_err(),
        "another workspace's stream stays silent: {quiet:?}"
    );
}

#[tokio::test]
async fn a_cookie_socket_from_a_foreign_origin_is_refused() {
    let app = TestApp::new().await;
    let url = serve(&app).await;
    let refused = connect(&url, &app.agent, Some("https://evil.example")).await;
    match refused {
        Err(WsError::Http(response)) => assert_eq!(response.status(), 403),
        other => panic!("expected a 403, got {other:?}"),
    }
    let host = url
        .trim_start_matches("ws://")
        .split('/')
        .next()
        .expect("host")
        .to_string();
    assert!(
        connect(&url, &app.agent, Some(&format!("http://{host}")))
            .await
            .is_ok(),
        "the console's own origin is fine"
    );
    // Host names compare without regard to case, as browsers and proxies may write them.
    let port = host.rsplit(':').next().expect("port");
    let by_name = url.replace(&host, &format!("localhost:{port}"));
    assert!(
        connect(
            &by_name,
            &app.agent,
            Some(&format!("http://LOCALHOST:{port}"))
        )
        .await
        .is_ok(),
        "the console's own origin, in capitals"
    );
    let anonymous = connect(&url, &Auth::None, None).await;
    assert!(matches!(anonymous, Err(WsError::Http(response)) if response.status() == 401));
}

impl TestApp {
    async fn store_event_ids(&self) -> Vec<u64> {
        use switchboard_store::prelude::*;
        let events = self
            .store
            .events_after(self.workspace, 0, 10_000)
            .await
            .expect("events");
        events.iter().map(|event| event.id).collect()
    }
}

#[tokio::test]
async fn a_plain_request_to_a_socket_address_gets_an_error_body() {
    let app = TestApp::new().await;
    let answer = app.get("/api/v1/events/ws", &app.admin).await;
    assert_error(
        &answer,
        axum::http::StatusCode::BAD_REQUEST,
        "not_a_websocket",
    );
}
