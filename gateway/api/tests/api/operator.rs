//! The installation's operator: makes a workspace with its first admin, sees what each uses,
//! suspends one (its people are signed out, its sockets closed, its widget and webhooks
//! refused, nothing deleted) and resumes it. Only the configured operator token opens these
//! routes.

use std::time::Duration;

use axum::http::{StatusCode, header};
use futures_util::StreamExt;
use serde_json::{Value, json};
use switchboard_api::ApiConfig;
use tokio_tungstenite::tungstenite::Message;
use tower::ServiceExt;

use crate::events::{connect, serve};
use crate::plugins::channel_with;
use crate::support::{Auth, TestApp, assert_error, assert_error_naming};

const OPERATOR_TOKEN: &str = "the operator's token, long enough";

async fn app() -> TestApp {
    TestApp::with_config(ApiConfig {
        operator_token: Some(OPERATOR_TOKEN.into()),
        ..ApiConfig::default()
    })
    .await
}

fn operator() -> Auth {
    Auth::Bearer(OPERATOR_TOKEN.into())
}

/// Sets the quotas of the test's own workspace (Acme), as the operator.
async fn set_quotas(app: &TestApp, quotas: Value) -> (StatusCode, Value) {
    let path = format!("/api/v1/operator/workspaces/{}/quotas", app.workspace);
    app.call(axum::http::Method::PUT, &path, &operator(), Some(quotas))
        .await
}

/// Signs in with a password; the answer as a client sees it.
async fn sign_in(app: &TestApp, email: &str, password: &str) -> (StatusCode, Value) {
    app.post(
        "/api/v1/auth/login",
        &Auth::None,
        json!({ "email": email, "password": password }),
    )
    .await
}

