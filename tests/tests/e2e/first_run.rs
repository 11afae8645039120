//! The first run of a fresh install, in a real headless Chromium against the real gateway: its
//! first admin signs in with the password the gateway generated, must choose their own (a
//! short one, two that differ and the generated one refused in Spanish), names the business,
//! picks its time zone and languages (a zone that is none refused), adds a website chat as
//! the first channel and lands in the inbox; the workspace is then as they set it, the
//! generated password and its file are gone, and the first run does not come back.

use anyhow::Context;
use hyper::StatusCode;
use serde_json::{Value, json};
use switchboard_e2e::browser::{Browser, click, present, set_field, shown, type_into};
use switchboard_e2e::{ADMIN_EMAIL, Client, Gateway};

const OWN_PASSWORD: &str = "mi café abre temprano";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_installs_admin_chooses_a_password_sets_up_the_business_and_adds_a_first_channel()
-> anyhow::Result<()> {
    let data = tempfile::tempdir()?;
    let gateway = Gateway::start_with(
        data.path(),
        &[
            ("SWITCHBOARD_BOOTSTRAP__ADMIN_PASSWORD", String::new()),
            ("SWITCHBOARD_BOOTSTRAP__FIRST_RUN", "true".to_string()),
        ],
    )
    .await?;
    let file = data.path().join("first-admin-password.txt");
    let generated = std::fs::read_to_string(&file).context("the generated password")?;
    let generated = generated.trim();

    let browser = Browser::start(1280, 860).await?;
    browser
        .client
        .goto(&format!("{}/", gateway.base_url))
        .await?;
    browser
        .client
        .execute(
            "localStorage.setItem('switchboard.console.locale', 'es')",
            vec![],
        )
        .await?;
    browser
        .client
        .goto(&format!("{}/", gateway.base_url))
        .await?;
    type_into(&browser, "input[type=email]", ADMIN_EMAIL).await?;
    type_into(&browser, "input[type=password]", generated).await?;
    click(&browser, "form button[type=submit]").await?;

    // Step 1: a password of one's own, and nothing else shows until then.
    shown(&browser, ".first-run-password h1", "Elige tu contraseña").await?;
    assert!(!present(&browser, ".console").await?, "the inbox showed");
    browser.screenshot("console-first-run-password").await?;
    let choose = async |password: &str, again: &str| -> anyhow::Result<()> {
        set_field(&browser, "input[name=new-password]", password).await?;
        set_field(&browser, "input[name=repeat-password]", again).await?;
        click(&browser, ".first-run-password button[type=submit]").await
    };
    choose("corta", "corta").await?;
    shown(
        &browser,
        ".first-run-password .error",
        "La contraseña necesita al menos 10 caracteres.",
    )
    .await?;
    choose(OWN_PASSWORD, "mi café abre tarde").await?;
    shown(
        &browser,
        ".first-run-password .error",
        "Las dos contraseñas no coinciden.",
    )
    .await?;
    choose(generated, generated).await?;
    shown(
        &browser,
        ".first-run-password .error",
        "Elige una contraseña propia, no la generada.",
    )
    .await?;
    choose(OWN_PASSWORD, OWN_PASSWORD).await?;

    // Step 2: the business.
    shown(&browser, ".first-run-workspace h1", "Configura tu espacio").await?;
    shown(&browser, ".first-run-workspace .step-of", "Paso 2 de 3").await?;
    set_field(&browser, "input[name=workspace-name]", "Café Aurora").await?;
    set_field(&browser, "input[name=time-zone]", "Marte/Olympus").await?;
    click(&browser, ".first-run-workspace button[type=submit]").await?;
    shown(
        &browser,
        ".first-run-workspace .error",
        "Elige una zona horaria de la lista, como America/Bogota.",
    )
    .await?;
    set_field(&browser, "input[name=time-zone]", "America/Bogota").await?;
    // Spanish, the admin's own, is ticked; Portuguese is added, and Spanish stays the main one.
    click(&browser, "input[name=language-pt-BR]").await?;
    shown(
        &browser,
        ".first-run-workspace select[name=default-language]",
        "Español",
    )
    .await?;
    browser.screenshot("console-first-run-workspace").await?;
    click(&browser, ".first-run-workspace button[type=submit]").await?;

    // Step 3: a first channel; what the install made already is named.
    shown(&browser, ".first-run-channel h1", "Agrega tu primer canal").await?;
    shown(
        &browser,
        ".first-run-channel .connected-already",
        "Ya conectados:",
    )
    .await?;
    browser.screenshot("console-first-run-channel").await?;
    click(&browser, ".first-run-channel button[data-kind=webchat]").await?;
    shown(
        &browser,
        ".first-run-added",
        "Chat del sitio web está listo.",
    )
    .await?;
    browser.screenshot("console-first-run-added").await?;
    click(&browser, "button.go-to-inbox").await?;
    browser
        .client
        .wait()
        .at_most(std::time::Duration::from_secs(20))
        .for_element(fantoccini::Locator::Css(".console"))
        .await?;

    // The workspace is as the admin set it, and the first run is over for good.
    let admin = Client::new(&gateway.base_url)
        .login(ADMIN_EMAIL, OWN_PASSWORD)
        .await?;
    let (status, me) = admin.get("/api/v1/auth/me").await?;
    assert_eq!(status, StatusCode::OK, "{me}");
    let workspace = &me["workspace"];
    assert_eq!(workspace["name"], "Café Aurora", "{me}");
    assert_eq!(workspace["time_zone"], "America/Bogota", "{me}");
    assert_eq!(workspace["languages"], json!(["es", "pt-BR"]), "{me}");
    assert_eq!(workspace["default_language"], "es", "{me}");
    assert_eq!(workspace["onboarded"], true, "{me}");
    let (_, channels) = admin.get("/api/v1/channels").await?;
    let chats = channels
        .as_array()
        .context("channels")?
        .iter()
        .filter(|channel| channel["kind"] == "webchat")
        .map(|channel| channel["name"].clone())
        .collect::<Vec<Value>>();
    assert_eq!(chats.len(), 2, "the demo chat and the new one: {channels}");
    assert!(chats.contains(&json!("Chat del sitio web")), "{channels}");
    assert!(
        !file.exists(),
        "the generated password's file is still there"
    );
    let (status, _, _) = Client::new(&gateway.base_url)
        .attempt_login(ADMIN_EMAIL, generated, &[])
        .await?;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "the generated one signs in"
    );
    browser.client.refresh().await?;
    browser
        .client
        .wait()
        .at_most(std::time::Duration::from_secs(20))
        .for_element(fantoccini::Locator::Css(".console"))
        .await?;
    assert!(
        !present(&browser, ".first-run").await?,
        "the first run came back"
    );
    browser.close().await
}
