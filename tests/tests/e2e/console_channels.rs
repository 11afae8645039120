//! The console's composer on WhatsApp and SMS, in a real headless Chromium against the real
//! gateway and the providers' stand-ins: the 24-hour window's time left, the line that says why
//! only a template reaches the customer once it is closed, a template chosen, filled in and
//! sent (and the gateway's refusal of free text shown in words), and what an SMS reply costs.

use std::time::Duration;

use anyhow::Context;
use hyper::{Method, StatusCode};
use serde_json::{Value, json};
use switchboard_e2e::browser::{
    Browser, ENTER, choose, click, eventually, present, shown, sign_in_to_console, texts, type_into,
};
use switchboard_e2e::sms_stand_in::{SmsCredentials, SmsStandIn};
use switchboard_e2e::whatsapp_stand_in as whatsapp;
use switchboard_e2e::{Client, Gateway};

const WAIT: Duration = Duration::from_secs(15);

async fn put_secrets(admin: &Client, channel: u64, secrets: Value) -> anyhow::Result<()> {
    let (status, answer) = admin
        .call(
            Method::PUT,
            &format!("/api/v1/channels/{channel}/secrets"),
            Some(&json!({ "secrets": secrets })),
        )
        .await?;
    anyhow::ensure!(status == StatusCode::NO_CONTENT, "{answer}");
    Ok(())
}

async fn new_contact(admin: &Client, name: &str, phone: &str) -> anyhow::Result<Value> {
    let (status, contact) = admin
        .post(
            "/api/v1/contacts",
            &json!({ "name": name, "phones": [phone] }),
        )
        .await?;
    anyhow::ensure!(status == StatusCode::CREATED, "{contact}");
    Ok(contact)
}

/// A browser signed in to the console in `locale`, showing conversation `id`.
async fn agent_on(gateway: &Gateway, locale: &str, id: u64) -> anyhow::Result<Browser> {
    let agent = Browser::start(1280, 800).await?;
    agent.client.goto(&format!("{}/", gateway.base_url)).await?;
    agent
        .client
        .execute(
            "localStorage.setItem('switchboard.console.locale', arguments[0])",
            vec![Value::from(locale)],
        )
        .await?;
    sign_in_to_console(&agent, &gateway.base_url).await?;
    open(&agent, gateway, id).await?;
    Ok(agent)
}

/// Opens conversation `id` by its address (the console loads afresh).
async fn open(agent: &Browser, gateway: &Gateway, id: u64) -> anyhow::Result<()> {
    agent
        .client
        .goto(&format!("{}/app/conversations/{id}", gateway.base_url))
        .await?;
    agent
        .client
        .wait()
        .at_most(WAIT)
        .for_element(fantoccini::Locator::Css(".composer"))
        .await?;
    Ok(())
}

/// A gateway with a WhatsApp channel connected to Meta's stand-in, which has two approved
/// templates.
async fn whatsapp_with_templates() -> anyhow::Result<super::whatsapp::Rig> {
    let rig = super::whatsapp::Rig::start().await?;
    let (status, answer) = rig.put_secrets(super::whatsapp::TOKEN).await?;
    anyhow::ensure!(status == StatusCode::NO_CONTENT, "{answer}");
    rig.meta.add_template(
        "pedido_listo",
        "es_MX",
        "APPROVED",
        "Hola {{1}}, tu pedido {{2}} está listo para recoger.",
    );
    rig.meta.add_template(
        "bienvenida",
        "pt_BR",
        "APPROVED",
        "Olá! Obrigado por falar com a Acme.",
    );
    Ok(rig)
}

