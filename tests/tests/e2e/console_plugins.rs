//! Settings › Plugins in a real headless Chromium against the real gateway, in Spanish: an
//! admin uploads a plugin's `.wasm` and manifest, reads every capability it asks for (hosts,
//! settings, secrets, budgets) and approves it; disables and enables it; installs an upgrade
//! with too little memory to run, so that a provider's messages become dead letters; sees them
//! on the channel with their reason and payload, rolls back with "Usar esta versión", replays
//! one into a conversation and deletes the other (screenshots console-settings-plugins-*).

use std::time::Duration;

use fantoccini::Locator;
use hyper::StatusCode;
use serde_json::json;
use switchboard_e2e::browser::{Browser, click, eventually, shown, texts};
use switchboard_e2e::{Client, Gateway};

use super::console_settings::admin_console;

/// The plugin's row in the list.
const ROW: &str = "li.plugin-row[data-plugin=crm]";

/// A manifest as plugins ship it, `memory_mib` megabytes of memory a call.
fn manifest(version: &str, memory_mib: u32) -> String {
    format!(
        r#"name = "crm"
version = "{version}"
contract = "0.2.0"
channel_kind = "api"
allowed_hosts = ["api.crm.example"]
settings = ["reply_url"]
secrets = ["api_token"]

[budget]
memory_mib = {memory_mib}
time_ms = 500
output_kib = 1024
"#
    )
}

/// Picks the component and a manifest in the install form, as an admin does.
async fn pick_files(browser: &Browser, manifest: &std::path::Path) -> anyhow::Result<()> {
    let component =
        std::path::Path::new(switchboard_plugins::BUILT_PLUGINS).join("template_adapter.wasm");
    for (input, file) in [
        ("input.plugin-component", component.as_path()),
        ("input.plugin-manifest", manifest),
    ] {
        browser
            .client
            .wait()
            .at_most(Duration::from_secs(20))
            .for_element(Locator::Css(input))
            .await?
            .send_keys(&file.display().to_string())
            .await?;
    }
    Ok(())
}

/// The plugin as the API says it is: its active version and whether it runs.
async fn plugin(admin: &Client) -> anyhow::Result<(String, bool)> {
    let (_, state) = admin.get("/api/v1/plugins/crm").await?;
    Ok((
        state["active_version"].as_str().unwrap_or_default().into(),
        state["enabled"].as_bool().unwrap_or_default(),
    ))
}

