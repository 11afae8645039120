//! The admins' Settings in the console, in a real headless Chromium against the real
//! gateway and the Telegram stand-in: a Telegram channel added through the form its plugin
//! describes (and its messages then reaching the inbox), the provider's refusal of a wrong
//! token shown in words and corrected in the same form, an SMS form that asks for a provider's
//! own fields only once that provider is picked, a website chat set up on its own page (the
//! snippet, a refused site allowed in one click, greeting and looks reaching the widget), canned
//! responses and coloured labels written in Settings and used in a conversation, a person
//! invited by email (through Postfix and Dovecot) who joins a team, signs in and is then
//! deactivated, and no settings at all for agents.

use std::time::Duration;

use anyhow::Context;
use hyper::{Method, StatusCode};
use serde_json::{Value, json};
use switchboard_e2e::browser::{
    Browser, ENTER, choose, clear_field, click, eventually, launcher_drawn, present, set_field,
    shown, sign_in_to_console, sign_in_to_console_as, texts, type_into, warnings_on,
};
use switchboard_e2e::telegram_stand_in::{self as telegram, TelegramStandIn};
use switchboard_e2e::{Client, Gateway, eventually_within};

const TOKEN: &str = "7000001:AAH-stand-in-token";
const WAIT: Duration = Duration::from_secs(15);
/// The channel's name in its form.
const NAME: &str = ".channel-editor input[name=name]";

/// A gateway whose Telegram plugin may reach the stand-in of the Bot API (the bundled
/// component, granted its host, as an admin installs it for a Bot API server of their own).
struct Rig {
    bot: TelegramStandIn,
    gateway: Gateway,
    admin: Client,
    _data: tempfile::TempDir,
}

impl Rig {
    async fn start() -> anyhow::Result<Rig> {
        let bot = TelegramStandIn::start(TOKEN, "acme_bot").await?;
        let data = tempfile::tempdir()?;
        let gateway = Gateway::start_beside_stand_ins(data.path(), &[]).await?;
        let admin = gateway.admin().await?;
        admin
            .install_component("telegram_adapter", &super::telegram::manifest(&bot)?)
            .await?;
        Ok(Rig {
            bot,
            gateway,
            admin,
            _data: data,
        })
    }

    /// The channel named `name`, as the API shows it.
    async fn channel(&self, name: &str) -> anyhow::Result<Value> {
        let (_, channels) = self.admin.get("/api/v1/channels").await?;
        channels
            .as_array()
            .and_then(|channels| channels.iter().find(|channel| channel["name"] == name))
            .cloned()
            .with_context(|| format!("no channel {name}: {channels}"))
    }
}

/// A browser (a laptop's window, or a phone's screen) signed in to the console by `sign_in`,
/// in `locale`.
async fn console_in(
    gateway: &Gateway,
    locale: &str,
    phone: bool,
    sign_in: impl AsyncFnOnce(&Browser) -> anyhow::Result<()>,
) -> anyhow::Result<Browser> {
    let browser = if phone {
        Browser::phone(390, 844).await?
    } else {
        Browser::start(1280, 860).await?
    };
    browser
        .client
        .goto(&format!("{}/", gateway.base_url))
        .await?;
    browser
        .client
        .execute(
            "localStorage.setItem('switchboard.console.locale', arguments[0])",
            vec![Value::from(locale)],
        )
        .await?;
    sign_in(&browser).await?;
    Ok(browser)
}

/// The first admin's console in `locale`.
pub(crate) async fn admin_console(
    gateway: &Gateway,
    locale: &str,
    phone: bool,
) -> anyhow::Result<Browser> {
    console_in(gateway, locale, phone, async |browser| {
        sign_in_to_console(browser, &gateway.base_url).await
    })
    .await
}

/// The path in the browser's address bar.
async fn address(browser: &Browser) -> anyhow::Result<String> {
    Ok(browser.client.current_url().await?.path().to_string())
}

/// The value of the field `selector` finds.
async fn value_of(browser: &Browser, selector: &str) -> anyhow::Result<String> {
    let value = browser
        .client
        .execute(
            "const e = document.querySelector(arguments[0]); return e ? e.value : null",
            vec![Value::from(selector)],
        )
        .await?;
    value
        .as_str()
        .map(str::to_string)
        .with_context(|| format!("no field {selector}"))
}

/// Scrolls the element `selector` finds to the middle of the window, for a screenshot that
/// shows it.
pub(crate) async fn into_view(browser: &Browser, selector: &str) -> anyhow::Result<()> {
    browser
        .client
        .execute(
            "document.querySelector(arguments[0]).scrollIntoView({ block: 'center' })",
            vec![Value::from(selector)],
        )
        .await?;
    Ok(())
}

/// From the inbox to Settings › Channels, then the form that adds a channel of the plugin
/// `plugin`.
async fn open_form(browser: &Browser, plugin: &str) -> anyhow::Result<()> {
    click(browser, ".topbar .settings-link").await?;
    click(browser, &format!(".kinds .kind[data-plugin='{plugin}']")).await
}

