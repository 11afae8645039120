//! Canned responses edited in place (the shortcut checked as when one is added, a clash named)
//! and the workspace's catalogue of labels with their colours: admins write it, agents read
//! it, a wrong field is named, a name is one label whatever its case, and another workspace's
//! labels are out of reach.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::{Auth, TestApp, assert_error, assert_error_naming};

fn id(value: &Value) -> u64 {
    value["id"].as_u64().expect("an id")
}

async fn patch(app: &TestApp, path: &str, auth: &Auth, body: Value) -> (StatusCode, Value) {
    app.call(Method::PATCH, path, auth, Some(body)).await
}

async fn delete(app: &TestApp, path: &str, auth: &Auth) -> (StatusCode, Value) {
    app.call(Method::DELETE, path, auth, None).await
}

/// The field a 422 names.
fn field_of(answer: &(StatusCode, Value)) -> &str {
    answer.1["error"]["field"].as_str().unwrap_or_default()
}

#[tokio::test]
async fn a_canned_response_is_edited_by_any_agent_and_a_taken_shortcut_is_named() {
    let app = TestApp::new().await;
    let create = async |shortcut: &str, content: &str| {
        let (status, canned) = app
            .post(
                "/api/v1/canned-responses",
                &app.agent,
                json!({ "shortcut": shortcut, "content": content }),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{canned}");
        canned
    };
    let hours = create("horario", "Atendemos de 9 a 18h.").await;
    create("envio", "Enviamos en 24 horas.").await;
    let path = format!("/api/v1/canned-responses/{}", id(&hours));

    // An agent changes the text and the shortcut; the list shows the change.
    let (status, changed) = patch(
        &app,
        &path,
        &app.agent,
        json!({ "shortcut": "horarios", "content": "Hola {{contact.first_name}}, atendemos de 9 a 19h." }),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{changed}");
    assert_eq!(changed["shortcut"], "horarios");
    let (_, list) = app.get("/api/v1/canned-responses", &app.admin).await;
    let edited = list
        .as_array()
        .and_then(|list| list.iter().find(|canned| canned["id"] == hours["id"]))
        .expect("still listed");
    assert_eq!(
        edited["content"],
        "Hola {{contact.first_name}}, atendemos de 9 a 19h."
    );
    assert_eq!(list.as_array().map(Vec::len), Some(2));

    // Keeping its own shortcut is no clash; another's is, and the answer names it.
    let (status, same) = patch(&app, &path, &app.agent, json!({ "shortcut": "horarios" })).await;
    assert_eq!(status, StatusCode::OK, "{same}");
    let clash = patch(&app, &path, &app.agent, json!({ "shortcut": "envio" })).await;
    assert_error_naming(&clash, StatusCode::CONFLICT, "conflict", "/envio");

    // The shortcut and the text are checked as when one is added, naming the field.
    let spaced = patch(
        &app,
        &path,
        &app.agent,
        json!({ "shortcut": "dos palabras" }),
    )
    .await;
    assert_error(&spaced, StatusCode::UNPROCESSABLE_ENTITY, "invalid_body");
    assert_eq!(field_of(&spaced), "shortcut");
    let blank = patch(&app, &path, &app.agent, json!({ "content": "  " })).await;
    assert_error(&blank, StatusCode::UNPROCESSABLE_ENTITY, "invalid_body");
    assert_eq!(field_of(&blank), "content");
    let (_, list) = app.get("/api/v1/canned-responses", &app.admin).await;
    assert!(
        list.to_string().contains("\"horarios\"") && !list.to_string().contains("dos palabras"),
        "refused changes change nothing: {list}"
    );

    // Another workspace's admin cannot reach it.
    let (status, _) = patch(&app, &path, &app.stranger, json!({ "content": "x" })).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn admins_keep_a_catalogue_of_coloured_labels_that_agents_read() {
    let app = TestApp::new().await;
    let (status, vip) = app
        .post(
            "/api/v1/labels",
            &app.admin,
            json!({ "name": "  VIP ", "colour": "#e5534b" }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{vip}");
    assert_eq!(vip["name"], "vip", "kept as conversations carry it");
    let (status, _) = app
        .post(
            "/api/v1/labels",
            &app.admin,
            json!({ "name": "reembolso", "colour": "#1f6feb" }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);

    // Agents read the catalogue and may not write it.
    let (status, listed) = app.get("/api/v1/labels", &app.agent).await;
    assert_eq!(status, StatusCode::OK);
    let names: Vec<&str> = listed
        .as_array()
        .expect("a list")
        .iter()
        .filter_map(|label| label["name"].as_str())
        .collect();
    assert_eq!(names, ["vip", "reembolso"]);
    assert_eq!(listed[0]["colour"], "#e5534b");
    let path = format!("/api/v1/labels/{}", id(&vip));
    for (status, answer) in [
        app.post(
            "/api/v1/labels",
            &app.agent,
            json!({ "name": "urgente", "colour": "#000000" }),
        )
        .await,
        patch(&app, &path, &app.agent, json!({ "colour": "#000000" })).await,
        delete(&app, &path, &app.agent).await,
    ] {
        assert_eq!(status, StatusCode::FORBIDDEN, "{answer}");
    }

    // A wrong colour or a blank name is named; a name taken (in any case) is a conflict.
    let wrong_colour = app
        .post(
            "/api/v1/labels",
            &app.admin,
            json!({ "name": "urgente", "colour": "red" }),
        )
        .await;
    assert_error_naming(
        &wrong_colour,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_body",
        "colour",
    );
    assert_eq!(field_of(&wrong_colour), "colour");
    let recoloured_wrong = patch(&app, &path, &app.admin, json!({ "colour": "#12345g" })).await;
    assert_eq!(field_of(&recoloured_wrong), "colour");
    let blank = app
        .post(
            "/api/v1/labels",
            &app.admin,
            json!({ "name": " ", "colour": "#000000" }),
        )
        .await;
    assert_error(&blank, StatusCode::UNPROCESSABLE_ENTITY, "invalid_body");
    assert_eq!(field_of(&blank), "name");
    let taken = app
        .post(
            "/api/v1/labels",
            &app.admin,
            json!({ "name": "Reembolso", "colour": "#000000" }),
        )
        .await;
    assert_error_naming(&taken, StatusCode::CONFLICT, "conflict", "reembolso");
    let renamed_onto = patch(&app, &path, &app.admin, json!({ "name": "REEMBOLSO" })).await;
    assert_error_naming(&renamed_onto, StatusCode::CONFLICT, "conflict", "reembolso");

    // Renamed and recoloured; the catalogue shows it so.
    let (status, changed) = patch(
        &app,
        &path,
        &app.admin,
        json!({ "name": "Cliente VIP", "colour": "#8250df" }),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{changed}");
    assert_eq!(
        (&changed["name"], &changed["colour"]),
        (&json!("cliente vip"), &json!("#8250df"))
    );

    // Removed from the catalogue, a label stays on the conversations that carry it.
    let conversation = app.inbound("ana@example.com", "a-1", "Hola").await;
    let labels_path = format!(
        "/api/v1/conversations/{}/labels",
        conversation["conversation_id"]
    );
    let (status, labelled) = app
        .post(
            &labels_path,
            &app.agent,
            json!({ "labels": ["Cliente VIP"] }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{labelled}");
    assert_eq!(labelled["labels"], json!(["cliente vip"]));
    let (status, _) = delete(&app, &path, &app.admin).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, listed) = app.get("/api/v1/labels", &app.agent).await;
    assert!(
        !listed.to_string().contains("cliente vip"),
        "gone from the catalogue: {listed}"
    );
    let (_, kept) = app
        .get(
            &format!("/api/v1/conversations/{}", conversation["conversation_id"]),
            &app.agent,
        )
        .await;
    assert_eq!(kept["labels"], json!(["cliente vip"]));
    let (status, _) = delete(&app, &path, &app.admin).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "removed once");
}

#[tokio::test]
async fn another_workspaces_labels_are_out_of_reach() {
    let app = TestApp::new().await;
    let (status, theirs) = app
        .post(
            "/api/v1/labels",
            &app.stranger,
            json!({ "name": "rival", "colour": "#e5534b" }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{theirs}");
    let path = format!("/api/v1/labels/{}", id(&theirs));
    let (status, _) = patch(&app, &path, &app.admin, json!({ "colour": "#000000" })).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = delete(&app, &path, &app.admin).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, ours) = app.get("/api/v1/labels", &app.admin).await;
    assert_eq!(ours, json!([]));
    // A's admin may use the same name in A.
    let (status, _) = app
        .post(
            "/api/v1/labels",
            &app.admin,
            json!({ "name": "rival", "colour": "#000000" }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (_, still) = app.get("/api/v1/labels", &app.stranger).await;
    assert_eq!(still[0]["colour"], "#e5534b", "B's label unchanged");
}
