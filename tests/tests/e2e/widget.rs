//! The website chat widget in a real headless Chromium, against the real gateway: the snippet on
//! a demo page, the chat app in its iframe, and an agent answering through the API.

use std::time::Duration;

use anyhow::Context;
use fantoccini::Locator;
use fantoccini::actions::{InputSource, KeyAction, KeyActions};
use fantoccini::key::Key;
use hyper::{Method, StatusCode};
use serde_json::json;
use switchboard_e2e::browser::{
    Browser, enter_chat, eventually, launcher_drawn, open_chat, owner_warnings, visible_messages,
    warnings_on,
};
use switchboard_e2e::{Client, Gateway};

/// The demo workspace's webchat channel id.
async fn webchat_channel(admin: &Client) -> anyhow::Result<u64> {
    Ok(admin.demo_widget().await?.0)
}

/// The next presence signal of `kind` on an agent's event socket.
async fn presence(
    socket: &mut switchboard_e2e::EventSocket,
    kind: &str,
) -> anyhow::Result<serde_json::Value> {
    use futures_util::StreamExt;
    tokio::time::timeout(Duration::from_secs(20), async {
        while let Some(frame) = socket.next().await {
            if let tokio_tungstenite::tungstenite::Message::Text(text) = frame? {
                let frame: serde_json::Value = serde_json::from_str(&text)?;
                if frame["type"] == "presence" && frame["data"]["kind"] == kind {
                    return Ok(frame["data"].clone());
                }
            }
        }
        anyhow::bail!("the agent's event socket closed")
    })
    .await
    .with_context(|| format!("no {kind} signal reached the agent"))?
}