/// An admin who speaks Spanish adds a Telegram bot: Settings in the top bar, Telegram among
/// the kinds to add, a name, the bot token and (under "Avanzado") the stand-in's Bot API
/// server; saving checks the token with Telegram, names the bot and shows the webhook URL the
/// gateway registered. Back returns to the inbox, where a Telegram user's message then
/// arrives; a reload stays in the settings, and the channel's own form keeps the token
/// without showing it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_adds_a_telegram_channel_through_the_console_and_its_messages_reach_the_inbox()
-> anyhow::Result<()> {
    let rig = Rig::start().await?;
    let admin = admin_console(&rig.gateway, "es", false).await?;
    click(&admin, ".topbar .settings-link").await?;
    shown(&admin, ".settings-head h1", "Canales").await?;
    assert_eq!(address(&admin).await?, "/app/settings/channels");
    let rows = texts(&admin, ".channel-row").await?;
    assert!(
        rows.iter()
            .any(|row| row.contains("API")
                && row.contains("Por ahora se configura a través de la API")),
        "{rows:?}"
    );
    shown(
        &admin,
        ".kinds .kind",
        "Responde a quienes escriben a tu bot de Telegram.",
    )
    .await?;
    let kinds = texts(&admin, ".kinds .kind strong").await?;
    assert_eq!(kinds, ["Correo electrónico", "SMS", "Telegram", "WhatsApp"]);
    admin.screenshot("console-settings-channels").await?;
    click(&admin, ".kinds .kind[data-plugin='telegram']").await?;
    shown(&admin, ".channel-editor .field", "Token del bot").await?;
    shown(
        &admin,
        ".channel-editor .help",
        "Crea un bot con @BotFather en Telegram y pega el token que te entrega.",
    )
    .await?;
    assert!(
        !present(&admin, ".channel-editor .copy").await?,
        "no webhook URL before the channel exists"
    );
    type_into(&admin, NAME, "Soporte Telegram").await?;
    type_into(&admin, ".channel-editor input[name=bot_token]", TOKEN).await?;
    let kind = admin
        .client
        .execute(
            "return document.querySelector('.channel-editor input[name=bot_token]').type",
            Vec::new(),
        )
        .await?;
    assert_eq!(kind, json!("password"), "a secret is typed unseen");
    click(&admin, ".channel-editor .advanced summary").await?;
    type_into(
        &admin,
        ".channel-editor input[name=api_base]",
        &rig.bot.base_url,
    )
    .await?;
    admin.screenshot("console-settings-telegram-form").await?;
    click(&admin, ".channel-editor button[type=submit]").await?;
    shown(
        &admin,
        ".channel-editor .saved",
        "Guardado. Conectado como @acme_bot",
    )
    .await?;

    let channel = rig.channel("Soporte Telegram").await?;
    let id = channel["id"].as_u64().context("channel id")?;
    assert_eq!(channel["kind"], "telegram");
    assert_eq!(channel["settings"]["api_base"], json!(rig.bot.base_url));
    let (_, names) = rig
        .admin
        .get(&format!("/api/v1/channels/{id}/secrets"))
        .await?;
    assert_eq!(names["names"], json!(["bot_token"]));
    // The webhook URL shown is the one the gateway gave Telegram.
    let (registered, secret) = rig.bot.webhook().context("the webhook is registered")?;
    assert_eq!(
        value_of(&admin, ".channel-editor .webhook input").await?,
        registered
    );
    into_view(&admin, ".channel-editor .saved").await?;
    admin.screenshot("console-settings-telegram-saved").await?;
    click(&admin, ".channel-editor .copy").await?;
    shown(&admin, ".channel-editor .saved", "Copiado.").await?;

    // Back returns to the inbox, where Lucía's message arrives.
    admin.client.back().await?;
    eventually("the inbox", async || {
        Ok((!present(&admin, ".settings").await? && present(&admin, ".list").await?).then_some(()))
    })
    .await?;
    assert_eq!(address(&admin).await?, "/app/");
    let hook = &registered[registered.find("/hooks/").context("a webhook path")?..];
    let hello = telegram::text_update(
        1,
        10,
        5_550_001,
        "Lucía",
        Some("lucia_m"),
        "Hola, ¿tienen envío a Lima?",
    );
    let (status, _) = Client::new(&rig.gateway.base_url)
        .send(
            Method::POST,
            hook,
            &[(
                "X-Telegram-Bot-Api-Secret-Token",
                secret.as_deref().unwrap_or_default(),
            )],
            Some(("application/json", hello.to_string().into_bytes())),
        )
        .await?;
    assert_eq!(status, StatusCode::OK);
    let message = rig.admin.message_with("5550001:10", WAIT).await?;
    assert_eq!(message["text"], "Hola, ¿tienen envío a Lima?");
    click(&admin, ".view-unassigned").await?;
    shown(&admin, ".row .who", "Lucía").await?;

    // A reload stays in the settings; the channel's own form keeps the token unseen.
    click(&admin, ".topbar .settings-link").await?;
    shown(&admin, ".channel-row", "Soporte Telegram").await?;
    admin.client.refresh().await?;
    assert_eq!(address(&admin).await?, "/app/settings/channels");
    shown(&admin, ".channel-row", "Soporte Telegram").await?;
    click(&admin, ".channel-row[data-kind=telegram] .edit").await?;
    shown(
        &admin,
        ".channel-editor .kept",
        "Guardado: déjalo en blanco para conservarlo",
    )
    .await?;
    assert_eq!(value_of(&admin, NAME).await?, "Soporte Telegram");
    assert_eq!(
        value_of(&admin, ".channel-editor input[name=bot_token]").await?,
        ""
    );
    click(&admin, ".channel-editor .test-connection").await?;
    shown(&admin, ".channel-editor .saved", "Conectado como @acme_bot").await?;
    into_view(&admin, ".channel-editor .saved").await?;
    admin.screenshot("console-settings-telegram-edit").await?;
    // A setting picked, saved, then unpicked: saving again removes it.
    choose(&admin, ".channel-editor select[name=receive]", "webhook").await?;
    click(&admin, ".channel-editor button[type=submit]").await?;
    eventually_within(WAIT, "receive by webhook saved", async || {
        let channel = rig.channel("Soporte Telegram").await?;
        Ok((channel["settings"]["receive"] == "webhook").then_some(()))
    })
    .await?;
    choose(&admin, ".channel-editor select[name=receive]", "").await?;
    click(&admin, ".channel-editor button[type=submit]").await?;
    let cleared = eventually_within(WAIT, "receive removed", async || {
        let channel = rig.channel("Soporte Telegram").await?;
        Ok(channel["settings"]
            .get("receive")
            .is_none()
            .then_some(channel))
    })
    .await?;
    assert_eq!(
        cleared["settings"]["api_base"], rig.bot.base_url,
        "the other settings stay: {cleared}"
    );
    // Deleting asks first; then the channel leaves the list, and its conversation stays.
    click(&admin, ".channel-editor .delete-channel").await?;
    shown(
        &admin,
        ".channel-editor .danger [role=alert]",
        "¿Eliminar este canal? Dejará de recibir y enviar mensajes para siempre",
    )
    .await?;
    into_view(&admin, ".channel-editor .danger").await?;
    admin.screenshot("console-settings-delete-confirm").await?;
    click(&admin, ".channel-editor .delete-channel").await?;
    eventually_within(WAIT, "the channel gone from the list", async || {
        let rows = texts(&admin, ".channel-row").await?;
        Ok(
            (!rows.is_empty() && !rows.iter().any(|row| row.contains("Soporte Telegram")))
                .then_some(()),
        )
    })
    .await?;
    let deleted = rig.channel("Soporte Telegram").await?;
    assert!(deleted["deleted_at"].is_i64(), "{deleted}");
    click(&admin, ".settings-head .to-inbox").await?;
    click(&admin, ".view-unassigned").await?;
    shown(&admin, ".row .who", "Lucía").await?;
    assert_eq!(address(&admin).await?, "/app/");
    admin.close().await?;
    Ok(())
}