#[tokio::test]
async fn only_the_configured_operator_token_opens_the_operator_routes() {
    let unconfigured = TestApp::new().await;
    assert_error(
        &unconfigured
            .get("/api/v1/operator/workspaces", &operator())
            .await,
        StatusCode::FORBIDDEN,
        "operator_not_configured",
    );
    let app = app().await;
    for someone in [
        &app.admin,
        &app.agent,
        &Auth::None,
        &Auth::Bearer("guess".into()),
    ] {
        assert_error(
            &app.get("/api/v1/operator/workspaces", someone).await,
            StatusCode::UNAUTHORIZED,
            "invalid_operator_token",
        );
        let (status, _) = app
            .post(
                &format!("/api/v1/operator/workspaces/{}/suspend", app.workspace),
                someone,
                json!({}),
            )
            .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    // The admins kept their access: nothing was suspended.
    let (status, _) = app.get("/api/v1/conversations", &app.admin).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn the_operator_makes_a_workspace_whose_admin_signs_in_once_with_the_printed_password() {
    let app = app().await;
    let (status, created) = app
        .post(
            "/api/v1/operator/workspaces",
            &operator(),
            json!({ "name": "  Café Aurora ", "admin_email": "ana@cafe-aurora.example" }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["workspace"]["name"], "Café Aurora");
    assert_eq!(created["admin"]["role"], "admin");
    assert_eq!(created["admin"]["name"], "ana");
    let password = created["password"]
        .as_str()
        .expect("a password")
        .to_string();
    assert!(password.len() >= 20, "{password}");

    let (status, session) = sign_in(&app, "ana@cafe-aurora.example", &password).await;
    assert_eq!(status, StatusCode::OK, "{session}");
    assert_eq!(session["workspace"]["name"], "Café Aurora", "{session}");
    // The printed password is for choosing her own, and her workspace's first run is ahead.
    assert_eq!(session["agent"]["must_choose_password"], true, "{session}");
    assert_eq!(session["workspace"]["onboarded"], false, "{session}");

    // Bad input names the field; an address that is someone's already makes nothing.
    let (_, before) = app.get("/api/v1/operator/workspaces", &operator()).await;
    for (body, field) in [
        (
            json!({ "name": " ", "admin_email": "bo@example.com" }),
            "name",
        ),
        (
            json!({ "name": "Bo", "admin_email": "not an address" }),
            "admin_email",
        ),
    ] {
        let answer = app
            .post("/api/v1/operator/workspaces", &operator(), body)
            .await;
        assert_error(
            &answer,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_workspace",
        );
        assert_eq!(answer.1["error"]["field"], field, "{}", answer.1);
    }
    let taken = app
        .post(
            "/api/v1/operator/workspaces",
            &operator(),
            json!({ "name": "Copia", "admin_email": "admin@acme.test" }),
        )
        .await;
    assert_error_naming(&taken, StatusCode::CONFLICT, "conflict", "admin@acme.test");
    let (_, after) = app.get("/api/v1/operator/workspaces", &operator()).await;
    assert_eq!(before, after, "nothing was made");
}

#[tokio::test]
async fn the_list_tells_each_workspaces_people_channels_and_conversations() {
    let app = app().await;
    app.inbound("ana@example.com", "m-1", "Hola").await;
    app.inbound("bo@example.com", "m-2", "Oi").await;
    let (status, workspaces) = app.get("/api/v1/operator/workspaces", &operator()).await;
    assert_eq!(status, StatusCode::OK, "{workspaces}");
    let acme = workspaces
        .as_array()
        .and_then(|all| all.iter().find(|each| each["id"] == app.workspace))
        .expect("Acme is listed");
    assert_eq!(acme["name"], "Acme");
    assert_eq!(
        acme["usage"],
        json!({ "agents": 2, "channels": 1, "conversations": 2, "storage_bytes": 0 })
    );
    let rival = workspaces
        .as_array()
        .and_then(|all| all.iter().find(|each| each["name"] == "Rival"))
        .expect("Rival is listed");
    assert_eq!(rival["usage"]["conversations"], 0);
}

#[tokio::test]
async fn a_suspended_workspace_is_signed_out_refused_everywhere_and_comes_back_whole() {
    let app = app().await;
    app.inbound("ana@example.com", "m-1", "Hola").await;
    let hook = channel_with(&app, "template_adapter", "crm").await;
    let (_, chat) = app
        .post(
            "/api/v1/channels",
            &app.admin,
            json!({ "kind": "webchat", "name": "Tienda" }),
        )
        .await;
    let widget = format!("/widget/v1/{}.{}/config", app.workspace, chat["id"]);
    let (_, token) = app
        .post(
            "/api/v1/api-tokens",
            &app.admin,
            json!({ "name": "CRM", "scope": "admin" }),
        )
        .await;
    let token = Auth::Bearer(token["token"].as_str().expect("a token").into());
    let url = serve(&app).await;
    let mut socket = connect(&url, &token, None).await.expect("connect");

    let (status, suspended) = app
        .post(
            &format!("/api/v1/operator/workspaces/{}/suspend", app.workspace),
            &operator(),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{suspended}");
    assert!(suspended["suspended_at"].is_i64(), "{suspended}");

    // The open socket is closed with a code that says why.
    let closed = tokio::time::timeout(Duration::from_secs(5), async {
        while let Some(frame) = socket.next().await {
            if let Ok(Message::Close(frame)) = frame {
                return frame.map(|frame| u16::from(frame.code));
            }
        }
        None
    })
    .await
    .expect("the socket closes");
    assert_eq!(closed, Some(4001));

    // Its people are signed out; signing in again, or an API token, says why.
    for someone in [&app.admin, &app.agent] {
        assert_error(
            &app.get("/api/v1/conversations", someone).await,
            StatusCode::UNAUTHORIZED,
            "session_expired",
        );
    }
    assert_error_naming(
        &app.get("/api/v1/conversations", &token).await,
        StatusCode::FORBIDDEN,
        "workspace_suspended",
        "Acme",
    );
    // Told only with the right password.
    assert_error(
        &sign_in(&app, "admin@acme.test", crate::support::PASSWORD).await,
        StatusCode::FORBIDDEN,
        "workspace_suspended",
    );
    assert_error(
        &sign_in(&app, "admin@acme.test", "a wrong password").await,
        StatusCode::UNAUTHORIZED,
        "invalid_credentials",
    );
    assert_error(
        &app.get(&widget, &Auth::None).await,
        StatusCode::FORBIDDEN,
        "workspace_suspended",
    );
    // A provider is asked to send again later, so that nothing it sends is lost.
    let request = axum::http::Request::post(&hook)
        .header(header::CONTENT_TYPE, "application/json")
        .body(axum::body::Body::from(
            r#"{"from":"ana@example.com","text":"hola"}"#,
        ))
        .expect("request");
    let answer = app.router.clone().oneshot(request).await.expect("answer");
    let (status, headers) = (answer.status(), answer.headers().clone());
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(headers.contains_key(header::RETRY_AFTER), "{headers:?}");

    // Another workspace goes on as before.
    let (status, _) = app.get("/api/v1/conversations", &app.stranger).await;
    assert_eq!(status, StatusCode::OK);

    let (status, resumed) = app
        .post(
            &format!("/api/v1/operator/workspaces/{}/resume", app.workspace),
            &operator(),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{resumed}");
    assert!(resumed.get("suspended_at").is_none(), "{resumed}");
    // Sessions ended with the suspension; tokens and everything else are back.
    assert_error(
        &app.get("/api/v1/conversations", &app.admin).await,
        StatusCode::UNAUTHORIZED,
        "session_expired",
    );
    let (status, conversations) = app.get("/api/v1/conversations", &token).await;
    assert_eq!(status, StatusCode::OK, "{conversations}");
    assert_eq!(conversations["items"].as_array().map(Vec::len), Some(1));
    let (status, _) = sign_in(&app, "admin@acme.test", crate::support::PASSWORD).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = app.get(&widget, &Auth::None).await;
    assert_eq!(status, StatusCode::OK);
}

/// Whether a conversation of the workspace holds `word` in the search index, once the
/// indexer had up to five seconds to read it.
async fn searchable(app: &TestApp, workspace: u64, word: &str) -> bool {
    for _ in 0..100 {
        let found = app
            .state
            .search
            .search(workspace, word, 10)
            .expect("search");
        if !found.conversations.is_empty() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    false
}

#[tokio::test]
async fn a_suspended_workspace_is_removed_with_its_search_entries_and_the_other_stays() {
    let app = app().await;
    use switchboard_store::prelude::*;
    let b = app.store.workspaces().await.expect("list")[1].id;
    let (status, _) = app
        .post(
            &format!("/api/v1/channels/{}/inbound", app.stranger_channel),
            &app.stranger,
            json!({
                "contact": { "identity": { "kind": "email", "value": "zoe@rival.test" } },
                "external_id": "r-1", "text": "pedido confidencial",
            }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    app.inbound("ana@example.com", "a-1", "pedido de Acme")
        .await;
    // The search index has B's message once the indexer has read it.
    assert!(searchable(&app, b, "confidencial").await);
    assert!(searchable(&app, app.workspace, "pedido").await);
    let remove = format!("/api/v1/operator/workspaces/{b}");
    assert_error_naming(
        &app.call(axum::http::Method::DELETE, &remove, &operator(), None)
            .await,
        StatusCode::CONFLICT,
        "workspace_active",
        "Rival",
    );
    app.post(&format!("{remove}/suspend"), &operator(), json!({}))
        .await;
    let (status, removed) = app
        .call(axum::http::Method::DELETE, &remove, &operator(), None)
        .await;
    assert_eq!(status, StatusCode::OK, "{removed}");
    assert_eq!(removed["workspace"]["name"], "Rival");
    assert!(removed["records"].as_u64() > Some(5), "{removed}");
    assert!(removed["event_lines"].as_u64() > Some(0), "{removed}");

    let found = app
        .state
        .search
        .search(b, "confidencial", 10)
        .expect("search");
    assert!(found.conversations.is_empty() && found.contacts.is_empty());
    assert_error(
        &sign_in(&app, "admin@rival.test", crate::support::PASSWORD).await,
        StatusCode::UNAUTHORIZED,
        "invalid_credentials",
    );
    assert_error(
        &app.get(&remove, &operator()).await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    let (_, left) = app.get("/api/v1/operator/workspaces", &operator()).await;
    assert_eq!(left.as_array().map(Vec::len), Some(1), "{left}");
    assert!(
        searchable(&app, app.workspace, "pedido").await,
        "A's entries stay"
    );
    let (_, conversations) = app.get("/api/v1/conversations", &app.admin).await;
    assert_eq!(conversations["items"].as_array().map(Vec::len), Some(1));
}

#[tokio::test]
async fn an_export_holds_every_record_of_its_workspace_and_no_secret_then_ends() {
    let app = app().await;
    app.inbound("ana@example.com", "a-1", "Hola, ¿tienen envíos?")
        .await;
    let (status, _) = app
        .call_raw(
            axum::http::Method::POST,
            "/api/v1/attachments?name=factura.pdf",
            &app.admin,
            Some("%PDF-1.4 factura"),
            Some("application/pdf"),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    app.post(
        &format!("/api/v1/channels/{}/inbound", app.stranger_channel),
        &app.stranger,
        json!({
            "contact": { "identity": { "kind": "email", "value": "zoe@rival.test" } },
            "external_id": "r-1", "text": "de otro negocio",
        }),
    )
    .await;

    let (status, body) = app
        .get(
            &format!("/api/v1/operator/workspaces/{}/export", app.workspace),
            &operator(),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let text = body.as_str().expect("lines of JSON").to_string();
    let lines: Vec<Value> = text
        .lines()
        .map(|line| serde_json::from_str(line).expect("a JSON line"))
        .collect();
    let kinds: Vec<&str> = lines
        .iter()
        .map(|line| line["kind"].as_str().expect("a kind"))
        .collect();
    assert_eq!(kinds.first(), Some(&"export"));
    assert_eq!(lines[0]["data"]["format"], 1);
    assert_eq!(
        lines.last().expect("an end")["data"]["lines"],
        lines.len() - 1
    );
    for kind in [
        "workspace",
        "agent",
        "channel",
        "contact",
        "conversation",
        "message",
        "file",
    ] {
        assert!(kinds.contains(&kind), "{kind} in {kinds:?}");
    }
    assert_eq!(kinds.iter().filter(|kind| **kind == "agent").count(), 2);
    assert!(text.contains("Hola, ¿tienen envíos?"));
    for absent in [
        "de otro negocio",
        "password",
        "webhook_token\":\"",
        "argon2",
    ] {
        assert!(!text.contains(absent), "{absent} in the export");
    }
    let file = lines
        .iter()
        .find(|line| line["kind"] == "file")
        .expect("a file");
    let (status, bytes) = app
        .get(
            &format!(
                "/api/v1/operator/workspaces/{}/files/{}",
                app.workspace,
                file["data"]["sha256"].as_str().expect("a digest")
            ),
            &operator(),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(bytes, json!("%PDF-1.4 factura"));
    assert_error(
        &app.get(
            &format!("/api/v1/operator/workspaces/{}/export", app.workspace),
            &app.admin,
        )
        .await,
        StatusCode::UNAUTHORIZED,
        "invalid_operator_token",
    );
}

#[tokio::test]
async fn quotas_refuse_one_more_person_channel_or_plugin_naming_the_quota_but_never_a_message() {
    let app = app().await;
    // Acme has two people, one channel and no plugin of its own.
    let (status, workspace) =
        set_quotas(&app, json!({ "agents": 2, "channels": 1, "plugins": 0 })).await;
    assert_eq!(status, StatusCode::OK, "{workspace}");
    assert_eq!(workspace["quotas"]["agents"], 2);

    let refused = [
        (
            "agents",
            app.post(
                "/api/v1/agents",
                &app.admin,
                json!({ "name": "Carla", "email": "carla@acme.test", "password": "long enough pw", "role": "agent" }),
            )
            .await,
        ),
        (
            "channels",
            app.post(
                "/api/v1/channels",
                &app.admin,
                json!({ "kind": "webchat", "name": "Tienda" }),
            )
            .await,
        ),
        (
            "plugins",
            app.post(
                "/api/v1/plugins",
                &app.admin,
                crate::plugins::upload("template_adapter", "crm", "1.0.0", 300),
            )
            .await,
        ),
    ];
    for (quota, answer) in refused {
        assert_error(&answer, StatusCode::FORBIDDEN, "quota_reached");
        assert_eq!(answer.1["error"]["field"], quota, "{}", answer.1);
    }
    let (_, people) = app.get("/api/v1/agents", &app.admin).await;
    assert_eq!(people.as_array().map(Vec::len), Some(2), "nobody was added");
    // Everyone in the workspace sees where it stands, for the console's notice.
    let (status, uses) = app.get("/api/v1/quotas", &app.agent).await;
    assert_eq!(status, StatusCode::OK, "{uses}");
    assert_eq!(
        uses,
        json!([
            { "quota": "agents", "limit": 2, "used": 2 },
            { "quota": "channels", "limit": 1, "used": 1 },
            { "quota": "plugins", "limit": 0, "used": 0 },
        ])
    );
    // Customers' messages always go in.
    app.inbound("ana@example.com", "q-1", "Hola").await;

    // A quota left out is lifted; one past the largest is named.
    let (status, _) = set_quotas(&app, json!({ "agents": 2, "plugins": 0 })).await;
    assert_eq!(status, StatusCode::OK);
    let (status, channel) = app
        .post(
            "/api/v1/channels",
            &app.admin,
            json!({ "kind": "webchat", "name": "Tienda" }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{channel}");
    let too_many = set_quotas(&app, json!({ "agents": 5_000_000 })).await;
    assert_error(
        &too_many,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_workspace",
    );
    assert_eq!(too_many.1["error"]["field"], "agents");
    let (_, listed) = app.get("/api/v1/operator/workspaces", &operator()).await;
    let acme = listed
        .as_array()
        .and_then(|all| all.iter().find(|each| each["id"] == app.workspace))
        .expect("Acme");
    assert_eq!(
        acme["quotas"],
        json!({ "agents": 2, "channels": null, "plugins": 0, "storage_mib": null, "messages_per_day": null })
    );
}

#[tokio::test]
async fn a_storage_quota_refuses_uploads_past_it_and_tells_a_visitor_they_can_still_write() {
    let app = app().await;
    let (status, _) = set_quotas(&app, json!({ "storage_mib": 1 })).await;
    assert_eq!(status, StatusCode::OK);
    let upload = |name: &str, fill: char| {
        let body = format!("%PDF-1.4 {}", fill.to_string().repeat(600 * 1024));
        let path = format!("/api/v1/attachments?name={name}");
        let app = &app;
        async move {
            app.call_raw(
                axum::http::Method::POST,
                &path,
                &app.agent,
                Some(&body),
                Some("application/pdf"),
            )
            .await
        }
    };
    let (status, first) = upload("uno.pdf", 'a').await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    // The same file again takes no more room.
    let (status, _) = upload("copia.pdf", 'a').await;
    assert_eq!(status, StatusCode::CREATED);
    let refused = upload("dos.pdf", 'b').await;
    assert_error_naming(&refused, StatusCode::FORBIDDEN, "quota_reached", "1 MiB");
    assert_eq!(refused.1["error"]["field"], "storage_mib");

    // A visitor is told as past the daily quota, so the chat says they can still write.
    let (_, chat) = app
        .post(
            "/api/v1/channels",
            &app.admin,
            json!({ "kind": "webchat", "name": "Tienda" }),
        )
        .await;
    let widget = format!("{}.{}", app.workspace, chat["id"]);
    let (_, session) = app
        .post(
            &format!("/widget/v1/{widget}/visitors"),
            &Auth::None,
            json!({}),
        )
        .await;
    let visitor = Auth::Bearer(session["token"].as_str().expect("a visitor token").into());
    let (status, answer) = app
        .call_raw(
            axum::http::Method::POST,
            &format!("/widget/v1/{widget}/attachments?name=foto.gif"),
            &visitor,
            Some(&format!("GIF89a {}", "c".repeat(600 * 1024))),
            Some("image/gif"),
        )
        .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{answer}");
    assert_eq!(answer["error"]["code"], "over_quota");
    // Messages still go in.
    app.inbound("ana@example.com", "s-1", "Hola").await;
}

#[tokio::test]
async fn a_daily_message_quota_refuses_one_more_reply_until_tomorrow_but_never_a_note() {
    let app = app().await;
    let ingested = app.inbound("ana@example.com", "d-1", "Hola").await;
    let replies = format!(
        "/api/v1/conversations/{}/messages",
        ingested["conversation_id"]
    );
    let (status, _) = set_quotas(&app, json!({ "messages_per_day": 2 })).await;
    assert_eq!(status, StatusCode::OK);
    for text in ["Hola Ana", "¿Algo más?"] {
        let (status, reply) = app
            .post(&replies, &app.agent, json!({ "text": text }))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{reply}");
    }
    let request = axum::http::Request::post(&replies)
        .header(header::CONTENT_TYPE, "application/json")
        .header(
            header::COOKIE,
            match &app.agent {
                Auth::Cookie(cookie) => cookie.clone(),
                other => panic!("{other:?}"),
            },
        )
        .body(axum::body::Body::from(
            json!({ "text": "Una más" }).to_string(),
        ))
        .expect("request");
    let answer = app.router.clone().oneshot(request).await.expect("answer");
    assert_eq!(answer.status(), StatusCode::TOO_MANY_REQUESTS);
    let wait: u64 = answer.headers()[header::RETRY_AFTER]
        .to_str()
        .expect("text")
        .parse()
        .expect("seconds");
    assert!((1..=86_400).contains(&wait), "{wait}");
    let body = axum::body::to_bytes(answer.into_body(), 1 << 20)
        .await
        .expect("body");
    let refused: Value = serde_json::from_slice(&body).expect("JSON");
    assert_eq!(refused["error"]["code"], "quota_reached");
    assert_eq!(refused["error"]["field"], "messages_per_day");
    // A private note is no message to the contact; the contact's messages keep coming.
    let (status, _) = app
        .post(
            &replies,
            &app.agent,
            json!({ "text": "VIP", "private": true }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    app.inbound("ana@example.com", "d-2", "¿Siguen ahí?").await;
}
