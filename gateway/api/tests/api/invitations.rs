//! Inviting people: the pending list, the link's page (choose a password, then sign in), sending
//! again, withdrawing, and links that no longer work answered with a page that says why.

use axum::http::header::CONTENT_SECURITY_POLICY;
use axum::http::{Method, StatusCode};
use serde_json::{Value, json};
use switchboard_model::now_millis;
use switchboard_store::prelude::*;

use crate::support::{Auth, TestApp, assert_error, assert_error_naming};

/// The link's path and query, as the browser asks for it.
fn path_of(link: &Value) -> String {
    let link = link.as_str().expect("a link");
    let start = link.find("/invitation?").expect("the invitation page");
    link[start..].to_string()
}

async fn invite(app: &TestApp, body: Value) -> Value {
    let (status, sent) = app.post("/api/v1/invitations", &app.admin, body).await;
    assert_eq!(status, StatusCode::CREATED, "{sent}");
    sent
}

/// Posts a password to an invitation's page: its status and text.
async fn choose(app: &TestApp, path: &str, password: &str) -> (StatusCode, String) {
    let body = format!("password={}", password.replace(' ', "+"));
    let (status, page) = app
        .call_raw(
            Method::POST,
            path,
            &Auth::None,
            Some(&body),
            Some("application/x-www-form-urlencoded"),
        )
        .await;
    (status, page.as_str().unwrap_or_default().to_string())
}

#[tokio::test]
async fn an_invited_person_chooses_their_password_through_the_link_and_signs_in() {
    let app = TestApp::new().await;
    let (_, team) = app
        .post(
            "/api/v1/teams",
            &app.admin,
            json!({ "name": "Ventas", "colour": "#e5534b", "member_ids": [] }),
        )
        .await;
    let sent = invite(
        &app,
        json!({ "name": "Carla <b>Ruiz</b>", "email": " Carla@Acme.test ", "role": "supervisor", "team_ids": [team["id"]], "language": "es" }),
    )
    .await;
    let invitation = &sent["invitation"];
    assert_eq!(invitation["email"], "carla@acme.test");
    assert_eq!(invitation["language"], "es");
    assert_eq!(sent["mailed"], false, "this installation sends no mail");
    let week = invitation["expires_at"].as_i64().expect("expiry") - now_millis();
    assert!(
        (6 * 86_400_000..=7 * 86_400_000).contains(&week),
        "a week: {week}"
    );
    let (_, pending) = app.get("/api/v1/invitations", &app.admin).await;
    assert_eq!(pending[0]["id"], invitation["id"], "{pending}");
    let (status, _) = app.get("/api/v1/invitations", &app.agent).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "agents do not manage people");

    for (email, named) in [
        ("carla@acme.test", "already invited"),
        ("bea@acme.test", "already has an account"),
    ] {
        let answer = app
            .post(
                "/api/v1/invitations",
                &app.admin,
                json!({ "name": "Otra", "email": email, "role": "agent" }),
            )
            .await;
        assert_error_naming(&answer, StatusCode::CONFLICT, "conflict", named);
    }
    let answer = app
        .post(
            "/api/v1/invitations",
            &app.admin,
            json!({ "name": "Otra", "email": "not an address", "role": "agent" }),
        )
        .await;
    assert_error(&answer, StatusCode::UNPROCESSABLE_ENTITY, "invalid_body");

    // Sending it again makes the first link stop working.
    let first = path_of(&sent["link"]);
    let (status, again) = app
        .post(
            &format!("/api/v1/invitations/{}/resend", invitation["id"]),
            &app.admin,
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{again}");
    let link = path_of(&again["link"]);
    assert_ne!(link, first);
    let (status, _, page) = app.page(&first).await;
    assert_eq!(status, StatusCode::GONE);
    assert!(page.contains("no longer valid"), "{page}");

    let (status, headers, page) = app.page(&link).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(
        page.contains("Join Acme") && page.contains("Carla &lt;b&gt;Ruiz&lt;/b&gt;"),
        "{page}"
    );
    assert!(!page.contains("<b>"), "every value is escaped: {page}");
    let policy = headers
        .get(CONTENT_SECURITY_POLICY)
        .and_then(|value| value.to_str().ok())
        .expect("a policy");
    assert!(policy.contains("script-src 'none'") || !policy.contains("unsafe-inline"));

    let (status, page) = choose(&app, &link, "short").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("at least 10 characters"), "{page}");
    let (status, page) = choose(&app, &link, "correct horse battery").await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page.contains("Your account is ready") && page.contains("href=\"/app/\""));

    let carla = app.login("carla@acme.test").await;
    let (_, me) = app.get("/api/v1/auth/me", &carla).await;
    assert_eq!(me["agent"]["role"], "supervisor");
    assert_eq!(me["agent"]["language"], "es");
    let (_, teams) = app.get("/api/v1/teams", &carla).await;
    assert_eq!(teams[0]["member_ids"], json!([me["agent"]["id"]]));
    let (_, pending) = app.get("/api/v1/invitations", &app.admin).await;
    assert_eq!(pending, json!([]), "accepted, it is no longer pending");
    let (status, page) = choose(&app, &link, "another long password").await;
    assert_eq!(status, StatusCode::GONE, "a link works once: {page}");
}

