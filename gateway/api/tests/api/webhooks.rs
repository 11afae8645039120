//! Outgoing webhooks against a receiver on loopback: what is delivered and how it is signed,
//! retries after backoff on 503 and none on 400, the delivery log, "send test", and URLs the
//! fetch policy refuses when a webhook is saved.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::{HeaderMap, Method, StatusCode};
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;
use switchboard_services::ServicesConfig;

use crate::support::{TestApp, assert_error_naming};

/// A stand-in for an integration's endpoint: it answers each delivery with the next of its
/// statuses (then 200) and keeps what it got.
struct Receiver {
    url: String,
    got: Arc<Mutex<Vec<(HeaderMap, String)>>>,
}

impl Receiver {
    async fn start(statuses: &[u16]) -> Receiver {
        let got: Arc<Mutex<Vec<(HeaderMap, String)>>> = Arc::default();
        let answers = Arc::new(Mutex::new(statuses.to_vec()));
        let seen = got.clone();
        let endpoint = axum::Router::new().route(
            "/hook",
            axum::routing::post(move |headers: HeaderMap, body: String| {
                seen.lock().expect("lock").push((headers, body));
                let mut answers = answers.lock().expect("lock");
                let status = if answers.is_empty() {
                    200
                } else {
                    answers.remove(0)
                };
                async move {
                    (
                        StatusCode::from_u16(status).expect("a status"),
                        format!("answered {status}"),
                    )
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let address = listener.local_addr().expect("address");
        tokio::spawn(async move { axum::serve(listener, endpoint).await });
        Receiver {
            url: format!("http://{address}/hook"),
            got,
        }
    }

    fn got(&self) -> Vec<(HeaderMap, String)> {
        self.got.lock().expect("lock").clone()
    }
}

/// A test app whose retries wait 30 ms, then 60 ms…
async fn quick_retries() -> TestApp {
    TestApp::with_services_config(ServicesConfig {
        first_retry: Duration::from_millis(30),
        ..ServicesConfig::default()
    })
    .await
}

/// Adds a webhook; answers it with its secret.
async fn subscribe(app: &TestApp, url: &str, events: Value) -> Value {
    let (status, saved) = app
        .post(
            "/api/v1/webhooks",
            &app.admin,
            json!({ "url": url, "events": events }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{saved}");
    saved
}

/// Runs delivery rounds until the receiver got `count` deliveries (or 5 s passed).
async fn deliver_until(app: &TestApp, receiver: &Receiver, count: usize) {
    for _ in 0..250 {
        switchboard_services::webhooks::deliver_due(&app.state)
            .await
            .expect("a round");
        if receiver.got().len() >= count {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("the receiver got {:?}", receiver.got());
}

async fn deliveries(app: &TestApp, webhook: &Value) -> Value {
    let path = format!("/api/v1/webhooks/{}/deliveries", webhook["id"]);
    let (status, log) = app.get(&path, &app.admin).await;
    assert_eq!(status, StatusCode::OK, "{log}");
    log
}

#[tokio::test]
async fn a_delivery_is_signed_with_the_secret_over_its_timestamp_and_body() {
    let app = TestApp::new().await;
    let receiver = Receiver::start(&[]).await;
    let webhook = subscribe(
        &app,
        &receiver.url,
        json!(["message_created", "conversation_created"]),
    )
    .await;
    let secret = webhook["secret"].as_str().expect("the secret, shown once");
    let (_, listed) = app.get("/api/v1/webhooks", &app.admin).await;
    assert!(!listed.to_string().contains(secret), "{listed}");

    app.inbound("ana@example.com", "w-1", "Hola, ¿tienen envío?")
        .await;
    deliver_until(&app, &receiver, 2).await;
    let got = receiver.got();
    let bodies: Vec<Value> = got
        .iter()
        .map(|(_, body)| serde_json::from_str(body).expect("JSON"))
        .collect();
    assert_eq!(bodies[0]["event"], "conversation_created", "{bodies:?}");
    assert_eq!(bodies[1]["event"], "message_created");
    assert_eq!(bodies[1]["data"]["message"]["text"], "Hola, ¿tienen envío?");
    assert_eq!(bodies[1]["workspace_id"], app.workspace);
    for (headers, body) in &got {
        let signature = headers["x-switchboard-signature"].to_str().expect("text");
        let (t, v1) = signature
            .strip_prefix("t=")
            .and_then(|rest| rest.split_once(",v1="))
            .expect("t=…,v1=…");
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes()).expect("key");
        mac.update(format!("{t}.{body}").as_bytes());
        assert_eq!(v1, hex::encode(mac.finalize().into_bytes()), "{signature}");
        let sent_at: i64 = t.parse().expect("seconds");
        let now = switchboard_model::now_millis() / 1000;
        assert!((now - sent_at).abs() < 60, "{sent_at} is now");
    }
    // Nothing is told twice.
    switchboard_services::webhooks::deliver_due(&app.state)
        .await
        .expect("a round");
    assert_eq!(receiver.got().len(), 2);
    let log = deliveries(&app, &webhook).await;
    assert_eq!(log[0]["state"], "delivered", "{log}");
    assert_eq!(log[0]["attempts"][0]["status"], 200);
    assert_eq!(log[0]["event"], "message_created", "newest first: {log}");
}

#[tokio::test]
async fn an_endpoint_that_fails_twice_gets_the_event_again_after_backoff() {
    let app = quick_retries().await;
    let receiver = Receiver::start(&[503, 503]).await;
    let webhook = subscribe(&app, &receiver.url, json!(["message_created"])).await;
    app.inbound("ana@example.com", "w-2", "¿Siguen ahí?").await;
    deliver_until(&app, &receiver, 3).await;
    let bodies: Vec<String> = receiver.got().into_iter().map(|(_, body)| body).collect();
    assert!(
        bodies.iter().all(|body| *body == bodies[0]),
        "the same body"
    );

    let log = deliveries(&app, &webhook).await;
    assert_eq!(log.as_array().map(Vec::len), Some(1), "{log}");
    let attempts = &log[0]["attempts"];
    let statuses: Vec<&Value> = (0..3).map(|n| &attempts[n]["status"]).collect();
    assert_eq!(statuses, [&json!(503), &json!(503), &json!(200)], "{log}");
    assert_eq!(log[0]["state"], "delivered");
    let at = |n: usize| attempts[n]["at"].as_i64().expect("a time");
    assert!(at(1) - at(0) >= 30, "waited the first retry: {log}");
    assert!(at(2) - at(1) >= 60, "then twice as long: {log}");
}

#[tokio::test]
async fn a_refusal_is_not_tried_again() {
    let app = quick_retries().await;
    let receiver = Receiver::start(&[400]).await;
    let webhook = subscribe(&app, &receiver.url, json!(["conversation_created"])).await;
    app.inbound("ana@example.com", "w-3", "Hola").await;
    deliver_until(&app, &receiver, 1).await;
    for _ in 0..5 {
        tokio::time::sleep(Duration::from_millis(40)).await;
        switchboard_services::webhooks::deliver_due(&app.state)
            .await
            .expect("a round");
    }
    assert_eq!(receiver.got().len(), 1);
    let log = deliveries(&app, &webhook).await;
    assert_eq!(log[0]["state"], "failed", "{log}");
    assert_eq!(log[0]["attempts"].as_array().map(Vec::len), Some(1));
    assert_eq!(log[0]["attempts"][0]["status"], 400);
    assert_eq!(log[0]["attempts"][0]["response"], "answered 400");
}

#[tokio::test]
async fn status_and_assignment_changes_are_told_as_such() {
    let app = TestApp::new().await;
    let receiver = Receiver::start(&[]).await;
    subscribe(
        &app,
        &receiver.url,
        json!(["conversation_status_changed", "conversation_assigned"]),
    )
    .await;
    let ingested = app.inbound("ana@example.com", "w-4", "Hola").await;
    let conversation = &ingested["conversation_id"];
    let (status, _) = app
        .post(
            &format!("/api/v1/conversations/{conversation}/assign"),
            &app.admin,
            json!({ "assignee_id": app.agent_id }),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = app
        .post(
            &format!("/api/v1/conversations/{conversation}/status"),
            &app.admin,
            json!({ "status": "resolved" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    deliver_until(&app, &receiver, 2).await;
    let bodies: Vec<Value> = receiver
        .got()
        .iter()
        .map(|(_, body)| serde_json::from_str(body).expect("JSON"))
        .collect();
    assert_eq!(bodies.len(), 2, "no message_created: {bodies:?}");
    // Deliveries go out side by side, so they may arrive in either order.
    let told = |event: &str| {
        bodies
            .iter()
            .find(|body| body["event"] == event)
            .unwrap_or_else(|| panic!("no {event} among {bodies:?}"))
    };
    let assigned = told("conversation_assigned");
    assert_eq!(
        assigned["data"]["conversation"]["assignee_id"],
        app.agent_id
    );
    assert_eq!(assigned["data"]["changed_by"]["type"], "agent");
    let status = told("conversation_status_changed");
    assert_eq!(status["data"]["conversation"]["status"], "resolved");
}

#[tokio::test]
async fn send_test_answers_what_the_endpoint_said() {
    let app = TestApp::new().await;
    let receiver = Receiver::start(&[418]).await;
    let webhook = subscribe(&app, &receiver.url, json!(["message_created"])).await;
    let (status, tested) = app
        .post(
            &format!("/api/v1/webhooks/{}/test", webhook["id"]),
            &app.admin,
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{tested}");
    assert_eq!(tested["event"], "ping");
    assert_eq!(tested["attempts"][0]["status"], 418, "{tested}");
    assert_eq!(tested["attempts"][0]["response"], "answered 418");
    let (_, body) = &receiver.got()[0];
    let body: Value = serde_json::from_str(body).expect("JSON");
    assert_eq!(body["event"], "ping");
    assert_eq!(body["data"]["webhook_id"], webhook["id"]);
    let log = deliveries(&app, &webhook).await;
    assert_eq!(log[0]["id"], tested["id"], "{log}");

    // A new secret, shown once; the old one signs nothing more.
    let (status, rotated) = app
        .call(
            Method::PATCH,
            &format!("/api/v1/webhooks/{}", webhook["id"]),
            &app.admin,
            Some(json!({ "rotate_secret": true, "active": false })),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{rotated}");
    assert_ne!(rotated["secret"], webhook["secret"]);
    assert!(
        rotated["secret"]
            .as_str()
            .is_some_and(|secret| secret.starts_with("whsec_"))
    );
    assert_eq!(rotated["active"], false);
    let (_, log) = app.get("/api/v1/audit-log", &app.admin).await;
    let updated = &log["items"][0];
    assert_eq!(updated["action"], "webhook_updated", "{log}");
    assert_eq!(updated["changed"], json!(["active", "rotate_secret"]));
    let shown = receiver.url.trim_end_matches("hook").to_string() + "…";
    assert_eq!(updated["record_name"], shown, "no path: {log}");
    let secrets = [&webhook["secret"], &rotated["secret"]];
    assert!(
        secrets
            .iter()
            .all(|secret| !log.to_string().contains(secret.as_str().expect("text")))
    );
    let (status, _) = app
        .call(
            Method::DELETE,
            &format!("/api/v1/webhooks/{}", webhook["id"]),
            &app.admin,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = app
        .get(
            &format!("/api/v1/webhooks/{}/deliveries", webhook["id"]),
            &app.admin,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn an_address_the_fetch_policy_refuses_is_refused_when_saved_naming_the_url() {
    let app = TestApp::with_fetch_policy(switchboard_services::FetchPolicy::default()).await;
    for url in [
        "https://127.0.0.1:9/hook",
        "https://10.0.0.7/hook",
        "https://[::1]/hook",
        "https://169.254.169.254/latest/meta-data",
        "http://93.184.215.14/hook",
        "ftp://93.184.215.14/hook",
        "not a url",
    ] {
        let answer = app
            .post(
                "/api/v1/webhooks",
                &app.admin,
                json!({ "url": url, "events": ["message_created"] }),
            )
            .await;
        assert_eq!(
            answer.0,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{url}: {}",
            answer.1
        );
        assert_eq!(answer.1["error"]["field"], "url", "{url}: {}", answer.1);
    }
    let answer = app
        .post(
            "/api/v1/webhooks",
            &app.admin,
            json!({ "url": "https://93.184.215.14/hook", "events": [] }),
        )
        .await;
    assert_error_naming(
        &answer,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_webhook",
        "events",
    );
    let (status, listed) = app.get("/api/v1/webhooks", &app.admin).await;
    assert_eq!((status, listed), (StatusCode::OK, json!([])));
    let (status, _) = app.get("/api/v1/webhooks", &app.agent).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}