/// An agent in Spanish writes first on WhatsApp from "New conversation" to a number nobody has
/// written from: the contact is made from the number, the dialog says only an approved template
/// can reach them and offers the channel's templates instead of free text, and the customer gets
/// the template filled in.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agent_starts_a_whatsapp_conversation_with_a_template_from_new_conversation()
-> anyhow::Result<()> {
    let rig = whatsapp_with_templates().await?;
    let agent = Browser::start(1280, 800).await?;
    agent
        .client
        .goto(&format!("{}/", rig.gateway.base_url))
        .await?;
    agent
        .client
        .execute(
            "localStorage.setItem('switchboard.console.locale', 'es')",
            Vec::new(),
        )
        .await?;
    sign_in_to_console(&agent, &rig.gateway.base_url).await?;
    click(&agent, ".new-conversation").await?;
    choose(
        &agent,
        ".new-conversation select[name=channel]",
        &rig.channel.to_string(),
    )
    .await?;
    shown(
        &agent,
        ".new-conversation .window.closed",
        "El cliente no ha escrito por este canal: solo una plantilla aprobada puede llegarle.",
    )
    .await?;
    assert!(
        !present(&agent, ".new-conversation textarea[name=text]").await?,
        "no free text where only a template goes"
    );
    type_into(
        &agent,
        ".new-conversation input[name=contact]",
        "+52 55 8765 4321",
    )
    .await?;
    shown(&agent, ".create-contact", "+52 55 8765 4321").await?;
    click(&agent, ".create-contact").await?;
    shown(&agent, ".chosen-contact", "+52 55 8765 4321").await?;
    choose(&agent, ".new-conversation .template-picker select", "0").await?;
    type_into(&agent, ".template-value[name=value-1]", "Carla").await?;
    type_into(&agent, ".template-value[name=value-2]", "C-9").await?;
    shown(
        &agent,
        ".new-conversation .template-preview",
        "Hola Carla, tu pedido C-9 está listo para recoger.",
    )
    .await?;
    agent.screenshot("console-new-whatsapp-template").await?;
    click(&agent, ".new-conversation .send-template").await?;

    // The conversation is open with the template's text, and Meta got the template.
    shown(
        &agent,
        ".message.out .text",
        "Hola Carla, tu pedido C-9 está listo para recoger.",
    )
    .await?;
    rig.meta.wait_for_calls("send", 1, WAIT).await?;
    let sent = rig.meta.sent_messages();
    let template = sent.last().context("the template sent")?;
    assert_eq!(template.kind, "template", "{sent:?}");
    assert_eq!(template.to, "525587654321");
    assert_eq!(template.body["template"]["name"], "pedido_listo");
    let conversations = rig.admin.all_pages("/api/v1/conversations").await?;
    assert_eq!(conversations.len(), 1, "{conversations:?}");
    assert_eq!(conversations[0]["channel_id"], rig.channel);
    agent.close().await?;
    Ok(())
}