async fn conversation_with(
    admin: &Client,
    channel: u64,
    text: &str,
) -> anyhow::Result<Option<u64>> {
    for conversation in admin
        .all_pages(&format!("/api/v1/conversations?channel_id={channel}"))
        .await?
    {
        let id = conversation["id"].as_u64().context("id")?;
        let messages = admin
            .all_pages(&format!("/api/v1/conversations/{id}/messages"))
            .await?;
        if messages.iter().any(|message| message["text"] == text) {
            return Ok(Some(id));
        }
    }
    Ok(None)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_visitor_chats_with_an_agent_across_reloads_and_a_dropped_connection()
-> anyhow::Result<()> {
    let data = tempfile::tempdir()?;
    let gateway = Gateway::start(data.path()).await?;
    let admin = gateway.admin().await?;
    let channel = webchat_channel(&admin).await?;
    let browser = Browser::start(1280, 800).await?;
    let page = format!("{}/demo/index.html", gateway.base_url);
    browser.client.goto(&page).await?;
    open_chat(&browser).await?;
    browser.client.enter_parent_frame().await?;
    browser.screenshot("widget-open").await?;
    enter_chat(&browser).await?;

    let mut agent_feed = admin.event_socket(0).await?;

    // The visitor writes; Enter sends.
    let composer = browser
        .client
        .find(Locator::Css(".composer textarea"))
        .await?;
    composer
        .send_keys("Hola, ¿tienen café de Colombia?")
        .await?;
    composer
        .send_keys(&char::from(Key::Enter).to_string())
        .await?;
    let conversation = eventually("the message in the conversation", async || {
        conversation_with(&admin, channel, "Hola, ¿tienen café de Colombia?").await
    })
    .await?;

    // An agent answers through the API; the widget shows it with the agent's name.
    admin.reply(conversation, "¡Sí! El de Huila.").await?;
    eventually("the reply in the widget", async || {
        Ok(visible_messages(&browser)
            .await?
            .contains(&"¡Sí! El de Huila.".to_string())
            .then_some(()))
    })
    .await?;

    // The agent's console learns that the visitor read the reply and is typing again.
    let read = presence(&mut agent_feed, "read").await?;
    assert_eq!(read["conversation_id"], conversation);
    assert_eq!(read["from"], "visitor");
    // The widget signals typing at most once every 3 s; its last one went with the first message.
    tokio::time::sleep(Duration::from_millis(3100)).await;
    composer.send_keys("¿Y el envío").await?;
    let typing = presence(&mut agent_feed, "typing").await?;
    assert_eq!(typing["conversation_id"], conversation);

    // A reload keeps the visitor and the history.
    browser.client.enter_parent_frame().await?;
    browser.client.refresh().await?;
    open_chat(&browser).await?;
    let history = eventually("the history after a reload", async || {
        let texts = visible_messages(&browser).await?;
        Ok((texts.len() == 2).then_some(texts))
    })
    .await?;
    assert_eq!(
        history,
        ["Hola, ¿tienen café de Colombia?", "¡Sí! El de Huila."]
    );
    let receipt = browser
        .client
        .execute(
            "return document.querySelector('.messages li.visitor .state')?.textContent ?? null",
            vec![],
        )
        .await?;
    assert_eq!(receipt, json!("Read"), "the agent who answered read it");

    // The gateway goes away and comes back on the same address; meanwhile the agent answers.
    let address = gateway.base_url.trim_start_matches("http://").to_string();
    gateway.kill_hard().await?;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let gateway =
        Gateway::start_with(data.path(), &[("SWITCHBOARD_SERVER__LISTEN", address)]).await?;
    let admin = gateway.admin().await?;
    admin.reply(conversation, "Sale hoy mismo.").await?;
    let after = eventually("the reply sent while the socket was down", async || {
        let texts = visible_messages(&browser).await?;
        Ok(texts
            .contains(&"Sale hoy mismo.".to_string())
            .then_some(texts))
    })
    .await?;
    assert_eq!(
        after,
        [
            "Hola, ¿tienen café de Colombia?",
            "¡Sí! El de Huila.",
            "Sale hoy mismo."
        ],
        "nothing lost, nothing twice"
    );

    browser.client.enter_parent_frame().await?;
    browser
        .client
        .execute("window.Switchboard.close()", vec![])
        .await?;
    browser.screenshot("widget-closed").await?;
    browser.close().await?;
    Ok(())
}

/// What the launcher on the host page shows: the unread badge's number, or `None` when hidden.
async fn badge(browser: &Browser) -> anyhow::Result<Option<String>> {
    let badge = browser
        .client
        .execute(
            "const b = document.getElementById('switchboard-widget').shadowRoot.querySelector('button b'); return b.hidden ? null : b.textContent",
            vec![],
        )
        .await?;
    Ok(badge.as_str().map(str::to_string))
}

/// Signs in a customer the way the shop's page does it, then opens the chat.
async fn signed_in(browser: &Browser, page: &str, user: &serde_json::Value) -> anyhow::Result<()> {
    browser.client.goto(page).await?;
    eventually("the loader", async || {
        let ready = browser
            .client
            .execute("return typeof window.Switchboard === 'object'", vec![])
            .await?;
        Ok((ready == json!(true)).then_some(()))
    })
    .await?;
    browser
        .client
        .execute(
            "window.unreadEvents = []; window.Switchboard.on('unread', e => window.unreadEvents.push(e.count)); window.Switchboard.identify(arguments[0])",
            vec![user.clone()],
        )
        .await?;
    open_chat(browser).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signed_in_customer_keeps_their_history_in_another_browser_and_the_page_counts_unread()
-> anyhow::Result<()> {
    use hmac::{Hmac, Mac};

    let data = tempfile::tempdir()?;
    let gateway = Gateway::start(data.path()).await?;
    let admin = gateway.admin().await?;
    let (channel, widget) = admin.demo_widget().await?;
    let secret = "la-clave-de-la-tienda";
    let (status, answer) = admin
        .call(
            Method::PUT,
            &format!("/api/v1/channels/{channel}/secrets"),
            Some(&json!({ "secrets": { "identity_secret": secret } })),
        )
        .await?;
    assert!(status.is_success(), "{answer}");
    // The shop signs its customer's id on its server.
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes())?;
    mac.update(b"cliente-42");
    let hash = hex::encode(mac.finalize().into_bytes());
    let user = json!({ "id": "cliente-42", "name": "Lucía Pérez", "email": "lucia@example.test", "hash": hash });
    let page = format!("{}/demo/index.html", gateway.base_url);

    // A forged signature is refused with a reason.
    let forged = json!({ "user": { "id": "cliente-42", "hash": "00".repeat(32) } });
    let (status, refusal) = admin
        .post(&format!("/widget/v1/{widget}/visitors"), &forged)
        .await?;
    assert_eq!(status, StatusCode::FORBIDDEN, "{refusal}");
    assert_eq!(
        refusal["error"]["code"], "identity_not_verified",
        "{refusal}"
    );

    // At home, the customer writes from the shop's page; the contact has the shop's name and email.
    let home = Browser::start(1280, 800).await?;
    signed_in(&home, &page, &user).await?;
    let question = "¿Dónde está mi pedido 881?";
    let composer = home.client.find(Locator::Css(".composer textarea")).await?;
    composer.send_keys(question).await?;
    composer
        .send_keys(&char::from(Key::Enter).to_string())
        .await?;
    let conversation = eventually("the message in the conversation", async || {
        conversation_with(&admin, channel, question).await
    })
    .await?;
    let (_, about) = admin
        .get(&format!("/api/v1/conversations/{conversation}"))
        .await?;
    let (_, contact) = admin
        .get(&format!("/api/v1/contacts/{}", about["contact_id"]))
        .await?;
    assert_eq!(contact["name"], "Lucía Pérez", "{contact}");
    assert_eq!(
        contact["emails"],
        json!(["lucia@example.test"]),
        "{contact}"
    );
    home.close().await?;

    // At work, in another browser with nothing stored, signing in brings the history along.
    let work = Browser::start(1280, 800).await?;
    signed_in(&work, &page, &user).await?;
    let history = eventually("the history in the second browser", async || {
        let texts = visible_messages(&work).await?;
        Ok((!texts.is_empty()).then_some(texts))
    })
    .await?;
    assert_eq!(history, [question]);

    // With the chat closed, an agent's replies light the launcher's badge and reach the page's
    // `unread` listeners; opening the chat clears them.
    work.client.enter_parent_frame().await?;
    work.client
        .execute("window.Switchboard.close()", vec![])
        .await?;
    assert_eq!(badge(&work).await?, None);
    // The agent answers once with no picture, then sets an avatar and answers again.
    let (_, agents) = admin.get("/api/v1/agents").await?;
    let agent = agents
        .as_array()
        .and_then(|all| all.iter().find(|agent| agent["role"] == "admin"))
        .context("the demo admin")?
        .clone();
    admin
        .reply(conversation, "Hola Lucía, ya lo busco.")
        .await?;
    let picture =
        std::fs::read(switchboard_e2e::workspace_root().join("tests/resources/avatar.png"))?;
    let (status, updated) = admin
        .send(
            Method::PUT,
            &format!("/api/v1/agents/{}/avatar", agent["id"]),
            &[],
            Some(("image/png", picture)),
        )
        .await?;
    assert_eq!(status, StatusCode::OK, "{updated}");
    admin
        .reply(conversation, "Sale mañana por la mañana.")
        .await?;
    eventually("two unread on the launcher", async || {
        Ok((badge(&work).await? == Some("2".into())).then_some(()))
    })
    .await?;
    let events = work
        .client
        .execute("return window.unreadEvents", vec![])
        .await?;
    assert_eq!(
        events.as_array().and_then(|all| all.last()),
        Some(&json!(2)),
        "{events}"
    );
    work.screenshot("widget-unread").await?;
    work.client
        .execute("window.Switchboard.open()", vec![])
        .await?;
    eventually("the badge cleared", async || {
        Ok(badge(&work).await?.is_none().then_some(()))
    })
    .await?;
    // Beside each reply: the agent's initial, then the picture (48 px wide, loaded).
    enter_chat(&work).await?;
    let initial = agent["name"]
        .as_str()
        .and_then(|name| name.chars().next())
        .context("the agent's name")?
        .to_string();
    let avatars = eventually("the avatars beside the replies", async || {
        let shown = work
            .client
            .execute(
                "return [...document.querySelectorAll('.messages li.agent:not(.greeting)')].map(li => { const img = li.querySelector('img.avatar'); return img ? 'picture ' + img.naturalWidth : li.querySelector('.avatar.initial')?.textContent })",
                vec![],
            )
            .await?;
        Ok((shown.as_array().and_then(|all| all.last()) == Some(&json!("picture 48"))).then_some(shown))
    })
    .await?;
    assert_eq!(avatars, json!([initial, "picture 48"]));
    work.screenshot("widget-avatars").await?;
    work.close().await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn languages_pre_chat_form_uploads_and_offline_mode_work() -> anyhow::Result<()> {
    let data = tempfile::tempdir()?;
    let gateway = Gateway::start(data.path()).await?;
    let admin = gateway.admin().await?;
    let (channel, widget) = admin.demo_widget().await?;
    let frame = |locale: &str| {
        format!(
            "{}/widget/frame.html?w={widget}#locale={locale}",
            gateway.base_url
        )
    };

    // Three languages, chosen by the loader (from the page, the settings or the browser).
    let browser = Browser::start(420, 700).await?;
    for (locale, placeholder) in [
        ("en", "Write a message…"),
        ("es", "Escribe un mensaje…"),
        ("pt-BR", "Escreva uma mensagem…"),
    ] {
        // A new document each time (a changed hash alone would not reload the app).
        browser.client.goto("about:blank").await?;
        browser.client.goto(&frame(locale)).await?;
        let composer = browser
            .client
            .wait()
            .at_most(Duration::from_secs(20))
            .for_element(Locator::Css(".composer textarea"))
            .await?;
        assert_eq!(
            composer.attr("placeholder").await?.as_deref(),
            Some(placeholder),
            "{locale}"
        );
    }

    // A file goes up with the message.
    let file = data.path().join("pedido.txt");
    std::fs::write(&file, "pedido 4711")?;
    browser
        .client
        .find(Locator::Css(".composer input[type=file]"))
        .await?
        .send_keys(&file.to_string_lossy())
        .await?;
    eventually("the file ready to send", async || {
        Ok(browser.client.find(Locator::Css(".files li")).await.ok())
    })
    .await?;
    let composer = browser
        .client
        .find(Locator::Css(".composer textarea"))
        .await?;
    composer.send_keys("Adjunto el pedido").await?;
    composer
        .send_keys(&char::from(Key::Enter).to_string())
        .await?;
    let conversation = eventually("the message with its file", async || {
        conversation_with(&admin, channel, "Adjunto el pedido").await
    })
    .await?;
    let messages = admin
        .all_pages(&format!("/api/v1/conversations/{conversation}/messages"))
        .await?;
    assert_eq!(
        messages[0]["attachments"][0]["name"], "pedido.txt",
        "{messages:?}"
    );
    browser.close().await?;

    // A pre-chat form asks for the email first; the contact gets it.
    let (status, updated) = admin
        .call(
            Method::PATCH,
            &format!("/api/v1/channels/{channel}"),
            Some(&json!({ "settings": { "pre_chat": [{ "name": "name" }, { "name": "email", "required": true }] } })),
        )
        .await?;
    assert_eq!(status, StatusCode::OK, "{updated}");
    let browser = Browser::start(420, 700).await?;
    browser.client.goto(&frame("es")).await?;
    let form = browser
        .client
        .wait()
        .at_most(Duration::from_secs(20))
        .for_element(Locator::Css(".prechat"))
        .await?;
    form.find(Locator::Css("input[name=name]"))
        .await?
        .send_keys("Lucía")
        .await?;
    form.find(Locator::Css("input[name=email]"))
        .await?
        .send_keys("lucia@example.com")
        .await?;
    form.find(Locator::Css("textarea"))
        .await?
        .send_keys("Quiero hacer un pedido grande")
        .await?;
    form.find(Locator::Css("button[type=submit]"))
        .await?
        .click()
        .await?;
    let conversation = eventually("the pre-chat message", async || {
        conversation_with(&admin, channel, "Quiero hacer un pedido grande").await
    })
    .await?;
    let (_, conversation) = admin
        .get(&format!("/api/v1/conversations/{conversation}"))
        .await?;
    let (_, contact) = admin
        .get(&format!("/api/v1/contacts/{}", conversation["contact_id"]))
        .await?;
    assert_eq!(
        (contact["name"].clone(), contact["emails"][0].clone()),
        (json!("Lucía"), json!("lucia@example.com"))
    );
    browser.close().await?;

    // Outside office hours the widget asks for an email, so the conversation can go on by email.
    admin
        .call(
            Method::PATCH,
            &format!("/api/v1/channels/{channel}"),
            Some(&json!({ "settings": { "office_hours": { "days": [], "from": "09:00", "to": "18:00" } } })),
        )
        .await?;
    let browser = Browser::start(420, 700).await?;
    browser.client.goto(&frame("pt-BR")).await?;
    let form = browser
        .client
        .wait()
        .at_most(Duration::from_secs(20))
        .for_element(Locator::Css(".prechat"))
        .await?;
    let intro = form.find(Locator::Css("p")).await?.text().await?;
    assert!(intro.starts_with("Estamos fora agora"), "{intro}");
    let email = form.find(Locator::Css("input[name=email]")).await?;
    assert_eq!(email.attr("required").await?.as_deref(), Some("true"));
    browser.close().await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_host_pages_cannot_break_the_widget() -> anyhow::Result<()> {
    let data = tempfile::tempdir()?;
    let gateway = Gateway::start(data.path()).await?;
    let browser = Browser::start(1280, 800).await?;
    for page in [
        "hostile-css",
        "strict-csp",
        "busy-globals",
        "wordpress",
        "shopify",
        "wix",
        "squarespace",
    ] {
        browser
            .client
            .goto(&format!("{}/demo/{page}.html", gateway.base_url))
            .await?;
        // The launcher keeps its own size and colour whatever the page's CSS says.
        let launcher = eventually("the launcher", async || {
            let launcher = browser
                .client
                .execute(
                    "const b = document.getElementById('switchboard-widget')?.shadowRoot.querySelector('button'); \
                     if (!b) return null; const s = getComputedStyle(b); return [b.getBoundingClientRect().width, s.display, s.backgroundColor]",
                    vec![],
                )
                .await?;
            Ok((!launcher.is_null()).then_some(launcher))
        })
        .await?;
        assert_eq!(launcher[0], json!(56), "{page}: {launcher}");
        assert_ne!(launcher[1], "none", "{page}: {launcher}");
        // The chat opens and is usable.
        open_chat(&browser).await?;
        browser
            .client
            .find(Locator::Css(".composer textarea"))
            .await?;
        browser.client.enter_parent_frame().await?;
        browser.screenshot(&format!("demo-{page}")).await?;
    }
    browser.close().await?;
    Ok(())
}

#[test]
fn the_loader_and_the_chat_app_stay_within_their_size_budgets() -> anyhow::Result<()> {
    use switchboard_e2e::front_end_size;
    let loader = front_end_size::loader()?;
    assert!(
        loader.gzipped <= front_end_size::LOADER_BUDGET,
        "the loader is {} bytes gzipped, over its budget of {}",
        loader.gzipped,
        front_end_size::LOADER_BUDGET
    );
    front_end_size::ensure_within(
        "chat app",
        &front_end_size::chat_app()?,
        front_end_size::APP_BUDGET,
    )
}

/// A visitor of the demo widget: a session token and their open event socket.
async fn visitor_with_socket(
    gateway: &Gateway,
    widget: &str,
) -> anyhow::Result<(Client, switchboard_e2e::EventSocket)> {
    let anonymous = Client::new(&gateway.base_url);
    let (status, session) = anonymous
        .post(&format!("/widget/v1/{widget}/visitors"), &json!({}))
        .await?;
    anyhow::ensure!(status == StatusCode::OK, "no session: {session}");
    let token = session["token"].as_str().context("token")?;
    let url = format!(
        "{}/widget/v1/{widget}/socket?token={token}&after=0",
        gateway.base_url.replacen("http", "ws", 1)
    );
    let (socket, _) = tokio_tungstenite::connect_async(url).await?;
    Ok((anonymous.with_bearer(token), socket))
}

/// What a visitor's socket brings (message texts, and `typing` for an agent's typing), until
/// `last` comes and then whatever else comes within half a second.
async fn seen_until(
    socket: &mut switchboard_e2e::EventSocket,
    last: &str,
) -> anyhow::Result<Vec<String>> {
    use futures_util::StreamExt;
    let mut seen = Vec::new();
    let mut deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let frame = match tokio::time::timeout_at(deadline, socket.next()).await {
            Ok(frame) => frame.context("the visitor's socket closed")??,
            Err(_) if seen.iter().any(|text| text == last) => return Ok(seen),
            Err(_) => anyhow::bail!("{last:?} did not come; came {seen:?}"),
        };
        let Ok(text) = frame.to_text() else { continue };
        let event: serde_json::Value = serde_json::from_str(text).unwrap_or_default();
        let Some(what) = event["message"]["text"].as_str().or(event["type"].as_str()) else {
            continue;
        };
        seen.push(what.to_string());
        if what == last {
            deadline = tokio::time::Instant::now() + Duration::from_millis(500);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_visitor_socket_carries_only_that_visitors_conversation_and_typing()
-> anyhow::Result<()> {
    let data = tempfile::tempdir()?;
    let gateway = Gateway::start(data.path()).await?;
    let admin = gateway.admin().await?;
    let (_, widget) = admin.demo_widget().await?;
    // Both sockets open before either visitor has written, so neither has a contact yet; an
    // agent types, then answers, in Ana's conversation only.
    let (ana, mut ana_socket) = visitor_with_socket(&gateway, &widget).await?;
    let (bruno, mut bruno_socket) = visitor_with_socket(&gateway, &widget).await?;
    let messages = format!("/widget/v1/{widget}/messages");
    let (status, sent) = ana
        .post(
            &messages,
            &json!({ "client_id": "a-1", "text": "Hola, soy Ana" }),
        )
        .await?;
    assert_eq!(status, StatusCode::CREATED, "{sent}");
    let ana_conversation = sent["conversation_id"].as_u64().context("conversation")?;
    let (status, sent) = bruno
        .post(
            &messages,
            &json!({ "client_id": "b-1", "text": "Hola, soy Bruno" }),
        )
        .await?;
    assert_eq!(status, StatusCode::CREATED, "{sent}");
    let (status, typed) = admin
        .post(
            &format!("/api/v1/conversations/{ana_conversation}/typing"),
            &json!({}),
        )
        .await?;
    assert!(status.is_success(), "{typed}");
    admin
        .reply(ana_conversation, "Hola Ana, ¿en qué te ayudo?")
        .await?;

    assert_eq!(
        seen_until(&mut ana_socket, "Hola Ana, ¿en qué te ayudo?").await?,
        ["Hola, soy Ana", "typing", "Hola Ana, ¿en qué te ayudo?"]
    );
    assert_eq!(
        seen_until(&mut bruno_socket, "Hola, soy Bruno").await?,
        ["Hola, soy Bruno"]
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_visitor_api_refuses_other_sites_floods_and_oversized_input_with_reasons()
-> anyhow::Result<()> {
    let data = tempfile::tempdir()?;
    let gateway = Gateway::start(data.path()).await?;
    let admin = gateway.admin().await?;
    let (channel, widget) = admin.demo_widget().await?;
    let settings = json!({ "settings": {
        "allowed_origins": ["https://cafe-aurora.example"],
        "max_upload_bytes": 1000,
        "upload_types": ["image/*"]
    } });
    let (status, updated) = admin
        .call(
            Method::PATCH,
            &format!("/api/v1/channels/{channel}"),
            Some(&settings),
        )
        .await?;
    assert_eq!(status, StatusCode::OK, "{updated}");
    let anonymous = Client::new(&gateway.base_url);
    let shop = [("origin", "https://cafe-aurora.example")];
    // Each message with an id of its own (the same id twice is stored once).
    let message = |text: String| {
        serde_json::to_vec(&json!({ "client_id": format!("w-{text}"), "text": text }))
    };

    // Another site may neither start a session nor embed the chat frame.
    let (status, refusal) = anonymous
        .send(
            Method::POST,
            &format!("/widget/v1/{widget}/visitors"),
            &[("origin", "https://copycat.example")],
            Some(("application/json", b"{}".to_vec())),
        )
        .await?;
    assert_eq!(status, StatusCode::FORBIDDEN, "{refusal}");
    let reason = refusal["error"]["message"].as_str().unwrap_or_default();
    assert!(reason.contains("https://copycat.example"), "{reason}");
    let (status, headers) = anonymous
        .get_headers(&format!("/widget/frame.html?w={widget}"))
        .await?;
    assert_eq!(status, StatusCode::OK);
    let policy = headers
        .get("content-security-policy")
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_string();
    assert!(
        policy.contains("frame-ancestors https://cafe-aurora.example"),
        "{policy}"
    );

    // The shop's own page gets a session; without its token nothing is answered.
    let (status, session) = anonymous
        .send(
            Method::POST,
            &format!("/widget/v1/{widget}/visitors"),
            &shop,
            Some(("application/json", b"{}".to_vec())),
        )
        .await?;
    assert_eq!(status, StatusCode::OK, "{session}");
    let (status, refusal) = anonymous
        .get(&format!("/widget/v1/{widget}/messages"))
        .await?;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{refusal}");
    let visitor = anonymous.with_bearer(session["token"].as_str().context("token")?);

    // Too long a message, too big a file, a file of a type not allowed: each names the limit.
    let messages = format!("/widget/v1/{widget}/messages");
    let (status, refusal) = visitor
        .send(
            Method::POST,
            &messages,
            &shop,
            Some(("application/json", message("a".repeat(10_001))?)),
        )
        .await?;
    assert_eq!(
        (status, &refusal["error"]["code"]),
        (StatusCode::UNPROCESSABLE_ENTITY, &json!("too_long")),
        "{refusal}"
    );
    let upload = format!("/widget/v1/{widget}/attachments?name=foto.png");
    let (status, refusal) = visitor
        .send(
            Method::POST,
            &upload,
            &shop,
            Some(("image/png", vec![0; 2000])),
        )
        .await?;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{refusal}");
    assert!(
        refusal["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("1000 bytes"),
        "{refusal}"
    );
    let (status, refusal) = visitor
        .send(
            Method::POST,
            &upload,
            &shop,
            Some(("text/html", b"<p>hola</p>".to_vec())),
        )
        .await?;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{refusal}");
    assert!(
        refusal["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("text/html"),
        "{refusal}"
    );

    // A visitor who floods the chat is slowed down, told for how long; what got in is kept.
    let mut accepted = 0;
    let flood = loop {
        let (status, answer) = visitor
            .send(
                Method::POST,
                &messages,
                &shop,
                Some(("application/json", message(format!("hola {accepted:>3}"))?)),
            )
            .await?;
        if status != StatusCode::CREATED {
            break (status, answer);
        }
        accepted += 1;
        anyhow::ensure!(accepted < 100, "a flood of messages was never limited");
    };
    assert_eq!(flood.0, StatusCode::TOO_MANY_REQUESTS, "{}", flood.1);
    let reason = flood.1["error"]["message"].as_str().unwrap_or_default();
    assert!(
        reason.starts_with("too many messages; try again in "),
        "{reason}"
    );
    let (_, history) = visitor.send(Method::GET, &messages, &shop, None).await?;
    assert_eq!(history["messages"].as_array().map(Vec::len), Some(accepted));

    // So is one address that opens session after session.
    let mut sessions = 0;
    let flood = loop {
        let (status, answer) = anonymous
            .send(
                Method::POST,
                &format!("/widget/v1/{widget}/visitors"),
                &shop,
                Some(("application/json", b"{}".to_vec())),
            )
            .await?;
        if status != StatusCode::OK {
            break (status, answer);
        }
        sessions += 1;
        anyhow::ensure!(
            sessions < 1000,
            "sessions from one address were never limited"
        );
    };
    assert_eq!(flood.0, StatusCode::TOO_MANY_REQUESTS, "{}", flood.1);
    let reason = flood.1["error"]["message"].as_str().unwrap_or_default();
    assert!(
        reason.starts_with("too many requests from this address"),
        "{reason}"
    );
    Ok(())
}

/// Presses keys as a keyboard does, into whatever has the focus.
async fn press(browser: &Browser, keys: &[KeyAction]) -> anyhow::Result<()> {
    let actions = keys
        .iter()
        .fold(KeyActions::new("keyboard".into()), |actions, key| {
            actions.then(key.clone())
        });
    browser.client.perform_actions(actions).await?;
    Ok(())
}

/// Typing `text` and then `keys`, one press each.
fn keystrokes(text: &str, keys: &[Key]) -> Vec<KeyAction> {
    text.chars()
        .chain(keys.iter().map(|key| char::from(*key)))
        .flat_map(|value| [KeyAction::Down { value }, KeyAction::Up { value }])
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_chat_works_by_keyboard_alone_and_names_itself_to_screen_readers() -> anyhow::Result<()>
{
    let data = tempfile::tempdir()?;
    let gateway = Gateway::start(data.path()).await?;
    let admin = gateway.admin().await?;
    let channel = webchat_channel(&admin).await?;
    let browser = Browser::start(1280, 800).await?;
    browser
        .client
        .goto(&format!("{}/demo/index.html", gateway.base_url))
        .await?;
    let launcher =
        "document.getElementById('switchboard-widget')?.shadowRoot.querySelector('button')";
    let state = eventually("the launcher", async || {
        let state = browser
            .client
            .execute(
                &format!("const b = {launcher}; if (!b) return null; b.focus(); return [b.getAttribute('aria-label'), b.getAttribute('aria-expanded')]"),
                vec![],
            )
            .await?;
        Ok((!state.is_null()).then_some(state))
    })
    .await?;
    assert_eq!(state, json!(["Open chat", "false"]));

    // Enter on the focused launcher opens the chat, with the focus in the composer.
    press(&browser, &keystrokes("", &[Key::Enter])).await?;
    let state = eventually("the chat open", async || {
        let state = browser
            .client
            .execute(&format!("const b = {launcher}; return [b.getAttribute('aria-label'), b.getAttribute('aria-expanded')]"), vec![])
            .await?;
        Ok((state[1] == "true").then_some(state))
    })
    .await?;
    assert_eq!(state, json!(["Close chat", "true"]));
    enter_chat(&browser).await?;
    eventually("the focus in the composer", async || {
        let focused = browser
            .client
            .execute("return document.activeElement?.tagName ?? null", vec![])
            .await?;
        Ok((focused == json!("TEXTAREA")).then_some(()))
    })
    .await?;
    let (role, live, label) = {
        let list = browser
            .client
            .execute("const l = document.querySelector('.messages'); return [l.getAttribute('role'), l.getAttribute('aria-live'), l.getAttribute('aria-label')]", vec![])
            .await?;
        (list[0].clone(), list[1].clone(), list[2].clone())
    };
    assert_eq!(
        (role, live),
        (json!("log"), json!("polite")),
        "new messages are read out"
    );
    assert!(label.as_str().is_some_and(|label| !label.is_empty()));

    // Shift+Enter starts a new line, Enter sends.
    let mut keys = keystrokes("Hola, escribo con el teclado", &[]);
    let shift = char::from(Key::Shift);
    let enter = char::from(Key::Enter);
    keys.extend([
        KeyAction::Down { value: shift },
        KeyAction::Down { value: enter },
        KeyAction::Up { value: enter },
        KeyAction::Up { value: shift },
    ]);
    keys.extend(keystrokes("y sin ratón", &[Key::Enter]));
    press(&browser, &keys).await?;
    let sent = "Hola, escribo con el teclado\ny sin ratón";
    eventually("the two-line message in the conversation", async || {
        conversation_with(&admin, channel, sent).await
    })
    .await?;

    // Escape closes the chat and gives the focus back to the launcher.
    press(&browser, &keystrokes("", &[Key::Escape])).await?;
    browser.client.enter_parent_frame().await?;
    eventually("the focus back on the launcher", async || {
        let state = browser
            .client
            .execute(
                "const root = document.getElementById('switchboard-widget').shadowRoot; return [root.activeElement?.tagName ?? null, root.querySelector('iframe').hidden, root.querySelector('button').getAttribute('aria-expanded')]",
                vec![],
            )
            .await?;
        Ok((state == json!(["BUTTON", true, "false"])).then_some(()))
    })
    .await?;
    browser.close().await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_a_phone_the_open_chat_fills_the_screen() -> anyhow::Result<()> {
    let data = tempfile::tempdir()?;
    let gateway = Gateway::start(data.path()).await?;
    let browser = Browser::phone(390, 780).await?;
    browser
        .client
        .goto(&format!("{}/demo/index.html", gateway.base_url))
        .await?;
    open_chat(&browser).await?;
    browser.client.enter_parent_frame().await?;
    let geometry = "const root = document.getElementById('switchboard-widget').shadowRoot; \
        const r = root.querySelector('iframe').getBoundingClientRect(); \
        return [r.left, r.top, r.width == innerWidth, r.height == innerHeight, getComputedStyle(root.querySelector('button')).display]";
    let shown = browser.client.execute(geometry, vec![]).await?;
    assert_eq!(
        shown,
        json!([0, 0, true, true, "none"]),
        "the frame covers the page, the launcher is out of the way"
    );
    browser.screenshot("widget-phone").await?;
    // The chat's own close button brings the page back.
    enter_chat(&browser).await?;
    browser
        .client
        .find(Locator::Css("header button[aria-label='Close chat']"))
        .await?
        .click()
        .await?;
    browser.client.enter_parent_frame().await?;
    eventually("the page back", async || {
        let hidden = browser
            .client
            .execute("return document.getElementById('switchboard-widget').shadowRoot.querySelector('iframe').hidden", vec![])
            .await?;
        Ok((hidden == json!(true)).then_some(()))
    })
    .await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_chat_comes_back_with_its_newest_messages() -> anyhow::Result<()> {
    let data = tempfile::tempdir()?;
    let gateway = Gateway::start(data.path()).await?;
    let admin = gateway.admin().await?;
    let (_, widget) = admin.demo_widget().await?;
    let (_, session) = admin
        .post(&format!("/widget/v1/{widget}/visitors"), &json!({}))
        .await?;
    let visitor = admin.with_bearer(session["token"].as_str().context("token")?);
    let messages = format!("/widget/v1/{widget}/messages");
    let (status, sent) = visitor
        .post(&messages, &json!({ "client_id": "w-1", "text": "Hola" }))
        .await?;
    assert_eq!(status, StatusCode::CREATED, "{sent}");
    let conversation = sent["conversation_id"].as_u64().context("conversation")?;
    // More replies than the history shows of one conversation (500).
    for n in 1..=510 {
        admin.reply(conversation, &format!("Respuesta {n}")).await?;
    }
    let (status, history) = visitor.get(&messages).await?;
    assert_eq!(status, StatusCode::OK, "{history}");
    let texts: Vec<&str> = history["messages"]
        .as_array()
        .context("messages")?
        .iter()
        .filter_map(|message| message["text"].as_str())
        .collect();
    assert_eq!(texts.len(), 500);
    assert_eq!(texts.first(), Some(&"Respuesta 11"));
    assert_eq!(
        texts.last(),
        Some(&"Respuesta 510"),
        "the newest reply is shown"
    );
    Ok(())
}

/// A widget id that names no website chat (one made up, an API channel's) draws nothing: the
/// site's owner reads once, in the console, which id was tried and where the right one is.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_widget_id_draws_nothing_and_tells_the_owner_once() -> anyhow::Result<()> {
    let data = tempfile::tempdir()?;
    let gateway = Gateway::start(data.path()).await?;
    let admin = gateway.admin().await?;
    let (_, channels) = admin.get("/api/v1/channels").await?;
    let api_channel = channels
        .as_array()
        .and_then(|all| all.iter().find(|channel| channel["kind"] == "api"))
        .context("the demo workspace has an API channel")?;
    let api_widget = format!("{}.{}", api_channel["workspace_id"], api_channel["id"]);
    let browser = Browser::start(1000, 800).await?;
    for widget in ["1.999", api_widget.as_str()] {
        let page = switchboard_e2e::sites::snippet_page(&gateway.base_url, widget).await?;
        let warnings = warnings_on(&browser, &page).await?;
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        for named in [&format!("`{widget}`"), "GET /api/v1/channels", "snippet"] {
            assert!(warnings[0].contains(named), "{named} in {warnings:?}");
        }
    }
    browser.close().await?;
    Ok(())
}

/// A site the widget does not allow gets no launcher and its owner one warning naming the site
/// and the setting; the admin sees the site refused with today's count, allows it in one step,
/// and the launcher shows there.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_site_the_widget_does_not_allow_is_told_counted_and_allowed_in_one_step()
-> anyhow::Result<()> {
    let data = tempfile::tempdir()?;
    let gateway = Gateway::start(data.path()).await?;
    let admin = gateway.admin().await?;
    let (channel, widget) = admin.demo_widget().await?;
    admin
        .allow_origins(channel, &["https://cafe-aurora.example"])
        .await?;
    let site = switchboard_e2e::sites::snippet_page(&gateway.base_url, &widget).await?;
    let browser = Browser::start(1000, 800).await?;
    for _ in 0..3 {
        let warnings = warnings_on(&browser, &site).await?;
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        for named in [site.as_str(), "`allowed_origins`"] {
            assert!(warnings[0].contains(named), "{named} in {warnings:?}");
        }
    }
    let refused_origins = format!("/api/v1/channels/{channel}/refused-origins");
    let (status, refused) = admin.get(&refused_origins).await?;
    assert_eq!(status, StatusCode::OK, "{refused}");
    assert_eq!(refused[0]["origin"], json!(site), "{refused}");
    assert_eq!(refused[0]["times_today"], json!(3), "{refused}");

    let (status, allowed) = admin
        .call(
            Method::PATCH,
            &format!("/api/v1/channels/{channel}"),
            Some(&json!({ "settings": { "allowed_origins": ["https://cafe-aurora.example", site] } })),
        )
        .await?;
    assert_eq!(status, StatusCode::OK, "{allowed}");
    let before = browser.console_messages().len();
    browser.client.goto(&site).await?;
    eventually("the launcher on the allowed site", async || {
        Ok(launcher_drawn(&browser).await?.then_some(()))
    })
    .await?;
    assert!(owner_warnings(&browser.console_messages()[before..]).is_empty());
    assert_eq!(admin.get(&refused_origins).await?.1, json!([]));
    browser.close().await?;
    Ok(())
}

/// While the gateway cannot be reached the page shows no launcher and the console one
/// warning however often the loader tries again; once the gateway is back, the launcher is.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_gateway_draws_nothing_warns_once_and_the_launcher_comes_back()
-> anyhow::Result<()> {
    let data = tempfile::tempdir()?;
    let gateway = Gateway::start(data.path()).await?;
    let admin = gateway.admin().await?;
    let (channel, widget) = admin.demo_widget().await?;
    let outage = switchboard_e2e::sites::Outage::start(&gateway.base_url).await?;
    let site = switchboard_e2e::sites::snippet_page(&outage.origin, &widget).await?;
    admin.allow_origins(channel, &[&site]).await?;
    let browser = Browser::start(1000, 800).await?;
    let warnings = warnings_on(&browser, &site).await?;
    eventually("the loader trying again", async || {
        Ok((outage.refused() >= 3).then_some(()))
    })
    .await?;
    assert!(!launcher_drawn(&browser).await?);
    let warnings_now = owner_warnings(&browser.console_messages()).len();
    assert_eq!((warnings.len(), warnings_now), (1, 1), "{warnings:?}");
    assert!(warnings[0].contains(&outage.origin), "{warnings:?}");

    outage.end();
    eventually("the launcher once the gateway is back", async || {
        Ok(launcher_drawn(&browser).await?.then_some(()))
    })
    .await?;
    assert_eq!(owner_warnings(&browser.console_messages()).len(), 1);
    browser.close().await?;
    Ok(())
}
/// On a site of its own (the chat frame then cross-origin), a keyboard user who opens the chat
/// from the launcher types straight into the composer, and the browser blocks no autofocus.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_another_site_the_keyboard_lands_in_the_composer_with_no_blocked_autofocus()
-> anyhow::Result<()> {
    let data = tempfile::tempdir()?;
    let gateway = Gateway::start(data.path()).await?;
    let admin = gateway.admin().await?;
    let (channel, widget) = admin.demo_widget().await?;
    let site = switchboard_e2e::sites::snippet_page(&gateway.base_url, &widget).await?;
    admin.allow_origins(channel, &[&site]).await?;
    let browser = Browser::start(1280, 800).await?;
    browser.client.goto(&site).await?;
    let launcher =
        "document.getElementById('switchboard-widget')?.shadowRoot.querySelector('button')";
    eventually("the launcher focused", async || {
        let focused = browser
            .client
            .execute(
                &format!("const b = {launcher}; if (!b) return false; b.focus(); return true"),
                vec![],
            )
            .await?;
        Ok((focused == json!(true)).then_some(()))
    })
    .await?;
    press(&browser, &keystrokes("", &[Key::Enter])).await?;
    enter_chat(&browser).await?;
    eventually("the focus in the composer", async || {
        let focused = browser
            .client
            .execute("return document.activeElement?.tagName ?? null", vec![])
            .await?;
        Ok((focused == json!("TEXTAREA")).then_some(()))
    })
    .await?;
    press(
        &browser,
        &keystrokes("Hola desde otra tienda", &[Key::Enter]),
    )
    .await?;
    eventually("the message in the conversation", async || {
        conversation_with(&admin, channel, "Hola desde otra tienda").await
    })
    .await?;
    let blocked: Vec<String> = browser
        .console_messages()
        .into_iter()
        .filter(|message| message.contains("autofocus"))
        .collect();
    assert!(blocked.is_empty(), "{blocked:?}");
    browser.close().await?;
    Ok(())
}