#[tokio::test]
async fn a_withdrawn_or_expired_invitation_answers_with_a_page_that_says_so() {
    let app = TestApp::new().await;
    let withdrawn = invite(
        &app,
        json!({ "name": "Dora", "email": "dora@acme.test", "role": "agent" }),
    )
    .await;
    let (status, _) = app
        .call(
            Method::DELETE,
            &format!("/api/v1/invitations/{}", withdrawn["invitation"]["id"]),
            &app.admin,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _, page) = app.page(&path_of(&withdrawn["link"])).await;
    assert_eq!(status, StatusCode::GONE);
    assert!(page.contains("withdrawn") && page.contains("<!doctype html>"));
    let (status, page) = choose(&app, &path_of(&withdrawn["link"]), "long enough pw").await;
    assert_eq!(status, StatusCode::GONE, "{page}");
    let login = app
        .post(
            "/api/v1/auth/login",
            &Auth::None,
            json!({ "email": "dora@acme.test", "password": "long enough pw" }),
        )
        .await;
    assert_eq!(login.0, StatusCode::UNAUTHORIZED);

    // A link whose week is over, signed as the gateway signs (its key is the test's).
    let sent = invite(
        &app,
        json!({ "name": "Eva", "email": "eva@acme.test", "role": "agent" }),
    )
    .await;
    let id = sent["invitation"]["id"].as_u64().expect("id");
    let past = now_millis() - 1_000;
    let expired = app
        .store
        .renew_invitation(app.workspace, id, past)
        .await
        .expect("renewed");
    let data = format!(
        "{}\n{}\n{}\n{}\n{}",
        expired.workspace_id, expired.id, expired.email, expired.sent_at, expired.expires_at
    );
    let tag = app.state.secrets.tag("invitation", data.as_bytes());
    let path = format!(
        "/invitation?workspace={}&invitation={id}&expires={past}&tag={tag}",
        app.workspace
    );
    let (status, _, page) = app.page(&path).await;
    assert_eq!(status, StatusCode::GONE, "{page}");
    assert!(page.contains("has expired"), "{page}");
    // A forged tag is no better.
    let forged = path.replace(&tag, "AAAA");
    let (status, _, page) = app.page(&forged).await;
    assert_eq!(status, StatusCode::GONE);
    assert!(page.contains("no longer valid"), "{page}");
}

#[tokio::test]
async fn a_workspace_that_filled_its_quota_of_people_since_the_invitation_says_so_on_the_page() {
    let app = TestApp::new().await;
    let sent = invite(
        &app,
        json!({ "name": "Lía Gómez", "email": "lia@acme.test", "role": "agent", "language": "es" }),
    )
    .await;
    let path = path_of(&sent["link"]);
    // The operator lowers the quota to the people the workspace has now.
    let (_, people) = app.get("/api/v1/agents", &app.admin).await;
    let now = people.as_array().map_or(0, Vec::len) as u32;
    let quotas = switchboard_model::WorkspaceQuotas {
        agents: Some(now),
        ..Default::default()
    };
    app.store
        .set_workspace_quotas(app.workspace, quotas)
        .await
        .expect("quotas");
    let (status, page) = choose(&app, &path, "la clave de Lía").await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{page}");
    assert!(
        page.contains("This workspace already has as many people as its plan allows"),
        "{page}"
    );
    let (_, people) = app.get("/api/v1/agents", &app.admin).await;
    assert_eq!(
        people.as_array().map_or(0, Vec::len) as u32,
        now,
        "nobody was added"
    );
    // With room again, the same link works.
    app.store
        .set_workspace_quotas(app.workspace, switchboard_model::WorkspaceQuotas::default())
        .await
        .expect("quotas");
    let (status, page) = choose(&app, &path, "la clave de Lía").await;
    assert_eq!(status, StatusCode::OK, "{page}");
}
