//! What agents and integrations do through the API, end to end through the router.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};
use switchboard_store::prelude::*;

use crate::support::{Auth, PASSWORD, TestApp, assert_error};

fn id(value: &Value) -> u64 {
    value["id"]
        .as_u64()
        .unwrap_or_else(|| panic!("no id in {value}"))
}

#[tokio::test]
async fn an_inbound_message_is_answered_noted_assigned_and_closed() {
    let app = TestApp::new().await;
    let ingested = app
        .inbound("ana@example.com", "m-1", "Olá, meu pedido não chegou")
        .await;
    assert_eq!(ingested["duplicate"], false);
    let again = app
        .inbound("ana@example.com", "m-1", "Olá, meu pedido não chegou")
        .await;
    assert_eq!(again["duplicate"], true);
    assert_eq!(again["message_id"], ingested["message_id"]);
    let conversation = ingested["conversation_id"].as_u64().expect("id");
    let base = format!("/api/v1/conversations/{conversation}");

    let (_, listed) = app
        .get("/api/v1/conversations?status=open", &app.agent)
        .await;
    assert_eq!(listed["items"][0]["id"], conversation);
    assert_eq!(listed["items"][0]["title"], "Olá, meu pedido não chegou");
    assert_eq!(listed["items"][0]["unread_count"], 1);

    let (status, reply) = app
        .post(
            &format!("{base}/messages"),
            &app.agent,
            json!({ "text": "Vou verificar, Ana." }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{reply}");
    assert_eq!(reply["direction"], "out");
    assert_eq!(reply["delivery"]["state"], "queued");
    let (_, note) = app
        .post(
            &format!("{base}/messages"),
            &app.agent,
            json!({ "text": "Cliente VIP", "private": true }),
        )
        .await;
    assert_eq!(note["direction"], "note");
    assert!(note.get("delivery").is_none(), "a note is never delivered");

    let (_, messages) = app.get(&format!("{base}/messages"), &app.agent).await;
    let texts: Vec<&str> = messages["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|m| m["text"].as_str())
        .collect();
    assert_eq!(
        texts,
        [
            "Olá, meu pedido não chegou",
            "Vou verificar, Ana.",
            "Cliente VIP"
        ]
    );

    let (_, assigned) = app
        .post(
            &format!("{base}/assign"),
            &app.admin,
            json!({ "assignee_id": app.agent_id }),
        )
        .await;
    assert_eq!(assigned["assignee_id"], app.agent_id);
    let (_, mine) = app
        .get(
            &format!("/api/v1/conversations?assignee={}", app.agent_id),
            &app.agent,
        )
        .await;
    assert_eq!(mine["items"].as_array().map(Vec::len), Some(1));
    let (_, unassigned) = app
        .get("/api/v1/conversations?assignee=none", &app.agent)
        .await;
    assert_eq!(unassigned["items"], json!([]));

    let (_, closed) = app
        .post(&format!("{base}/close"), &app.agent, json!({}))
        .await;
    assert_eq!(closed["status"], "resolved");
    let (_, open) = app
        .get("/api/v1/conversations?status=open", &app.agent)
        .await;
    assert_eq!(open["items"], json!([]));
    let (_, reopened) = app
        .post(&format!("{base}/reopen"), &app.agent, json!({}))
        .await;
    assert_eq!(reopened["status"], "open");
    let (_, pending) = app
        .post(
            &format!("{base}/status"),
            &app.agent,
            json!({ "status": "pending" }),
        )
        .await;
    assert_eq!(pending["status"], "pending");
    let (_, labelled) = app
        .post(
            &format!("{base}/labels"),
            &app.agent,
            json!({ "labels": ["Entrega", "entrega", "urgente"] }),
        )
        .await;
    assert_eq!(labelled["labels"], json!(["entrega", "urgente"]));
    let (_, by_label) = app
        .get("/api/v1/conversations?label=urgente", &app.agent)
        .await;
    assert_eq!(by_label["items"][0]["id"], conversation);
    let (_, read) = app
        .post(&format!("{base}/read"), &app.agent, json!({}))
        .await;
    assert_eq!(read["unread_count"], 0);
    let (_, unassigned) = app
        .post(&format!("{base}/unassign"), &app.agent, json!({}))
        .await;
    assert_eq!(unassigned["assignee_id"], Value::Null);
}

#[tokio::test]
async fn conversation_lists_page_by_recent_activity() {
    let app = TestApp::new().await;
    for n in 0..5 {
        app.inbound(
            &format!("c{n}@example.com"),
            &format!("m-{n}"),
            &format!("pregunta {n}"),
        )
        .await;
    }
    // New activity moves the oldest conversation to the top.
    app.inbound("c0@example.com", "m-again", "¿alguien?").await;
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(cursor) => format!("/api/v1/conversations?limit=2&cursor={cursor}"),
            None => "/api/v1/conversations?limit=2".to_string(),
        };
        let (status, page) = app.get(&path, &app.agent).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        for item in page["items"].as_array().expect("items") {
            seen.push(item["title"].as_str().expect("title").to_string());
        }
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_string()),
            None => break,
        }
    }
    assert_eq!(
        seen,
        [
            "pregunta 0",
            "pregunta 4",
            "pregunta 3",
            "pregunta 2",
            "pregunta 1"
        ]
    );
}

