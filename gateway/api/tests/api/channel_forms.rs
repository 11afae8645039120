//! Channel forms: what an admin is asked for to add a plugin channel (from each plugin's
//! manifest), the settings checked against that form when written, the webhook URL shown to
//! admins, and secrets changed one at a time.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::{TestApp, assert_error, assert_error_naming};

/// The field named `name` of the form for `kind`.
fn field<'a>(forms: &'a Value, kind: &str, name: &str) -> &'a Value {
    let form = forms
        .as_array()
        .and_then(|forms| forms.iter().find(|form| form["kind"] == kind))
        .unwrap_or_else(|| panic!("no form for {kind}: {forms}"));
    form["fields"]
        .as_array()
        .and_then(|fields| fields.iter().find(|field| field["name"] == name))
        .unwrap_or_else(|| panic!("no field {name} in {form}"))
}

#[tokio::test]
async fn an_admin_is_offered_each_plugin_channel_with_the_form_its_manifest_describes() {
    let app = TestApp::new().await;
    let (status, forms) = app.get("/api/v1/channel-forms", &app.admin).await;
    assert_eq!(status, StatusCode::OK, "{forms}");
    let kinds: Vec<&str> = forms
        .as_array()
        .expect("a list")
        .iter()
        .filter_map(|form| form["kind"].as_str())
        .collect();
    assert_eq!(kinds, ["sms", "telegram", "whatsapp"]);

    let telegram = &forms[1];
    assert_eq!(telegram["title"]["es"], "Telegram");
    assert_eq!(
        telegram["summary"]["pt-BR"],
        "Responda a quem escreve para o seu bot do Telegram."
    );
    let names: Vec<&str> = telegram["fields"]
        .as_array()
        .expect("fields")
        .iter()
        .filter_map(|field| field["name"].as_str())
        .collect();
    assert_eq!(
        names,
        ["receive", "groups", "api_base", "bot_token"],
        "settings in the manifest's order, then secrets"
    );
    let token = field(&forms, "telegram", "bot_token");
    assert_eq!(token["secret"], true);
    assert_eq!(token["required"], true);
    assert_eq!(token["label"]["es"], "Token del bot");
    let receive = field(&forms, "telegram", "receive");
    assert_eq!(receive["input"], "choice");
    assert_eq!(receive["choices"][1]["value"], "polling");
    assert_eq!(field(&forms, "telegram", "api_base")["advanced"], true);
    assert_eq!(
        field(&forms, "sms", "account_sid")["shown_when"],
        json!({ "provider": ["twilio"] })
    );
    assert_eq!(
        forms[2]["webhook"], true,
        "WhatsApp's URL is pasted at Meta"
    );
    assert_eq!(
        telegram["webhook"], false,
        "Telegram's is registered for you"
    );

    assert_error(
        &app.get("/api/v1/channel-forms", &app.agent).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
}

#[tokio::test]
async fn plugin_channel_settings_are_checked_against_the_form_when_written() {
    let app = TestApp::new().await;
    let create = |settings: Value| {
        app.post(
            "/api/v1/channels",
            &app.admin,
            json!({ "kind": "sms", "name": "SMS", "settings": settings }),
        )
    };
    assert_error_naming(
        &create(json!({ "provider": "plivo", "from": "+5511987654321" })).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_settings",
        "must be one of twilio, vonage, messagebird",
    );
    let missing = create(json!({ "provider": "twilio", "from": "+5511987654321" })).await;
    assert_error_naming(
        &missing,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_settings",
        "`account_sid` is required",
    );
    assert_eq!(
        missing.1["error"]["field"], "account_sid",
        "the field, for the console to name by its label in the admin's language"
    );
    assert_error_naming(
        &create(
            json!({ "provider": "vonage", "from": "+5511987654321", "api_key": "k",
                        "api_base": "rest.nexmo.example" }),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_settings",
        "`api_base` must be a URL",
    );

    let (status, channel) =
        create(json!({ "provider": "vonage", "from": "+5511987654321", "api_key": "abc123" }))
            .await;
    assert_eq!(status, StatusCode::CREATED, "{channel}");
    let path = format!("/api/v1/channels/{}", channel["id"]);
    assert_eq!(
        channel["webhook_url"],
        format!(
            "http://127.0.0.1:8080/hooks/{}/{}/{}",
            app.workspace,
            channel["id"],
            channel["webhook_token"].as_str().expect("a token")
        ),
        "the whole URL to give the provider"
    );
    let (_, seen_by_agent) = app.get(&path, &app.agent).await;
    assert!(
        seen_by_agent.get("webhook_url").is_none() && seen_by_agent.get("webhook_token").is_none(),
        "agents never see the webhook's secret: {seen_by_agent}"
    );

    assert_error_naming(
        &app.call(
            Method::PATCH,
            &path,
            &app.admin,
            Some(json!({ "settings": { "provider": "twilio", "from": "+5511987654321" } })),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_settings",
        "`account_sid` is required",
    );
    let (_, unchanged) = app.get(&path, &app.admin).await;
    assert_eq!(unchanged["settings"]["provider"], "vonage");
}

#[tokio::test]
async fn a_plugin_whose_form_describes_what_it_does_not_ask_for_is_refused() {
    let app = TestApp::new().await;
    let manifest = json!({
        "name": "crm", "version": "1.0.0", "contract": "0.2.0", "channel_kind": "api",
        "settings": ["region"],
        "form": {
            "title": { "en": "CRM" },
            "fields": { "password": { "label": { "en": "Password" } } }
        }
    });
    assert_error_naming(
        &app.post(
            "/api/v1/plugins",
            &app.admin,
            json!({ "manifest": manifest, "wasm_base64": template_base64() }),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_plugin",
        "neither a setting nor a secret",
    );
}

/// The template adapter's component, as an upload carries it.
fn template_base64() -> String {
    use base64::Engine;
    let path =
        std::path::Path::new(switchboard_plugins::BUILT_PLUGINS).join("template_adapter.wasm");
    let wasm = std::fs::read(&path).unwrap_or_else(|error| panic!("{}: {error}", path.display()));
    base64::engine::general_purpose::STANDARD.encode(wasm)
}

#[tokio::test]
async fn secrets_change_one_at_a_time_and_the_others_stay() {
    let app = TestApp::new().await;
    let manifest = json!({
        "name": "crm", "version": "1.0.0", "contract": "0.2.0", "channel_kind": "api",
        "secrets": ["api_token", "signing_key"]
    });
    let (status, installed) = app
        .post(
            "/api/v1/plugins",
            &app.admin,
            json!({ "manifest": manifest, "wasm_base64": template_base64() }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{installed}");
    let (_, channel) = app
        .post(
            "/api/v1/channels",
            &app.admin,
            json!({ "kind": "api", "name": "CRM", "plugin": "crm" }),
        )
        .await;
    let path = format!("/api/v1/channels/{}/secrets", channel["id"]);
    let change = |secrets: Value| {
        app.call(
            Method::PATCH,
            &path,
            &app.admin,
            Some(json!({ "secrets": secrets })),
        )
    };
    assert_eq!(
        change(json!({ "api_token": "tok-1", "signing_key": "key-1" }))
            .await
            .0,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        change(json!({ "api_token": null })).await.0,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        app.get(&path, &app.admin).await.1,
        json!({ "names": ["signing_key"] }),
        "null removed one, the other stayed"
    );
    assert_eq!(
        change(json!({ "api_token": "tok-2" })).await.0,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        app.get(&path, &app.admin).await.1,
        json!({ "names": ["api_token", "signing_key"] })
    );
    assert_error(
        &app.call(
            Method::PATCH,
            &path,
            &app.agent,
            Some(json!({ "secrets": { "api_token": "tok-3" } })),
        )
        .await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
}

#[tokio::test]
async fn a_channel_that_names_a_shipped_adapter_installs_it() {
    let app = TestApp::new().await;
    let (status, channel) = app
        .post(
            "/api/v1/channels",
            &app.admin,
            json!({ "kind": "telegram", "name": "Bot", "plugin": "telegram",
                    "settings": { "receive": "polling" } }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{channel}");
    let (status, plugin) = app.get("/api/v1/plugins/telegram", &app.admin).await;
    assert_eq!(status, StatusCode::OK, "installed: {plugin}");
    assert_error(
        &app.post(
            "/api/v1/channels",
            &app.admin,
            json!({ "kind": "api", "name": "CRM", "plugin": "crm" }),
        )
        .await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
}