/// A WhatsApp conversation the agent started (the customer never wrote) takes only a
/// template: with the templates out of reach the console offers free text, and the gateway's
/// refusal of it shows in words; with them, the console says why only a template goes, the
/// agent picks one, fills its values, reads the text and sends it, and the customer gets the
/// template. A conversation where the customer just wrote shows the window's time left, and
/// a template there too on request.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agent_sends_a_whatsapp_template_once_the_window_is_closed_and_sees_the_time_left()
-> anyhow::Result<()> {
    let super::whatsapp::Rig {
        meta,
        gateway,
        admin,
        channel: channel_id,
        hook,
        _data,
    } = whatsapp_with_templates().await?;

    // Rosa never wrote: the agent started the conversation with a template, through the API.
    let rosa = new_contact(&admin, "Rosa Díaz", "+52 55 1234 5678").await?;
    let (status, started) = admin
        .post(
            "/api/v1/conversations",
            &json!({ "channel_id": channel_id, "contact_id": rosa["id"], "text": "",
                     "template": { "name": "pedido_listo", "language": "es_MX", "values": ["Rosa", "A-17"] } }),
        )
        .await?;
    assert_eq!(status, StatusCode::CREATED, "{started}");
    let closed = started["conversation"]["id"]
        .as_u64()
        .context("conversation")?;
    meta.wait_for_calls("send", 1, WAIT).await?;

    // With Meta down the templates cannot be listed: the console says so and offers free
    // text, which the gateway refuses with its reason, shown in words.
    meta.set_down(true);
    let agent = agent_on(&gateway, "en", closed).await?;
    shown(
        &agent,
        ".composer .templates-unavailable",
        "The templates could not be loaded",
    )
    .await?;
    type_into(&agent, "#composer-input", "¿Sigues interesada?").await?;
    type_into(&agent, "#composer-input", ENTER).await?;
    shown(
        &agent,
        ".composer .error",
        "Not sent: the customer has not written on this channel",
    )
    .await?;
    let said = texts(&agent, ".composer .error").await?.join(" ");
    assert!(!said.contains('{'), "no raw JSON: {said}");
    agent.screenshot("console-whatsapp-refused").await?;

    // With the templates listed: no free text, the reason, and the picker.
    meta.set_down(false);
    open(&agent, &gateway, closed).await?;
    shown(
        &agent,
        ".composer .window.closed",
        "The customer has not written on this channel: only an approved template can reach them.",
    )
    .await?;
    assert!(
        !present(&agent, "#composer-input").await?,
        "no free text outside the window"
    );
    let offered = texts(&agent, ".template-picker select option").await?;
    assert_eq!(
        offered,
        [
            "Choose a template",
            "pedido_listo · es_MX",
            "bienvenida · pt_BR"
        ]
    );
    agent.screenshot("console-whatsapp-closed").await?;
    choose(&agent, ".template-picker select", "0").await?;
    type_into(&agent, ".template-value[name=value-1]", "Rosa").await?;
    shown(
        &agent,
        ".template-preview",
        "Hola Rosa, tu pedido {{2}} está listo para recoger.",
    )
    .await?;
    let disabled = agent
        .client
        .execute(
            "return document.querySelector('.send-template').disabled",
            Vec::new(),
        )
        .await?;
    assert_eq!(disabled, json!(true), "not sent with a value missing");
    type_into(&agent, ".template-value[name=value-2]", "B-42").await?;
    shown(
        &agent,
        ".template-preview",
        "Hola Rosa, tu pedido B-42 está listo para recoger.",
    )
    .await?;
    agent.screenshot("console-whatsapp-template").await?;
    click(&agent, ".send-template").await?;
    shown(
        &agent,
        ".message.out .text",
        "Hola Rosa, tu pedido B-42 está listo para recoger.",
    )
    .await?;
    meta.wait_for_calls("send", 2, WAIT).await?;
    let sent = meta.sent_messages();
    let template = sent.last().context("the template sent")?;
    assert_eq!(template.kind, "template", "{sent:?}");
    assert_eq!(template.to, "525512345678");
    assert_eq!(template.body["template"]["name"], "pedido_listo");
    assert_eq!(template.body["template"]["language"]["code"], "es_MX");
    assert_eq!(
        template.body["template"]["components"][0]["parameters"],
        json!([{ "type": "text", "text": "Rosa" }, { "type": "text", "text": "B-42" }])
    );
    // The picker starts again, empty.
    eventually("the picker emptied", async || {
        Ok((!present(&agent, ".template-value").await?
            && present(&agent, ".template-picker select").await?)
            .then_some(()))
    })
    .await?;
    agent.screenshot("console-whatsapp-template-sent").await?;

    // Mariana just wrote: the window is open for 24 hours less the moments gone.
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_secs() as i64;
    let hello = meta.notifications().text_message(
        "wamid.HBgN1",
        "5511987654321",
        "Mariana Souza",
        "Oi! Vocês têm o tênis 38?",
        now,
    );
    let bytes = hello.to_string().into_bytes();
    let signature = whatsapp::signature(super::whatsapp::APP_SECRET, &bytes);
    let (status, _) = Client::new(&gateway.base_url)
        .send(
            Method::POST,
            &hook,
            &[("X-Hub-Signature-256", signature.as_str())],
            Some(("application/json", bytes)),
        )
        .await?;
    assert_eq!(status, StatusCode::OK);
    let open_one = eventually("Mariana's conversation", async || {
        let (_, page) = admin.get("/api/v1/conversations?limit=10").await?;
        Ok(page["items"].as_array().and_then(|items| {
            items
                .iter()
                .find(|conversation| conversation["id"] != closed)
                .and_then(|conversation| conversation["id"].as_u64())
        }))
    })
    .await?;
    open(&agent, &gateway, open_one).await?;
    shown(&agent, ".composer .window.open", "Window closes in ").await?;
    let left = texts(&agent, ".composer .window-left").await?.join("");
    assert!(
        left == "Window closes in 24 h" || left == "Window closes in 23 h 59 min",
        "{left}"
    );
    assert!(
        present(&agent, "#composer-input").await?,
        "free text inside"
    );
    agent.screenshot("console-whatsapp-window-open").await?;
    click(&agent, ".composer .use-template").await?;
    shown(
        &agent,
        ".template-picker select option",
        "bienvenida · pt_BR",
    )
    .await?;
    assert!(!present(&agent, "#composer-input").await?);
    choose(&agent, ".template-picker select", "1").await?;
    shown(
        &agent,
        ".template-preview",
        "Olá! Obrigado por falar com a Acme.",
    )
    .await?;
    agent.screenshot("console-whatsapp-template-inside").await?;
    click(&agent, ".composer .free-text").await?;
    type_into(&agent, "#composer-input", "Temos sim!").await?;
    type_into(&agent, "#composer-input", ENTER).await?;
    shown(&agent, ".message.out .text", "Temos sim!").await?;
    meta.wait_for_calls("send", 3, WAIT).await?;
    assert_eq!(
        meta.sent_messages().last().map(|sent| sent.kind.clone()),
        Some("text".to_string())
    );
    agent.close().await?;
    Ok(())
}