/// On a phone, in Portuguese: a wrong bot token is refused in Portuguese with Telegram's own
/// words beside the form (no raw JSON, no English sentence); the channel then exists and the
/// form is its edit form, where the right token is typed and saved.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_bot_token_shows_telegrams_refusal_in_the_form_and_can_be_corrected()
-> anyhow::Result<()> {
    let rig = Rig::start().await?;
    let admin = admin_console(&rig.gateway, "pt-BR", true).await?;
    open_form(&admin, "telegram").await?;
    type_into(&admin, NAME, "Bot da loja").await?;
    type_into(
        &admin,
        ".channel-editor input[name=bot_token]",
        "7000001:wrong",
    )
    .await?;
    click(&admin, ".channel-editor .advanced summary").await?;
    type_into(
        &admin,
        ".channel-editor input[name=api_base]",
        &rig.bot.base_url,
    )
    .await?;
    click(&admin, ".channel-editor button[type=submit]").await?;
    shown(
        &admin,
        ".channel-editor .error",
        "Não foi possível salvar: o provedor recusou a conexão:",
    )
    .await?;
    let said = texts(&admin, ".channel-editor .error").await?.join(" ");
    assert!(
        said.contains("Unauthorized"),
        "Telegram's own words: {said}"
    );
    assert!(
        !said.contains("could not connect"),
        "no English sentence of the gateway's: {said}"
    );
    assert!(
        !said.contains('{') && !said.contains("\"code\""),
        "no raw JSON: {said}"
    );
    let width = admin
        .client
        .execute(
            "return document.querySelector('.channel-editor').getBoundingClientRect().right",
            Vec::new(),
        )
        .await?;
    assert!(
        width.as_f64().is_some_and(|right| right <= 390.0),
        "the form fits the phone: {width}"
    );
    into_view(&admin, ".channel-editor .error").await?;
    admin.screenshot("console-settings-refused-phone").await?;

    // The channel exists without a token, and the form is now its own.
    let channel = rig.channel("Bot da loja").await?;
    let id = channel["id"].as_u64().context("channel id")?;
    let (_, names) = rig
        .admin
        .get(&format!("/api/v1/channels/{id}/secrets"))
        .await?;
    assert_eq!(names["names"], json!([]), "a refused token is not kept");
    assert!(present(&admin, ".channel-editor .test-connection").await?);
    clear_field(&admin, ".channel-editor input[name=bot_token]").await?;
    type_into(&admin, ".channel-editor input[name=bot_token]", TOKEN).await?;
    click(&admin, ".channel-editor button[type=submit]").await?;
    shown(
        &admin,
        ".channel-editor .saved",
        "Salvo. Conectado como @acme_bot",
    )
    .await?;
    assert!(!present(&admin, ".channel-editor .error").await?);
    shown(
        &admin,
        ".channel-editor .kept",
        "Salvo — deixe em branco para manter",
    )
    .await?;
    into_view(&admin, ".channel-editor .saved").await?;
    admin.screenshot("console-settings-connected-phone").await?;

    // The list shows it, active.
    click(&admin, ".channel-editor .back-to-list").await?;
    shown(&admin, ".channel-row", "Bot da loja").await?;
    let row = texts(&admin, ".channel-row").await?;
    assert!(
        row.iter()
            .any(|row| row.contains("Bot da loja") && row.contains("Ativo")),
        "{row:?}"
    );
    admin.screenshot("console-settings-channels-phone").await?;
    admin.close().await?;
    Ok(())
}

/// The SMS form asks for Twilio's fields only once Twilio is picked (and Vonage's for Vonage),
/// and refuses to save while a required field is blank, naming it; nothing is created.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sms_form_asks_for_a_providers_own_fields_only_once_it_is_picked() -> anyhow::Result<()>
{
    let data = tempfile::tempdir()?;
    let gateway = Gateway::start(data.path()).await?;
    let admin_api = gateway.admin().await?;
    let admin = admin_console(&gateway, "en", false).await?;
    open_form(&admin, "sms").await?;
    shown(&admin, ".channel-editor .field", "Provider").await?;
    let fields = async || -> anyhow::Result<Vec<String>> {
        let names = admin
            .client
            .execute(
                "return [...document.querySelectorAll('.channel-editor [name]')].map(e => e.name)",
                Vec::new(),
            )
            .await?;
        Ok(serde_json::from_value(names)?)
    };
    let before = fields().await?;
    for provider_own in ["account_sid", "auth_token", "api_key", "api_secret"] {
        assert!(
            !before.iter().any(|name| name == provider_own),
            "{before:?}"
        );
    }
    assert!(before.iter().any(|name| name == "from"), "{before:?}");

    choose(&admin, ".channel-editor select[name=provider]", "twilio").await?;
    shown(&admin, ".channel-editor .field", "Account SID").await?;
    let twilio = fields().await?;
    assert!(twilio.iter().any(|name| name == "auth_token"), "{twilio:?}");
    assert!(!twilio.iter().any(|name| name == "api_key"), "{twilio:?}");
    admin.screenshot("console-settings-sms-twilio").await?;

    choose(&admin, ".channel-editor select[name=provider]", "vonage").await?;
    shown(&admin, ".channel-editor .field", "API key").await?;
    let vonage = fields().await?;
    for name in ["api_secret", "signature_secret"] {
        assert!(vonage.iter().any(|shown| shown == name), "{vonage:?}");
    }
    assert!(
        !vonage.iter().any(|name| name == "account_sid"),
        "{vonage:?}"
    );

    // Blank required fields are named, one at a time, and nothing is sent.
    click(&admin, ".channel-editor button[type=submit]").await?;
    shown(&admin, ".channel-editor .error", "Fill in “Name”.").await?;
    type_into(&admin, NAME, "SMS Brasil").await?;
    click(&admin, ".channel-editor button[type=submit]").await?;
    shown(&admin, ".channel-editor .error", "Fill in “Your number”.").await?;
    let (_, channels) = admin_api.get("/api/v1/channels").await?;
    assert!(
        channels
            .as_array()
            .is_some_and(|channels| channels.iter().all(|channel| channel["kind"] != "sms")),
        "{channels}"
    );
    admin.close().await?;
    Ok(())
}

