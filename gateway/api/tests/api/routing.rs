//! Routing: rules that send new conversations to a team with labels, business hours with the
//! away message, and what cannot be used refused by name.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::{TestApp, assert_error, assert_error_naming};

async fn team(app: &TestApp, name: &str) -> u64 {
    let (status, team) = app
        .post("/api/v1/teams", &app.admin, json!({ "name": name }))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{team}");
    team["id"].as_u64().expect("team id")
}

async fn put_routing(app: &TestApp, routing: Value) -> (StatusCode, Value) {
    app.call(Method::PUT, "/api/v1/routing", &app.admin, Some(routing))
        .await
}

/// The conversation a message from `email` went to, as agents see it.
async fn conversation_from(app: &TestApp, email: &str, id: &str, text: &str) -> Value {
    let ingested = app.inbound(email, id, text).await;
    let id = ingested["conversation_id"].as_u64().expect("conversation");
    let (_, conversation) = app
        .get(&format!("/api/v1/conversations/{id}"), &app.agent)
        .await;
    conversation
}

/// The texts of a conversation's bot answers.
async fn bot_answers(app: &TestApp, conversation: &Value) -> Vec<String> {
    let path = format!("/api/v1/conversations/{}/messages", conversation["id"]);
    let (_, messages) = app.get(&path, &app.agent).await;
    messages["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|message| message["author"]["type"] == "bot")
        .map(|message| {
            assert_eq!(message["author"]["name"], "away-message", "{message}");
            message["text"].as_str().unwrap_or_default().to_string()
        })
        .collect()
}

#[tokio::test]
async fn the_first_rule_that_matches_sends_a_new_conversation_to_its_team_with_its_labels() {
    let app = TestApp::new().await;
    let (wholesale, billing) = (
        team(&app, "Mayoristas").await,
        team(&app, "Facturación").await,
    );
    let rules = json!({ "rules": [
        { "name": "Facturas", "keywords": ["factura", "boleto"], "team_id": billing, "labels": ["facturación"] },
        { "name": "Mayoristas", "senders": ["@distribuidora.com.mx", "compras@ferreteria.co"], "team_id": wholesale },
        { "name": "Urgente", "keywords": ["URGENTE"], "labels": ["urgente"] },
    ]});
    let (status, saved) = put_routing(&app, rules).await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    let (status, read) = app.get("/api/v1/routing", &app.agent).await;
    assert_eq!(
        (status, read["rules"].as_array().map(Vec::len)),
        (StatusCode::OK, Some(3))
    );

    let by_domain =
        conversation_from(&app, "Ana@Distribuidora.com.mx", "m-1", "¿Tienen stock?").await;
    assert_eq!(by_domain["team_id"], wholesale, "{by_domain}");
    let by_address = conversation_from(&app, "compras@ferreteria.co", "m-2", "Pedido").await;
    assert_eq!(by_address["team_id"], wholesale);
    // The keyword rule comes first, and accents and case do not matter.
    let invoice = conversation_from(
        &app,
        "compras@distribuidora.com.mx",
        "m-3",
        "Necesito la FACTURA de marzo",
    )
    .await;
    assert_eq!(invoice["team_id"], billing);
    assert_eq!(invoice["labels"], json!(["facturación"]));
    let urgent = conversation_from(&app, "joao@loja.com.br", "m-4", "É urgente!").await;
    assert_eq!(
        urgent["team_id"],
        Value::Null,
        "a label-only rule keeps the channel's team"
    );
    assert_eq!(urgent["labels"], json!(["urgente"]));
    let other = conversation_from(&app, "maria@correo.cl", "m-5", "Hola").await;
    assert_eq!(
        (other["team_id"].clone(), other["labels"].clone()),
        (Value::Null, json!([]))
    );
    // Rules route new conversations only: a later message stays where its conversation is.
    let later = conversation_from(&app, "maria@correo.cl", "m-6", "Una factura").await;
    assert_eq!(later["id"], other["id"]);
    assert_eq!(later["team_id"], Value::Null);

    // A deleted team leaves its rule without a team, sending to the channel's.
    let (status, _) = app
        .call(
            Method::DELETE,
            &format!("/api/v1/teams/{wholesale}"),
            &app.admin,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, read) = app.get("/api/v1/routing", &app.admin).await;
    assert_eq!(read["rules"][1].get("team_id"), None, "{read}");
    let after = conversation_from(&app, "luis@distribuidora.com.mx", "m-7", "Hola").await;
    assert_eq!(after["team_id"], Value::Null);
}

#[tokio::test]
async fn routing_that_cannot_be_used_is_refused_naming_the_field_and_only_admins_change_it() {
    let app = TestApp::new().await;
    let week = |to: &str| json!({ "hours": { "week": [{ "day": 1, "from": "09:00", "to": to }] } });
    let cases = [
        (week("6pm"), "hours.week[0].to", "\"6pm\""),
        (week("09:00"), "hours.week[0]", "never be open"),
        (
            json!({ "hours": { "time_zone": "America/Gotham", "week": [] } }),
            "hours.time_zone",
            "America/Gotham",
        ),
        (
            json!({ "hours": { "holidays": [{ "date": "2026-02-30", "name": "?" }] } }),
            "hours.holidays[0].date",
            "2026-02-30",
        ),
        (
            json!({ "rules": [{ "name": "Nada", "keywords": ["hola"] }] }),
            "rules[0]",
            "neither sends to a team nor adds a label",
        ),
        (
            json!({ "rules": [{ "name": "Otro", "team_id": 999_999 }] }),
            "rules[0].team_id",
            "999999",
        ),
        (
            json!({ "rules": [{ "name": "Otro", "channel_ids": [999_999], "labels": ["x"] }] }),
            "rules[0].channel_ids",
            "999999",
        ),
        (
            json!({ "away_message": "x".repeat(2_001) }),
            "away_message",
            "2000",
        ),
    ];
    for (routing, field, named) in cases {
        let answer = put_routing(&app, routing).await;
        assert_error_naming(
            &answer,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_routing",
            named,
        );
        assert_eq!(answer.1["error"]["field"], field, "{}", answer.1);
    }
    let (_, read) = app.get("/api/v1/routing", &app.admin).await;
    assert_eq!(
        read,
        json!({ "away_message": "", "rules": [] }),
        "nothing was kept"
    );
    let by_agent = app
        .call(Method::PUT, "/api/v1/routing", &app.agent, Some(json!({})))
        .await;
    assert_error(&by_agent, StatusCode::FORBIDDEN, "forbidden");
    let bad_team_hours = app
        .post(
            "/api/v1/teams",
            &app.admin,
            json!({ "name": "Noche", "hours": { "time_zone": "Lima", "week": [] } }),
        )
        .await;
    assert_error_naming(
        &bad_team_hours,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_routing",
        "Lima",
    );
}

#[tokio::test]
async fn outside_the_hours_a_contact_gets_the_away_message_once_a_day_unless_a_machine_wrote() {
    let app = TestApp::new().await;
    let away = "Gracias por escribirnos. Atendemos de lunes a viernes de 9 a 18 h.";
    // A week with no opening is always closed.
    let (status, saved) = put_routing(
        &app,
        json!({ "hours": { "time_zone": "America/Bogota", "week": [] }, "away_message": away }),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    let ana = conversation_from(&app, "ana@example.com", "a-1", "Hola").await;
    assert_eq!(bot_answers(&app, &ana).await, [away]);
    let again = conversation_from(&app, "ana@example.com", "a-2", "¿Hola?").await;
    assert_eq!(bot_answers(&app, &again).await, [away], "once a day");
    let body = json!({
        "contact": { "identity": { "kind": "email", "value": "robot@example.com" } },
        "external_id": "r-1", "text": "Out of office", "automatic": true,
    });
    let (status, robot) = app
        .post(
            &format!("/api/v1/channels/{}/inbound", app.channel),
            &app.admin,
            body,
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{robot}");
    let (_, robot) = app
        .get(
            &format!("/api/v1/conversations/{}", robot["conversation_id"]),
            &app.agent,
        )
        .await;
    assert_eq!(
        bot_answers(&app, &robot).await,
        Vec::<String>::new(),
        "no answer to a machine"
    );

    // A team with its own hours, open all week, answers itself: no away message there.
    let (status, night) = app
        .post(
            "/api/v1/teams",
            &app.admin,
            json!({ "name": "Guardia", "hours": { "week": (0..7).map(|day| json!({ "day": day, "from": "00:00", "to": "24:00" })).collect::<Vec<_>>() } }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{night}");
    let (status, _) = put_routing(
        &app,
        json!({ "hours": { "week": [] }, "away_message": away,
            "rules": [{ "name": "Guardia", "keywords": ["guardia"], "team_id": night["id"] }] }),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let staffed = conversation_from(&app, "bruno@example.com", "b-1", "Para la guardia").await;
    assert_eq!(bot_answers(&app, &staffed).await, Vec::<String>::new());
    // Open hours, or no away message: nothing is sent.
    let (status, _) = put_routing(&app, json!({ "away_message": away })).await;
    assert_eq!(status, StatusCode::OK);
    let open = conversation_from(&app, "carla@example.com", "c-1", "Hola").await;
    assert_eq!(
        bot_answers(&app, &open).await,
        Vec::<String>::new(),
        "always open"
    );
    let (status, _) = put_routing(&app, json!({ "hours": { "week": [] } })).await;
    assert_eq!(status, StatusCode::OK);
    let silent = conversation_from(&app, "dario@example.com", "d-1", "Hola").await;
    assert_eq!(
        bot_answers(&app, &silent).await,
        Vec::<String>::new(),
        "no message written"
    );
}
