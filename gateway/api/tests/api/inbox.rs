//! The inbox as agents work it: snoozing, the list's orders, each view's counts, starting a
//! conversation, and an agent's own profile and availability.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};
use switchboard_model::{EventKind, now_millis};
use switchboard_store::prelude::*;

use crate::support::{TestApp, assert_error, assert_error_naming};

fn conversation_of(ingested: &Value) -> u64 {
    ingested["conversation_id"]
        .as_u64()
        .expect("conversation id")
}

/// The ids of a list, page after page of `limit`, following `next_cursor`.
async fn every_page(app: &TestApp, query: &str, limit: u32) -> Vec<u64> {
    let mut ids = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut path = format!("/api/v1/conversations?{query}&limit={limit}");
        if let Some(cursor) = &cursor {
            path.push_str(&format!("&cursor={cursor}"));
        }
        let (status, page) = app.get(&path, &app.agent).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        ids.extend(
            page["items"]
                .as_array()
                .expect("items")
                .iter()
                .map(|item| item["id"].as_u64().expect("id")),
        );
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_string()),
            None => return ids,
        }
    }
}

#[tokio::test]
async fn a_snoozed_conversation_opens_when_its_time_comes_or_when_the_contact_writes() {
    let app = TestApp::new().await;
    let id = conversation_of(
        &app.inbound("ana@example.com", "m-1", "¿Llegó mi pago?")
            .await,
    );
    let status = format!("/api/v1/conversations/{id}/status");

    let no_time = app
        .post(&status, &app.agent, json!({ "status": "snoozed" }))
        .await;
    assert_error_naming(
        &no_time,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid",
        "snoozed_until",
    );
    let past = app
        .post(
            &status,
            &app.agent,
            json!({ "status": "snoozed", "snoozed_until": now_millis() - 1_000 }),
        )
        .await;
    assert_error(&past, StatusCode::UNPROCESSABLE_ENTITY, "invalid");
    let time_without_snooze = app
        .post(
            &status,
            &app.agent,
            json!({ "status": "pending", "snoozed_until": now_millis() + 60_000 }),
        )
        .await;
    assert_error(
        &time_without_snooze,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_body",
    );

    let until = now_millis() + 60_000;
    let (answer, snoozed) = app
        .post(
            &status,
            &app.agent,
            json!({ "status": "snoozed", "snoozed_until": until }),
        )
        .await;
    assert_eq!(answer, StatusCode::OK, "{snoozed}");
    assert_eq!(snoozed["status"], "snoozed");
    assert_eq!(snoozed["snoozed_until"], until);
    assert!(every_page(&app, "status=open", 50).await.is_empty());
    assert_eq!(every_page(&app, "status=snoozed", 50).await, [id]);

    assert!(
        app.store
            .wake_snoozed(now_millis())
            .await
            .expect("wake")
            .is_empty(),
        "nothing wakes before its time"
    );
    let woken = app.store.wake_snoozed(until).await.expect("wake");
    assert_eq!(woken.len(), 1);
    let (_, opened) = app
        .get(&format!("/api/v1/conversations/{id}"), &app.agent)
        .await;
    assert_eq!(opened["status"], "open");
    assert!(opened.get("snoozed_until").is_none(), "{opened}");
    assert!(
        app.store
            .wake_snoozed(until)
            .await
            .expect("wake")
            .is_empty(),
        "a conversation wakes once"
    );

    // Snoozed again for a day, the contact writes: the same conversation is open at once.
    let (_, snoozed) = app
        .post(
            &status,
            &app.agent,
            json!({ "status": "snoozed", "snoozed_until": now_millis() + 86_400_000 }),
        )
        .await;
    assert_eq!(snoozed["status"], "snoozed");
    let again = app
        .inbound("ana@example.com", "m-2", "¿Hay novedades?")
        .await;
    assert_eq!(conversation_of(&again), id);
    let (_, opened) = app
        .get(&format!("/api/v1/conversations/{id}"), &app.agent)
        .await;
    assert_eq!(opened["status"], "open");
    assert!(opened.get("snoozed_until").is_none(), "{opened}");
    assert!(
        app.store
            .wake_snoozed(now_millis() + 86_400_000)
            .await
            .expect("wake")
            .is_empty(),
        "the alarm of a conversation the contact opened is gone"
    );
}

