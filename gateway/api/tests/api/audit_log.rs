//! The audit log: admins' changes listed newest first with who made them, the record and the
//! fields changed, never a secret's value; agents may not read it.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::TestApp;

#[tokio::test]
async fn the_audit_log_lists_who_changed_what_newest_first_and_never_a_secret() {
    let app = TestApp::new().await;
    let (status, channel) = app
        .post(
            "/api/v1/channels",
            &app.admin,
            json!({ "kind": "api", "name": "CRM" }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{channel}");
    let (status, renamed) = app
        .call(
            Method::PATCH,
            &format!("/api/v1/channels/{}", channel["id"]),
            &app.admin,
            Some(json!({ "name": "CRM Brasil" })),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{renamed}");
    let (status, _) = app
        .call(
            Method::PUT,
            &format!("/api/v1/channels/{}/secrets", channel["id"]),
            &app.admin,
            Some(json!({ "secrets": { "api_key": "sk-live-hunter2" } })),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, invited) = app
        .post(
            "/api/v1/invitations",
            &app.admin,
            json!({ "name": "Caro", "email": "caro@acme.test", "role": "agent" }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{invited}");
    let (status, token) = app
        .post(
            "/api/v1/api-tokens",
            &app.admin,
            json!({ "name": "CRM sync", "scope": "write" }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{token}");

    let (status, log) = app.get("/api/v1/audit-log", &app.admin).await;
    assert_eq!(status, StatusCode::OK, "{log}");
    let items = log["items"].as_array().expect("items");
    let actions: Vec<&str> = items
        .iter()
        .map(|entry| entry["action"].as_str().expect("an action"))
        .collect();
    assert_eq!(
        actions,
        [
            "token_created",
            "person_invited",
            "channel_secrets_changed",
            "channel_updated",
            "channel_created"
        ],
        "{log}"
    );
    let (_, me) = app.get("/api/v1/auth/me", &app.admin).await;
    for entry in items {
        assert_eq!(entry["actor"]["type"], "agent", "{entry}");
        assert_eq!(entry["actor"]["id"], me["agent"]["id"], "{entry} {me}");
        assert!(entry["at"].as_i64().is_some_and(|at| at > 0));
    }
    let entry = |action: &str| -> &Value {
        items
            .iter()
            .find(|entry| entry["action"] == action)
            .expect("the entry")
    };
    assert_eq!(entry("token_created")["record_name"], "CRM sync");
    assert_eq!(entry("token_created")["record_id"], token["id"]);
    assert_eq!(entry("person_invited")["record_name"], "caro@acme.test");
    assert_eq!(entry("channel_updated")["record_id"], channel["id"]);
    assert_eq!(entry("channel_updated")["record_name"], "CRM Brasil");
    assert_eq!(entry("channel_updated")["changed"], json!(["name"]));
    assert_eq!(
        entry("channel_secrets_changed")["changed"],
        json!(["secrets.api_key"])
    );
    let text = log.to_string();
    let secret = token["token"].as_str().expect("the token");
    assert!(!text.contains(secret) && !text.contains("hunter2"), "{log}");

    // Pages, newest first.
    let (_, first) = app.get("/api/v1/audit-log?limit=2", &app.admin).await;
    let cursor = first["next_cursor"].as_str().expect("a next page");
    let (_, second) = app
        .get(
            &format!("/api/v1/audit-log?limit=2&cursor={cursor}"),
            &app.admin,
        )
        .await;
    assert_eq!(
        second["items"][0]["action"], "channel_secrets_changed",
        "{second}"
    );

    let (status, _) = app.get("/api/v1/audit-log", &app.agent).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (_, theirs) = app.get("/api/v1/audit-log", &app.stranger).await;
    assert_eq!(theirs["items"], json!([]), "{theirs}");
}
