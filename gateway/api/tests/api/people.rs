//! The workspace's people: deactivating and reactivating someone, and the supervisor's role.

use std::time::Duration;

use axum::http::{Method, StatusCode};
use futures_util::StreamExt;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

use crate::events::{connect, serve};
use crate::support::{Auth, PASSWORD, TestApp, assert_error, assert_error_naming};

/// A conversation from `email`, assigned to agent `agent_id`; its id.
async fn assigned(app: &TestApp, email: &str, agent_id: u64) -> u64 {
    let ingested = app.inbound(email, email, "Hola").await;
    let conversation = ingested["conversation_id"].as_u64().expect("conversation");
    let (status, answer) = app
        .post(
            &format!("/api/v1/conversations/{conversation}/assign"),
            &app.admin,
            json!({ "assignee_id": agent_id }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    conversation
}

async fn login_answer(app: &TestApp, email: &str) -> (StatusCode, Value) {
    app.post(
        "/api/v1/auth/login",
        &Auth::None,
        json!({ "email": email, "password": PASSWORD }),
    )
    .await
}

#[tokio::test]
async fn a_deactivated_agent_is_signed_out_at_once_and_their_open_conversations_go_back_to_the_queue()
 {
    let app = TestApp::new().await;
    let bea = app.agent_id;
    let open = assigned(&app, "ana@example.com", bea).await;
    let pending = assigned(&app, "joao@example.com", bea).await;
    let resolved = assigned(&app, "luis@example.com", bea).await;
    for (conversation, status) in [(pending, "pending"), (resolved, "resolved")] {
        let (code, answer) = app
            .post(
                &format!("/api/v1/conversations/{conversation}/status"),
                &app.agent,
                json!({ "status": status }),
            )
            .await;
        assert_eq!(code, StatusCode::OK, "{answer}");
    }
    // Bea is also signed in in a second browser; her console and the admin's follow events.
    let second_browser = app.login("bea@acme.test").await;
    let url = serve(&app).await;
    let mut beas_socket = connect(&url, &app.agent, None).await.expect("Bea's socket");
    let mut admins_socket = connect(&url, &app.admin, None)
        .await
        .expect("the admin's socket");

    let (status, off) = app
        .call(
            Method::PATCH,
            &format!("/api/v1/agents/{bea}"),
            &app.admin,
            Some(json!({ "active": false })),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{off}");
    assert_eq!(off["active"], false);

    // Bea's live socket closes, saying her access ended; the admin's carries the requeue.
    let closed = tokio::time::timeout(Duration::from_secs(5), async {
        while let Some(frame) = beas_socket.next().await {
            if let Ok(Message::Close(frame)) = frame {
                return frame.map(|frame| u16::from(frame.code));
            }
        }
        None
    })
    .await
    .expect("Bea's socket closes");
    assert_eq!(closed, Some(4001));
    tokio::time::timeout(Duration::from_secs(5), async {
        while let Some(Ok(frame)) = admins_socket.next().await {
            if let Message::Text(text) = frame
                && text.contains("\"requeued\"")
            {
                return;
            }
        }
        panic!("the admin's socket ended");
    })
    .await
    .expect("the admin sees the conversations go back to the queue");

    for session in [&app.agent, &second_browser] {
        let (status, _) = app.get("/api/v1/auth/me", session).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "every session ended");
    }
    assert_error_naming(
        &login_answer(&app, "bea@acme.test").await,
        StatusCode::FORBIDDEN,
        "agent_deactivated",
        "deactivated",
    );
    // A wrong password still says only that it is wrong.
    let (status, _) = app
        .post(
            "/api/v1/auth/login",
            &Auth::None,
            json!({ "email": "bea@acme.test", "password": "not the password" }),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    for (conversation, back_in_queue) in [(open, true), (pending, true), (resolved, false)] {
        let (_, read) = app
            .get(&format!("/api/v1/conversations/{conversation}"), &app.admin)
            .await;
        let (_, log) = app
            .get(
                &format!("/api/v1/conversations/{conversation}/messages"),
                &app.admin,
            )
            .await;
        let last = log["items"].as_array().and_then(|items| items.last());
        let said = last.is_some_and(|message| {
            message["direction"] == "system"
                && message["author"]["type"] == "system"
                && message["activity"] == json!({ "type": "requeued", "agent_id": bea })
                && message["text"]
                    .as_str()
                    .is_some_and(|text| text.contains("deactivated"))
        });
        if back_in_queue {
            assert_eq!(read["assignee_id"], Value::Null, "{read}");
            assert!(said, "the log says why: {log}");
        } else {
            assert_eq!(read["assignee_id"], bea, "a resolved one keeps its history");
            assert!(!said, "{log}");
        }
    }
    let (_, counts) = app.get("/api/v1/conversations/counts", &app.admin).await;
    assert_eq!(counts["unassigned"]["open"], 1, "{counts}");

    // Nobody assigns work to someone who cannot sign in.
    let answer = app
        .post(
            &format!("/api/v1/conversations/{open}/assign"),
            &app.admin,
            json!({ "assignee_id": bea }),
        )
        .await;
    assert_error_naming(
        &answer,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid",
        "deactivated",
    );

    let (status, on) = app
        .call(
            Method::PATCH,
            &format!("/api/v1/agents/{bea}"),
            &app.admin,
            Some(json!({ "active": true })),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{on}");
    let (status, me) = login_answer(&app, "bea@acme.test").await;
    assert_eq!(status, StatusCode::OK, "reactivated, Bea signs in: {me}");
}

#[tokio::test]
async fn the_last_active_admin_is_neither_deactivated_nor_demoted_and_the_refusal_names_them() {
    let app = TestApp::new().await;
    let (_, me) = app.get("/api/v1/auth/me", &app.admin).await;
    let admin = format!("/api/v1/agents/{}", me["agent"]["id"]);
    for change in [
        json!({ "active": false }),
        json!({ "role": "agent" }),
        json!({ "role": "supervisor" }),
    ] {
        let answer = app
            .call(Method::PATCH, &admin, &app.admin, Some(change))
            .await;
        assert_error_naming(
            &answer,
            StatusCode::CONFLICT,
            "conflict",
            "admin@acme.test is the workspace's last active admin",
        );
    }
    let (status, _) = app.get("/api/v1/auth/me", &app.admin).await;
    assert_eq!(status, StatusCode::OK, "the admin is still in");
    let answer = app
        .call(
            Method::PATCH,
            &format!("/api/v1/agents/{}", app.agent_id),
            &app.agent,
            Some(json!({ "active": false })),
        )
        .await;
    assert_error(&answer, StatusCode::FORBIDDEN, "forbidden");
}

#[tokio::test]
async fn a_deleted_team_leaves_its_conversations_and_its_channels_route_to_no_team() {
    let app = TestApp::new().await;
    let (_, team) = app
        .post(
            "/api/v1/teams",
            &app.admin,
            json!({ "name": "Ventas", "colour": "#e5534b", "member_ids": [app.agent_id] }),
        )
        .await;
    let team_path = format!("/api/v1/teams/{}", team["id"]);
    let channel = format!("/api/v1/channels/{}", app.channel);
    let (status, routed) = app
        .call(
            Method::PATCH,
            &channel,
            &app.admin,
            Some(json!({ "default_team_id": team["id"] })),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{routed}");
    let ingested = app.inbound("ana@example.com", "t-1", "Hola").await;
    let (status, _) = app.call(Method::DELETE, &team_path, &app.agent, None).await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "agents keep teams as they are"
    );
    let (status, _) = app.call(Method::DELETE, &team_path, &app.admin, None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, teams) = app.get("/api/v1/teams", &app.admin).await;
    assert_eq!(teams, json!([]));
    let (_, read) = app.get(&channel, &app.admin).await;
    assert_eq!(read["default_team_id"], Value::Null, "{read}");
    let (status, _) = app
        .get(
            &format!("/api/v1/conversations/{}", ingested["conversation_id"]),
            &app.admin,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "its conversation stays");
    app.inbound("joao@example.com", "t-2", "Oi").await;
    let answer = app.call(Method::DELETE, &team_path, &app.admin, None).await;
    assert_error(&answer, StatusCode::NOT_FOUND, "not_found");
}