/// An agent who is not an admin has no Settings in the top bar, and the settings' address
/// shows the inbox.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agent_has_no_settings() -> anyhow::Result<()> {
    let data = tempfile::tempdir()?;
    let gateway = Gateway::start(data.path()).await?;
    let admin = gateway.admin().await?;
    let (status, bruno) = admin
        .post(
            "/api/v1/agents",
            &json!({ "name": "Bruno", "email": "bruno@example.com", "password": "bruno-password-1", "role": "agent" }),
        )
        .await?;
    anyhow::ensure!(status.is_success(), "{bruno}");
    let agent = console_in(&gateway, "es", false, async |browser| {
        sign_in_to_console_as(
            browser,
            &gateway.base_url,
            "bruno@example.com",
            "bruno-password-1",
        )
        .await
    })
    .await?;
    shown(&agent, ".topbar .me", "Bruno").await?;
    assert!(!present(&agent, ".topbar .settings-link").await?);
    agent
        .client
        .goto(&format!("{}/app/settings/channels", gateway.base_url))
        .await?;
    eventually("the inbox", async || {
        Ok((present(&agent, ".list").await? && address(&agent).await? == "/app/").then_some(()))
    })
    .await?;
    assert!(!present(&agent, ".settings").await?);
    assert!(!present(&agent, ".topbar .settings-link").await?);
    agent.close().await?;
    Ok(())
}

/// The demo website chat's page in Settings › Channels, in `browser`'s console.
async fn open_webchat(browser: &Browser) -> anyhow::Result<()> {
    click(browser, ".topbar .settings-link").await?;
    click(browser, ".channel-row[data-kind=webchat] .edit").await
}

/// The website chat's settings as a visitor's widget in `locale` gets them.
async fn widget_config(gateway: &Gateway, widget: &str, locale: &str) -> anyhow::Result<Value> {
    let path = format!("/widget/v1/{widget}/config?locale={locale}");
    let (status, config) = Client::new(&gateway.base_url).get(&path).await?;
    anyhow::ensure!(status == StatusCode::OK, "{config}");
    Ok(config)
}

