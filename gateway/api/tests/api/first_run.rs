//! The first run: a person whose password was generated chooses their own before anything
//! else (the generated one then stops working, and the first admin's file goes), and admins
//! set the workspace's name, time zone and languages.

use axum::http::{Method, StatusCode};
use serde_json::json;
use switchboard_api::{ApiConfig, FirstPassword, hash_password};
use switchboard_store::NewAgentRecord;
use switchboard_store::prelude::*;

use crate::support::{Auth, PASSWORD, TestApp, assert_error};

const FIRST: &str = "first@acme.test";

/// An app whose workspace has a second admin, `FIRST`, whose password (`PASSWORD`) was
/// generated and saved in a file, as the gateway's first start does.
async fn with_generated_admin() -> (TestApp, tempfile::TempDir) {
    let folder = tempfile::tempdir().expect("temp dir");
    let file = folder.path().join("first-admin-password.txt");
    std::fs::write(&file, PASSWORD).expect("the password file");
    let config = ApiConfig {
        first_password: Some(FirstPassword {
            email: FIRST.to_string(),
            file,
        }),
        ..ApiConfig::default()
    };
    let app = TestApp::with_config(config).await;
    let admin = NewAgentRecord {
        name: "Admin".into(),
        email: FIRST.into(),
        role: switchboard_model::Role::Admin,
        password_hash: hash_password(PASSWORD.into()).await.expect("hash"),
        must_choose_password: true,
    };
    app.store
        .create_agent(app.workspace, admin)
        .await
        .expect("the first admin");
    (app, folder)
}

async fn sign_in(app: &TestApp, password: &str) -> StatusCode {
    let body = json!({ "email": FIRST, "password": password });
    app.post("/api/v1/auth/login", &Auth::None, body).await.0
}

#[tokio::test]
async fn a_generated_password_is_exchanged_for_ones_own_before_anything_else() {
    let (app, folder) = with_generated_admin().await;
    let file = folder.path().join("first-admin-password.txt");
    let first = app.login(FIRST).await;
    let (status, me) = app.get("/api/v1/auth/me", &first).await;
    assert_eq!(status, StatusCode::OK, "{me}");
    assert_eq!(me["agent"]["must_choose_password"], true, "{me}");
    assert!(
        file.exists(),
        "signing in leaves the file until a password is chosen"
    );

    // Nothing else answers until then, reading or writing, with a reason.
    for (method, path) in [
        (Method::GET, "/api/v1/conversations"),
        (Method::GET, "/api/v1/channels"),
        (Method::PATCH, "/api/v1/workspace"),
        (Method::PATCH, "/api/v1/auth/me"),
    ] {
        let answer = app.call(method, path, &first, Some(json!({}))).await;
        assert_error(&answer, StatusCode::FORBIDDEN, "choose_password");
    }
    let same = app
        .post(
            "/api/v1/auth/password",
            &first,
            json!({ "password": PASSWORD }),
        )
        .await;
    assert_error(&same, StatusCode::UNPROCESSABLE_ENTITY, "same_password");
    let short = app
        .post(
            "/api/v1/auth/password",
            &first,
            json!({ "password": "corta" }),
        )
        .await;
    assert_error(&short, StatusCode::UNPROCESSABLE_ENTITY, "weak_password");

    // A second browser signed in with the generated password is signed out by the choice.
    let other = app.login(FIRST).await;
    let mine = "mi contraseña de verdad";
    let (status, me) = app
        .post("/api/v1/auth/password", &first, json!({ "password": mine }))
        .await;
    assert_eq!(status, StatusCode::OK, "{me}");
    assert!(me["agent"].get("must_choose_password").is_none(), "{me}");
    assert!(
        !file.exists(),
        "the generated password's file outlived the choice"
    );
    let (status, _) = app.get("/api/v1/conversations", &first).await;
    assert_eq!(status, StatusCode::OK, "the browser that chose stays in");
    let (status, _) = app.get("/api/v1/conversations", &other).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(sign_in(&app, PASSWORD).await, StatusCode::UNAUTHORIZED);
    assert_eq!(sign_in(&app, mine).await, StatusCode::OK);
    let again = app
        .post(
            "/api/v1/auth/password",
            &first,
            json!({ "password": "otra más, nueva" }),
        )
        .await;
    assert_error(&again, StatusCode::CONFLICT, "password_already_chosen");
}

