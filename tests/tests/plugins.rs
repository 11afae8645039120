//! The SDK README's promise, against the real binary: an adapter built from the template
//! installs into a running gateway through the API and handles a provider's webhook.

use base64::Engine;
use hyper::StatusCode;
use serde_json::json;
use switchboard_e2e::Gateway;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_template_plugin_installs_into_a_running_gateway_and_handles_traffic()
-> anyhow::Result<()> {
    let data = tempfile::tempdir()?;
    let gateway = Gateway::start(data.path()).await?;
    let admin = gateway.admin().await?;
    let wasm = std::fs::read(
        std::path::Path::new(switchboard_plugins::BUILT_PLUGINS).join("template_adapter.wasm"),
    )?;
    let upload = json!({
        "manifest": {
            "name": "my-crm", "version": "1.0.0", "contract": "0.1.0", "channel_kind": "api",
            "settings": ["reply_url"], "secrets": ["api_token"]
        },
        "wasm_base64": base64::engine::general_purpose::STANDARD.encode(wasm),
    });
    let (status, installed) = admin.post("/api/v1/plugins", &upload).await?;
    assert_eq!(status, StatusCode::CREATED, "{installed}");
    let (status, channel) = admin
        .post(
            "/api/v1/channels",
            &json!({ "kind": "api", "name": "CRM", "plugin": "my-crm" }),
        )
        .await?;
    assert_eq!(status, StatusCode::CREATED, "{channel}");
    let hook = format!(
        "/hooks/{}/{}/{}",
        channel["workspace_id"],
        channel["id"],
        channel["webhook_token"].as_str().unwrap_or_default()
    );

    // The provider calls the webhook without any Switchboard credentials.
    let provider = switchboard_e2e::Client::new(&gateway.base_url);
    let (status, answer) = provider
        .post(&hook, &json!({ "id": "crm-msg-1", "from": { "id": "lead-9", "name": "Lucía" }, "text": "¿Me llaman mañana?" }))
        .await?;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let messages = admin.all_messages().await?;
    let message = messages
        .iter()
        .find(|message| message["external_id"] == "crm-msg-1")
        .expect("the message is stored");
    assert_eq!(message["text"], "¿Me llaman mañana?");
    Ok(())
}