/// An admin who speaks Spanish sets up the website chat without the API: the page shows the
/// snippet to copy and the install guides in Spanish; a site that is not allowed is refused
/// and counted, shown as "Rechazado en … (2 veces hoy)", and one click on Permitir lets the
/// launcher show there; a wrong site is named in Spanish beside the field; a new greeting,
/// colour and corner reach the widget, the other languages' greetings staying. On a phone, in
/// Portuguese, the page fits the screen.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_sets_up_the_website_chat_allows_a_refused_site_and_changes_the_greeting()
-> anyhow::Result<()> {
    let data = tempfile::tempdir()?;
    let gateway = Gateway::start(data.path()).await?;
    let api = gateway.admin().await?;
    let (channel, widget) = api.demo_widget().await?;
    let (_, listed) = api.get(&format!("/api/v1/channels/{channel}")).await?;
    let snippet = listed["snippet"]
        .as_str()
        .context("an admin gets the snippet")?;
    let admin = admin_console(&gateway, "es", false).await?;
    open_webchat(&admin).await?;
    shown(&admin, ".webchat-settings h3", "Instalación").await?;
    shown(
        &admin,
        ".webchat-settings .snippet",
        "Código para pegar en tu sitio",
    )
    .await?;
    assert_eq!(
        value_of(&admin, ".webchat-settings .snippet textarea").await?,
        snippet
    );
    let guides = admin
        .client
        .execute(
            "return [...document.querySelectorAll('.webchat-settings .guides a')].map(a => a.getAttribute('href'))",
            Vec::new(),
        )
        .await?;
    let guides: Vec<String> = serde_json::from_value(guides)?;
    assert_eq!(
        guides,
        [
            "/install/wordpress.es.html",
            "/install/shopify.es.html",
            "/install/wix.es.html",
            "/install/squarespace.es.html",
        ]
    );
    for guide in &guides {
        let (status, _) = Client::new(&gateway.base_url).get_bytes(guide).await?;
        assert_eq!(status, StatusCode::OK, "the gateway serves {guide}");
    }
    click(&admin, ".webchat-settings .snippet .copy").await?;
    shown(&admin, ".webchat-settings .saved", "Copiado.").await?;
    admin.screenshot("console-settings-webchat").await?;

    // A wrong site is named beside the field, in Spanish; corrected, it is kept as an origin.
    let origins = ".webchat-settings textarea[name=allowed_origins]";
    set_field(&admin, origins, "cafe-aurora.example\ntienda example").await?;
    click(&admin, ".webchat-settings button[type=submit]").await?;
    shown(
        &admin,
        ".webchat-settings #allowed_origins-error",
        "«tienda example» no es la dirección de un sitio: escríbela como https://tienda.example.",
    )
    .await?;
    shown(
        &admin,
        ".webchat-settings .error[role=alert]",
        "No se pudo guardar: revisa «Sitios permitidos».",
    )
    .await?;
    into_view(&admin, origins).await?;
    admin
        .screenshot("console-settings-webchat-wrong-site")
        .await?;
    set_field(&admin, origins, "cafe-aurora.example").await?;
    click(&admin, ".webchat-settings button[type=submit]").await?;
    shown(&admin, ".webchat-settings .saved", "Guardado.").await?;
    assert!(!present(&admin, ".webchat-settings #allowed_origins-error").await?);
    assert_eq!(
        value_of(&admin, origins).await?,
        "https://cafe-aurora.example"
    );

    // A shop's page on a site not allowed yet gets no launcher, twice; the admin sees it.
    let site = switchboard_e2e::sites::snippet_page(&gateway.base_url, &widget).await?;
    let visitor = Browser::start(1000, 800).await?;
    for _ in 0..2 {
        warnings_on(&visitor, &site).await?;
    }
    click(&admin, ".webchat-settings .back-to-list").await?;
    click(&admin, ".channel-row[data-kind=webchat] .edit").await?;
    shown(
        &admin,
        ".webchat-settings .refused li",
        &format!("Rechazado en {site} (2 veces hoy)"),
    )
    .await?;
    into_view(&admin, ".webchat-settings .refused").await?;
    admin.screenshot("console-settings-webchat-refused").await?;
    click(&admin, ".webchat-settings .refused .allow").await?;
    shown(
        &admin,
        ".webchat-settings .saved",
        &format!("{site} ya puede mostrar el chat."),
    )
    .await?;
    eventually("the site off the refused list", async || {
        Ok((!present(&admin, ".webchat-settings .refused li").await?).then_some(()))
    })
    .await?;
    assert_eq!(
        value_of(&admin, origins).await?,
        format!("https://cafe-aurora.example\n{site}")
    );
    visitor.client.goto(&site).await?;
    eventually("the launcher on the site just allowed", async || {
        Ok(launcher_drawn(&visitor).await?.then_some(()))
    })
    .await?;
    visitor.close().await?;

    // A new Spanish greeting, colour and corner in one save reach the widget.
    clear_field(&admin, ".webchat-settings input[name=greeting-es]").await?;
    type_into(
        &admin,
        ".webchat-settings input[name=greeting-es]",
        "¡Hola! Somos Café Aurora, ¿en qué te ayudamos?",
    )
    .await?;
    set_field(&admin, ".webchat-settings input[name=color]", "#0a7d5a").await?;
    choose(&admin, ".webchat-settings select[name=position]", "left").await?;
    // The likeness beside the form follows before anything is saved.
    assert_eq!(
        background_of(&admin, ".chat-preview .launcher").await?,
        "rgb(10, 125, 90)"
    );
    shown(
        &admin,
        ".chat-preview .bubble",
        "¡Hola! Somos Café Aurora, ¿en qué te ayudamos?",
    )
    .await?;
    assert!(
        present(&admin, ".chat-preview.left").await?,
        "the left corner"
    );
    into_view(&admin, ".chat-preview").await?;
    admin.screenshot("console-settings-webchat-preview").await?;
    choose(
        &admin,
        ".webchat-settings select[name=pre_chat-email]",
        "required",
    )
    .await?;
    click(&admin, ".webchat-settings button[type=submit]").await?;
    shown(&admin, ".webchat-settings .saved", "Guardado.").await?;
    let spanish = widget_config(&gateway, &widget, "es").await?;
    assert_eq!(
        spanish["greeting"],
        "¡Hola! Somos Café Aurora, ¿en qué te ayudamos?"
    );
    assert_eq!(
        (&spanish["color"], &spanish["position"]),
        (&json!("#0a7d5a"), &json!("left"))
    );
    assert_eq!(
        spanish["pre_chat"],
        json!([{ "name": "email", "required": true }])
    );
    let english = widget_config(&gateway, &widget, "en").await?;
    assert_eq!(
        english["greeting"], "Hi! How can we help?",
        "the other languages stay"
    );
    into_view(&admin, ".webchat-settings .saved").await?;
    admin.screenshot("console-settings-webchat-saved").await?;

    // The files visitors may send, and a new identity secret shown once.
    set_field(
        &admin,
        ".webchat-settings textarea[name=upload_types]",
        "image/*\napplication/pdf",
    )
    .await?;
    click(&admin, ".webchat-settings button[type=submit]").await?;
    shown(&admin, ".webchat-settings .saved", "Guardado.").await?;
    let config = widget_config(&gateway, &widget, "es").await?;
    assert_eq!(
        config["upload_types"],
        json!(["image/*", "application/pdf"])
    );
    shown(&admin, ".identity .state", "Todavía no hay secreto").await?;
    click(&admin, ".identity .new-identity-secret").await?;
    shown(&admin, ".identity .once", "no se vuelve a mostrar").await?;
    let secret = value_of(&admin, ".identity input[name=identity_secret]").await?;
    assert!(
        secret.len() == 64 && secret.chars().all(|c| c.is_ascii_hexdigit()),
        "{secret}"
    );
    shown(&admin, ".identity .state", "Hay un secreto configurado.").await?;
    let (_, names) = api
        .get(&format!("/api/v1/channels/{channel}/secrets"))
        .await?;
    assert_eq!(names["names"], json!(["identity_secret"]), "{names}");
    into_view(&admin, ".identity").await?;
    admin
        .screenshot("console-settings-webchat-identity")
        .await?;
    admin.close().await?;

    // On a phone, in Portuguese, the page fits the screen.
    let phone = admin_console(&gateway, "pt-BR", true).await?;
    open_webchat(&phone).await?;
    shown(
        &phone,
        ".webchat-settings .snippet",
        "Código para colar no seu site",
    )
    .await?;
    let right = phone
        .client
        .execute(
            "return Math.max(...[...document.querySelectorAll('.webchat-settings, .webchat-settings *')].map(e => e.getBoundingClientRect().right))",
            Vec::new(),
        )
        .await?;
    assert!(
        right.as_f64().is_some_and(|right| right <= 390.0),
        "the page fits the phone: {right}"
    );
    phone.screenshot("console-settings-webchat-phone").await?;
    into_view(&phone, ".webchat-settings input[name=color]").await?;
    phone
        .screenshot("console-settings-webchat-phone-appearance")
        .await?;
    phone.close().await?;
    Ok(())
}

/// The background colour the element `selector` finds is drawn in, as `rgb(r, g, b)`.
async fn background_of(browser: &Browser, selector: &str) -> anyhow::Result<String> {
    let colour = browser
        .client
        .execute(
            "const e = document.querySelector(arguments[0]); return e ? getComputedStyle(e).backgroundColor : null",
            vec![Value::from(selector)],
        )
        .await?;
    colour
        .as_str()
        .map(str::to_string)
        .with_context(|| format!("nothing at {selector}"))
}