#[tokio::test]
async fn contacts_are_created_tagged_searched_and_merged() {
    let app = TestApp::new().await;
    let (status, ana) = app
        .post("/api/v1/contacts", &app.agent, json!({ "name": "Ana Souza", "emails": ["ana@example.com"], "custom_fields": { "plan": "pro" } }))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{ana}");
    let ingested = app.inbound("+55 11 98888-7777", "sms-1", "Oi").await;
    let from_phone = ingested["contact_id"].as_u64().expect("id");

    let (_, tagged) = app
        .post(
            &format!("/api/v1/contacts/{}/tags", id(&ana)),
            &app.agent,
            json!({ "add": ["VIP", "Brasil"] }),
        )
        .await;
    assert_eq!(tagged["tags"], json!(["brasil", "vip"]));
    let (_, updated) = app
        .call(
            Method::PATCH,
            &format!("/api/v1/contacts/{}", id(&ana)),
            &app.agent,
            Some(json!({ "notes": "Prefere WhatsApp" })),
        )
        .await;
    assert_eq!(updated["notes"], "Prefere WhatsApp");
    let (_, found) = app.get("/api/v1/contacts?q=souza", &app.agent).await;
    assert_eq!(found["items"].as_array().map(Vec::len), Some(1));

    let (status, merged) = app
        .post(
            &format!("/api/v1/contacts/{}/merge", id(&ana)),
            &app.agent,
            json!({ "from_id": from_phone }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{merged}");
    let (_, conversation) = app
        .get(
            &format!("/api/v1/conversations/{}", ingested["conversation_id"]),
            &app.agent,
        )
        .await;
    assert_eq!(
        conversation["contact_id"],
        id(&ana),
        "the conversation follows the merge"
    );
    let (_, all) = app.get("/api/v1/contacts", &app.agent).await;
    assert_eq!(
        all["items"].as_array().map(Vec::len),
        Some(1),
        "the merged contact leaves the list"
    );
}

#[tokio::test]
async fn the_last_active_admin_cannot_step_down_or_be_switched_off() {
    let app = TestApp::new().await;
    let (_, me) = app.get("/api/v1/auth/me", &app.admin).await;
    let admin = format!("/api/v1/agents/{}", me["agent"]["id"]);
    for change in [json!({ "active": false }), json!({ "role": "agent" })] {
        let answer = app
            .call(Method::PATCH, &admin, &app.admin, Some(change))
            .await;
        assert_error(&answer, StatusCode::CONFLICT, "conflict");
        assert!(
            answer.1["error"]["message"]
                .as_str()
                .unwrap_or_default()
                .contains("last active admin"),
            "{}",
            answer.1
        );
    }
    let (status, _) = app.get("/api/v1/agents", &app.admin).await;
    assert_eq!(status, StatusCode::OK, "the admin is still in");
    // With a second admin, the first may step down.
    let bea = format!("/api/v1/agents/{}", app.agent_id);
    let (status, promoted) = app
        .call(
            Method::PATCH,
            &bea,
            &app.admin,
            Some(json!({ "role": "admin" })),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{promoted}");
    let (status, stepped_down) = app
        .call(
            Method::PATCH,
            &admin,
            &app.admin,
            Some(json!({ "role": "agent" })),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{stepped_down}");
}

#[tokio::test]
async fn admins_manage_agents_teams_channels_and_canned_responses() {
    let app = TestApp::new().await;
    let (status, carla) = app
        .post("/api/v1/agents", &app.admin, json!({ "name": "Carla", "email": "carla@acme.test", "password": PASSWORD, "role": "agent" }))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{carla}");
    assert!(
        carla.get("password").is_none() && !carla.to_string().contains("argon2"),
        "no secret leaves the API"
    );
    let carla_login = app.login("carla@acme.test").await;
    let (_, me) = app.get("/api/v1/auth/me", &carla_login).await;
    assert_eq!(me["agent"]["email"], "carla@acme.test");
    assert_eq!(me["workspace"]["name"], "Acme");

    let (status, team) = app
        .post(
            "/api/v1/teams",
            &app.admin,
            json!({ "name": "Ventas", "colour": "#e5534b", "member_ids": [id(&carla)] }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{team}");
    let (_, channel) = app
        .post(
            "/api/v1/channels",
            &app.admin,
            json!({ "kind": "api", "name": "CRM", "default_team_id": id(&team) }),
        )
        .await;
    let body = json!({ "contact": { "identity": { "kind": "external", "value": "crm-77" }, "name": "Lead 77" }, "external_id": "e1", "text": "Quero um orçamento" });
    let (_, ingested) = app
        .post(
            &format!("/api/v1/channels/{}/inbound", id(&channel)),
            &app.admin,
            body,
        )
        .await;
    let (_, routed) = app
        .get(
            &format!("/api/v1/conversations?team_id={}", id(&team)),
            &app.agent,
        )
        .await;
    assert_eq!(
        routed["items"][0]["id"], ingested["conversation_id"],
        "new conversations go to the channel's team"
    );

    let (_, off) = app
        .call(
            Method::PATCH,
            &format!("/api/v1/channels/{}", id(&channel)),
            &app.admin,
            Some(json!({ "active": false })),
        )
        .await;
    assert_eq!(off["active"], false);
    let body = json!({ "contact": { "identity": { "kind": "external", "value": "crm-78" } }, "external_id": "e2", "text": "x" });
    let (status, _) = app
        .post(
            &format!("/api/v1/channels/{}/inbound", id(&channel)),
            &app.admin,
            body,
        )
        .await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "an inactive channel takes nothing in"
    );

    let (status, canned) = app
        .post(
            "/api/v1/canned-responses",
            &app.agent,
            json!({ "shortcut": "horario", "content": "Atendemos de 9 a 18h, {{contact.name}}." }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{canned}");
    let (_, list) = app.get("/api/v1/canned-responses", &app.agent).await;
    assert_eq!(list[0]["shortcut"], "horario");
    let (status, _) = app
        .call(
            Method::DELETE,
            &format!("/api/v1/canned-responses/{}", id(&canned)),
            &app.agent,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, list) = app.get("/api/v1/canned-responses", &app.agent).await;
    assert_eq!(list, json!([]));

    let (_, off) = app
        .call(
            Method::PATCH,
            &format!("/api/v1/agents/{}", id(&carla)),
            &app.admin,
            Some(json!({ "active": false })),
        )
        .await;
    assert_eq!(off["active"], false);
    let (status, _) = app.get("/api/v1/auth/me", &carla_login).await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "a deactivated agent's session stops working"
    );
}

#[tokio::test]
async fn api_tokens_act_for_their_admin_until_revoked() {
    let app = TestApp::new().await;
    let (status, created) = app
        .post(
            "/api/v1/api-tokens",
            &app.admin,
            json!({ "name": "CRM sync" }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let token = Auth::Bearer(created["token"].as_str().expect("token").to_string());
    let (status, me) = app.get("/api/v1/auth/me", &token).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["agent"]["email"], "admin@acme.test");
    let (_, tokens) = app.get("/api/v1/api-tokens", &app.admin).await;
    assert_eq!(tokens[0]["name"], "CRM sync");
    assert!(
        tokens[0].get("token").is_none(),
        "the secret is shown once only"
    );
    let (status, _) = app
        .call(
            Method::DELETE,
            &format!("/api/v1/api-tokens/{}", id(&created)),
            &app.admin,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = app.get("/api/v1/auth/me", &token).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_replayed_dead_letter_lands_once() {
    let app = TestApp::new().await;
    let path = format!("/api/v1/channels/{}/inbound", app.channel);
    // An integration sends a message whose text is empty: refused and kept.
    let body = json!({ "contact": { "identity": { "kind": "email", "value": "ana@example.com" } }, "external_id": "m-1", "text": " " });
    let (status, _) = app.post(&path, &app.admin, body).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (_, page) = app.get("/api/v1/dead-letters", &app.admin).await;
    let letters = &page["items"];
    let letter = letters[0]["id"].as_u64().expect("id");
    // Nothing about the payload changes, so the replay still fails and the letter stays.
    let (status, _) = app
        .post(
            &format!("/api/v1/dead-letters/{letter}/replay"),
            &app.admin,
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (_, page) = app.get("/api/v1/dead-letters", &app.admin).await;
    let letters = &page["items"];
    assert_eq!(letters[0]["replays"], 1);
}

#[tokio::test]
async fn the_api_description_covers_every_route() {
    let app = TestApp::new().await;
    let (status, openapi) = app.get("/api/v1/openapi.json", &Auth::None).await;
    assert_eq!(status, StatusCode::OK);
    let paths = openapi["paths"].as_object().expect("paths");
    for path in [
        "/api/v1/auth/login",
        "/api/v1/conversations",
        "/api/v1/conversations/{id}/messages",
        "/api/v1/conversations/{id}/assign",
        "/api/v1/contacts/{id}/merge",
        "/api/v1/channels/{id}/inbound",
        "/api/v1/events/ws",
        "/api/v1/dead-letters/{id}/replay",
    ] {
        assert!(paths.contains_key(path), "{path} is described");
    }
    assert!(openapi["components"]["schemas"]["Conversation"].is_object());
    assert!(openapi["components"]["securitySchemes"]["bearer"].is_object());
    // Every reference leads somewhere: a client generated from the description needs it.
    fn references(value: &Value, found: &mut Vec<String>) {
        match value {
            Value::Object(object) => {
                for (key, inner) in object {
                    match (key.as_str(), inner.as_str()) {
                        ("$ref", Some(target)) => found.push(target.to_string()),
                        _ => references(inner, found),
                    }
                }
            }
            Value::Array(items) => items.iter().for_each(|item| references(item, found)),
            _ => {}
        }
    }
    let mut found = Vec::new();
    references(&openapi, &mut found);
    assert!(!found.is_empty());
    for target in found {
        let name = target
            .strip_prefix("#/components/schemas/")
            .unwrap_or_else(|| panic!("{target} points outside the schemas"));
        assert!(
            openapi["components"]["schemas"][name].is_object(),
            "{target} is not described"
        );
    }
}

#[tokio::test]
async fn health_and_metrics_answer() {
    let app = TestApp::new().await;
    let (status, health) = app.get("/healthz", &Auth::None).await;
    assert_eq!(
        (status, health),
        (StatusCode::OK, json!({ "status": "ok" }))
    );
    let (status, _) = app.get("/metrics", &app.admin).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn attachments_are_stored_once_and_stay_in_their_workspace() {
    let app = TestApp::new().await;
    let pdf = "%PDF-1.4 factura 4711";
    let (status, stored) = app
        .call_raw(
            Method::POST,
            "/api/v1/attachments?name=factura.pdf",
            &app.agent,
            Some(pdf),
            Some("application/pdf"),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{stored}");
    assert_eq!(stored["name"], "factura.pdf");
    assert_eq!(stored["media_type"], "application/pdf");
    assert_eq!(stored["size"], pdf.len());
    let sha = stored["sha256"].as_str().expect("sha").to_string();
    let (_, again) = app
        .call_raw(
            Method::POST,
            "/api/v1/attachments?name=copia.pdf",
            &app.agent,
            Some(pdf),
            Some("application/pdf"),
        )
        .await;
    assert_eq!(again["sha256"], sha, "the same bytes are stored once");

    let (status, body) = app
        .get(&format!("/api/v1/attachments/{sha}"), &app.agent)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, Value::String(pdf.to_string()));
    let (status, _) = app
        .get(&format!("/api/v1/attachments/{sha}"), &app.stranger)
        .await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "another workspace cannot read it"
    );
    let (status, _) = app.get("/api/v1/attachments/not-a-hash", &app.agent).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // A reply carries it; a file that was never uploaded, or described wrongly, is refused.
    let ingested = app
        .inbound("ana@example.com", "m-1", "¿Me mandan la factura?")
        .await;
    let replies = format!(
        "/api/v1/conversations/{}/messages",
        ingested["conversation_id"]
    );
    let (status, reply) = app
        .post(
            &replies,
            &app.agent,
            json!({ "text": "Aquí está.", "attachments": [stored] }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{reply}");
    assert_eq!(reply["attachments"][0]["sha256"], sha);
    let mut forged = stored.clone();
    forged["sha256"] = json!("0".repeat(64));
    let (status, _) = app
        .post(
            &replies,
            &app.agent,
            json!({ "text": "x", "attachments": [forged] }),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let mut resized = stored.clone();
    resized["size"] = json!(1);
    let (status, _) = app
        .post(
            &replies,
            &app.agent,
            json!({ "text": "x", "attachments": [resized] }),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    // Another workspace's file cannot be attached here, even by its hash.
    let (_, theirs) = app
        .call_raw(
            Method::POST,
            "/api/v1/attachments?name=t.txt",
            &app.stranger,
            Some("their file"),
            Some("text/plain"),
        )
        .await;
    let (status, _) = app
        .post(
            &replies,
            &app.agent,
            json!({ "text": "x", "attachments": [theirs] }),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_failed_reply_is_sent_again_on_request_and_only_then() {
    let app = TestApp::new().await;
    let ingested = app.inbound("ana@example.com", "m-1", "Hola").await;
    let conversation = ingested["conversation_id"].as_u64().expect("conversation");
    let (status, reply) = app
        .post(
            &format!("/api/v1/conversations/{conversation}/messages"),
            &app.agent,
            json!({ "text": "¡Hola Ana!" }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{reply}");
    let retry = format!(
        "/api/v1/conversations/{conversation}/messages/{}/retry",
        reply["id"]
    );
    assert_error(
        &app.post(&retry, &app.agent, json!({})).await,
        StatusCode::CONFLICT,
        "conflict",
    );
    // The provider refuses it for good.
    let claimed = app
        .store
        .claim_outbox(app.channel, "test", 30_000, 10)
        .await
        .expect("claim");
    app.store
        .record_delivery(
            &claimed[0],
            switchboard_model::DeliveryStatus::Failed {
                reason: "550 no such user".into(),
            },
            None,
        )
        .await
        .expect("failed");
    let (status, again) = app.post(&retry, &app.agent, json!({})).await;
    assert_eq!(status, StatusCode::OK, "{again}");
    assert_eq!(again["delivery"]["state"], "queued", "{again}");
    let (status, _) = app.post(&retry, &app.stranger, json!({})).await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "another workspace cannot touch it"
    );
}
