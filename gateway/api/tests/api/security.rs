//! What an attacker can reach from outside: served pages that must stay inert whatever the
//! link that opened them says.

use axum::http::StatusCode;
use axum::http::header::CONTENT_SECURITY_POLICY;
use switchboard_api::{ApiConfig, WebRoot};

use crate::support::{Auth, TestApp, assert_error};

fn web_root(demo_pages: bool) -> WebRoot {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    WebRoot {
        www: root.join("www"),
        widget: root.join("target/widget-dist"),
        console: root.join("target/console-dist"),
        demo_pages,
    }
}

async fn app(demo_pages: bool) -> TestApp {
    TestApp::with_config(ApiConfig {
        web: web_root(demo_pages),
        ..ApiConfig::default()
    })
    .await
}

/// The script-src directive of a policy.
fn script_sources(policy: &str) -> &str {
    policy
        .split(';')
        .map(str::trim)
        .find(|directive| directive.starts_with("script-src"))
        .unwrap_or_else(|| panic!("no script-src in {policy:?}"))
}

#[tokio::test]
async fn a_script_in_the_demo_link_comes_back_as_text_under_a_strict_policy() {
    let app = app(true).await;
    let payload = "\"></script><script>fetch('/api/v1/api-tokens',{method:'POST'})</script>";
    let encoded: String = payload.bytes().map(|byte| format!("%{byte:02X}")).collect();
    for page in ["index.html", "busy-globals.html", "strict-csp.html"] {
        let (status, headers, html) = app.page(&format!("/demo/{page}?widget={encoded}")).await;
        assert_eq!(status, StatusCode::OK, "{page}: {html}");
        assert!(
            !html.contains("<script>fetch"),
            "{page} carries the link's script as markup"
        );
        let template = std::fs::read_to_string(web_root(true).www.join("demo").join(page))
            .expect("the demo page");
        assert_eq!(
            html.matches("<script").count(),
            template.matches("<script").count(),
            "{page} gained a script element"
        );
        let policy = headers
            .get(CONTENT_SECURITY_POLICY)
            .and_then(|value| value.to_str().ok())
            .unwrap_or_else(|| panic!("{page} has no Content-Security-Policy"));
        let scripts = script_sources(policy);
        assert!(
            !scripts.contains("unsafe-inline") && !scripts.contains('*'),
            "{page}: {policy}"
        );
    }
}

#[tokio::test]
async fn demo_pages_are_off_unless_turned_on() {
    let app = app(false).await;
    let (status, _, _) = app.page("/demo/index.html").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _, _) = app.page("/demo/").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn every_served_page_has_a_policy() {
    let app = app(true).await;
    for path in [
        "/install/",
        "/install/wordpress.html",
        "/demo/",
        "/demo/wix.html",
    ] {
        let (status, headers, _) = app.page(path).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        let policy = headers
            .get(CONTENT_SECURITY_POLICY)
            .and_then(|value| value.to_str().ok())
            .unwrap_or_else(|| panic!("{path} has no Content-Security-Policy"));
        assert!(
            !script_sources(policy).contains("unsafe-inline"),
            "{path}: {policy}"
        );
    }
}

