//! The WordPress plugin on a real WordPress (Debian's package, a site of its own), in Chromium:
//! an owner in Mexico sets it up in Spanish and is told, on the settings page, what is wrong
//! with each value on the way; then a visitor chats on the site with an agent.

use anyhow::Context;
use fantoccini::Locator;
use switchboard_e2e::browser::{
    Browser, ENTER, clear_field, click, enter_chat, eventually, open_chat, shown, texts, type_into,
    visible_messages,
};
use switchboard_e2e::wordpress::{self, WordPress};
use switchboard_e2e::{Gateway, workspace_root};

const GATEWAY_FIELD: &str = "#switchboard_chat_gateway";
const WIDGET_FIELD: &str = "#switchboard_chat_widget";

/// Empties both fields, fills in what is given and saves; answers once the page is back.
async fn save(browser: &Browser, gateway: &str, widget: &str) -> anyhow::Result<()> {
    for (field, value) in [(GATEWAY_FIELD, gateway), (WIDGET_FIELD, widget)] {
        clear_field(browser, field).await?;
        type_into(browser, field, value).await?;
    }
    // The page before saving is marked; the one WordPress answers with is not.
    browser
        .client
        .execute("window.beforeSaving = true", vec![])
        .await?;
    click(browser, "#submit").await?;
    eventually("the settings page after saving", async || {
        let fresh = browser
            .client
            .execute(
                "return !window.beforeSaving && document.readyState === 'complete' && !!document.querySelector('#submit')",
                vec![],
            )
            .await?;
        Ok((fresh == serde_json::json!(true)).then_some(()))
    })
    .await
}

/// The value a field holds now.
async fn field_value(browser: &Browser, field: &str) -> anyhow::Result<String> {
    let value = browser
        .client
        .find(Locator::Css(field))
        .await?
        .prop("value")
        .await?;
    Ok(value.unwrap_or_default())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_owner_sets_the_plugin_up_in_spanish_with_a_wrong_id_then_the_snippet_and_a_visitor_chats()
-> anyhow::Result<()> {
    let data = tempfile::tempdir()?;
    let gateway = Gateway::start(data.path()).await?;
    let admin = gateway.admin().await?;
    let (channel, widget) = admin.demo_widget().await?;
    admin
        .allow_origins(channel, &["https://cafe-aurora.example"])
        .await?;
    let site = tokio::task::spawn_blocking(|| {
        let site = WordPress::start("Café Aurora", "es_MX")?;
        site.activate_plugin(&workspace_root().join("www/wordpress/switchboard-chat"))?;
        anyhow::Ok(site)
    })
    .await??;

    let browser = Browser::start(1280, 900).await?;
    browser
        .client
        .goto(&format!("{}/wp-login.php", site.url))
        .await?;
    type_into(&browser, "#user_login", wordpress::ADMIN).await?;
    type_into(&browser, "#user_pass", wordpress::ADMIN_PASSWORD).await?;
    click(&browser, "#wp-submit").await?;
    eventually("the dashboard", async || {
        Ok(browser
            .client
            .current_url()
            .await?
            .path()
            .starts_with("/wp-admin")
            .then_some(()))
    })
    .await?;
    browser
        .client
        .goto(&format!(
            "{}/wp-admin/options-general.php?page=switchboard-chat",
            site.url
        ))
        .await?;
    // The site speaks es_MX, for which the plugin has no file of its own: es_ES stands in.
    shown(
        &browser,
        "label[for=switchboard_chat_gateway]",
        "URL del gateway",
    )
    .await?;
    shown(&browser, ".notice-info", "El chat todavía no se muestra").await?;

    // Plain http to a host on the internet is refused, and nothing is saved.
    save(&browser, "http://chat.cafe-aurora.example", "").await?;
    shown(
        &browser,
        "#setting-error-switchboard-chat-http",
        "debe empezar con https://",
    )
    .await?;
    assert_eq!(field_value(&browser, GATEWAY_FIELD).await?, "");

    // A widget id that names no website chat: the gateway is asked, and the owner told.
    save(&browser, &gateway.base_url, "1.999").await?;
    shown(
        &browser,
        "#switchboard-chat-check.notice-error",
        "no tiene ningún chat web con el ID de widget 1.999",
    )
    .await?;

    // The whole snippet pasted into the widget field: both values are read from it, and the
    // check names this site as the one the widget must allow.
    let (_, channels) = admin.get("/api/v1/channels").await?;
    let snippet = channels
        .as_array()
        .and_then(|all| all.iter().find(|each| each["id"] == channel))
        .and_then(|each| each["snippet"].as_str())
        .context("the channel's snippet")?
        .to_string();
    save(&browser, "", &snippet).await?;
    assert_eq!(
        field_value(&browser, GATEWAY_FIELD).await?,
        gateway.base_url
    );
    assert_eq!(field_value(&browser, WIDGET_FIELD).await?, widget);
    shown(
        &browser,
        "#switchboard-chat-check.notice-error",
        &format!("agrega {} a los orígenes permitidos", site.url),
    )
    .await?;

    // The admin allows the site in Switchboard; the settings page says it works.
    admin
        .allow_origins(channel, &["https://cafe-aurora.example", &site.url])
        .await?;
    browser.client.refresh().await?;
    shown(
        &browser,
        "#switchboard-chat-check.notice-success",
        "Conexión comprobada",
    )
    .await?;
    let notices = texts(&browser, ".notice").await?.join("\n");
    for english in ["Connection", "widget ID", "allowed origins"] {
        assert!(!notices.contains(english), "{english} in {notices}");
    }
    browser.screenshot("wordpress-plugin-settings-es").await?;

    // A visitor on the site's front page chats with an agent.
    browser.client.goto(&format!("{}/", site.url)).await?;
    open_chat(&browser).await?;
    browser.client.enter_parent_frame().await?;
    enter_chat(&browser).await?;
    let composer = ".composer textarea";
    type_into(&browser, composer, "Hola, ¿hacen envíos a Monterrey?").await?;
    type_into(&browser, composer, ENTER).await?;
    let conversation = eventually("the visitor's message at the gateway", async || {
        let messages = admin.all_messages().await?;
        Ok(messages
            .iter()
            .find(|message| message["text"] == "Hola, ¿hacen envíos a Monterrey?")
            .and_then(|message| message["conversation_id"].as_u64()))
    })
    .await?;
    admin
        .reply(conversation, "¡Claro! Llega en dos días.")
        .await?;
    eventually("the agent's reply on the WordPress site", async || {
        Ok(visible_messages(&browser)
            .await?
            .contains(&"¡Claro! Llega en dos días.".to_string())
            .then_some(()))
    })
    .await?;
    browser.client.enter_parent_frame().await?;
    browser.screenshot("wordpress-visitor-chat").await?;
    browser.close().await?;
    Ok(())
}