#[tokio::test]
async fn the_list_sorts_by_last_activity_newest_or_longest_waiting_on_every_page() {
    let app = TestApp::new().await;
    let ana = conversation_of(&app.inbound("ana@example.com", "a-1", "Hola").await);
    let bruno = conversation_of(&app.inbound("bruno@example.com", "b-1", "Olá").await);
    let carla = conversation_of(&app.inbound("carla@example.com", "c-1", "Buenas").await);
    // Ana gets an answer (she waits no more); Bruno writes again (the latest activity, but
    // he has waited since his first message).
    let (status, _) = app
        .post(
            &format!("/api/v1/conversations/{ana}/messages"),
            &app.agent,
            json!({ "text": "¿En qué te ayudo?" }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    app.inbound("bruno@example.com", "b-2", "Alguém aí?").await;

    let (_, listed) = app
        .get("/api/v1/conversations?sort=oldest_waiting", &app.agent)
        .await;
    let waiting: Vec<&Value> = listed["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|item| &item["waiting_since"])
        .collect();
    assert!(waiting[0].is_i64() && waiting[1].is_i64(), "{listed}");
    assert!(waiting[0].as_i64() <= waiting[1].as_i64(), "{listed}");
    assert!(waiting[2].is_null(), "Ana was answered: {listed}");

    for limit in [1, 2, 50] {
        assert_eq!(
            every_page(&app, "status=open", limit).await,
            [bruno, ana, carla],
            "last activity, {limit} a page"
        );
        assert_eq!(
            every_page(&app, "status=open&sort=last_activity", limit).await,
            [bruno, ana, carla]
        );
        assert_eq!(
            every_page(&app, "status=open&sort=newest", limit).await,
            [carla, bruno, ana],
            "newest, {limit} a page"
        );
        assert_eq!(
            every_page(&app, "status=open&sort=oldest_waiting", limit).await,
            [bruno, carla, ana],
            "oldest waiting, {limit} a page"
        );
    }
    let wrong = app
        .get(
            "/api/v1/conversations?sort=oldest_waiting&cursor=12",
            &app.agent,
        )
        .await;
    assert_error(&wrong, StatusCode::UNPROCESSABLE_ENTITY, "invalid");
    let unknown = app
        .get("/api/v1/conversations?sort=alphabetical", &app.agent)
        .await;
    assert_eq!(unknown.0, StatusCode::BAD_REQUEST, "{}", unknown.1);
}

#[tokio::test]
async fn each_view_counts_its_open_conversations_and_those_with_unread_messages() {
    let app = TestApp::new().await;
    let ana = conversation_of(&app.inbound("ana@example.com", "a-1", "Hola").await);
    let bruno = conversation_of(&app.inbound("bruno@example.com", "b-1", "Olá").await);
    let carla = conversation_of(&app.inbound("carla@example.com", "c-1", "Buenas").await);
    app.inbound("dora@example.com", "d-1", "Gracias").await;
    let (_, team) = app
        .post(
            "/api/v1/teams",
            &app.admin,
            json!({ "name": "Ventas", "member_ids": [app.agent_id] }),
        )
        .await;
    let team_id = team["id"].as_u64().expect("team");
    for (id, path, body) in [
        (ana, "assign", json!({ "assignee_id": app.agent_id })),
        (bruno, "assign", json!({ "assignee_id": app.agent_id })),
        (bruno, "read", json!({})),
        (bruno, "team", json!({ "team_id": team_id })),
        (carla, "close", json!({})),
    ] {
        let (status, answer) = app
            .post(
                &format!("/api/v1/conversations/{id}/{path}"),
                &app.agent,
                body,
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{path}: {answer}");
    }

    let (status, counts) = app.get("/api/v1/conversations/counts", &app.agent).await;
    assert_eq!(status, StatusCode::OK, "{counts}");
    assert_eq!(counts["mine"], json!({ "open": 2, "unread": 1 }));
    assert_eq!(counts["unassigned"], json!({ "open": 1, "unread": 1 }));
    assert_eq!(counts["all"], json!({ "open": 3, "unread": 2 }));
    assert_eq!(
        counts["teams"][team_id.to_string()],
        json!({ "open": 1, "unread": 0 })
    );
    let (_, theirs) = app.get("/api/v1/conversations/counts", &app.admin).await;
    assert_eq!(theirs["mine"], json!({ "open": 0, "unread": 0 }));
    assert_eq!(theirs["all"], counts["all"]);
    let (_, stranger) = app.get("/api/v1/conversations/counts", &app.stranger).await;
    assert_eq!(
        stranger["all"],
        json!({ "open": 0, "unread": 0 }),
        "another workspace counts none of these"
    );
}

#[tokio::test]
async fn an_agent_starts_a_conversation_with_a_contact_made_by_hand() {
    let app = TestApp::new().await;
    let (status, contact) = app
        .post(
            "/api/v1/contacts",
            &app.agent,
            json!({ "name": "Marta Gómez", "emails": ["marta@example.com"] }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{contact}");
    let contact_id = contact["id"].as_u64().expect("contact");

    let (status, started) = app
        .post(
            "/api/v1/conversations",
            &app.agent,
            json!({
                "channel_id": app.channel,
                "contact_id": contact_id,
                "title": "Tu pedido 4711",
                "text": "Hola Marta, tu pedido ya salió.",
            }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{started}");
    let conversation = &started["conversation"];
    assert_eq!(conversation["title"], "Tu pedido 4711");
    assert_eq!(conversation["status"], "open");
    assert_eq!(conversation["assignee_id"], app.agent_id);
    assert_eq!(conversation["contact_id"], contact_id);
    assert!(conversation.get("waiting_since").is_none());
    assert_eq!(started["message"]["direction"], "out");
    assert_eq!(started["message"]["delivery"]["state"], "queued");
    let id = conversation["id"].as_u64().expect("id");
    assert_eq!(every_page(&app, "status=open", 50).await, [id]);

    // The contact's answer joins it (their open conversation on the channel).
    let answer = app.inbound("marta@example.com", "r-1", "¡Gracias!").await;
    assert_eq!(conversation_of(&answer), id);

    // Channels that cannot start one, and contacts they cannot reach, are named.
    let (_, chat) = app
        .post(
            "/api/v1/channels",
            &app.admin,
            json!({ "kind": "webchat", "name": "Sitio" }),
        )
        .await;
    let refused = app
        .post(
            "/api/v1/conversations",
            &app.agent,
            json!({ "channel_id": chat["id"], "contact_id": contact_id, "text": "Hola" }),
        )
        .await;
    assert_error_naming(
        &refused,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid",
        "website chat",
    );
    let (_, mailbox) = app
        .post(
            "/api/v1/channels",
            &app.admin,
            json!({ "kind": "email", "name": "Soporte" }),
        )
        .await;
    let (_, nameless) = app
        .post(
            "/api/v1/contacts",
            &app.agent,
            json!({ "name": "Sin correo" }),
        )
        .await;
    let unreachable = app
        .post(
            "/api/v1/conversations",
            &app.agent,
            json!({ "channel_id": mailbox["id"], "contact_id": nameless["id"], "text": "Hola" }),
        )
        .await;
    assert_error_naming(
        &unreachable,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid",
        "no email address",
    );
    let blank = app
        .post(
            "/api/v1/conversations",
            &app.agent,
            json!({ "channel_id": app.channel, "contact_id": contact_id, "text": " " }),
        )
        .await;
    assert_error(&blank, StatusCode::UNPROCESSABLE_ENTITY, "invalid_body");
    let elsewhere = app
        .post(
            "/api/v1/conversations",
            &app.stranger,
            json!({ "channel_id": app.stranger_channel, "contact_id": contact_id, "text": "Hola" }),
        )
        .await;
    assert_error(&elsewhere, StatusCode::NOT_FOUND, "not_found");
}

#[tokio::test]
async fn an_agent_sets_their_own_profile_and_availability_and_others_see_it() {
    let app = TestApp::new().await;
    let (status, me) = app
        .call(
            Method::PATCH,
            "/api/v1/auth/me",
            &app.agent,
            Some(json!({
                "name": "Bea Souza",
                "signature": "Bea · Acme",
                "language": "pt-br",
                "availability": "away",
                "notifications": { "desktop": false, "sound": true },
            })),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{me}");
    assert_eq!(me["agent"]["name"], "Bea Souza");
    assert_eq!(me["agent"]["language"], "pt-BR");
    assert_eq!(me["agent"]["availability"], "away");
    assert_eq!(
        me["agent"]["notifications"],
        json!({ "desktop": false, "sound": true })
    );

    let (_, agents) = app.get("/api/v1/agents", &app.admin).await;
    let bea = agents
        .as_array()
        .expect("agents")
        .iter()
        .find(|agent| agent["id"] == app.agent_id)
        .expect("Bea");
    assert_eq!(bea["availability"], "away");
    assert_eq!(bea["signature"], "Bea · Acme");
    let told = app
        .store
        .events_after(app.workspace, 0, 1_000)
        .await
        .expect("events")
        .into_iter()
        .any(|event| {
            matches!(&event.kind, EventKind::AgentUpdated(agent)
                if agent.id == app.agent_id && agent.availability == switchboard_model::Availability::Away)
        });
    assert!(told, "other consoles learn it from the event stream");

    for (body, names) in [
        (json!({ "language": "fr" }), "fr"),
        (json!({ "name": " " }), "name"),
        (json!({ "availability": "busy" }), "busy"),
        (json!({ "role": "admin" }), "role"),
    ] {
        let (status, error) = app
            .call(Method::PATCH, "/api/v1/auth/me", &app.agent, Some(body))
            .await;
        assert!(status.is_client_error(), "{status} {error}");
        assert!(
            error["error"]["message"]
                .as_str()
                .is_some_and(|message| message.contains(names)),
            "{error}"
        );
    }
    let (_, unchanged) = app.get("/api/v1/auth/me", &app.agent).await;
    assert_eq!(unchanged["agent"]["role"], "agent");
    assert_eq!(unchanged["agent"]["availability"], "away");
}

#[tokio::test]
async fn a_private_note_names_the_agents_it_mentions_and_a_reply_mentions_nobody() {
    let app = TestApp::new().await;
    let id = conversation_of(
        &app.inbound("ana@example.com", "m-1", "Necesito factura")
            .await,
    );
    let messages = format!("/api/v1/conversations/{id}/messages");
    let (status, note) = app
        .post(
            &messages,
            &app.admin,
            json!({ "text": "@Bea ¿puedes ver esto?", "private": true, "mentions": [app.agent_id] }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{note}");
    assert_eq!(note["mentions"], json!([app.agent_id]));
    let (_, listed) = app.get(&messages, &app.agent).await;
    assert_eq!(listed["items"][1]["mentions"], json!([app.agent_id]));

    let reply = app
        .post(
            &messages,
            &app.admin,
            json!({ "text": "Hola Ana", "mentions": [app.agent_id] }),
        )
        .await;
    assert_error(&reply, StatusCode::UNPROCESSABLE_ENTITY, "invalid");
    let stranger = app
        .post(
            &messages,
            &app.admin,
            json!({ "text": "@alguien", "private": true, "mentions": [999_999] }),
        )
        .await;
    assert_error(&stranger, StatusCode::NOT_FOUND, "not_found");
}

#[tokio::test]
async fn the_contacts_of_a_page_come_in_one_call_and_only_from_the_callers_workspace() {
    let app = TestApp::new().await;
    let ana = app.inbound("ana@example.com", "a-1", "Hola").await["contact_id"].clone();
    let bruno = app.inbound("bruno@example.com", "b-1", "Olá").await["contact_id"].clone();
    let (_, theirs) = app
        .post(
            "/api/v1/contacts",
            &app.stranger,
            json!({ "name": "Rival", "emails": ["rival@example.com"] }),
        )
        .await;
    let path = format!("/api/v1/contacts?ids={bruno},{ana},{},999999", theirs["id"]);
    let (status, page) = app.get(&path, &app.agent).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let names: Vec<&str> = page["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|contact| contact["name"].as_str())
        .collect();
    assert_eq!(names, ["bruno@example.com", "ana@example.com"]);
    let bad = app.get("/api/v1/contacts?ids=1,x", &app.agent).await;
    assert_error(&bad, StatusCode::BAD_REQUEST, "invalid_query");
    let many = (1..=201)
        .map(|id| id.to_string())
        .collect::<Vec<_>>()
        .join(",");
    let too_many = app
        .get(&format!("/api/v1/contacts?ids={many}"), &app.agent)
        .await;
    assert_error(&too_many, StatusCode::BAD_REQUEST, "invalid_query");
}

/// A team "Soporte" of `members` that assigns automatically, at most `limit` open
/// conversations each, to which the API channel routes new conversations.
async fn assigning_team(app: &TestApp, members: &[u64], limit: u32) -> Value {
    let (status, team) = app
        .post(
            "/api/v1/teams",
            &app.admin,
            json!({ "name": "Soporte", "member_ids": members,
                "auto_assign": true, "max_open_per_agent": limit }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{team}");
    let (status, channel) = app
        .call(
            Method::PATCH,
            &format!("/api/v1/channels/{}", app.channel),
            &app.admin,
            Some(json!({ "default_team_id": team["id"] })),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{channel}");
    team
}

#[tokio::test]
async fn a_team_that_assigns_automatically_deals_new_conversations_in_turn_to_online_members_under_their_limit()
 {
    let app = TestApp::new().await;
    let (_, me) = app.get("/api/v1/auth/me", &app.admin).await;
    let admin_id = me["agent"]["id"].as_u64().expect("admin");
    let team = assigning_team(&app, &[admin_id, app.agent_id], 2).await;
    assert_eq!(team["max_open_per_agent"], 2);

    let new_conversation = async |email: &str| {
        let id = conversation_of(&app.inbound(email, email, "Hola").await);
        let (_, conversation) = app
            .get(&format!("/api/v1/conversations/{id}"), &app.admin)
            .await;
        (id, conversation["assignee_id"].as_u64())
    };
    // Turn by turn, whoever has fewer open conversations.
    let (first, to_first) = new_conversation("a@example.com").await;
    assert_eq!(to_first, Some(admin_id));
    let (second, to_second) = new_conversation("b@example.com").await;
    assert_eq!(to_second, Some(app.agent_id));
    assert_eq!(new_conversation("c@example.com").await.1, Some(admin_id));
    assert_eq!(
        new_conversation("d@example.com").await.1,
        Some(app.agent_id)
    );
    // Both have two open: the next waits in the team's queue.
    assert_eq!(new_conversation("e@example.com").await.1, None, "the limit");
    // Bea resolves one: her turn comes again, though the admin was not last.
    let (status, closed) = app
        .post(
            &format!("/api/v1/conversations/{second}/close"),
            &app.agent,
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{closed}");
    assert_eq!(
        new_conversation("f@example.com").await.1,
        Some(app.agent_id)
    );
    // With no limit, only who is online counts.
    let (status, team) = app
        .call(
            Method::PATCH,
            &format!("/api/v1/teams/{}", team["id"]),
            &app.admin,
            Some(json!({ "max_open_per_agent": null })),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{team}");
    assert_eq!(team.get("max_open_per_agent"), None);
    app.call(
        Method::PATCH,
        "/api/v1/auth/me",
        &app.agent,
        Some(json!({ "availability": "away" })),
    )
    .await;
    assert_eq!(new_conversation("g@example.com").await.1, Some(admin_id));
    assert_eq!(new_conversation("h@example.com").await.1, Some(admin_id));

    // The conversation's log says whom it went to, after the customer's message.
    let (_, messages) = app
        .get(
            &format!("/api/v1/conversations/{first}/messages"),
            &app.admin,
        )
        .await;
    let log: Vec<(&str, &Value)> = messages["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|message| {
            (
                message["direction"].as_str().unwrap_or(""),
                &message["activity"],
            )
        })
        .collect();
    assert_eq!(log.len(), 2, "{messages}");
    assert_eq!(log[0].0, "in");
    assert_eq!(log[1].0, "system");
    assert_eq!(log[1].1["type"], "assigned", "{messages}");
    assert_eq!(log[1].1["agent_id"], admin_id, "{messages}");
}

#[tokio::test]
async fn a_conversation_waiting_in_the_teams_queue_goes_to_the_first_member_who_is_free() {
    let app = TestApp::new().await;
    assigning_team(&app, &[app.agent_id], 1).await;
    let availability = async |value: &str| {
        app.call(
            Method::PATCH,
            "/api/v1/auth/me",
            &app.agent,
            Some(json!({ "availability": value })),
        )
        .await
    };
    let assignee = async |id: u64| {
        let (_, conversation) = app
            .get(&format!("/api/v1/conversations/{id}"), &app.admin)
            .await;
        conversation["assignee_id"].as_u64()
    };
    availability("away").await;
    let first = conversation_of(&app.inbound("a@example.com", "q-1", "Hola").await);
    let second = conversation_of(&app.inbound("b@example.com", "q-2", "Hola").await);
    assert_eq!(
        (assignee(first).await, assignee(second).await),
        (None, None)
    );
    // Nobody free: a round assigns nothing.
    let assigned = app.store.assign_queued(100).await.expect("a round");
    assert!(assigned.is_empty(), "{assigned:?}");
    // Bea comes online: the one waiting longest is hers, the other waits for her limit.
    availability("online").await;
    let assigned = app.store.assign_queued(100).await.expect("a round");
    assert_eq!(assigned.len(), 1, "{assigned:?}");
    assert_eq!(assignee(first).await, Some(app.agent_id));
    assert_eq!(assignee(second).await, None);
    let (_, messages) = app
        .get(
            &format!("/api/v1/conversations/{first}/messages"),
            &app.admin,
        )
        .await;
    let last = messages["items"]
        .as_array()
        .and_then(|items| items.last())
        .cloned()
        .unwrap_or_default();
    assert_eq!(last["activity"]["type"], "assigned", "{messages}");
    // She resolves it: the next round gives her the other.
    app.post(
        &format!("/api/v1/conversations/{first}/close"),
        &app.agent,
        json!({}),
    )
    .await;
    app.store.assign_queued(100).await.expect("a round");
    assert_eq!(assignee(second).await, Some(app.agent_id));
}

#[tokio::test]
async fn each_step_on_a_conversation_is_recorded_in_its_log_with_who_took_it() {
    let app = TestApp::new().await;
    let id = conversation_of(&app.inbound("ana@example.com", "m-1", "Hola").await);
    let base = format!("/api/v1/conversations/{id}");
    for (path, body) in [
        ("assign", json!({ "assignee_id": app.agent_id })),
        ("assign", json!({ "assignee_id": app.agent_id })),
        ("labels", json!({ "labels": ["factura"] })),
        ("read", json!({})),
        ("close", json!({})),
    ] {
        let (status, answer) = app.post(&format!("{base}/{path}"), &app.agent, body).await;
        assert_eq!(status, StatusCode::OK, "{path}: {answer}");
    }
    let (_, messages) = app.get(&format!("{base}/messages"), &app.agent).await;
    let steps: Vec<&Value> = messages["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|message| message["direction"] == "system")
        .collect();
    let activities: Vec<&Value> = steps.iter().map(|step| &step["activity"]).collect();
    assert_eq!(
        activities,
        [
            &json!({ "type": "assigned", "agent_id": app.agent_id }),
            &json!({ "type": "labelled", "labels": ["factura"] }),
            &json!({ "type": "status", "status": "resolved" }),
        ],
        "the second assignment changed nothing and a read is no step"
    );
    for step in &steps {
        assert_eq!(
            step["author"],
            json!({ "type": "agent", "id": app.agent_id })
        );
    }
    assert_eq!(steps[1]["text"], "labelled factura");

    // A snooze that ends by itself is Switchboard's step.
    let until = now_millis() + 60_000;
    app.post(
        &format!("{base}/status"),
        &app.agent,
        json!({ "status": "snoozed", "snoozed_until": until }),
    )
    .await;
    app.store.wake_snoozed(until).await.expect("wake");
    let (_, messages) = app.get(&format!("{base}/messages"), &app.agent).await;
    let last = messages["items"].as_array().expect("items").last().cloned();
    let last = last.expect("a step");
    assert_eq!(
        last["activity"],
        json!({ "type": "status", "status": "open" })
    );
    assert_eq!(last["author"], json!({ "type": "system" }));
}

#[tokio::test]
async fn a_blocked_contacts_messages_are_kept_where_they_call_nobody_and_nothing_is_sent_to_them() {
    let app = TestApp::new().await;
    let first = app.inbound("spam@example.com", "s-1", "Compra ya").await;
    let (id, contact) = (conversation_of(&first), first["contact_id"].clone());
    let (status, blocked) = app
        .call(
            Method::PATCH,
            &format!("/api/v1/contacts/{contact}"),
            &app.agent,
            Some(json!({ "blocked": true })),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{blocked}");
    assert_eq!(blocked["blocked"], true);

    // They write again: kept, in a resolved conversation nobody is waiting on.
    let again = app.inbound("spam@example.com", "s-2", "Oferta única").await;
    assert_eq!(conversation_of(&again), id);
    let (_, conversation) = app
        .get(&format!("/api/v1/conversations/{id}"), &app.agent)
        .await;
    assert_eq!(conversation["status"], "resolved");
    assert!(
        conversation.get("waiting_since").is_none(),
        "{conversation}"
    );
    let (_, messages) = app
        .get(&format!("/api/v1/conversations/{id}/messages"), &app.agent)
        .await;
    assert!(
        messages["items"]
            .as_array()
            .expect("items")
            .iter()
            .any(|message| message["text"] == "Oferta única"),
        "{messages}"
    );
    let (_, counts) = app.get("/api/v1/conversations/counts", &app.agent).await;
    assert_eq!(counts["all"], json!({ "open": 0, "unread": 0 }));

    // Nothing goes to them; a note still may be written.
    let reply = app
        .post(
            &format!("/api/v1/conversations/{id}/messages"),
            &app.agent,
            json!({ "text": "Hola" }),
        )
        .await;
    assert_error_naming(
        &reply,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid",
        "blocked",
    );
    let (status, _) = app
        .post(
            &format!("/api/v1/conversations/{id}/messages"),
            &app.agent,
            json!({ "text": "Bloqueado por spam", "private": true }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);

    // Unblocked, they are a customer again.
    app.call(
        Method::PATCH,
        &format!("/api/v1/contacts/{contact}"),
        &app.agent,
        Some(json!({ "blocked": false })),
    )
    .await;
    let back = app
        .inbound("spam@example.com", "s-3", "Perdón, una pregunta real")
        .await;
    let (_, conversation) = app
        .get(
            &format!("/api/v1/conversations/{}", conversation_of(&back)),
            &app.agent,
        )
        .await;
    assert_eq!(conversation["status"], "open");
}