/// Posts `body` to the API channel's inbound route and reads back the message it stored.
async fn stored_message(app: &TestApp, body: serde_json::Value) -> serde_json::Value {
    let (status, ingested) = app
        .post(
            &format!("/api/v1/channels/{}/inbound", app.channel),
            &app.admin,
            body,
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{ingested}");
    let (status, page) = app
        .get(
            &format!(
                "/api/v1/conversations/{}/messages",
                ingested["conversation_id"]
            ),
            &app.admin,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    page["items"][0].clone()
}

#[tokio::test]
async fn html_posted_to_an_api_channel_is_stored_sanitized() {
    let app = TestApp::new().await;
    let body = serde_json::json!({
        "contact": { "identity": { "kind": "email", "value": "ana@example.com" }, "name": "Ana" },
        "external_id": "html-1",
        "text": "Hola",
        "html": "<p>Hola <b>equipo</b></p><script>fetch('/api/v1/api-tokens')</script><img src=x onerror=alert(1)><a href=\"javascript:alert(1)\">x</a>",
    });
    let stored = stored_message(&app, body).await;
    let html = stored["html"].as_str().unwrap_or_default().to_string();
    assert!(html.contains("<b>equipo</b>"), "{stored}");
    for hostile in ["<script", "onerror", "javascript:"] {
        assert!(!html.contains(hostile), "{hostile} was stored: {html}");
    }
}

/// A token's scope and expiry hold whatever its agent may do.
#[tokio::test]
async fn api_tokens_do_only_what_their_scope_allows_until_they_expire() {
    let app = TestApp::new().await;
    let token = |scope: &str, expires_at: Option<i64>| {
        let body = serde_json::json!({ "name": format!("{scope} token"), "scope": scope, "expires_at": expires_at });
        let app = &app;
        async move {
            let (status, created) = app.post("/api/v1/api-tokens", &app.admin, body).await;
            assert_eq!(status, StatusCode::CREATED, "{created}");
            Auth::Bearer(created["token"].as_str().expect("secret").to_string())
        }
    };
    let inbound = |n: u32| {
        serde_json::json!({
            "contact": { "identity": { "kind": "email", "value": "ana@example.com" } },
            "external_id": format!("t-{n}"),
            "text": "Hola",
        })
    };
    let inbound_path = format!("/api/v1/channels/{}/inbound", app.channel);

    let reader = token("read", None).await;
    let (status, _) = app.get("/api/v1/conversations", &reader).await;
    assert_eq!(status, StatusCode::OK);
    assert_error(
        &app.post(&inbound_path, &reader, inbound(1)).await,
        StatusCode::FORBIDDEN,
        "token_scope",
    );

    let writer = token("write", None).await;
    let (status, answer) = app.post(&inbound_path, &writer, inbound(2)).await;
    assert_eq!(status, StatusCode::CREATED, "{answer}");
    assert_error(
        &app.get("/api/v1/api-tokens", &writer).await,
        StatusCode::FORBIDDEN,
        "token_scope",
    );

    assert_error(
        &app.post(
            "/api/v1/api-tokens",
            &app.admin,
            serde_json::json!({ "name": "late", "expires_at": 1 }),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_body",
    );
    let soon = switchboard_model::now_millis() + 1_000;
    let brief = token("admin", Some(soon)).await;
    let (status, _) = app.get("/api/v1/api-tokens", &brief).await;
    assert_eq!(status, StatusCode::OK);
    tokio::time::sleep(std::time::Duration::from_millis(1_200)).await;
    assert_error(
        &app.get("/api/v1/api-tokens", &brief).await,
        StatusCode::UNAUTHORIZED,
        "token_expired",
    );
}

/// Changing one's own password takes the current one, and a new password ends the agent's
/// other sessions and revokes its tokens; an admin may reset another agent's without it.
#[tokio::test]
async fn a_new_password_needs_the_old_one_and_ends_other_access() {
    let app = TestApp::new().await;
    let bea = format!("/api/v1/agents/{}", app.agent_id);
    let other_browser = app.login("bea@acme.test").await;
    // Bea's own API token needs an admin to make: a stolen one must go too.
    let (status, _) = app
        .call(
            axum::http::Method::PATCH,
            &bea,
            &app.admin,
            Some(serde_json::json!({ "role": "admin" })),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, created) = app
        .post(
            "/api/v1/api-tokens",
            &app.agent,
            serde_json::json!({ "name": "bea's script" }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let token = Auth::Bearer(created["token"].as_str().expect("secret").to_string());

    let change =
        |body: serde_json::Value| app.call(axum::http::Method::PATCH, &bea, &app.agent, Some(body));
    assert_error(
        &change(serde_json::json!({ "password": "a brand new secret" })).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "current_password_required",
    );
    assert_error(
        &change(serde_json::json!({ "password": "a brand new secret", "current_password": "a guess at it" })).await,
        StatusCode::FORBIDDEN,
        "wrong_password",
    );
    let (status, _) = change(serde_json::json!({
        "password": "a brand new secret",
        "current_password": crate::support::PASSWORD,
    }))
    .await;
    assert_eq!(status, StatusCode::OK);

    let (status, _) = app.get("/api/v1/auth/me", &app.agent).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "the browser that changed it stays in"
    );
    let (status, _) = app.get("/api/v1/auth/me", &other_browser).await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "another session outlived the change"
    );
    let (status, _) = app.get("/api/v1/auth/me", &token).await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "a token outlived the change"
    );

    // An admin resets it without knowing it: Bea's session ends too.
    let (status, _) = app
        .call(
            axum::http::Method::PATCH,
            &bea,
            &app.admin,
            Some(serde_json::json!({ "password": "reset by the admin" })),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = app.get("/api/v1/auth/me", &app.agent).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

/// Markup nested thousands of levels deep costs the sanitizer time that grows with the square of
/// the depth: it is not sanitized or kept beside the message, which is stored with its text.
#[tokio::test]
async fn deeply_nested_html_is_left_out_and_the_message_kept() {
    let app = TestApp::new().await;
    let nested = format!("{}hola{}", "<div>".repeat(20_000), "</div>".repeat(20_000));
    let body = serde_json::json!({
        "contact": { "identity": { "kind": "email", "value": "ana@example.com" } },
        "external_id": "deep-1",
        "text": "Hola, les escribo por mi pedido",
        "html": nested,
    });
    let stored = stored_message(&app, body).await;
    assert_eq!(stored["text"], "Hola, les escribo por mi pedido");
    assert!(stored.get("html").is_none(), "{}", stored);
}