/// Under an SMS reply the console counts the SMS it costs, in the agent's language, and names
/// the character that makes each SMS hold 70 characters instead of 160.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_sms_reply_shows_what_it_costs_and_the_character_that_shortens_each_sms()
-> anyhow::Result<()> {
    let credentials = SmsCredentials::default();
    let provider = SmsStandIn::start(credentials.clone()).await?;
    let data = tempfile::tempdir()?;
    let gateway = Gateway::start_beside_stand_ins(data.path(), &[]).await?;
    let admin = gateway.admin().await?;
    admin
        .install_component("sms_adapter", &super::sms::manifest(&provider))
        .await?;
    let (channel_id, _) = admin
        .new_channel(
            "sms",
            json!({ "provider": "twilio", "account_sid": credentials.twilio_account_sid,
                    "from": "+551140000000", "default_country": "BR", "api_base": provider.base_url }),
        )
        .await?;
    put_secrets(
        &admin,
        channel_id,
        json!({ "auth_token": credentials.twilio_auth_token }),
    )
    .await?;
    let mariana = new_contact(&admin, "Mariana Souza", "+5511987654321").await?;
    let (status, started) = admin
        .post(
            "/api/v1/conversations",
            &json!({ "channel_id": channel_id, "contact_id": mariana["id"],
                     "text": "Oi Mariana, recebemos seu pedido de troca." }),
        )
        .await?;
    assert_eq!(status, StatusCode::CREATED, "{started}");
    let id = started["conversation"]["id"]
        .as_u64()
        .context("conversation")?;
    provider.wait_for_sent(1, WAIT).await?;

    let agent = agent_on(&gateway, "pt-BR", id).await?;
    assert!(
        !present(&agent, ".composer .sms-size").await?,
        "nothing to count yet"
    );
    let plain = "Oi Mariana! Seu pedido #4471 saiu para entrega hoje de manha e chega ate as 18h. \
                 Qualquer duvida, responda esta mensagem ou ligue para a nossa central: (11) 4000-0000. :)";
    assert_eq!(plain.chars().count(), 170);
    type_into(&agent, "#composer-input", plain).await?;
    shown(
        &agent,
        ".composer .sms-size",
        "2 SMS · GSM-7 · 170 caracteres",
    )
    .await?;
    assert!(!present(&agent, ".composer .sms-ucs2").await?);
    agent.screenshot("console-sms-gsm7").await?;

    agent
        .client
        .execute(
            "const field = document.querySelector('#composer-input'); field.value = ''; \
             field.dispatchEvent(new Event('input', { bubbles: true }));",
            Vec::new(),
        )
        .await?;
    let accented = "Oi Mariana, sua troca foi aprovada e chega amanhã de manhã. Qualquer dúvida, é só responder.";
    type_into(&agent, "#composer-input", accented).await?;
    shown(
        &agent,
        ".composer .sms-size",
        "2 SMS · UCS-2 · 92 caracteres · “ã” faz cada SMS comportar 70 caracteres em vez de 160",
    )
    .await?;
    agent.screenshot("console-sms-ucs2").await?;
    type_into(&agent, "#composer-input", ENTER).await?;
    let sent = provider.wait_for_sent(2, WAIT).await?;
    assert_eq!(sent[1].body, accented);
    eventually("the counter gone with the text", async || {
        Ok((!present(&agent, ".composer .sms-size").await?).then_some(()))
    })
    .await?;
    agent.close().await?;
    Ok(())
}