#[tokio::test]
async fn admins_name_the_workspace_and_pick_its_time_zone_and_languages() {
    let app = TestApp::new().await;
    let (_, me) = app.get("/api/v1/auth/me", &app.admin).await;
    assert_eq!(me["workspace"]["onboarded"], false, "{me}");
    assert_eq!(me["workspace"]["time_zone"], "UTC", "{me}");
    let profile = json!({
        "name": "  Café Aurora ",
        "time_zone": "America/Bogota",
        "languages": ["es", "EN"],
        "default_language": "es",
        "onboarded": true,
    });
    let (status, workspace) = app
        .call(
            Method::PATCH,
            "/api/v1/workspace",
            &app.admin,
            Some(profile),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{workspace}");
    assert_eq!(workspace["name"], "Café Aurora");
    assert_eq!(workspace["time_zone"], "America/Bogota");
    assert_eq!(workspace["languages"], json!(["es", "en"]));
    assert_eq!(workspace["default_language"], "es");
    assert_eq!(workspace["onboarded"], true);
    let (_, me) = app.get("/api/v1/auth/me", &app.agent).await;
    assert_eq!(me["workspace"], workspace, "everyone in it sees it");

    // Dropping the default language moves the default to one that is left.
    let (status, workspace) = app
        .call(
            Method::PATCH,
            "/api/v1/workspace",
            &app.admin,
            Some(json!({ "languages": ["pt-br"] })),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{workspace}");
    assert_eq!(workspace["default_language"], "pt-BR");

    // Each wrong value is named, and changes nothing.
    for (body, field) in [
        (json!({ "name": " " }), "name"),
        (json!({ "time_zone": "America/Bogotá" }), "time_zone"),
        (json!({ "time_zone": "GMT-5 (Bogotá)" }), "time_zone"),
        (json!({ "languages": [] }), "languages"),
        (json!({ "languages": ["es", "fr"] }), "languages"),
        (json!({ "default_language": "es" }), "default_language"),
    ] {
        let answer = app
            .call(Method::PATCH, "/api/v1/workspace", &app.admin, Some(body))
            .await;
        assert_error(
            &answer,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_workspace",
        );
        assert_eq!(answer.1["error"]["field"], field, "{}", answer.1);
    }
    let unknown = app
        .call(
            Method::PATCH,
            "/api/v1/workspace",
            &app.admin,
            Some(json!({ "quotas": { "agents": null } })),
        )
        .await;
    assert_eq!(unknown.0, StatusCode::UNPROCESSABLE_ENTITY, "{}", unknown.1);

    // Agents change nothing; another workspace's admin changes only their own.
    let refused = app
        .call(
            Method::PATCH,
            "/api/v1/workspace",
            &app.agent,
            Some(json!({ "name": "Mallory" })),
        )
        .await;
    assert_error(&refused, StatusCode::FORBIDDEN, "forbidden");
    let (status, theirs) = app
        .call(
            Method::PATCH,
            "/api/v1/workspace",
            &app.stranger,
            Some(json!({ "name": "Rival S.A." })),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{theirs}");
    assert_ne!(theirs["id"], workspace["id"]);
    let (_, me) = app.get("/api/v1/auth/me", &app.admin).await;
    assert_eq!(me["workspace"]["name"], "Café Aurora");
    assert_eq!(me["workspace"]["languages"], json!(["pt-BR"]));
}