#[tokio::test]
async fn an_admin_approves_a_plugins_grants_and_replays_its_dead_letter_after_a_rollback()
-> anyhow::Result<()> {
    let data = tempfile::tempdir()?;
    let gateway = Gateway::start(data.path()).await?;
    let admin = gateway.admin().await?;
    let (first, starved) = (data.path().join("crm.toml"), data.path().join("crm-2.toml"));
    std::fs::write(&first, manifest("1.0.0", 32))?;
    std::fs::write(&starved, manifest("2.0.0", 1))?;
    let page = format!("{}/app/settings/plugins", gateway.base_url);

    let browser = admin_console(&gateway, "es", false).await?;
    browser.client.goto(&page).await?;
    shown(&browser, "button.tab[aria-current=page]", "Plugins").await?;
    pick_files(&browser, &first).await?;
    shown(&browser, ".plugin-grants h3", "crm 1.0.0 pide:").await?;
    let grants = texts(&browser, ".plugin-grants li").await?;
    for asked in [
        "Enviar solicitudes a estos servidores: api.crm.example",
        "Leer estos ajustes del canal: reply_url",
        "Leer estos secretos del canal: api_token",
        "Hasta 32 MiB de memoria por llamada",
        "Hasta 500 ms por llamada",
        "Hasta 1024 KiB de resultados por llamada",
    ] {
        assert!(
            grants.iter().any(|grant| grant == asked),
            "{asked}: {grants:?}"
        );
    }
    let (status, _) = admin.get("/api/v1/plugins/crm").await?;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "nothing runs before the admin approves"
    );
    browser
        .screenshot("console-settings-plugins-grants")
        .await?;
    click(&browser, "button.approve").await?;
    shown(
        &browser,
        ".plugin-install .saved",
        "crm 1.0.0 está instalado",
    )
    .await?;
    shown(&browser, &format!("{ROW} .state"), "Activo").await?;
    let (_, state) = admin.get("/api/v1/plugins/crm").await?;
    assert_eq!(
        state["versions"][0]["grants"],
        json!({ "allowed_hosts": ["api.crm.example"], "settings": ["reply_url"], "secrets": ["api_token"] })
    );

    click(&browser, &format!("{ROW} button.toggle")).await?;
    shown(&browser, &format!("{ROW} .state"), "Desactivado").await?;
    assert_eq!(plugin(&admin).await?, ("1.0.0".into(), false));
    click(&browser, &format!("{ROW} button.toggle")).await?;
    shown(&browser, &format!("{ROW} .state"), "Activo").await?;
    assert_eq!(plugin(&admin).await?, ("1.0.0".into(), true));

    // A channel uses it; an upgrade with too little memory turns its messages away.
    let hook = admin.channel_for_plugin("crm", "CRM").await?;
    pick_files(&browser, &starved).await?;
    shown(
        &browser,
        ".plugin-grants .replaces",
        "Reemplaza la versión 1.0.0",
    )
    .await?;
    click(&browser, "button.approve").await?;
    shown(
        &browser,
        ".plugin-install .saved",
        "crm 2.0.0 está instalado",
    )
    .await?;
    let provider = Client::new(&gateway.base_url);
    for (id, text) in [
        ("crm-1", "¿Tienen stock del modelo azul?"),
        ("crm-2", "Gracias"),
    ] {
        let body = json!({ "id": id, "from": { "id": "lead-9", "name": "Lucía" }, "text": text });
        let (status, kept) = provider.post(&hook, &body).await?;
        assert_eq!(status, StatusCode::ACCEPTED, "{kept}");
    }

    browser.client.goto(&page).await?;
    shown(&browser, &format!("{ROW} .state"), "Con fallas").await?;
    shown(&browser, &format!("{ROW} .used-by"), "Lo usan: CRM").await?;
    shown(&browser, ".dead-letter .reason", "memory budget of 1 MiB").await?;
    let letters = texts(&browser, ".dead-letter").await?;
    assert_eq!(letters.len(), 2, "{letters:?}");
    // Newest first: Lucía's thanks, then her question, whose payload the admin reads.
    click(&browser, ".dead-letter:nth-child(2) button.show-payload").await?;
    shown(
        &browser,
        ".dead-letter pre.payload",
        "\"text\": \"¿Tienen stock del modelo azul?\"",
    )
    .await?;
    // The payload in view, as the admin scrolls to it.
    browser
        .client
        .execute(
            "document.querySelector('pre.payload').scrollIntoView({ block: 'end' })",
            Vec::new(),
        )
        .await?;
    tokio::time::sleep(Duration::from_millis(300)).await;
    browser
        .screenshot("console-settings-plugins-dead-letters")
        .await?;

    click(&browser, &format!("{ROW} .versions summary")).await?;
    click(
        &browser,
        &format!("{ROW} li[data-version='1.0.0'] button.use-version"),
    )
    .await?;
    shown(
        &browser,
        ".plugin-settings > .saved",
        "Ahora se ejecuta la versión 1.0.0.",
    )
    .await?;
    assert_eq!(plugin(&admin).await?, ("1.0.0".into(), true));
    click(&browser, ".dead-letter:nth-child(2) button.replay").await?;
    shown(
        &browser,
        ".dead-letters .saved",
        "Reprocesado: el mensaje está en la conversación",
    )
    .await?;
    let stored = eventually("the replayed message", async || {
        Ok(admin
            .all_messages()
            .await?
            .into_iter()
            .find(|message| message["external_id"] == "crm-1"))
    })
    .await?;
    assert_eq!(stored["text"], "¿Tienen stock del modelo azul?");

    click(&browser, ".dead-letter .danger button.delete").await?;
    shown(
        &browser,
        ".dead-letter .danger [role=alert]",
        "¿Eliminar este contenido para siempre?",
    )
    .await?;
    click(&browser, ".dead-letter .danger button.delete").await?;
    shown(
        &browser,
        ".dead-letters .later",
        "No hay mensajes no procesados en este canal.",
    )
    .await?;
    shown(&browser, &format!("{ROW} .state"), "Activo").await?;
    let (_, left) = admin.get("/api/v1/dead-letters").await?;
    assert_eq!(left["items"], json!([]), "{left}");
    browser.screenshot("console-settings-plugins").await?;
    browser.close().await
}
