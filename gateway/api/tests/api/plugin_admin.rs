//! What the console's Plugins screen asks of the API: what a manifest or a signed package
//! asks for, read before anything is installed, and each channel's dead letters, replayed after
//! a rollback or deleted.

use axum::http::{Method, StatusCode};
use base64::Engine;
use serde_json::json;

use crate::plugins::{channel_with, message, upload, webhook};
use crate::support::{TestApp, assert_error};

/// A manifest as plugins ship it, asking for a host, a setting, a secret and its budgets.
const MANIFEST: &str = r#"
name = "crm"
version = "1.2.0"
contract = "0.2.0"
channel_kind = "api"
allowed_hosts = ["api.crm.example", "hooks.crm.example:8443"]
settings = ["reply_url"]
secrets = ["api_token"]

[budget]
memory_mib = 32
time_ms = 500
output_kib = 1024
"#;

#[tokio::test]
async fn what_a_manifest_asks_for_is_shown_before_anything_is_installed() {
    let app = TestApp::new().await;
    let (status, preview) = app
        .post(
            "/api/v1/plugins/preview",
            &app.admin,
            json!({ "manifest": MANIFEST }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{preview}");
    assert_eq!(preview["name"], "crm");
    assert_eq!(preview["version"], "1.2.0");
    assert_eq!(
        preview["allowed_hosts"],
        json!(["api.crm.example", "hooks.crm.example:8443"])
    );
    assert_eq!(preview["settings"], json!(["reply_url"]));
    assert_eq!(preview["secrets"], json!(["api_token"]));
    assert_eq!(
        (
            &preview["memory_mib"],
            &preview["time_ms"],
            &preview["output_kib"]
        ),
        (&json!(32), &json!(500), &json!(1024))
    );
    assert_eq!(preview["installed_version"], json!(null));
    let (_, listed) = app.get("/api/v1/plugins", &app.admin).await;
    assert_eq!(listed, json!([]), "nothing is installed by a preview");

    // The manifest it answers is the one installing takes, and then it names the version run.
    let mut installed = upload("template_adapter", "crm", "1.0.0", 300);
    installed["manifest"] = preview["manifest"].clone();
    let (status, state) = app.post("/api/v1/plugins", &app.admin, installed).await;
    assert_eq!(status, StatusCode::CREATED, "{state}");
    assert_eq!(
        state["versions"][0]["grants"]["secrets"],
        json!(["api_token"])
    );
    let (_, again) = app
        .post(
            "/api/v1/plugins/preview",
            &app.admin,
            json!({ "manifest": MANIFEST.replace("1.2.0", "1.3.0") }),
        )
        .await;
    assert_eq!(again["installed_version"], "1.2.0");

    // Refusals name what is wrong; agents may not look.
    let greedy = app
        .post(
            "/api/v1/plugins/preview",
            &app.admin,
            json!({ "manifest": MANIFEST.replace("time_ms = 500", "time_ms = 999999") }),
        )
        .await;
    assert_error(&greedy, StatusCode::UNPROCESSABLE_ENTITY, "invalid_plugin");
    assert!(greedy.1.to_string().contains("time budget"), "{}", greedy.1);
    let future = app
        .post(
            "/api/v1/plugins/preview",
            &app.admin,
            json!({ "manifest": MANIFEST.replace("0.2.0", "7.0.0") }),
        )
        .await;
    assert_error(&future, StatusCode::UNPROCESSABLE_ENTITY, "invalid_plugin");
    assert!(future.1.to_string().contains("7.0.0"), "{}", future.1);
    let neither = app
        .post("/api/v1/plugins/preview", &app.admin, json!({}))
        .await;
    assert_error(&neither, StatusCode::UNPROCESSABLE_ENTITY, "invalid_plugin");
    let untrusted = app
        .post(
            "/api/v1/plugins/preview",
            &app.admin,
            json!({ "package_base64": "bm90IGEgcGFja2FnZQ==" }),
        )
        .await;
    assert_eq!(
        untrusted.0,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        untrusted.1
    );
    assert_error(
        &app.post(
            "/api/v1/plugins/preview",
            &app.agent,
            json!({ "manifest": MANIFEST }),
        )
        .await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
}

#[tokio::test]
async fn a_channels_dead_letters_are_listed_replayed_after_a_rollback_and_deleted() {
    let app = TestApp::new().await;
    let crm = channel_with(&app, "template_adapter", "crm").await;
    let other = channel_with(&app, "template_adapter", "shop").await;
    let channel_of = |hook: &str| hook.split('/').nth(3).expect("a channel id").to_string();
    let (status, _) = webhook(&app, &other, "not json").await;
    assert_eq!(status, StatusCode::ACCEPTED);

    // An upgrade with too little memory to run keeps what comes as dead letters.
    let mut starved = upload("template_adapter", "crm", "2.0.0", 300);
    starved["manifest"]["budget"]["memory_mib"] = json!(1);
    let (status, upgraded) = app.post("/api/v1/plugins", &app.admin, starved).await;
    assert_eq!(status, StatusCode::CREATED, "{upgraded}");
    for id in ["m-1", "m-2"] {
        let (status, kept) = webhook(&app, &crm, &message(id, "¿Tienen stock?")).await;
        assert_eq!(status, StatusCode::ACCEPTED, "{kept}");
        assert!(kept["reason"].to_string().contains("memory"), "{kept}");
    }
    let (_, page) = app
        .get(
            &format!("/api/v1/dead-letters?channel={}", channel_of(&crm)),
            &app.admin,
        )
        .await;
    let letters = page["items"].as_array().expect("letters");
    assert_eq!(letters.len(), 2, "only this channel's: {page}");
    let (newest, oldest) = (&letters[0]["id"], &letters[1]["id"]);
    assert!(newest.as_u64() > oldest.as_u64(), "newest first: {page}");
    // A page at a time, as the console reads them.
    let first_page = format!("/api/v1/dead-letters?channel={}&limit=1", channel_of(&crm));
    let (_, page) = app.get(&first_page, &app.admin).await;
    assert_eq!(page["items"][0]["id"], *newest, "{page}");
    let cursor = page["next_cursor"].as_str().expect("a next page");
    let (_, page) = app
        .get(&format!("{first_page}&cursor={cursor}"), &app.admin)
        .await;
    assert_eq!(page["items"][0]["id"], *oldest, "{page}");
    let (_, everyone) = app.get("/api/v1/dead-letters", &app.admin).await;
    assert_eq!(everyone["items"].as_array().map(Vec::len), Some(3));

    // Rolled back, the newest goes through; the oldest is deleted for good.
    let (status, _) = app
        .post(
            "/api/v1/plugins/crm/activate",
            &app.admin,
            json!({ "version": "1.0.0" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, replayed) = app
        .post(
            &format!("/api/v1/dead-letters/{newest}/replay"),
            &app.admin,
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{replayed}");
    let delete = format!("/api/v1/dead-letters/{oldest}");
    assert_error(
        &app.call(Method::DELETE, &delete, &app.agent, None).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
    let (status, _) = app.call(Method::DELETE, &delete, &app.admin, None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_error(
        &app.get(&delete, &app.admin).await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    let (_, page) = app
        .get(
            &format!("/api/v1/dead-letters?channel={}", channel_of(&crm)),
            &app.admin,
        )
        .await;
    assert_eq!(page["items"], json!([]), "{page}");
    let (_, page) = app
        .get(
            &format!("/api/v1/dead-letters?channel={}", channel_of(&other)),
            &app.admin,
        )
        .await;
    assert_eq!(page["items"].as_array().map(Vec::len), Some(1), "{page}");
}

#[tokio::test]
async fn a_signed_packages_asks_are_shown_once_its_publisher_is_trusted() {
    let app = TestApp::new().await;
    let path =
        std::path::Path::new(switchboard_plugins::BUILT_PLUGINS).join("template_adapter.wasm");
    let component = std::fs::read(&path).expect("the template adapter");
    let publisher = switchboard_package::signing_key(&[7; 32]);
    let package = switchboard_package::pack(MANIFEST, &component, &publisher);
    let preview = json!({
        "package_base64": base64::engine::general_purpose::STANDARD.encode(&package)
    });
    let untrusted = app
        .post("/api/v1/plugins/preview", &app.admin, preview.clone())
        .await;
    assert_error(
        &untrusted,
        StatusCode::UNPROCESSABLE_ENTITY,
        "untrusted_package",
    );
    let key = switchboard_package::public_key(&publisher);
    let (status, _) = app
        .call(
            Method::PUT,
            "/api/v1/plugins/trusted-keys",
            &app.admin,
            Some(json!({ "keys": [{ "name": "Acme Integrations", "key": key }] })),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, asked) = app
        .post("/api/v1/plugins/preview", &app.admin, preview)
        .await;
    assert_eq!(status, StatusCode::OK, "{asked}");
    assert_eq!(
        (&asked["name"], &asked["secrets"], &asked["time_ms"]),
        (&json!("crm"), &json!(["api_token"]), &json!(500))
    );
    let (status, _) = app.get("/api/v1/plugins/crm", &app.admin).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "a preview installs nothing");
}
