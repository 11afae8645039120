//! Every kind of bad input gets a 4xx JSON error with a stable code and a message that names
//! the problem, and changes nothing.

use axum::http::{Method, StatusCode};
use serde_json::json;
use switchboard_api::ApiConfig;
use switchboard_store::Session;
use switchboard_store::prelude::*;

use crate::support::{Auth, TestApp, assert_error, assert_error_naming};

#[tokio::test]
async fn malformed_json_is_named() {
    let app = TestApp::new().await;
    let answer = app
        .call_raw(
            Method::POST,
            "/api/v1/contacts",
            &app.admin,
            Some("{\"name\": "),
            Some("application/json"),
        )
        .await;
    assert_error(&answer, StatusCode::BAD_REQUEST, "invalid_json");
}

#[tokio::test]
async fn a_body_of_the_wrong_shape_names_the_field() {
    let app = TestApp::new().await;
    let answer = app
        .post("/api/v1/contacts", &app.admin, json!({ "name": 42 }))
        .await;
    assert_error(&answer, StatusCode::UNPROCESSABLE_ENTITY, "invalid_body");
    assert!(
        answer.1["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("name"),
        "{}",
        answer.1
    );
    let blank = app
        .post("/api/v1/contacts", &app.admin, json!({ "name": "  " }))
        .await;
    assert_error(&blank, StatusCode::UNPROCESSABLE_ENTITY, "invalid_body");
}

#[tokio::test]
async fn a_body_that_is_not_json_is_refused() {
    let app = TestApp::new().await;
    let answer = app
        .call_raw(
            Method::POST,
            "/api/v1/contacts",
            &app.admin,
            Some("name=Ana"),
            Some("text/plain"),
        )
        .await;
    assert_error(
        &answer,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
    );
}

#[tokio::test]
async fn an_oversized_body_is_refused() {
    let app = TestApp::with_config(ApiConfig {
        max_body_bytes: 4096,
        ..ApiConfig::default()
    })
    .await;
    let huge = json!({ "name": "x".repeat(10_000) });
    let answer = app.post("/api/v1/contacts", &app.admin, huge.clone()).await;
    assert_error(&answer, StatusCode::PAYLOAD_TOO_LARGE, "body_too_large");
    let inbound = app
        .post(
            &format!("/api/v1/channels/{}/inbound", app.channel),
            &app.admin,
            huge,
        )
        .await;
    assert_error(&inbound, StatusCode::PAYLOAD_TOO_LARGE, "body_too_large");
    let (_, contacts) = app.get("/api/v1/contacts", &app.admin).await;
    assert_eq!(contacts["items"], json!([]), "nothing was created");
}

#[tokio::test]
async fn unknown_ids_are_not_found() {
    let app = TestApp::new().await;
    assert_error(
        &app.get("/api/v1/conversations/999999", &app.admin).await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    assert_error(
        &app.get("/api/v1/contacts/999999", &app.admin).await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    let reply = app
        .post(
            "/api/v1/conversations/999999/messages",
            &app.admin,
            json!({ "text": "hola" }),
        )
        .await;
    assert_error(&reply, StatusCode::NOT_FOUND, "not_found");
    let answer = app.get("/api/v1/conversations/999999", &app.admin).await;
    assert!(
        answer.1["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("999999")
    );
}

#[tokio::test]
async fn another_workspaces_ids_are_not_found() {
    let app = TestApp::new().await;
    let ingested = app.inbound("ana@example.com", "m-1", "Hola").await;
    let conversation = ingested["conversation_id"].as_u64().expect("id");
    let contact = ingested["contact_id"].as_u64().expect("id");
    let stranger = &app.stranger;
    assert_error(
        &app.get(&format!("/api/v1/conversations/{conversation}"), stranger)
            .await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    assert_error(
        &app.get(
            &format!("/api/v1/conversations/{conversation}/messages"),
            stranger,
        )
        .await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    assert_error(
        &app.get(&format!("/api/v1/contacts/{contact}"), stranger)
            .await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    let reply = app
        .post(
            &format!("/api/v1/conversations/{conversation}/messages"),
            stranger,
            json!({ "text": "hi" }),
        )
        .await;
    assert_error(&reply, StatusCode::NOT_FOUND, "not_found");
    let close = app
        .post(
            &format!("/api/v1/conversations/{conversation}/close"),
            stranger,
            json!({}),
        )
        .await;
    assert_error(&close, StatusCode::NOT_FOUND, "not_found");
    let inbound = app
        .post(
            &format!("/api/v1/channels/{}/inbound", app.channel),
            stranger,
            json!({ "contact": { "identity": { "kind": "email", "value": "x@y.z" } }, "external_id": "1", "text": "x" }),
        )
        .await;
    assert_error(&inbound, StatusCode::NOT_FOUND, "not_found");
    let assign = app
        .post(
            &format!("/api/v1/conversations/{conversation}/assign"),
            &app.admin,
            json!({ "assignee_id": app.stranger_channel }),
        )
        .await;
    assert_error(&assign, StatusCode::NOT_FOUND, "not_found");
    let (_, theirs) = app.get("/api/v1/conversations", stranger).await;
    assert_eq!(theirs["items"], json!([]));
    let (_, events) = app.get("/api/v1/events", stranger).await;
    assert!(
        events
            .as_array()
            .expect("events")
            .iter()
            .all(|event| !event.to_string().contains("ana@example.com"))
    );
}

#[tokio::test]
async fn missing_credentials_are_refused() {
    let app = TestApp::new().await;
    for path in [
        "/api/v1/conversations",
        "/api/v1/contacts",
        "/api/v1/agents",
        "/api/v1/events",
        "/api/v1/auth/me",
        "/metrics",
    ] {
        assert_error(
            &app.get(path, &Auth::None).await,
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
        );
    }
    let answer = app
        .post("/api/v1/contacts", &Auth::None, json!({ "name": "Ana" }))
        .await;
    assert_error(&answer, StatusCode::UNAUTHORIZED, "unauthenticated");
}

#[tokio::test]
async fn wrong_and_expired_credentials_are_refused() {
    let app = TestApp::new().await;
    let bad_token = app
        .get(
            "/api/v1/conversations",
            &Auth::Bearer("sbt_not-a-token".into()),
        )
        .await;
    assert_error(&bad_token, StatusCode::UNAUTHORIZED, "invalid_token");
    let bad_cookie = app
        .get(
            "/api/v1/conversations",
            &Auth::Cookie("sb_session=forged".into()),
        )
        .await;
    assert_error(&bad_cookie, StatusCode::UNAUTHORIZED, "session_expired");

    let secret = "an-expired-session-secret";
    let hash: [u8; 32] = <sha2::Sha256 as sha2::Digest>::digest(secret.as_bytes()).into();
    let expired = Session {
        workspace_id: app.workspace,
        agent_id: app.agent_id,
        expires_at: 1,
    };
    app.store.put_session(hash, expired).await.expect("session");
    let answer = app
        .get(
            "/api/v1/conversations",
            &Auth::Cookie(format!("sb_session={secret}")),
        )
        .await;
    assert_error(&answer, StatusCode::UNAUTHORIZED, "session_expired");

    let wrong_password = app
        .post(
            "/api/v1/auth/login",
            &Auth::None,
            json!({ "email": "admin@acme.test", "password": "nope nope nope" }),
        )
        .await;
    assert_error(
        &wrong_password,
        StatusCode::UNAUTHORIZED,
        "invalid_credentials",
    );
    let unknown = app
        .post(
            "/api/v1/auth/login",
            &Auth::None,
            json!({ "email": "who@acme.test", "password": "nope nope nope" }),
        )
        .await;
    assert_error(&unknown, StatusCode::UNAUTHORIZED, "invalid_credentials");
    assert_eq!(
        wrong_password.1, unknown.1,
        "an unknown address is not told apart from a wrong password"
    );
}

#[tokio::test]
async fn logging_out_ends_the_session() {
    let app = TestApp::new().await;
    let (status, _) = app.post("/api/v1/auth/logout", &app.agent, json!({})).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_error(
        &app.get("/api/v1/auth/me", &app.agent).await,
        StatusCode::UNAUTHORIZED,
        "session_expired",
    );
}

#[tokio::test]
async fn agents_cannot_do_what_needs_an_admin() {
    let app = TestApp::new().await;
    let invite = json!({ "name": "Eve", "email": "eve@acme.test", "password": "long enough pw", "role": "admin" });
    assert_error(
        &app.post("/api/v1/agents", &app.agent, invite).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
    assert_error(
        &app.post("/api/v1/api-tokens", &app.agent, json!({ "name": "x" }))
            .await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
    assert_error(
        &app.get("/api/v1/dead-letters", &app.agent).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
    assert_error(
        &app.get("/metrics", &app.agent).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
    let promote = app
        .call(
            Method::PATCH,
            &format!("/api/v1/agents/{}", app.agent_id),
            &app.agent,
            Some(json!({ "role": "admin" })),
        )
        .await;
    assert_error(&promote, StatusCode::FORBIDDEN, "forbidden");
    let own = app
        .call(
            Method::PATCH,
            &format!("/api/v1/agents/{}", app.agent_id),
            &app.agent,
            Some(json!({ "signature": "Bea, Acme" })),
        )
        .await;
    assert_eq!(
        own.0,
        StatusCode::OK,
        "agents keep their own profile: {}",
        own.1
    );
}

#[tokio::test]
async fn bad_paths_queries_and_routes_are_named() {
    let app = TestApp::new().await;
    assert_error(
        &app.get("/api/v1/conversations/abc", &app.admin).await,
        StatusCode::BAD_REQUEST,
        "invalid_path",
    );
    assert_error(
        &app.get("/api/v1/conversations?status=lost", &app.admin)
            .await,
        StatusCode::BAD_REQUEST,
        "invalid_query",
    );
    assert_error(
        &app.get("/api/v1/conversations?cursor=zzz", &app.admin)
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid",
    );
    assert_error(
        &app.get("/api/v1/conversations?assignee=bob", &app.admin)
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid",
    );
    assert_error(
        &app.get("/api/v1/nothing-here", &app.admin).await,
        StatusCode::NOT_FOUND,
        "no_route",
    );
    assert_error(
        &app.call(Method::DELETE, "/api/v1/conversations", &app.admin, None)
            .await,
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
    );
}

#[tokio::test]
async fn conflicting_writes_are_named() {
    let app = TestApp::new().await;
    let invite = json!({ "name": "Bea again", "email": "BEA@acme.test", "password": "long enough pw", "role": "agent" });
    assert_error(
        &app.post("/api/v1/agents", &app.admin, invite).await,
        StatusCode::CONFLICT,
        "conflict",
    );
    let weak =
        json!({ "name": "Cy", "email": "cy@acme.test", "password": "short", "role": "agent" });
    assert_error(
        &app.post("/api/v1/agents", &app.admin, weak).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "weak_password",
    );
    let first = app
        .post(
            "/api/v1/contacts",
            &app.admin,
            json!({ "name": "Ana", "emails": ["ana@example.com"] }),
        )
        .await;
    assert_eq!(first.0, StatusCode::CREATED);
    let twin = app
        .post(
            "/api/v1/contacts",
            &app.admin,
            json!({ "name": "Ana 2", "emails": ["ANA@example.com"] }),
        )
        .await;
    assert_error(&twin, StatusCode::CONFLICT, "conflict");
}

#[tokio::test]
async fn an_unprocessable_inbound_payload_is_kept_and_can_be_replayed() {
    let app = TestApp::new().await;
    let path = format!("/api/v1/channels/{}/inbound", app.channel);
    let broken = app
        .call_raw(
            Method::POST,
            &path,
            &app.admin,
            Some("{\"contact\": {\"identity\""),
            Some("application/json"),
        )
        .await;
    assert_error(
        &broken,
        StatusCode::UNPROCESSABLE_ENTITY,
        "unprocessable_payload",
    );
    let no_text = json!({ "contact": { "identity": { "kind": "email", "value": "ana@example.com" } }, "external_id": "m-1", "text": "" });
    let empty = app.post(&path, &app.admin, no_text).await;
    assert_error(
        &empty,
        StatusCode::UNPROCESSABLE_ENTITY,
        "unprocessable_payload",
    );
    assert!(
        empty.1["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("`text`")
    );

    let (status, letters) = app.get("/api/v1/dead-letters", &app.admin).await;
    assert_eq!(status, StatusCode::OK);
    let letters = letters["items"].as_array().expect("letters").clone();
    assert_eq!(letters.len(), 2, "both payloads were kept");
    let broken_letter = letters
        .iter()
        .find(|letter| {
            letter["reason"]
                .as_str()
                .unwrap_or_default()
                .contains("not a valid")
        })
        .expect("kept");
    let id = broken_letter["id"].as_u64().expect("id");
    let (_, detail) = app
        .get(&format!("/api/v1/dead-letters/{id}"), &app.admin)
        .await;
    assert_eq!(detail["payload"], "{\"contact\": {\"identity\"");

    let replay = app
        .post(
            &format!("/api/v1/dead-letters/{id}/replay"),
            &app.admin,
            json!({}),
        )
        .await;
    assert_error(
        &replay,
        StatusCode::UNPROCESSABLE_ENTITY,
        "unprocessable_payload",
    );
    let (_, detail) = app
        .get(&format!("/api/v1/dead-letters/{id}"), &app.admin)
        .await;
    assert_eq!(detail["replays"], 1);
    let theirs = app
        .get(&format!("/api/v1/dead-letters/{id}"), &app.stranger)
        .await;
    assert_error(&theirs, StatusCode::NOT_FOUND, "not_found");
}

#[tokio::test]
async fn a_channel_of_another_kind_does_not_take_api_messages() {
    let app = TestApp::new().await;
    let (status, channel) = app
        .post(
            "/api/v1/channels",
            &app.admin,
            json!({ "kind": "email", "name": "Support" }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let body = json!({ "contact": { "identity": { "kind": "email", "value": "a@b.c" } }, "external_id": "1", "text": "x" });
    let answer = app
        .post(
            &format!("/api/v1/channels/{}/inbound", channel["id"]),
            &app.admin,
            body,
        )
        .await;
    assert_error(
        &answer,
        StatusCode::UNPROCESSABLE_ENTITY,
        "wrong_channel_kind",
    );
}

#[tokio::test]
async fn repeated_wrong_passwords_lock_the_address_for_a_while() {
    let app = TestApp::new().await;
    let attempt = |password: &'static str| {
        app.post(
            "/api/v1/auth/login",
            &Auth::None,
            json!({ "email": "Bea@acme.test", "password": password }),
        )
    };
    for _ in 0..5 {
        assert_error(
            &attempt("wrong password!").await,
            StatusCode::UNAUTHORIZED,
            "invalid_credentials",
        );
    }
    let locked = attempt(crate::support::PASSWORD).await;
    assert_error(&locked, StatusCode::TOO_MANY_REQUESTS, "too_many_attempts");
    assert!(
        locked.1["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("minutes")
    );
    // Other addresses are not affected.
    let (status, _) = app
        .post(
            "/api/v1/auth/login",
            &Auth::None,
            json!({ "email": "admin@acme.test", "password": crate::support::PASSWORD }),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn an_oversized_attachment_is_refused() {
    let app = TestApp::with_services_config(switchboard_services::ServicesConfig {
        max_attachment_bytes: 1000,
        ..Default::default()
    })
    .await;
    let big = "x".repeat(5000);
    let answer = app
        .call_raw(
            Method::POST,
            "/api/v1/attachments?name=big.txt",
            &app.agent,
            Some(&big),
            Some("text/plain"),
        )
        .await;
    assert_error(&answer, StatusCode::PAYLOAD_TOO_LARGE, "too_large");
    let unnamed = app
        .call_raw(
            Method::POST,
            "/api/v1/attachments",
            &app.agent,
            Some("x"),
            Some("text/plain"),
        )
        .await;
    assert_error(&unnamed, StatusCode::BAD_REQUEST, "invalid_query");
}

#[tokio::test]
async fn an_avatar_must_be_a_small_image_and_ones_own() {
    let app = TestApp::new().await;
    let own = format!("/api/v1/agents/{}/avatar", app.agent_id);
    let put = async |path: &str, auth: &Auth, body: &str| {
        app.call_raw(Method::PUT, path, auth, Some(body), Some("image/png"))
            .await
    };
    // What the uploader calls it does not matter: an SVG (which could carry script) is refused.
    let svg = put(
        &own,
        &app.agent,
        "<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>",
    )
    .await;
    assert_error(&svg, StatusCode::UNSUPPORTED_MEDIA_TYPE, "not_an_image");
    let huge = format!("GIF89a{}", "x".repeat(600 * 1024));
    assert_error(
        &put(&own, &app.agent, &huge).await,
        StatusCode::PAYLOAD_TOO_LARGE,
        "too_large",
    );
    let (_, agents) = app.get("/api/v1/agents", &app.admin).await;
    let admin_id = agents
        .as_array()
        .and_then(|all| all.iter().find(|agent| agent["role"] == "admin"))
        .and_then(|agent| agent["id"].as_u64())
        .expect("the workspace has an admin");
    let gif = "GIF89a\u{1}\u{0}\u{1}\u{0}";
    assert_error(
        &put(
            &format!("/api/v1/agents/{admin_id}/avatar"),
            &app.agent,
            gif,
        )
        .await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
    assert_error(
        &put(&own, &app.stranger, gif).await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    assert_error(
        &put(&own, &Auth::None, gif).await,
        StatusCode::UNAUTHORIZED,
        "unauthenticated",
    );
    let (_, me) = app.get("/api/v1/agents", &app.admin).await;
    assert!(
        me.as_array()
            .is_some_and(|all| all.iter().all(|agent| agent.get("avatar").is_none())),
        "nothing changed: {me}"
    );

    let (status, agent) = put(&own, &app.agent, gif).await;
    assert_eq!(status, StatusCode::OK, "{agent}");
    assert_eq!(agent["avatar"]["media_type"], "image/gif");
    let (status, agent) = app.call(Method::DELETE, &own, &app.agent, None).await;
    assert_eq!(status, StatusCode::OK, "{agent}");
    assert!(agent.get("avatar").is_none(), "{agent}");
}

/// Office hours are checked when written: a misspelt time zone, a day past Saturday or a time
/// that is not one are refused by name, on a new channel and on an update; a good value is kept.
#[tokio::test]
async fn office_hours_that_cannot_be_used_are_refused_when_written() {
    let app = TestApp::new().await;
    let create = |hours: serde_json::Value| {
        let body =
            json!({ "kind": "webchat", "name": "Chat", "settings": { "office_hours": hours } });
        app.call(Method::POST, "/api/v1/channels", &app.admin, Some(body))
    };
    assert_error_naming(
        &create(json!({ "time_zone": "America/Bogata" })).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_settings",
        "America/Bogata",
    );
    assert_error_naming(
        &create(json!({ "time_zone": "America/Lima", "days": [1, 7] })).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_settings",
        "office_hours.days",
    );
    let (status, channel) =
        create(json!({ "time_zone": "America/Sao_Paulo", "from": "08:30" })).await;
    assert_eq!(status, StatusCode::CREATED, "{channel}");
    assert_eq!(
        channel["settings"]["office_hours"]["time_zone"],
        "America/Sao_Paulo"
    );
    let path = format!("/api/v1/channels/{}", channel["id"]);
    let update = json!({ "settings": { "office_hours": { "time_zone": "America/Sao_Paulo", "to": "6pm" } } });
    assert_error_naming(
        &app.call(Method::PATCH, &path, &app.admin, Some(update))
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_settings",
        "office_hours.to",
    );
    let (_, kept) = app.get(&path, &app.admin).await;
    assert_eq!(kept["settings"]["office_hours"]["from"], "08:30", "{kept}");
}

/// An email channel's servers, sign-in and limits are checked when written: an unknown
/// provider, a port that is no port, an unknown security or a limit that is no number are
/// refused naming the setting, on a new channel and on an update; other kinds' settings of
/// the same names are theirs to read.
#[tokio::test]
async fn email_settings_that_cannot_be_used_are_refused_by_name_when_written() {
    let app = TestApp::new().await;
    let create = |kind: &str, settings: serde_json::Value| {
        let body = json!({ "kind": kind, "name": "Soporte", "settings": settings });
        app.call(Method::POST, "/api/v1/channels", &app.admin, Some(body))
    };
    for (settings, field, named) in [
        (json!({ "provider": "hotmail" }), "provider", "hotmail"),
        (
            json!({ "imap_host": "imap.tienda.co", "imap_port": "imap" }),
            "imap_port",
            "port number",
        ),
        (
            json!({ "daily_send_limit": "muchos" }),
            "daily_send_limit",
            "whole number",
        ),
    ] {
        let refused = create("email", settings).await;
        assert_error_naming(
            &refused,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_settings",
            named,
        );
        assert_eq!(refused.1["error"]["field"], field, "{}", refused.1);
    }
    let (status, channel) = create(
        "email",
        json!({ "provider": "Gmail", "imap_port": "993", "daily_send_limit": 200 }),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{channel}");
    let path = format!("/api/v1/channels/{}", channel["id"]);
    let update = json!({ "settings": { "smtp_security": "tls1.3" } });
    let refused = app
        .call(Method::PATCH, &path, &app.admin, Some(update))
        .await;
    assert_error_naming(
        &refused,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_settings",
        "tls1.3",
    );
    assert_eq!(refused.1["error"]["field"], "smtp_security");
    let (_, kept) = app.get(&path, &app.admin).await;
    assert_eq!(kept["settings"].get("smtp_security"), None, "{kept}");
    let (status, chat) = create("webchat", json!({ "auth": "basic" })).await;
    assert_eq!(status, StatusCode::CREATED, "{chat}");
}

/// A contact's addresses must be email addresses, on a new contact and on an edit; the one
/// that is not is named.
#[tokio::test]
async fn a_contacts_addresses_that_are_not_email_addresses_are_refused_by_name() {
    let app = TestApp::new().await;
    let made = app
        .post(
            "/api/v1/contacts",
            &app.admin,
            json!({ "name": "Ana", "emails": ["ana@tienda.co", "ana@tienda"] }),
        )
        .await;
    assert_error_naming(
        &made,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_body",
        "ana@tienda",
    );
    let (status, contact) = app
        .post(
            "/api/v1/contacts",
            &app.admin,
            json!({ "name": "Ana", "emails": ["ana@tienda.co"] }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{contact}");
    let edit = app
        .call(
            Method::PATCH,
            &format!("/api/v1/contacts/{}", contact["id"]),
            &app.admin,
            Some(json!({ "emails": ["ana en tienda.co"] })),
        )
        .await;
    assert_error_naming(
        &edit,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_body",
        "ana en tienda.co",
    );
}
