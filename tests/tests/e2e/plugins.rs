//! The SDK README's promise, against the real binary: an adapter built from the template
//! installs into a running gateway through the API and handles a provider's webhook.

use hyper::StatusCode;
use serde_json::json;
use switchboard_e2e::Gateway;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_template_plugin_installs_into_a_running_gateway_and_handles_traffic()
-> anyhow::Result<()> {
    let data = tempfile::tempdir()?;
    let gateway = Gateway::start(data.path()).await?;
    let admin = gateway.admin().await?;
    let hook = admin
        .install_plugin_channel(
            "template_adapter",
            json!({
                "name": "my-crm", "version": "1.0.0", "contract": "0.2.0", "channel_kind": "api",
                "settings": ["reply_url"], "secrets": ["api_token"]
            }),
            "CRM",
        )
        .await?;

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

/// A plugin's log line that holds a line break and a terminal escape, trying to pass for a line
/// of the gateway's own, stays one escaped line of the gateway's log.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plugin_cannot_forge_a_line_of_the_gateways_log() -> anyhow::Result<()> {
    let data = tempfile::tempdir()?;
    // At the default level, where the gateway's spans (ingest, plugin calls) are on.
    let gateway =
        Gateway::start_with(data.path(), &[("SWITCHBOARD_LOG__FILTER", "info".into())]).await?;
    let admin = gateway.admin().await?;
    let hook = admin
        .install_plugin_channel(
        "misbehaving_adapter",
        json!({ "name": "forger", "version": "1.0.0", "contract": "0.2.0", "channel_kind": "api" }),
        "Forger",
    )
    .await?;
    let provider = switchboard_e2e::Client::new(&gateway.base_url);
    let (status, _) = provider
        .send(
            hyper::Method::POST,
            &hook,
            &[],
            Some(("text/plain", b"forge-log".to_vec())),
        )
        .await?;
    assert_eq!(status, StatusCode::OK);
    let logged = switchboard_e2e::eventually_within(
        std::time::Duration::from_secs(10),
        "the plugin's log line",
        async || {
            Ok(gateway
                .output_lines()
                .into_iter()
                .find(|line| line.contains("FORGED")))
        },
    )
    .await?;
    assert!(
        logged.contains("plugin=\"forger\"") && logged.contains("ok\\n2026-12-02T06:00:00"),
        "{logged}"
    );
    // The line sits in the spans of the work that wrote it: the ingest of the channel's
    // webhook, then the plugin call.
    let channel_id = hook.split('/').nth(3).expect("the channel in the hook");
    assert!(
        logged.contains(&format!("ingest{{workspace_id=1 channel_id={channel_id}}}"))
            && logged.contains(&format!(
                "plugin_call{{plugin=forger channel_id={channel_id}}}"
            )),
        "{logged}"
    );
    assert!(!logged.contains('\x1b'), "{logged:?}");
    assert!(
        !gateway
            .output_lines()
            .iter()
            .any(|line| line.starts_with("2026-12-02T06:00:00")),
        "a forged line"
    );
    Ok(())
}
