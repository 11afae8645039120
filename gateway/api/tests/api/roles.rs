//! The supervisor's role: every conversation worked as an admin works it, no setting changed.
//! The sweep walks the served API description, so a new admin-only route is checked for
//! supervisors without editing this test.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::plugins::upload;
use crate::support::{Auth, PASSWORD, TestApp, assert_error_naming};
use crate::tenancy::body_for;

/// A body that gets a request past its parsing to the role check: a whole new record for the
/// routes that add one, else what the tenancy sweep sends.
fn body(method: &Method, path: &str) -> Option<(String, &'static str)> {
    let new: Option<Value> = match (method.as_str(), path) {
        ("POST", "/api/v1/agents") => Some(
            json!({ "name": "Eve", "email": "eve@acme.test", "password": PASSWORD, "role": "agent" }),
        ),
        ("POST", "/api/v1/invitations") => {
            Some(json!({ "name": "Eve", "email": "eve@acme.test", "role": "agent" }))
        }
        ("POST", "/api/v1/channels") => Some(json!({ "kind": "api", "name": "Eve" })),
        ("POST", "/api/v1/teams") => {
            Some(json!({ "name": "Eve", "colour": "#e5534b", "member_ids": [] }))
        }
        ("POST", "/api/v1/labels") => Some(json!({ "name": "eve", "colour": "#e5534b" })),
        ("POST", "/api/v1/api-tokens") => Some(json!({ "name": "eve", "scope": "read" })),
        ("POST", "/api/v1/plugins") => Some(upload("template_adapter", "eve", "1.0.0", 300)),
        ("POST", "/api/v1/webhooks") => {
            Some(json!({ "url": "https://93.184.215.14/eve", "events": ["message_created"] }))
        }
        _ => None,
    };
    match new {
        Some(new) => Some((new.to_string(), "application/json")),
        None => body_for(method, path),
    }
}

/// A supervisor of the app's workspace, signed in.
async fn supervisor(app: &TestApp) -> Auth {
    let (status, made) = app
        .post(
            "/api/v1/agents",
            &app.admin,
            json!({ "name": "Sofía", "email": "sofia@acme.test", "password": PASSWORD, "role": "supervisor" }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{made}");
    assert_eq!(made["role"], "supervisor");
    app.login("sofia@acme.test").await
}

#[tokio::test]
async fn a_supervisor_assigns_and_answers_any_conversation() {
    let app = TestApp::new().await;
    let sofia = supervisor(&app).await;
    let ingested = app.inbound("ana@example.com", "s-1", "Hola").await;
    let conversation = &ingested["conversation_id"];
    let (_, list) = app.get("/api/v1/conversations", &sofia).await;
    assert_eq!(list["items"][0]["id"], *conversation, "{list}");
    let (status, assigned) = app
        .post(
            &format!("/api/v1/conversations/{conversation}/assign"),
            &sofia,
            json!({ "assignee_id": app.agent_id }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{assigned}");
    assert_eq!(assigned["assignee_id"], app.agent_id);
    let (status, reply) = app
        .post(
            &format!("/api/v1/conversations/{conversation}/messages"),
            &sofia,
            json!({ "text": "Ya te ayudamos." }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{reply}");
    let (status, closed) = app
        .post(
            &format!("/api/v1/conversations/{conversation}/status"),
            &sofia,
            json!({ "status": "resolved" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{closed}");
    let (_, people) = app.get("/api/v1/agents", &sofia).await;
    assert!(
        people
            .as_array()
            .is_some_and(|people| people.iter().any(|person| person["role"] == "supervisor")),
        "{people}"
    );
}

#[tokio::test]
async fn every_route_an_agent_is_refused_for_needing_an_admin_refuses_a_supervisor_too() {
    let app = TestApp::new().await;
    let sofia = supervisor(&app).await;
    let (status, description) = app.get("/api/v1/openapi.json", &Auth::None).await;
    assert_eq!(status, StatusCode::OK);
    let mut refused = Vec::new();
    for (path, operations) in description["paths"].as_object().expect("paths") {
        // The operator's routes take the operator's token; signing out would end the sweep;
        // the event socket has its own tests.
        if !path.starts_with("/api/v1/")
            || path.starts_with("/api/v1/operator/")
            || path == "/api/v1/auth/logout"
            || path == "/api/v1/events/ws"
        {
            continue;
        }
        for method in operations.as_object().expect("operations").keys() {
            let method: Method = method.to_uppercase().parse().expect("a method");
            // Ids nobody has: whatever is refused for the role is refused before the lookup.
            let url = path
                .split('/')
                .map(|segment| {
                    if segment.starts_with('{') {
                        "987654321"
                    } else {
                        segment
                    }
                })
                .collect::<Vec<_>>()
                .join("/");
            let body = body(&method, path);
            let call = async |auth: &Auth| {
                let (body, content_type) = body.clone().unzip();
                app.call_raw(method.clone(), &url, auth, body.as_deref(), content_type)
                    .await
            };
            let as_supervisor = call(&sofia).await;
            let as_agent = call(&app.agent).await;
            if as_agent.0 == StatusCode::FORBIDDEN {
                assert_eq!(
                    as_supervisor.0,
                    StatusCode::FORBIDDEN,
                    "{method} {path} refuses an agent ({}) but lets a supervisor through: {}",
                    as_agent.1,
                    as_supervisor.1
                );
                refused.push(format!("{method} {path}"));
            } else {
                assert_ne!(
                    as_supervisor.0,
                    StatusCode::FORBIDDEN,
                    "{method} {path} lets an agent through but refuses a supervisor: {}",
                    as_supervisor.1
                );
            }
        }
    }
    for settings in [
        "POST /api/v1/agents",
        "POST /api/v1/invitations",
        "DELETE /api/v1/invitations/{id}",
        "POST /api/v1/channels",
        "PATCH /api/v1/channels/{id}",
        "POST /api/v1/teams",
        "DELETE /api/v1/teams/{id}",
        "POST /api/v1/labels",
        "POST /api/v1/api-tokens",
        "POST /api/v1/plugins",
        "PATCH /api/v1/workspace",
        "GET /api/v1/webhooks",
        "POST /api/v1/webhooks",
        "PATCH /api/v1/webhooks/{id}",
        "DELETE /api/v1/webhooks/{id}",
        "GET /api/v1/webhooks/{id}/deliveries",
        "POST /api/v1/webhooks/{id}/test",
        "GET /api/v1/audit-log",
    ] {
        assert!(
            refused.iter().any(|route| route == settings),
            "{settings} is among the admin's routes: {refused:?}"
        );
    }
    assert!(refused.len() > 25, "{refused:?}");

    // The refusal says why.
    let answer = app
        .post(
            "/api/v1/teams",
            &sofia,
            json!({ "name": "Ventas", "colour": "#e5534b", "member_ids": [] }),
        )
        .await;
    assert_error_naming(
        &answer,
        StatusCode::FORBIDDEN,
        "forbidden",
        "a supervisor works every conversation but changes no settings",
    );
}
