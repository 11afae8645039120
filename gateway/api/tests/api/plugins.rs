//! Plugins through the API: install, bind to a channel, receive webhooks, contain a
//! misbehaving plugin, keep what it could not process, replay it, upgrade and roll back.

use axum::http::{Method, StatusCode};
use base64::Engine;
use serde_json::{Value, json};

use crate::support::{Auth, TestApp, assert_error};

pub(crate) fn upload(file: &str, name: &str, version: &str, time_ms: u32) -> Value {
    let path =
        std::path::Path::new(switchboard_plugins::BUILT_PLUGINS).join(format!("{file}.wasm"));
    let wasm = std::fs::read(&path).unwrap_or_else(|error| panic!("{}: {error}", path.display()));
    json!({
        "manifest": {
            "name": name, "version": version, "contract": "0.2.0", "channel_kind": "api",
            "budget": { "memory_mib": 32, "time_ms": time_ms, "output_kib": 1024 }
        },
        "wasm_base64": base64::engine::general_purpose::STANDARD.encode(wasm),
    })
}

/// Installs a plugin and a channel using it; returns the channel's webhook path.
pub(crate) async fn channel_with(app: &TestApp, file: &str, name: &str) -> String {
    channel_with_time(app, file, name, 300).await
}

/// A plugin granted `hosts`, and a channel using it; returns the channel's webhook path.
async fn granted_channel(
    app: &TestApp,
    file: &str,
    name: &str,
    time_ms: u32,
    hosts: Value,
) -> String {
    let mut granted = upload(file, name, "1.0.0", time_ms);
    granted["manifest"]["allowed_hosts"] = hosts;
    let (status, installed) = app.post("/api/v1/plugins", &app.admin, granted).await;
    assert_eq!(status, StatusCode::CREATED, "{installed}");
    let (_, channel) = app
        .post(
            "/api/v1/channels",
            &app.admin,
            json!({ "kind": "api", "name": name, "plugin": name }),
        )
        .await;
    format!(
        "/hooks/{}/{}/{}",
        app.workspace,
        channel["id"],
        channel["webhook_token"].as_str().expect("token")
    )
}