/// What the composer holds, once it holds `expected`.
async fn composer_holds(browser: &Browser, expected: &str) -> anyhow::Result<()> {
    eventually(&format!("{expected:?} in the composer"), async || {
        Ok((value_of(browser, "#composer-input").await? == expected).then_some(()))
    })
    .await
}

/// The tab of the settings' `n`th section (1: channels, 2: canned responses, 3: labels).
fn tab(n: usize) -> String {
    format!(".settings-tabs li:nth-child({n}) .tab")
}

/// An admin who speaks Spanish manages canned responses and labels in Settings without the API:
/// a new response written with a variable chip, edited (a shortcut another response has is
/// refused in Spanish, naming it), then used from the composer's shortcut picker with the
/// contact's first name filled in; another deleted after the in-place question; a label with a
/// colour, applied to a conversation, shows in that colour in the list and the thread. On a
/// phone, in Portuguese, both sections fit the screen.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_writes_canned_responses_and_coloured_labels_and_uses_them_in_a_conversation()
-> anyhow::Result<()> {
    let data = tempfile::tempdir()?;
    let gateway = Gateway::start(data.path()).await?;
    let api = gateway.admin().await?;
    let (status, taken) = api
        .post(
            "/api/v1/canned-responses",
            &json!({ "shortcut": "horario", "content": "Atendemos de 9 a 18 h." }),
        )
        .await?;
    anyhow::ensure!(status.is_success(), "{taken}");
    let channel = api.api_channel().await?;
    api.post_inbound(
        channel,
        &json!({
            "contact": { "identity": { "kind": "email", "value": "ana@example.com" }, "name": "Ana Souza" },
            "external_id": "m-1",
            "text": "¿Cuánto tarda el envío?",
        }),
    )
    .await?;

    let admin = admin_console(&gateway, "es", false).await?;
    click(&admin, ".topbar .settings-link").await?;
    click(&admin, &tab(2)).await?;
    shown(
        &admin,
        "#settings-title",
        "Configuración › Respuestas rápidas",
    )
    .await?;
    assert_eq!(address(&admin).await?, "/app/settings/canned-responses");
    shown(&admin, ".canned-row", "/horario").await?;

    // A new response, its variable put in with a chip.
    click(&admin, ".new-canned").await?;
    shown(&admin, ".canned-editor h2", "Nueva respuesta rápida").await?;
    type_into(&admin, ".canned-editor input[name=shortcut]", "envio").await?;
    type_into(&admin, ".canned-editor textarea", "Hola ").await?;
    shown(
        &admin,
        ".variables [data-variable='contact.first_name']",
        "primer nombre del contacto",
    )
    .await?;
    click(&admin, ".variables [data-variable='contact.first_name']").await?;
    type_into(
        &admin,
        ".canned-editor textarea",
        ", el envío tarda 48 horas.",
    )
    .await?;
    anyhow::ensure!(
        value_of(&admin, ".canned-editor textarea").await?
            == "Hola {{contact.first_name}}, el envío tarda 48 horas.",
        "the chip put the variable where the cursor was"
    );
    admin.screenshot("console-settings-canned-editor").await?;
    click(&admin, ".canned-editor button[type=submit]").await?;
    shown(
        &admin,
        ".canned-row[data-shortcut=envio] .preview",
        "Hola {{contact.first_name}}, el envío tarda 48 horas.",
    )
    .await?;

    // Edited: another's shortcut is refused in Spanish; a free one and a new text are kept.
    click(&admin, ".canned-row[data-shortcut=envio] .edit").await?;
    shown(&admin, ".canned-editor h2", "Editar respuesta rápida").await?;
    set_field(&admin, ".canned-editor input[name=shortcut]", "horario").await?;
    click(&admin, ".canned-editor button[type=submit]").await?;
    shown(
        &admin,
        ".canned-editor .error",
        "No se pudo guardar: El atajo /horario ya está en uso.",
    )
    .await?;
    admin.screenshot("console-settings-canned-clash").await?;
    set_field(&admin, ".canned-editor input[name=shortcut]", "envios").await?;
    set_field(
        &admin,
        ".canned-editor textarea",
        "Hola {{contact.first_name}}, el envío tarda 24 horas.",
    )
    .await?;
    click(&admin, ".canned-editor button[type=submit]").await?;
    shown(
        &admin,
        ".canned-row[data-shortcut=envios] .preview",
        "24 horas",
    )
    .await?;
    assert!(!present(&admin, ".canned-row[data-shortcut=envio]").await?);

    // Deleted only once the question in place is answered.
    click(&admin, ".canned-row[data-shortcut=horario] .edit").await?;
    click(&admin, ".canned-editor .danger .delete").await?;
    shown(
        &admin,
        ".canned-editor .danger [role=alert]",
        "¿Eliminar esta respuesta rápida?",
    )
    .await?;
    click(&admin, ".canned-editor .danger .delete").await?;
    eventually("the deleted response gone from the list", async || {
        Ok((present(&admin, ".canned-rows").await?
            && !present(&admin, ".canned-row[data-shortcut=horario]").await?)
            .then_some(()))
    })
    .await?;
    admin.screenshot("console-settings-canned").await?;
    let (_, kept) = api.get("/api/v1/canned-responses").await?;
    let shortcuts: Vec<&str> = kept
        .as_array()
        .map(|kept| kept.iter().filter_map(|c| c["shortcut"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(shortcuts, ["envios"]);

    // A label with a colour.
    click(&admin, &tab(3)).await?;
    shown(&admin, "#settings-title", "Configuración › Etiquetas").await?;
    click(&admin, ".new-label").await?;
    type_into(&admin, ".label-editor input[name=name]", "Urgente").await?;
    set_field(&admin, ".label-editor input[name=colour]", "#d1242f").await?;
    admin.screenshot("console-settings-labels-editor").await?;
    click(&admin, ".label-editor button[type=submit]").await?;
    shown(&admin, ".label-row .label-chip", "urgente").await?;
    assert_eq!(
        background_of(&admin, ".label-row .label-chip").await?,
        "rgb(209, 36, 47)"
    );
    admin.screenshot("console-settings-labels").await?;

    // In the conversation: the edited response from the picker, the contact's name filled in.
    click(&admin, ".settings .to-inbox").await?;
    click(&admin, ".view-all").await?;
    click(&admin, ".row").await?;
    shown(&admin, ".message.in .text", "¿Cuánto tarda el envío?").await?;
    type_into(&admin, "#composer-input", "/env").await?;
    shown(&admin, ".canned li", "/envios").await?;
    type_into(&admin, "#composer-input", ENTER).await?;
    let filled = "Hola Ana, el envío tarda 24 horas.";
    composer_holds(&admin, filled).await?;
    type_into(&admin, "#composer-input", ENTER).await?;
    shown(&admin, ".message.out .text", filled).await?;

    // The label applied, in its colour in the thread and in the list.
    type_into(&admin, ".add-label input", "urgente").await?;
    type_into(&admin, ".add-label input", ENTER).await?;
    shown(&admin, ".actions .label-chip", "urgente").await?;
    shown(&admin, ".row .label-chip", "urgente").await?;
    for chip in [".actions .label-chip", ".row .label-chip"] {
        assert_eq!(
            background_of(&admin, chip).await?,
            "rgb(209, 36, 47)",
            "{chip}"
        );
    }
    admin.screenshot("console-settings-labels-inbox").await?;
    admin.close().await?;

    // On a phone, in Portuguese.
    let phone = admin_console(&gateway, "pt-BR", true).await?;
    click(&phone, ".topbar .settings-link").await?;
    click(&phone, &tab(2)).await?;
    shown(
        &phone,
        "#settings-title",
        "Configurações › Respostas prontas",
    )
    .await?;
    shown(&phone, ".canned-row .preview", "24 horas").await?;
    // Neither the page nor the settings' own scrolling area is wider than the phone.
    let overflowing = "const area = document.querySelector('.settings'); \
        return document.documentElement.scrollWidth > window.innerWidth \
            || area.scrollWidth > area.clientWidth";
    let fits = async || -> anyhow::Result<()> {
        let overflow = phone.client.execute(overflowing, vec![]).await?;
        assert_eq!(
            overflow,
            Value::Bool(false),
            "the page fits the phone's width"
        );
        Ok(())
    };
    fits().await?;
    phone.screenshot("console-settings-canned-phone").await?;
    click(&phone, ".canned-row[data-shortcut=envios] .edit").await?;
    shown(&phone, ".variables", "primeiro nome do contato").await?;
    phone
        .screenshot("console-settings-canned-editor-phone")
        .await?;
    click(&phone, ".canned-editor .back-to-list").await?;
    click(&phone, &tab(3)).await?;
    shown(&phone, ".label-row .label-chip", "urgente").await?;
    fits().await?;
    phone.screenshot("console-settings-labels-phone").await?;
    phone.close().await?;
    Ok(())
}

/// The operator caps a workspace at its channels and at no messages a day. Its admin, who
/// reads Spanish, sees "Límite alcanzado" in the top bar, which opens which limits, how much
/// is used and whom to ask; a reply refused for the daily quota is worded in Spanish too,
/// not in the gateway's English.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_sees_a_reached_quota_in_their_language_and_why_a_reply_was_refused()
-> anyhow::Result<()> {
    const OPERATOR: &str = "the operator's token of the quota test";
    let data = tempfile::tempdir()?;
    let gateway = Gateway::start_with(
        data.path(),
        &[("SWITCHBOARD_OPERATOR__TOKEN", OPERATOR.into())],
    )
    .await?;
    let admin = gateway.admin().await?;
    let channel = admin.api_channel().await?;
    admin
        .post_inbound(
            channel,
            &switchboard_e2e::inbound_message(
                "ana@example.com",
                "quota-1",
                "¿Tienen envíos a Quito?",
            ),
        )
        .await?;
    let (_, me) = admin.get("/api/v1/auth/me").await?;
    let (_, channels) = admin.get("/api/v1/channels").await?;
    let channels = channels.as_array().context("a list")?.len();
    let quotas = json!({ "channels": channels, "messages_per_day": 0 });
    let (status, _) = Client::new(&gateway.base_url)
        .with_bearer(OPERATOR)
        .call(
            Method::PUT,
            &format!(
                "/api/v1/operator/workspaces/{}/quotas",
                me["workspace"]["id"]
            ),
            Some(&quotas),
        )
        .await?;
    assert_eq!(status, StatusCode::OK);

    let browser = admin_console(&gateway, "es", false).await?;
    click(&browser, ".topbar .quota-reached").await?;
    shown(&browser, ".quota-detail", &format!("Tu espacio llegó a su límite de canales ({channels} de {channels}). No se pueden conectar más canales.")).await?;
    shown(
        &browser,
        ".quota-detail",
        "límite de mensajes por día (0 de 0)",
    )
    .await?;
    shown(
        &browser,
        ".quota-detail",
        "pídeselo a quien administra tu instalación",
    )
    .await?;
    browser.screenshot("console-quota-reached-es").await?;
    click(&browser, ".quota-detail button").await?;

    click(&browser, ".view-unassigned").await?;
    click(&browser, ".row").await?;
    type_into(&browser, "#composer-input", "Sí, enviamos a Quito.").await?;
    type_into(&browser, "#composer-input", ENTER).await?;
    shown(
        &browser,
        ".not-sent",
        "Tu espacio llegó a su límite de mensajes por día. Las respuestas a clientes vuelven a salir mañana",
    )
    .await?;
    let refusal = texts(&browser, ".not-sent").await?.join(" ");
    assert!(!refusal.contains("workspace"), "{refusal}");
    browser.close().await?;
    Ok(())
}

/// An admin who speaks Spanish invites a person in Settings › Personas; the invitation waits as
/// pending, its email (through the installation's own mail, read from Dovecot) carries a link
/// whose page asks for a password; the person then signs in and works a conversation. The
/// admin deactivates them in the same tab: their session ends at once and their conversation
/// goes back to the queue, with a step in its log saying why.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_invites_a_person_by_email_and_deactivating_them_puts_their_work_back_in_the_queue()
-> anyhow::Result<()> {
    use switchboard_e2e::mail_rig::{CUSTOMER, MailRig};
    let rig = MailRig::start().await?;
    let data = tempfile::tempdir()?;
    let gateway = super::signup::with_system_mail(&rig, data.path(), false).await?;
    let api = gateway.admin().await?;
    let admin = admin_console(&gateway, "es", false).await?;
    click(&admin, ".topbar .settings-link").await?;
    click(&admin, ".settings-tabs li:nth-child(4) .tab").await?;
    shown(&admin, ".settings-head h1", "Personas").await?;
    assert_eq!(address(&admin).await?, "/app/settings/people");
    click(&admin, ".settings .invite").await?;
    type_into(&admin, ".person-editor input[name=name]", "Carla Ruiz").await?;
    type_into(&admin, ".person-editor input[name=email]", CUSTOMER).await?;
    choose(&admin, ".person-editor select[name=role]", "agent").await?;
    shown(
        &admin,
        ".person-editor .help",
        "Los supervisores ven y trabajan todas las conversaciones",
    )
    .await?;
    admin.screenshot("console-settings-people-invite").await?;
    shown(
        &admin,
        ".person-editor button[type=submit]",
        "Enviar invitación",
    )
    .await?;
    click(&admin, ".person-editor button[type=submit]").await?;
    shown(
        &admin,
        ".settings .saved",
        &format!("Invitación enviada a {CUSTOMER}."),
    )
    .await?;
    shown(&admin, ".person-row.pending", "Invitación pendiente").await?;
    admin.screenshot("console-settings-people").await?;

    let link = super::signup::mailed_link(&rig, 1, "/invitation?", &gateway.base_url).await?;
    let in_spanish = Client::new(&gateway.base_url);
    let (status, _, page) = in_spanish
        .exchange(Method::GET, &link, &[("accept-language", "es-MX")], None)
        .await?;
    assert_eq!(status, StatusCode::OK);
    let page = String::from_utf8_lossy(&page);
    assert!(
        page.contains("Hola, Carla Ruiz: elige la contraseña"),
        "{page}"
    );

    let person = Browser::start(1280, 860).await?;
    person
        .client
        .goto(&format!("{}{link}", gateway.base_url))
        .await?;
    type_into(&person, "input[name=password]", "la clave de Carla").await?;
    click(&person, "form button[type=submit]").await?;
    shown(&person, "main p", "Your account is ready").await?;
    click(&person, "main a[href='/app/']").await?;
    sign_in_to_console_as(&person, &gateway.base_url, CUSTOMER, "la clave de Carla").await?;
    shown(&person, ".console", "Mías").await?;

    // Teams: Carla joins Ventas, made in the next tab.
    click(&admin, ".settings-tabs li:nth-child(5) .tab").await?;
    shown(&admin, ".settings-head h1", "Equipos").await?;
    shown(&admin, ".settings .later", "Todavía no hay equipos.").await?;
    click(&admin, ".settings .new-team").await?;
    type_into(&admin, ".team-editor input[name=name]", "Ventas").await?;
    click(
        &admin,
        &format!(".team-editor input[data-email='{CUSTOMER}']"),
    )
    .await?;
    click(&admin, ".team-editor button[type=submit]").await?;
    shown(&admin, ".team-row[data-team='Ventas']", "Carla Ruiz").await?;
    admin.screenshot("console-settings-teams").await?;
    click(&admin, ".settings-tabs li:nth-child(4) .tab").await?;
    shown(
        &admin,
        &format!(".person-row[data-email='{CUSTOMER}'] .state"),
        "Activa",
    )
    .await?;

    let (_, people) = api.get("/api/v1/agents").await?;
    let carla = people
        .as_array()
        .and_then(|people| people.iter().find(|agent| agent["email"] == CUSTOMER))
        .with_context(|| format!("Carla among {people}"))?;
    assert_eq!(
        carla["language"], "es",
        "her console speaks the invitation's language"
    );
    let channel = api.api_channel().await?;
    let conversation = api
        .post_inbound(
            channel,
            &switchboard_e2e::inbound_message("ana@example.com", "p-1", "Hola, ¿me ayudan?"),
        )
        .await?
        .conversation_id;
    let (status, _) = api
        .post(
            &format!("/api/v1/conversations/{conversation}/assign"),
            &json!({ "assignee_id": carla["id"] }),
        )
        .await?;
    assert_eq!(status, StatusCode::OK);
    shown(&person, ".list .who", "ana@example.com").await?;

    click(
        &admin,
        &format!(".person-row[data-email='{CUSTOMER}'] .edit"),
    )
    .await?;
    click(&admin, ".person-editor .danger .delete").await?;
    shown(
        &admin,
        ".person-editor .danger p",
        "¿Desactivar a esta persona?",
    )
    .await?;
    click(&admin, ".person-editor .danger .delete").await?;
    shown(
        &admin,
        ".settings .saved",
        "sus conversaciones abiertas volvieron a la cola",
    )
    .await?;
    shown(
        &admin,
        &format!(".person-row[data-email='{CUSTOMER}'] .state"),
        "Desactivada",
    )
    .await?;

    let (_, read) = api
        .get(&format!("/api/v1/conversations/{conversation}"))
        .await?;
    assert_eq!(
        read["assignee_id"],
        Value::Null,
        "back in the queue: {read}"
    );
    let (_, log) = api
        .get(&format!("/api/v1/conversations/{conversation}/messages"))
        .await?;
    let last = log["items"]
        .as_array()
        .and_then(|items| items.last())
        .cloned();
    assert_eq!(
        last.map(|message| message["activity"].clone()),
        Some(json!({ "type": "requeued", "agent_id": carla["id"] })),
        "{log}"
    );
    // Her session ended: the console asks her to sign in, and signing in says why not.
    person.client.refresh().await?;
    type_into(&person, "input[type=email]", CUSTOMER).await?;
    type_into(&person, "input[type=password]", "la clave de Carla").await?;
    click(&person, "form button[type=submit]").await?;
    shown(&person, ".sign-in .error", "desactivó tu cuenta").await?;
    person.screenshot("console-sign-in-deactivated").await?;
    Ok(())
}
