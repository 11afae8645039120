//! What an attacker can reach from outside: served pages that must stay inert whatever the
//! link that opened them says.

use axum::http::StatusCode;
use axum::http::header::CONTENT_SECURITY_POLICY;
use switchboard_api::{ApiConfig, WebRoot};

use crate::support::TestApp;

fn web_root(demo_pages: bool) -> WebRoot {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    WebRoot {
        www: root.join("www"),
        widget: root.join("target/widget-dist"),
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

#[tokio::test]
async fn html_posted_to_an_api_channel_is_stored_sanitized() {
    let app = TestApp::new().await;
    let body = serde_json::json!({
        "contact": { "identity": { "kind": "email", "value": "ana@example.com" }, "name": "Ana" },
        "external_id": "html-1",
        "text": "Hola",
        "html": "<p>Hola <b>equipo</b></p><script>fetch('/api/v1/api-tokens')</script><img src=x onerror=alert(1)><a href=\"javascript:alert(1)\">x</a>",
    });
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
    let html = page["items"][0]["html"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(html.contains("<b>equipo</b>"), "{page}");
    for hostile in ["<script", "onerror", "javascript:"] {
        assert!(!html.contains(hostile), "{hostile} was stored: {html}");
    }
}