/// The same, with the plugin's time budget.
async fn channel_with_time(app: &TestApp, file: &str, name: &str, time_ms: u32) -> String {
    let (status, installed) = app
        .post(
            "/api/v1/plugins",
            &app.admin,
            upload(file, name, "1.0.0", time_ms),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{installed}");
    let (status, channel) = app
        .post(
            "/api/v1/channels",
            &app.admin,
            json!({ "kind": "api", "name": name, "plugin": name }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{channel}");
    let token = channel["webhook_token"]
        .as_str()
        .expect("admins see the webhook token");
    format!("/hooks/{}/{}/{token}", app.workspace, channel["id"])
}

/// Serves `api` on a loopback port, as a stand-in for a provider's API; answers its address.
async fn stand_in(api: axum::Router) -> std::net::SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let address = listener.local_addr().expect("address");
    tokio::spawn(async move { axum::serve(listener, api).await });
    address
}

pub(crate) fn message(id: &str, text: &str) -> String {
    json!({ "id": id, "from": { "id": "crm-7", "name": "Ana" }, "text": text }).to_string()
}

pub(crate) async fn webhook(app: &TestApp, path: &str, body: &str) -> (StatusCode, Value) {
    app.call_raw(
        Method::POST,
        path,
        &Auth::None,
        Some(body),
        Some("application/json"),
    )
    .await
}

/// A channel is a folder: a third party's plugin of a kind the gateway has never heard of
/// ("line") is installed, a channel of that kind finds it without naming it, the admin is
/// offered its form and every member its title and icon, a customer's message reaches the inbox on it, the agent's reply reaches
/// the provider, and the provider's reports about that reply (delivered, then read) show on
/// it, all through the hooks every channel uses.
#[tokio::test]
async fn a_plugin_of_a_kind_the_gateway_does_not_know_runs_channels_of_that_kind() {
    const LINE_ICON: &str = "M4 5h16v11H9l-5 4z M8 10h8";
    let app = TestApp::new().await;
    // The provider's API: it takes a reply and names it.
    let received: std::sync::Arc<std::sync::Mutex<Vec<String>>> = Default::default();
    let seen = received.clone();
    let api = axum::Router::new().route(
        "/v2/bot/message/push",
        axum::routing::post(move |body: String| {
            seen.lock().expect("lock").push(body);
            async { axum::Json(json!({ "id": "line-msg-77" })) }
        }),
    );
    let provider = stand_in(api).await;
    let settings = json!({ "reply_url": format!("http://{provider}/v2/bot/message/push") });
    let channel = json!({ "kind": "line", "name": "LINE", "settings": settings });
    let refused = app
        .post("/api/v1/channels", &app.admin, channel.clone())
        .await;
    assert_error(&refused, StatusCode::UNPROCESSABLE_ENTITY, "no_adapter");
    assert!(refused.1.to_string().contains("kind line"), "{}", refused.1);

    let mut line = upload("template_adapter", "line_adapter", "1.0.0", 300);
    line["manifest"]["channel_kind"] = json!("line");
    line["manifest"]["allowed_hosts"] = json!([provider.to_string()]);
    line["manifest"]["settings"] = json!(["reply_url"]);
    // Its mark in the console is its manifest's, and only path data is taken for one.
    line["manifest"]["form"] = json!({ "title": { "en": "LINE", "es": "LINE" }, "icon": "M4 5h16v11H9l-5 4z\"/><script>" });
    let refused = app.post("/api/v1/plugins", &app.admin, line.clone()).await;
    assert!(refused.1.to_string().contains("icon"), "{}", refused.1);
    line["manifest"]["form"]["icon"] = json!(LINE_ICON);
    let (status, installed) = app.post("/api/v1/plugins", &app.admin, line).await;
    assert_eq!(status, StatusCode::CREATED, "{installed}");
    let (status, kinds) = app.get("/api/v1/channel-kinds", &app.agent).await;
    assert_eq!(status, StatusCode::OK, "{kinds}");
    assert!(
        kinds.as_array().expect("kinds").contains(
            &json!({ "kind": "line", "title": { "en": "LINE", "es": "LINE" }, "icon": LINE_ICON })
        ),
        "an agent's console does not learn the kind's title and mark: {kinds}"
    );
    let (_, forms) = app.get("/api/v1/channel-forms", &app.admin).await;
    assert!(
        forms
            .as_array()
            .expect("forms")
            .iter()
            .any(|form| form["kind"] == "line" && form["plugin"] == "line_adapter"),
        "{forms}"
    );

    let (status, created) = app.post("/api/v1/channels", &app.admin, channel).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["kind"], "line");
    assert_eq!(created["plugin"], "line_adapter");
    let hook = format!(
        "/hooks/{}/{}/{}",
        app.workspace,
        created["id"],
        created["webhook_token"].as_str().expect("token")
    );
    let (status, answer) = webhook(&app, &hook, &message("l-1", "¿Hacen envíos?")).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let conversation = &answer["ingested"][0]["conversation_id"];
    assert_eq!(texts(&app, conversation).await, [json!("¿Hacen envíos?")]);

    let sent = agent_reply(&app, conversation, "Sí, a todo el país.").await;
    switchboard_services::outbox::deliver_due(&app.state, "test-node")
        .await
        .expect("a delivery round");
    assert_eq!(
        delivery_of(&app, conversation, &sent["id"]).await,
        Some(json!({ "state": "sent" }))
    );
    let posted = received.lock().expect("lock").clone();
    assert_eq!(posted.len(), 1, "{posted:?}");
    assert!(posted[0].contains("Sí, a todo el país."), "{posted:?}");
    for state in ["delivered", "read"] {
        let report = json!({ "status": { "message_id": "line-msg-77", "state": state } });
        let (status, answer) = webhook(&app, &hook, &report.to_string()).await;
        assert_eq!(status, StatusCode::OK, "{answer}");
        assert_eq!(
            delivery_of(&app, conversation, &sent["id"]).await,
            Some(json!({ "state": state }))
        );
    }
    let (_, listed) = app.get("/api/v1/channels", &app.agent).await;
    assert!(
        listed
            .as_array()
            .expect("channels")
            .iter()
            .any(|channel| channel["kind"] == "line" && channel["id"] == created["id"])
    );

    // A plugin of another kind, or a name that cannot be a kind, is refused naming it.
    let wrong = app
        .post(
            "/api/v1/channels",
            &app.admin,
            json!({ "kind": "viber", "name": "Viber", "plugin": "line_adapter" }),
        )
        .await;
    assert_error(
        &wrong,
        StatusCode::UNPROCESSABLE_ENTITY,
        "wrong_channel_kind",
    );
    assert!(
        wrong.1.to_string().contains("kind line, not viber"),
        "{}",
        wrong.1
    );
    let (status, bad) = app
        .post(
            "/api/v1/channels",
            &app.admin,
            json!({ "kind": "Line App", "name": "LINE" }),
        )
        .await;
    assert!(status.is_client_error(), "{status}");
    assert!(
        bad.to_string()
            .contains("must start with a lowercase letter"),
        "{bad}"
    );
}

/// Deleting a channel keeps its conversations (their messages read as before) while the channel
/// takes nothing in any more: its webhook answers 404, its secrets are gone, it cannot be
/// switched on again, and it stays listed with when it was deleted. Agents cannot delete it.
#[tokio::test]
async fn a_deleted_channel_takes_nothing_in_and_its_conversations_stay() {
    let app = TestApp::new().await;
    let hook = channel_with(&app, "template_adapter", "crm").await;
    let (status, answer) = webhook(&app, &hook, &message("m-1", "Hola")).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let conversation = answer["ingested"][0]["conversation_id"].clone();
    let channel = hook.split('/').nth(3).expect("the channel in the hook");
    let path = format!("/api/v1/channels/{channel}");
    let secrets = format!("{path}/secrets");
    let (status, _) = app
        .call(
            Method::PUT,
            &secrets,
            &app.admin,
            Some(json!({ "secrets": { "api_token": "tok-1" } })),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);

    assert_error(
        &app.call(Method::DELETE, &path, &app.agent, None).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
    let (status, deleted) = app.call(Method::DELETE, &path, &app.admin, None).await;
    assert_eq!(status, StatusCode::OK, "{deleted}");
    assert_eq!(deleted["active"], false);
    assert!(deleted["deleted_at"].is_i64(), "{deleted}");
    assert!(
        deleted.get("webhook_url").is_none(),
        "no address left: {deleted}"
    );

    assert_error(
        &webhook(&app, &hook, &message("m-2", "¿Hay alguien?")).await,
        StatusCode::NOT_FOUND,
        "no_route",
    );
    assert_eq!(texts(&app, &conversation).await, [json!("Hola")]);
    assert_eq!(
        app.get(&secrets, &app.admin).await.1,
        json!({ "names": [] })
    );
    assert_error(
        &app.call(
            Method::PUT,
            &secrets,
            &app.admin,
            Some(json!({ "secrets": { "api_token": "tok-2" } })),
        )
        .await,
        StatusCode::CONFLICT,
        "conflict",
    );
    assert_error(
        &app.call(
            Method::PATCH,
            &path,
            &app.admin,
            Some(json!({ "secrets": { "api_token": "tok-3" } })),
        )
        .await,
        StatusCode::CONFLICT,
        "conflict",
    );
    assert_eq!(
        app.get(&secrets, &app.admin).await.1,
        json!({ "names": [] }),
        "a deleted channel keeps no secrets"
    );
    assert_error(
        &app.call(
            Method::PATCH,
            &path,
            &app.admin,
            Some(json!({ "active": true })),
        )
        .await,
        StatusCode::CONFLICT,
        "conflict",
    );
    let (_, listed) = app.get("/api/v1/channels", &app.agent).await;
    assert!(
        listed
            .as_array()
            .expect("channels")
            .iter()
            .any(|listed| listed["id"] == deleted["id"]
                && listed["deleted_at"] == deleted["deleted_at"]),
        "{listed}"
    );
    let (status, again) = app.call(Method::DELETE, &path, &app.admin, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(again["deleted_at"], deleted["deleted_at"], "deleted once");
}

#[tokio::test]
async fn a_webhook_becomes_a_conversation_through_the_plugin() {
    let app = TestApp::new().await;
    let hook = channel_with(&app, "template_adapter", "crm").await;
    let (status, answer) = webhook(&app, &hook, &message("m-1", "Preciso de ajuda")).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(
        texts(&app, &answer["ingested"][0]["conversation_id"]).await,
        [json!("Preciso de ajuda")]
    );
    // The provider retries: stored once.
    let (_, again) = webhook(&app, &hook, &message("m-1", "Preciso de ajuda")).await;
    assert_eq!(again["ingested"][0]["duplicate"], true);

    // Agents do not see the webhook's secret; a wrong secret finds nothing.
    let (_, channels) = app.get("/api/v1/channels", &app.agent).await;
    assert!(
        channels
            .as_array()
            .expect("channels")
            .iter()
            .all(|channel| channel.get("webhook_token").is_none())
    );
    let forged = hook
        .rsplit_once('/')
        .map(|(base, _)| format!("{base}/forged"))
        .expect("path");
    assert_error(
        &webhook(&app, &forged, &message("m-2", "x")).await,
        StatusCode::NOT_FOUND,
        "no_route",
    );
    let (_, listed) = app.get("/api/v1/plugins", &app.admin).await;
    assert_eq!(listed[0]["name"], "crm");
    assert_error(
        &app.get("/api/v1/plugins", &app.agent).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
}

#[tokio::test]
async fn a_looping_plugin_is_stopped_and_its_payload_kept_while_other_channels_serve() {
    let app = TestApp::new().await;
    let good = channel_with(&app, "template_adapter", "crm").await;
    let bad = channel_with(&app, "misbehaving_adapter", "broken").await;
    let (looping, served) = tokio::join!(webhook(&app, &bad, "loop"), async {
        let mut answers = Vec::new();
        for n in 0..10 {
            answers.push(
                webhook(&app, &good, &message(&format!("m-{n}"), "hola"))
                    .await
                    .0,
            );
        }
        answers
    });
    assert!(
        served.iter().all(|status| *status == StatusCode::OK),
        "{served:?}"
    );
    assert_eq!(looping.0, StatusCode::ACCEPTED, "{}", looping.1);
    assert!(
        looping.1["reason"]
            .as_str()
            .unwrap_or_default()
            .contains("time budget of 300 ms"),
        "{}",
        looping.1
    );
    let letter = looping.1["dead_letter_id"].as_u64().expect("kept");
    let (_, kept) = app
        .get(&format!("/api/v1/dead-letters/{letter}"), &app.admin)
        .await;
    assert!(
        kept["payload"]
            .as_str()
            .unwrap_or_default()
            .contains("\"body_base64\""),
        "{kept}"
    );

    for (command, words) in [
        ("bloat", "memory budget"),
        ("trap", "crashed"),
        ("flood", "output budget"),
        ("overreach", "evil.example"),
    ] {
        let (status, answer) = webhook(&app, &bad, command).await;
        assert_eq!(status, StatusCode::ACCEPTED, "{command}: {answer}");
        assert!(
            answer["reason"]
                .as_str()
                .unwrap_or_default()
                .contains(words),
            "{command}: {answer}"
        );
    }
}

#[tokio::test]
async fn while_a_plugin_is_off_providers_are_asked_to_come_back_and_nothing_is_kept() {
    let app = TestApp::new().await;
    let hook = channel_with(&app, "template_adapter", "crm").await;
    // A payload the adapter cannot read is kept, whether the plugin is on or not.
    let (status, refused) = webhook(&app, &hook, "not json").await;
    assert_eq!(status, StatusCode::ACCEPTED, "{refused}");
    let letter = refused["dead_letter_id"].as_u64().expect("kept");

    let (status, _) = app
        .post("/api/v1/plugins/crm/disable", &app.admin, json!({}))
        .await;
    assert_eq!(status, StatusCode::OK);
    let busy = webhook(&app, &hook, &message("m-1", "Olá")).await;
    assert_error(&busy, StatusCode::SERVICE_UNAVAILABLE, "busy");
    assert!(
        busy.1["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("disabled"),
        "{}",
        busy.1
    );
    // A replay waits as well, and does not count as one that failed.
    let replay = app
        .post(
            &format!("/api/v1/dead-letters/{letter}/replay"),
            &app.admin,
            json!({}),
        )
        .await;
    assert_error(&replay, StatusCode::SERVICE_UNAVAILABLE, "busy");
    let (_, page) = app.get("/api/v1/dead-letters", &app.admin).await;
    let letters = &page["items"];
    assert_eq!(letters.as_array().map(Vec::len), Some(1), "{letters}");
    assert_eq!(letters[0]["replays"], 0, "{letters}");

    // Back on, the provider's next try goes through.
    app.post("/api/v1/plugins/crm/enable", &app.admin, json!({}))
        .await;
    let (status, answer) = webhook(&app, &hook, &message("m-1", "Olá")).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(
        texts(&app, &answer["ingested"][0]["conversation_id"]).await,
        [json!("Olá")]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_plugin_host_asks_providers_to_come_back_instead_of_keeping_dead_letters() {
    // Both slots (and the turns to run in them) may go to one channel here: the host is as
    // full as many channels make it.
    let runtime = switchboard_plugins::Runtime::new(switchboard_plugins::RuntimeConfig {
        max_concurrent_calls: 2,
        channel_share: 2,
        cores: 4,
        ..Default::default()
    })
    .expect("a runtime with two slots");
    let app = TestApp::with_runtime(switchboard_api::ApiConfig::default(), runtime.clone()).await;
    let good = channel_with(&app, "template_adapter", "crm").await;
    let hog = channel_with_time(&app, "misbehaving_adapter", "hog", 3_000).await;
    // Two spinning calls take both slots for 3 s; a provider's webhook comes meanwhile.
    let (first, second, turned_away) = tokio::join!(
        webhook(&app, &hog, "loop"),
        webhook(&app, &hog, "loop"),
        async {
            while runtime.calls_open() < 2 {
                tokio::time::sleep(std::time::Duration::from_millis(10)).await;
            }
            webhook(&app, &good, &message("m-1", "¿Hay envíos a Rosario?")).await
        }
    );
    assert_error(&turned_away, StatusCode::SERVICE_UNAVAILABLE, "busy");
    assert_eq!(first.0, StatusCode::ACCEPTED, "{}", first.1);
    assert_eq!(second.0, StatusCode::ACCEPTED, "{}", second.1);
    let (_, page) = app.get("/api/v1/dead-letters", &app.admin).await;
    let letters = &page["items"];
    assert_eq!(
        letters.as_array().map(Vec::len),
        Some(2),
        "only the two spinning calls are kept: {letters}"
    );
    // The provider tries again once the slots are free.
    let (status, answer) = webhook(&app, &good, &message("m-1", "¿Hay envíos a Rosario?")).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
}

#[tokio::test]
async fn a_bad_upgrade_is_rolled_back() {
    let app = TestApp::new().await;
    let hook = channel_with(&app, "template_adapter", "crm").await;
    // Version 2 is a different adapter that reads the payload differently.
    let (status, upgraded) = app
        .post(
            "/api/v1/plugins",
            &app.admin,
            upload("misbehaving_adapter", "crm", "2.0.0", 300),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{upgraded}");
    assert_eq!(upgraded["active_version"], "2.0.0");
    let (_, answer) = webhook(&app, &hook, &message("m-1", "hola")).await;
    let first = texts(&app, &answer["ingested"][0]["conversation_id"]).await;
    assert_ne!(
        first.first(),
        Some(&json!("hola")),
        "version 2 does not parse the message"
    );

    let (status, rolled_back) = app
        .post(
            "/api/v1/plugins/crm/activate",
            &app.admin,
            json!({ "version": "1.0.0" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{rolled_back}");
    let (_, answer) = webhook(&app, &hook, &message("m-2", "hola")).await;
    let after_rollback = texts(&app, &answer["ingested"][0]["conversation_id"]).await;
    assert_eq!(after_rollback.last(), Some(&json!("hola")));

    // The same version with other code is refused; an unknown version cannot be activated.
    let (status, _) = app
        .post(
            "/api/v1/plugins",
            &app.admin,
            upload("misbehaving_adapter", "crm", "1.0.0", 300),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    let missing = app
        .post(
            "/api/v1/plugins/crm/activate",
            &app.admin,
            json!({ "version": "9.9.9" }),
        )
        .await;
    assert_error(&missing, StatusCode::NOT_FOUND, "not_found");
}

#[tokio::test]
async fn bad_uploads_are_refused_with_a_reason() {
    let app = TestApp::new().await;
    let mut not_wasm = upload("template_adapter", "crm", "1.0.0", 300);
    not_wasm["wasm_base64"] = json!(base64::engine::general_purpose::STANDARD.encode(b"hello"));
    assert_error(
        &app.post("/api/v1/plugins", &app.admin, not_wasm).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_plugin",
    );
    let mut bad_manifest = upload("template_adapter", "crm", "1.0.0", 300);
    bad_manifest["manifest"]["contract"] = json!("7.0.0");
    let refused = app.post("/api/v1/plugins", &app.admin, bad_manifest).await;
    assert_error(&refused, StatusCode::UNPROCESSABLE_ENTITY, "invalid_plugin");
    assert!(
        refused.1["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("7.0.0")
    );
    let unknown = app
        .post(
            "/api/v1/channels",
            &app.admin,
            json!({ "kind": "api", "name": "x", "plugin": "nope" }),
        )
        .await;
    assert_error(&unknown, StatusCode::NOT_FOUND, "not_found");
}

#[tokio::test]
async fn budgets_over_the_ceilings_and_odd_versions_are_refused() {
    let app = TestApp::new().await;
    let refused_for = async |change: &dyn Fn(&mut Value)| {
        let mut manifest = upload("misbehaving_adapter", "greedy", "1.0.0", 300);
        change(&mut manifest);
        let refused = app.post("/api/v1/plugins", &app.admin, manifest).await;
        assert_error(&refused, StatusCode::UNPROCESSABLE_ENTITY, "invalid_plugin");
        refused.1["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    };
    let output = refused_for(&|manifest| {
        manifest["manifest"]["budget"]["output_kib"] = json!(4_294_967_295u32)
    })
    .await;
    assert!(
        output.contains("output") && output.contains("16384"),
        "{output}"
    );
    for version in ["not semver ../../x", "1.0.0\n2026-12-02 INFO forged"] {
        let message =
            refused_for(&|manifest| manifest["manifest"]["version"] = json!(version)).await;
        assert!(message.contains("semantic version"), "{message}");
    }
}

#[tokio::test]
async fn granted_capabilities_work_through_the_gateway() {
    let app = TestApp::new().await;
    // A stand-in for a provider's API, on loopback.
    let api = axum::Router::new().route("/ping", axum::routing::get(|| async { "pong" }));
    let provider = stand_in(api).await;

    let hook = granted_channel(
        &app,
        "misbehaving_adapter",
        "tester",
        2_000,
        json!([provider.to_string()]),
    )
    .await;

    let (status, answer) = webhook(&app, &hook, &format!("fetch http://{provider}/ping")).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(
        last_text(&app, &answer).await,
        Some(json!("status 200: pong"))
    );

    // The key-value store keeps its value from one call to the next.
    let (_, first) = webhook(&app, &hook, "count").await;
    assert_eq!(last_text(&app, &first).await, Some(json!("1")));
    let (_, second) = webhook(&app, &hook, "count").await;
    assert_eq!(last_text(&app, &second).await, Some(json!("2")));
    // A crash in between loses nothing that was kept.
    webhook(&app, &hook, "trap").await;
    let (_, third) = webhook(&app, &hook, "count").await;
    assert_eq!(last_text(&app, &third).await, Some(json!("3")));
}

/// A plugin's waits end with its time budget, whatever it waits for: its own sleep, a provider
/// that sends nothing, or one that trickles its answer out a byte at a time. Each call fails as
/// a timeout (its payload kept), and the plugin's slot is free for the next call.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plugin_that_waits_is_stopped_at_its_time_budget() {
    let app = TestApp::new().await;
    let slow = axum::Router::new()
        .route(
            "/silent",
            axum::routing::get(|| async {
                tokio::time::sleep(std::time::Duration::from_secs(30)).await;
                "late"
            }),
        )
        .route(
            "/trickle",
            axum::routing::get(|| async {
                let drip = futures_util::stream::unfold(0, |n| async move {
                    (n < 300).then_some(())?;
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                    Some((
                        Ok::<_, std::io::Error>(axum::body::Bytes::from_static(b".")),
                        n + 1,
                    ))
                });
                axum::body::Body::from_stream(drip)
            }),
        );
    let provider = stand_in(slow).await;

    let hook = granted_channel(
        &app,
        "misbehaving_adapter",
        "waiter",
        1_000,
        json!([provider.to_string()]),
    )
    .await;
    for command in [
        "sleep".to_string(),
        format!("fetch http://{provider}/silent"),
        format!("fetch http://{provider}/trickle"),
    ] {
        let (status, answer) = webhook(&app, &hook, &command).await;
        assert_eq!(status, StatusCode::ACCEPTED, "{command}: {answer}");
        assert!(
            answer["reason"]
                .as_str()
                .unwrap_or_default()
                .contains("time budget of 1000 ms"),
            "{command}: {answer}"
        );
    }
}

/// Calls that run at once cannot together keep more than the channel's key-value quota: each
/// saw an empty store when it started, and the store counts again when it keeps their writes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_at_once_cannot_fill_the_key_value_store_past_its_quota() {
    let app = TestApp::new().await;
    let hook = channel_with_time(&app, "misbehaving_adapter", "hoarder", 2_000).await;
    let calls: Vec<_> = (0..8)
        .map(|n| {
            let (app, hook) = (&app, &hook);
            async move { webhook(app, hook, &format!("hoard key-{n}")).await }
        })
        .collect();
    for (status, answer) in futures_util::future::join_all(calls).await {
        assert_eq!(status, StatusCode::OK, "{answer}");
    }
    let channel_id: u64 = hook
        .split('/')
        .nth(3)
        .and_then(|id| id.parse().ok())
        .expect("the channel in the hook");
    let kept =
        switchboard_store::PluginData::plugin_kv(app.store.as_ref(), app.workspace, channel_id)
            .await
            .expect("the store");
    let size: usize = kept
        .iter()
        .map(|(key, value)| key.len() + value.len())
        .sum();
    assert!(
        !kept.is_empty() && size <= switchboard_plugins::MAX_KV_BYTES,
        "{} keys, {size} bytes",
        kept.len()
    );
}

/// What a plugin was granted is reached only on the granted port, and only at addresses the
/// operator lets plugins reach: loopback, private and metadata addresses are refused however
/// they are named, and plain HTTP only goes out where the operator allows it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plugin_reaches_only_granted_ports_at_addresses_the_operator_allows() {
    let api = axum::Router::new().route("/ping", axum::routing::get(|| async { "pong" }));
    let provider = stand_in(api).await;
    let port = provider.port();
    let refusals = async |app: &TestApp, urls: &[String]| {
        let hosts = json!([
            provider.to_string(),
            format!("localhost:{port}"),
            "169.254.169.254:80"
        ]);
        let hook = granted_channel(app, "misbehaving_adapter", "fetcher", 2_000, hosts).await;
        let mut reasons = Vec::new();
        for url in urls {
            let (_, answer) = webhook(app, &hook, &format!("fetch {url}")).await;
            reasons.push(answer["reason"].as_str().unwrap_or("fetched").to_string());
        }
        reasons
    };

    // The operator allows plain HTTP, and no private network.
    let strict = TestApp::with_fetch_policy(switchboard_services::FetchPolicy {
        allow_http: true,
        private_networks: Vec::new(),
    })
    .await;
    let reasons = refusals(
        &strict,
        &[
            format!("http://{provider}/ping"),
            format!("http://localhost:{port}/ping"),
            "http://169.254.169.254/latest/meta-data/".to_string(),
        ],
    )
    .await;
    assert!(
        reasons[0].contains("127.0.0.1 is a loopback, private"),
        "{reasons:?}"
    );
    assert!(
        reasons[1].contains("localhost has no address plugins may reach"),
        "{reasons:?}"
    );
    assert!(
        reasons[2].contains("169.254.169.254 is a loopback, private"),
        "{reasons:?}"
    );

    // Loopback allowed, but not plain HTTP.
    let https_only = TestApp::with_fetch_policy(switchboard_services::FetchPolicy {
        allow_http: false,
        private_networks: vec!["127.0.0.0/8".parse().expect("network")],
    })
    .await;
    let reasons = refusals(&https_only, &[format!("http://{provider}/ping")]).await;
    assert!(reasons[0].contains("https only"), "{reasons:?}");

    // Both allowed: the granted port answers, the next one is not granted.
    let open = TestApp::new().await;
    let reasons = refusals(
        &open,
        &[
            format!("http://{provider}/ping"),
            format!("http://127.0.0.1:{}/ping", port + 1),
        ],
    )
    .await;
    assert_eq!(reasons[0], "fetched", "{reasons:?}");
    assert!(
        reasons[1].contains("not granted that host and port"),
        "{reasons:?}"
    );
}

/// A plugin that fails on every payload cannot fill the disk with dead letters: its channel
/// keeps the newest within its room, and the list pages.
#[tokio::test]
async fn a_failing_plugins_dead_letters_stay_within_the_channels_room() {
    let app = TestApp::with_services_config(switchboard_services::ServicesConfig {
        dead_letters: switchboard_store::DeadLetterLimits {
            max_bytes_per_channel: 500,
            ..Default::default()
        },
        ..Default::default()
    })
    .await;
    let hook = channel_with(&app, "misbehaving_adapter", "broken").await;
    let mut kept = Vec::new();
    for _ in 0..12 {
        let (status, answer) = webhook(&app, &hook, "trap").await;
        assert_eq!(status, StatusCode::ACCEPTED, "{answer}");
        kept.push(answer["dead_letter_id"].as_u64().expect("kept"));
    }
    let mut listed = Vec::new();
    let mut cursor = String::new();
    loop {
        let (status, page) = app
            .get(&format!("/api/v1/dead-letters?limit=2{cursor}"), &app.admin)
            .await;
        assert_eq!(status, StatusCode::OK, "{page}");
        listed.extend(
            page["items"]
                .as_array()
                .expect("items")
                .iter()
                .map(|letter| {
                    (
                        letter["id"].as_u64().expect("id"),
                        letter["size"].as_u64().expect("size"),
                    )
                }),
        );
        match page["next_cursor"].as_str() {
            Some(next) => cursor = format!("&cursor={next}"),
            None => break,
        }
    }
    let total: u64 = listed.iter().map(|(_, size)| size).sum();
    assert!(total <= 500, "{listed:?}");
    assert!(listed.len() < kept.len(), "{listed:?}");
    assert_eq!(listed[0].0, kept[11], "the newest is kept and listed first");
}

/// What a plugin returns is checked as the REST inbound route checks a message: too many
/// messages, too long a text, an empty id or identity are refused whole and the payload kept.
#[tokio::test]
async fn what_a_plugin_returns_is_held_to_the_apis_own_bounds() {
    let app = TestApp::new().await;
    let hook = channel_with(&app, "misbehaving_adapter", "sloppy").await;
    for (command, words) in [
        ("many", "at most 100"),
        ("huge-text", "`text` is longer than 50000"),
        ("empty-id", "`external_id`"),
        ("empty-identity", "`contact.identity.value`"),
    ] {
        assert_kept_as_dead_letter(webhook(&app, &hook, command).await, words);
    }
    let (_, conversations) = app.get("/api/v1/conversations", &app.admin).await;
    assert_eq!(conversations["items"], json!([]), "nothing was stored");
}

/// A webhook's answer when its payload was kept as a dead letter, for a reason naming `words`.
fn assert_kept_as_dead_letter((status, answer): (StatusCode, Value), words: &str) {
    assert_eq!(status, StatusCode::ACCEPTED, "{answer}");
    assert!(
        answer["reason"]
            .as_str()
            .unwrap_or_default()
            .contains(words),
        "{answer}"
    );
}

/// The gateway's work on a plugin's HTML counts against the plugin's own time: markup that
/// takes longer to sanitize than the call has left fails the call (kept as a dead letter), so a
/// plugin cannot buy host time its budget does not allow.
#[tokio::test]
async fn sanitizing_a_plugins_html_counts_against_its_time() {
    let app = TestApp::new().await;
    let hook = channel_with_time(&app, "misbehaving_adapter", "heavy", 100).await;
    assert_kept_as_dead_letter(
        webhook(&app, &hook, "heavy-html").await,
        "time budget of 100 ms",
    );
    let (_, conversations) = app.get("/api/v1/conversations", &app.admin).await;
    assert_eq!(conversations["items"], json!([]), "nothing was stored");
}

/// A plugin cannot slip a message into another channel's conversation by naming one of the
/// gateway's Message-IDs there, even for a contact with the same email address: outside email
/// channels, our ids thread only within their own channel.
#[tokio::test]
async fn a_plugin_cannot_thread_into_another_channels_conversation() {
    let app = TestApp::new().await;
    let (status, ana) = app
        .post(
            &format!("/api/v1/channels/{}/inbound", app.channel),
            &app.admin,
            json!({
                "contact": { "identity": { "kind": "email", "value": "ana@example.com" } },
                "external_id": "crm-1",
                "text": "Hola, ¿tienen el modelo azul?",
            }),
        )
        .await;
    assert!(status.is_success(), "{ana}");
    let conversation = ana["conversation_id"].clone();
    let reply = agent_reply(&app, &conversation, "Sí, lo tenemos").await;
    let our_id = format!("<sb-{}.c{conversation}@acme.test>", reply["id"]);

    let hook = channel_with(&app, "misbehaving_adapter", "intruder").await;
    let (status, answer) = webhook(&app, &hook, &format!("answer ana@example.com {our_id}")).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_ne!(
        answer["ingested"][0]["conversation_id"], conversation,
        "the plugin's message joined the API channel's conversation"
    );
    assert_eq!(
        texts(&app, &conversation).await,
        [
            json!("Hola, ¿tienen el modelo azul?"),
            json!("Sí, lo tenemos")
        ]
    );
}

/// One reply cannot make a plugin flood a provider: past a few deliveries it fails, unsent.
#[tokio::test]
async fn a_reply_turns_into_a_few_deliveries_at_most() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    let app = TestApp::new().await;
    let hits = Arc::new(AtomicUsize::new(0));
    let counted = hits.clone();
    let api = axum::Router::new().route(
        "/out",
        axum::routing::post(move || {
            counted.fetch_add(1, Ordering::SeqCst);
            async { "ok" }
        }),
    );
    let provider = stand_in(api).await;
    let hook = granted_channel(
        &app,
        "misbehaving_adapter",
        "fanner",
        2_000,
        json!([provider.to_string()]),
    )
    .await;
    let (_, answer) = webhook(&app, &hook, "hola").await;
    let conversation = answer["ingested"][0]["conversation_id"].clone();
    let reply = agent_reply(
        &app,
        &conversation,
        &format!("fan-out http://{provider}/out"),
    )
    .await;
    switchboard_services::outbox::deliver_due(&app.state, "test-node")
        .await
        .expect("round");
    let delivery = delivery_of(&app, &conversation, &reply["id"])
        .await
        .expect("delivery");
    assert_eq!(delivery["state"], "failed", "{delivery}");
    assert!(
        delivery["reason"]
            .as_str()
            .unwrap_or_default()
            .contains("500 deliveries"),
        "{delivery}"
    );
    assert_eq!(hits.load(Ordering::SeqCst), 0, "the provider was called");
}

/// A plugin may hand the host an email to send, as the email adapter does, but only through
/// the mail server its channel's admin set up: on a channel without one the reply fails,
/// naming what is missing, and nothing is sent.
#[tokio::test]
async fn an_email_from_a_plugin_goes_only_through_its_own_channels_mail_server() {
    let app = TestApp::new().await;
    let hook = channel_with(&app, "misbehaving_adapter", "mailer").await;
    let (_, answer) = webhook(&app, &hook, "hola").await;
    let conversation = answer["ingested"][0]["conversation_id"].clone();
    let reply = agent_reply(&app, &conversation, "send-email").await;
    switchboard_services::outbox::deliver_due(&app.state, "test-node")
        .await
        .expect("round");
    let delivery = delivery_of(&app, &conversation, &reply["id"])
        .await
        .expect("delivery");
    assert_eq!(delivery["state"], "failed", "{delivery}");
    assert!(
        delivery["reason"]
            .as_str()
            .unwrap_or_default()
            .contains("the mailbox settings are incomplete"),
        "{delivery}"
    );
}

/// A contact's typing and reading that a channel's plugin reports reach the agents of their
/// conversation, as the website chat's own signals do.
#[tokio::test]
async fn a_contacts_typing_and_reading_reported_by_a_plugin_reach_the_agents() {
    use switchboard_services::widget::{Side, SignalKind};
    let app = TestApp::new().await;
    let hook = channel_with(&app, "misbehaving_adapter", "signals").await;
    let (_, answer) = webhook(&app, &hook, "hola").await;
    let conversation = answer["ingested"][0]["conversation_id"]
        .as_u64()
        .expect("a conversation");
    let mut agents = app
        .state
        .widgets
        .presence
        .subscribe(app.workspace, Side::Visitor);
    for (command, kind) in [("typing", SignalKind::Typing), ("read", SignalKind::Read)] {
        let (status, answer) = webhook(&app, &hook, command).await;
        assert_eq!(status, StatusCode::OK, "{answer}");
        let signal = tokio::time::timeout(std::time::Duration::from_secs(5), agents.recv())
            .await
            .expect("a signal in time")
            .expect("a signal");
        assert_eq!(signal.conversation_id, conversation);
        assert_eq!(signal.kind, kind);
        assert_eq!(signal.from, Side::Visitor);
    }
}

/// One channel's spinning plugin holds its share of the plugin host, not every slot: its other
/// calls are turned away (the provider asked to come back, nothing dead-lettered) while another
/// channel's webhooks are served.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_spinning_channel_holds_its_share_of_the_host_and_others_are_served() {
    let runtime = switchboard_plugins::Runtime::new(switchboard_plugins::RuntimeConfig {
        max_concurrent_calls: 4,
        ..Default::default()
    })
    .expect("a runtime with four slots");
    let app = TestApp::with_runtime(switchboard_api::ApiConfig::default(), runtime).await;
    let good = channel_with(&app, "template_adapter", "crm").await;
    let hog = channel_with_time(&app, "misbehaving_adapter", "hog", 3_000).await;
    let (spinning, served) = tokio::join!(
        futures_util::future::join_all((0..4).map(|_| webhook(&app, &hog, "loop"))),
        async {
            tokio::time::sleep(std::time::Duration::from_millis(500)).await;
            webhook(&app, &good, &message("m-1", "¿Abren el domingo?")).await
        }
    );
    assert_eq!(served.0, StatusCode::OK, "{}", served.1);
    let statuses: Vec<u16> = spinning.iter().map(|(status, _)| status.as_u16()).collect();
    assert_eq!(
        statuses.iter().filter(|status| **status == 202).count(),
        1,
        "one spinning call ran to its budget: {statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|status| **status == 503).count(),
        3,
        "the others were turned away: {statuses:?}"
    );
}

/// A channel whose provider is slow holds up its own replies only: another channel's reply goes
/// out while the slow one is still on its way.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_provider_holds_up_its_own_channels_replies_only() {
    let app = TestApp::new().await;
    let api = axum::Router::new()
        .route(
            "/slow",
            axum::routing::post(|| async {
                tokio::time::sleep(std::time::Duration::from_secs(3)).await;
                "ok"
            }),
        )
        .route("/fast", axum::routing::post(|| async { "ok" }));
    let provider = stand_in(api).await;
    let mut granted = upload("template_adapter", "crm", "1.0.0", 2_000);
    granted["manifest"]["allowed_hosts"] = json!([provider.to_string()]);
    granted["manifest"]["settings"] = json!(["reply_url"]);
    let (status, installed) = app.post("/api/v1/plugins", &app.admin, granted).await;
    assert_eq!(status, StatusCode::CREATED, "{installed}");
    let mut replies = Vec::new();
    // The slow channel is made first, so that a round taking channels in turn meets it first.
    for path in ["slow", "fast"] {
        let settings = json!({ "reply_url": format!("http://{provider}/{path}") });
        let (_, channel) = app
            .post(
                "/api/v1/channels",
                &app.admin,
                json!({ "kind": "api", "name": path, "plugin": "crm", "settings": settings }),
            )
            .await;
        let hook = format!(
            "/hooks/{}/{}/{}",
            app.workspace,
            channel["id"],
            channel["webhook_token"].as_str().expect("token")
        );
        let (_, answer) = webhook(&app, &hook, &message(&format!("{path}-1"), "Hola")).await;
        let conversation = answer["ingested"][0]["conversation_id"].clone();
        let reply = agent_reply(&app, &conversation, "Ya va.").await;
        replies.push((conversation, reply["id"].clone()));
    }
    let state = app.state.clone();
    let round = tokio::spawn(async move {
        switchboard_services::outbox::deliver_due(&state, "test-node").await
    });
    let state_of = async |(conversation, id): &(Value, Value)| {
        delivery_of(&app, conversation, id)
            .await
            .map(|delivery| delivery["state"].as_str().unwrap_or_default().to_string())
            .unwrap_or_default()
    };
    let mut fast_sent = false;
    for _ in 0..200 {
        if state_of(&replies[1]).await == "sent" {
            fast_sent = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    assert!(fast_sent, "the fast channel's reply never went out");
    assert_ne!(
        state_of(&replies[0]).await,
        "sent",
        "the fast reply waited for the slow one"
    );
    round.await.expect("round").expect("delivered");
    assert_eq!(state_of(&replies[0]).await, "sent");
}

/// The text of the last message in the conversation a webhook answer names.
async fn last_text(app: &TestApp, answer: &Value) -> Option<Value> {
    texts(app, &answer["ingested"][0]["conversation_id"])
        .await
        .pop()
}

/// The texts of a conversation's messages, oldest first.
async fn texts(app: &TestApp, conversation: &Value) -> Vec<Value> {
    let (_, messages) = app
        .get(
            &format!("/api/v1/conversations/{conversation}/messages"),
            &app.agent,
        )
        .await;
    messages["items"]
        .as_array()
        .map(|items| items.iter().map(|item| item["text"].clone()).collect())
        .unwrap_or_default()
}

#[tokio::test]
async fn plugins_dropped_into_the_watched_folder_install_themselves() {
    let app = TestApp::new().await;
    let folder = tempfile::tempdir().expect("temp dir");
    let workspace_folder = folder.path().join(app.workspace.to_string());
    std::fs::create_dir_all(&workspace_folder).expect("folder");
    let template =
        std::path::Path::new(switchboard_plugins::BUILT_PLUGINS).join("template_adapter.wasm");
    std::fs::copy(&template, workspace_folder.join("crm.wasm")).expect("copy");
    std::fs::write(
        workspace_folder.join("crm.toml"),
        "name = \"crm\"\nversion = \"1.0.0\"\ncontract = \"0.2.0\"\nchannel_kind = \"api\"\n",
    )
    .expect("manifest");
    let misbehaving =
        std::path::Path::new(switchboard_plugins::BUILT_PLUGINS).join("misbehaving_adapter.wasm");
    std::fs::copy(&misbehaving, workspace_folder.join("broken.wasm")).expect("copy");
    std::fs::write(
        workspace_folder.join("broken.toml"),
        "name = \"broken\"\nversion = 7\n",
    )
    .expect("manifest");

    let store = app.store.clone() as std::sync::Arc<dyn switchboard_store::Store>;
    let outcomes = app
        .plugins
        .install_from_folder(store.as_ref(), folder.path())
        .await;
    assert_eq!(outcomes.len(), 2, "{outcomes:?}");
    for (file, outcome) in &outcomes {
        match file.file_name().and_then(|name| name.to_str()) {
            Some("crm.wasm") => assert_eq!(
                outcome.as_ref().map(|state| state.active_version.as_str()),
                Ok("1.0.0")
            ),
            _ => assert!(
                matches!(outcome, Err(error) if error.message.contains("broken.toml")),
                "{outcome:?}"
            ),
        }
    }
    let (_, listed) = app.get("/api/v1/plugins", &app.admin).await;
    assert_eq!(listed[0]["name"], "crm");
    // Nothing changed: the next look installs nothing again, and still names the broken file.
    let again = app
        .plugins
        .install_from_folder(store.as_ref(), folder.path())
        .await;
    assert_eq!(again.len(), 1, "{again:?}");
    // Another workspace's folder is another workspace's business.
    let (_, theirs) = app.get("/api/v1/plugins", &app.stranger).await;
    assert_eq!(theirs, json!([]));
}

#[tokio::test]
async fn replies_on_a_plugin_channel_reach_the_provider() {
    use std::sync::{Arc, Mutex};
    let app = TestApp::new().await;
    // A stand-in for the provider's API: it records what it gets and answers as told.
    let received: Arc<Mutex<Vec<String>>> = Arc::default();
    let answer_with = Arc::new(Mutex::new(200u16));
    let (seen, status) = (received.clone(), answer_with.clone());
    let api = axum::Router::new().route(
        "/out",
        axum::routing::post(move |headers: axum::http::HeaderMap, body: String| {
            let (seen, status) = (seen.clone(), status.clone());
            async move {
                let authorization = headers
                    .get("authorization")
                    .and_then(|value| value.to_str().ok())
                    .unwrap_or_default()
                    .to_string();
                seen.lock()
                    .expect("lock")
                    .push(format!("{authorization}|{body}"));
                let code = *status.lock().expect("lock");
                (
                    StatusCode::from_u16(code).expect("status"),
                    "provider says so",
                )
            }
        }),
    );
    let provider = stand_in(api).await;

    let mut granted = upload("template_adapter", "crm", "1.0.0", 2_000);
    granted["manifest"]["allowed_hosts"] = json!([provider.to_string()]);
    granted["manifest"]["settings"] = json!(["reply_url"]);
    granted["manifest"]["secrets"] = json!(["api_token"]);
    let (status, installed) = app.post("/api/v1/plugins", &app.admin, granted).await;
    assert_eq!(status, StatusCode::CREATED, "{installed}");
    let settings = json!({ "reply_url": format!("http://{provider}/out") });
    let (_, channel) = app
        .post(
            "/api/v1/channels",
            &app.admin,
            json!({ "kind": "api", "name": "CRM", "plugin": "crm", "settings": settings }),
        )
        .await;
    let hook = format!(
        "/hooks/{}/{}/{}",
        app.workspace,
        channel["id"],
        channel["webhook_token"].as_str().expect("token")
    );
    let secrets_path = format!("/api/v1/channels/{}/secrets", channel["id"]);
    let (status, _) = app
        .call(
            Method::PUT,
            &secrets_path,
            &app.admin,
            Some(json!({ "secrets": { "api_token": "tok-123" } })),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, names) = app.get(&secrets_path, &app.admin).await;
    assert_eq!(
        names,
        json!({ "names": ["api_token"] }),
        "names only, never values"
    );
    assert_error(
        &app.get(&secrets_path, &app.agent).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
    let (_, answer) = webhook(&app, &hook, &message("m-1", "¿Cuándo llega?")).await;
    let conversation = answer["ingested"][0]["conversation_id"].clone();

    let sent = agent_reply(&app, &conversation, "Mañana por la tarde.").await;
    // The reply wakes this node's delivery worker for its workspace rather than waiting for
    // the next full round.
    assert_eq!(
        app.state
            .replies_queued
            .wait_until(tokio::time::Instant::now() + std::time::Duration::from_secs(5))
            .await,
        Some(vec![app.workspace]),
        "a queued reply wakes the delivery worker"
    );
    assert_eq!(
        switchboard_services::outbox::deliver_due(&app.state, "test-node")
            .await
            .expect("round"),
        1
    );
    assert_eq!(
        delivery_of(&app, &conversation, &sent["id"]).await,
        Some(json!({ "state": "sent" }))
    );
    let first = received.lock().expect("lock")[0].clone();
    assert!(first.contains("Mañana por la tarde."), "{first}");
    assert!(
        first.starts_with("Bearer tok-123|"),
        "the sealed secret reached the plugin: {first}"
    );

    // The provider is down: the reply waits, with the reason.
    let status =
        deliver_while_provider_says(&app, &conversation, &answer_with, 503, "¿Sigue ahí?").await;
    assert_eq!(status["state"], "queued");
    assert!(
        status["reason"]
            .as_str()
            .unwrap_or_default()
            .contains("503"),
        "{status}"
    );

    // A later reply of that conversation waits behind it, untried, whatever the provider says.
    let status =
        deliver_while_provider_says(&app, &conversation, &answer_with, 400, "Y otro más").await;
    assert_eq!(status, json!({ "state": "queued" }), "{status}");

    // The provider refuses (another contact's conversation): the reply fails, with what it said.
    let other = json!({ "id": "m-2", "from": { "id": "crm-8", "name": "Bruno" }, "text": "Hola" });
    let (_, answer) = webhook(&app, &hook, &other.to_string()).await;
    let other_conversation = answer["ingested"][0]["conversation_id"].clone();
    assert_ne!(other_conversation, conversation);
    let status =
        deliver_while_provider_says(&app, &other_conversation, &answer_with, 400, "Otro mensaje")
            .await;
    assert_eq!(status["state"], "failed");
    assert!(
        status["reason"]
            .as_str()
            .unwrap_or_default()
            .contains("400"),
        "{status}"
    );
}

async fn agent_reply(app: &TestApp, conversation: &Value, text: &str) -> Value {
    let (status, message) = app
        .post(
            &format!("/api/v1/conversations/{conversation}/messages"),
            &app.agent,
            json!({ "text": text }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{message}");
    message
}

async fn delivery_of(app: &TestApp, conversation: &Value, id: &Value) -> Option<Value> {
    let (_, messages) = app
        .get(
            &format!("/api/v1/conversations/{conversation}/messages"),
            &app.agent,
        )
        .await;
    messages["items"].as_array().and_then(|items| {
        items
            .iter()
            .find(|item| item["id"] == *id)
            .map(|item| item["delivery"].clone())
    })
}

/// Sends an agent's reply while the provider answers `code`, runs one delivery round, and
/// returns the reply's delivery status.
async fn deliver_while_provider_says(
    app: &TestApp,
    conversation: &Value,
    provider_answer: &std::sync::Mutex<u16>,
    code: u16,
    text: &str,
) -> Value {
    *provider_answer.lock().expect("lock") = code;
    let reply = agent_reply(app, conversation, text).await;
    switchboard_services::outbox::deliver_due(&app.state, "test-node")
        .await
        .expect("round");
    delivery_of(app, conversation, &reply["id"])
        .await
        .expect("delivery")
}

/// A signed package (component and manifest in one file) installs only when a key the
/// workspace trusts signed it and nothing changed since; agents may not manage the keys.
#[tokio::test]
async fn a_signed_package_installs_only_from_a_trusted_key_and_whole() {
    let app = TestApp::new().await;
    let path =
        std::path::Path::new(switchboard_plugins::BUILT_PLUGINS).join("template_adapter.wasm");
    let component = std::fs::read(&path).expect("the template adapter");
    let manifest =
        "name = \"crm\"\nversion = \"1.2.0\"\ncontract = \"0.2.0\"\nchannel_kind = \"api\"\n";
    let publisher = switchboard_package::signing_key(&[42; 32]);
    let package = switchboard_package::pack(manifest, &component, &publisher);
    let install = async |file: Vec<u8>| {
        let mut request = axum::http::Request::builder()
            .method(Method::POST)
            .uri("/api/v1/plugins/packages")
            .header(axum::http::header::CONTENT_TYPE, "application/octet-stream");
        request = match &app.admin {
            Auth::Cookie(cookie) => request.header(axum::http::header::COOKIE, cookie),
            Auth::Bearer(token) => {
                request.header(axum::http::header::AUTHORIZATION, format!("Bearer {token}"))
            }
            Auth::None => request,
        };
        app.send(request.body(axum::body::Body::from(file)).expect("request"))
            .await
    };

    let (status, refused) = install(package.clone()).await;
    assert_error(
        &(status, refused.clone()),
        StatusCode::UNPROCESSABLE_ENTITY,
        "untrusted_package",
    );
    let key = switchboard_package::public_key(&publisher);
    assert!(
        refused["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains(&key)),
        "{refused}"
    );

    let trust = json!({ "keys": [{ "name": "Acme Integrations", "key": key }] });
    let (status, _) = app
        .call(
            Method::PUT,
            "/api/v1/plugins/trusted-keys",
            &app.agent,
            Some(trust.clone()),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "agents do not choose whom to trust"
    );
    let (status, bad) = app
        .call(
            Method::PUT,
            "/api/v1/plugins/trusted-keys",
            &app.admin,
            Some(json!({ "keys": [{ "name": "Typo", "key": "not-a-key" }] })),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
    let (status, kept) = app
        .call(
            Method::PUT,
            "/api/v1/plugins/trusted-keys",
            &app.admin,
            Some(trust),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{kept}");

    let mut tampered = package.clone();
    *tampered.last_mut().expect("bytes") ^= 0x01;
    assert_error(
        &install(tampered).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_package",
    );

    let (status, installed) = install(package).await;
    assert_eq!(status, StatusCode::CREATED, "{installed}");
    assert_eq!(installed["name"], "crm");
    assert_eq!(installed["active_version"], "1.2.0");
}
