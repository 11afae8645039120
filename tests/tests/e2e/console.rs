//! The agent console in a real headless Chromium against the real gateway: an agent signs in,
//! answers a website visitor (in another Chromium, through the real widget) without reloading,
//! writes a private note the visitor never sees, and assigns, labels, resolves and reopens.

use std::time::Duration;

use anyhow::Context;
use fantoccini::Locator;
use fantoccini::key::Key;
use serde_json::Value;
use switchboard_e2e::browser::{
    Browser, ENTER, choose, clear_field, click, eventually, open_chat, shown, sign_in_to_console,
    sign_in_to_console_as, texts, type_into, visible_messages,
};
use switchboard_e2e::{ADMIN_EMAIL, Client, Gateway};

/// A 2×2 PNG.
fn base64_png() -> Vec<u8> {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD
        .decode("iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAEUlEQVR4nGP4z8DA8B+MgBgAHfAD/dPQfSYAAAAASUVORK5CYII=")
        .expect("a PNG")
}

/// A browser signed in to the console, which speaks Spanish.
async fn spanish_agent(base_url: &str) -> anyhow::Result<Browser> {
    let agent = Browser::start(1280, 800).await?;
    agent.client.goto(&format!("{base_url}/")).await?;
    agent
        .client
        .execute(
            "localStorage.setItem('switchboard.console.locale', 'es')",
            Vec::new(),
        )
        .await?;
    sign_in_to_console(&agent, base_url).await?;
    Ok(agent)
}

/// Waits until the list shows `count` rows; their titles, top to bottom.
async fn rows(browser: &Browser, count: usize) -> anyhow::Result<Vec<String>> {
    eventually(&format!("{count} rows"), async || {
        let titles: Vec<(f64, String)> = serde_json::from_value(
            browser
                .client
                .execute(
                    "return [...document.querySelectorAll('.row')].map(r => [r.offsetTop, r.querySelector('.title').textContent])",
                    Vec::new(),
                )
                .await?,
        )?;
        let mut titles = titles;
        titles.sort_by(|a, b| a.0.total_cmp(&b.0));
        Ok((titles.len() == count).then(|| titles.into_iter().map(|(_, title)| title).collect()))
    })
    .await
}

/// The conversation as the API has it.
async fn conversation(admin: &Client, id: &str) -> anyhow::Result<Value> {
    Ok(admin.get(&format!("/api/v1/conversations/{id}")).await?.1)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agent_answers_a_website_visitor_live_from_the_console() -> anyhow::Result<()> {
    let data = tempfile::tempdir()?;
    let gateway = Gateway::start(data.path()).await?;
    let admin = gateway.admin().await?;

    // A wrong password is refused in words, and nothing else happens.
    let agent = Browser::start(1280, 800).await?;
    agent.client.goto(&format!("{}/", gateway.base_url)).await?;
    type_into(&agent, "input[type=email]", ADMIN_EMAIL).await?;
    type_into(&agent, "input[type=password]", "not the password").await?;
    click(&agent, "form button[type=submit]").await?;
    shown(&agent, ".error", "wrong").await?;

    sign_in_to_console(&agent, &gateway.base_url).await?;
    click(&agent, ".view-unassigned").await?;

    // A visitor writes in the website chat; the conversation shows in the console unreloaded.
    let visitor = Browser::start(1280, 800).await?;
    visitor
        .client
        .goto(&format!("{}/demo/index.html", gateway.base_url))
        .await?;
    open_chat(&visitor).await?;
    type_into(
        &visitor,
        ".composer textarea",
        "Hola, ¿hacen envíos a Quito?",
    )
    .await?;
    type_into(&visitor, ".composer textarea", ENTER).await?;
    shown(&agent, ".row .title", "envíos a Quito").await?;
    // A visitor who gave no name is a visitor, not a token.
    shown(&agent, ".row .who", "Visitor ").await?;
    // The tab's title counts it until the agent opens it.
    eventually("the unread conversation in the title", async || {
        Ok((agent.client.title().await? == "(1) Switchboard").then_some(()))
    })
    .await?;
    agent.screenshot("console-inbox").await?;
    click(&agent, ".row").await?;
    shown(&agent, ".message.in .text", "Hola, ¿hacen envíos a Quito?").await?;
    eventually("the title without unread conversations", async || {
        Ok((agent.client.title().await? == "Switchboard").then_some(()))
    })
    .await?;
    let id = eventually("the conversation in the address", async || {
        let url = agent.client.current_url().await?;
        Ok(url
            .path()
            .strip_prefix("/app/conversations/")
            .map(str::to_string))
    })
    .await?;

    // The agent replies with Enter; the visitor sees it.
    type_into(
        &agent,
        "#composer-input",
        "¡Sí! Llegamos a Quito en 48 horas.",
    )
    .await?;
    type_into(&agent, "#composer-input", ENTER).await?;
    eventually("the reply in the visitor's chat", async || {
        Ok(visible_messages(&visitor)
            .await?
            .contains(&"¡Sí! Llegamos a Quito en 48 horas.".to_string())
            .then_some(()))
    })
    .await?;

    // A private note is drawn as one in the console and never reaches the visitor, even once
    // a later reply has.
    click(&agent, ".composer .mode-note").await?;
    type_into(
        &agent,
        "#composer-input",
        "Cliente frecuente, ofrecer envío gratis",
    )
    .await?;
    type_into(&agent, "#composer-input", ENTER).await?;
    shown(&agent, ".message.note .text", "Cliente frecuente").await?;
    click(&agent, ".composer .mode-reply").await?;
    type_into(&agent, "#composer-input", "Y el envío es gratis para ti.").await?;
    type_into(&agent, "#composer-input", ENTER).await?;
    let seen = eventually("the second reply in the visitor's chat", async || {
        let seen = visible_messages(&visitor).await?;
        Ok(seen
            .contains(&"Y el envío es gratis para ti.".to_string())
            .then_some(seen))
    })
    .await?;
    assert!(
        !seen.iter().any(|text| text.contains("Cliente frecuente")),
        "the visitor saw the private note: {seen:?}"
    );
    // The visitor's answer comes into the open conversation live.
    type_into(&visitor, ".composer textarea", "¡Genial, gracias!").await?;
    type_into(&visitor, ".composer textarea", ENTER).await?;
    shown(&agent, ".message.in .text", "¡Genial, gracias!").await?;
    agent.screenshot("console-chat").await?;

    // Assign, label, resolve and reopen: the gateway has each change.
    click(&agent, ".assign-me").await?;
    eventually("the assignment", async || {
        let conversation = conversation(&admin, &id).await?;
        Ok((conversation["assignee_id"].as_u64() == admin_id(&admin).await?).then_some(()))
    })
    .await?;
    // Each step shows in the conversation, between its messages, and only there.
    shown(&agent, ".message.system", "Admin assigned it to Admin").await?;
    type_into(&agent, ".add-label input", "envios").await?;
    type_into(&agent, ".add-label input", ENTER).await?;
    shown(&agent, ".label-chip", "envios").await?;
    shown(&agent, ".message.system", "labelled it envios").await?;
    let seen = visible_messages(&visitor).await?;
    assert!(
        !seen
            .iter()
            .any(|text| text.contains("assigned") || text.contains("envios")),
        "the visitor saw a step: {seen:?}"
    );
    assert_eq!(conversation(&admin, &id).await?["labels"][0], "envios");
    click(&agent, ".resolve").await?;
    eventually("the conversation resolved", async || {
        Ok((conversation(&admin, &id).await?["status"] == "resolved").then_some(()))
    })
    .await?;
    // It leaves the open list, and is found under Resolved, where it reopens.
    eventually(
        "the resolved conversation out of the open list",
        async || {
            Ok(texts(&agent, ".row .title")
                .await?
                .iter()
                .all(|title| !title.contains("envíos a Quito"))
                .then_some(()))
        },
    )
    .await?;
    click(&agent, ".view-all").await?;
    click(&agent, ".tabs .status-resolved").await?;
    shown(&agent, ".row .title", "envíos a Quito").await?;
    click(&agent, ".reopen").await?;
    eventually("the conversation reopened", async || {
        Ok((conversation(&admin, &id).await?["status"] == "open").then_some(()))
    })
    .await?;

    // The keyboard: `?` lists the shortcuts, Escape closes the list.
    agent
        .client
        .find(Locator::Css("body"))
        .await?
        .send_keys("?")
        .await?;
    shown(&agent, ".overlay", "Keyboard shortcuts").await?;
    agent
        .client
        .find(Locator::Css("body"))
        .await?
        .send_keys(&char::from(Key::Escape).to_string())
        .await?;
    eventually("the overlay closed", async || {
        Ok(texts(&agent, ".overlay").await?.is_empty().then_some(()))
    })
    .await?;

    // Signing out ends the session: the page asks to sign in again.
    click(&agent, ".sign-out").await?;
    agent
        .client
        .wait()
        .at_most(Duration::from_secs(20))
        .for_element(Locator::Css(".sign-in"))
        .await?;
    agent.client.refresh().await?;
    agent
        .client
        .wait()
        .at_most(Duration::from_secs(20))
        .for_element(Locator::Css(".sign-in"))
        .await?;
    visitor.close().await?;
    agent.close().await?;
    Ok(())
}

async fn admin_id(admin: &Client) -> anyhow::Result<Option<u64>> {
    Ok(admin.get("/api/v1/auth/me").await?.1["agent"]["id"].as_u64())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_console_page_runs_only_its_own_scripts_and_cannot_be_framed() -> anyhow::Result<()> {
    let data = tempfile::tempdir()?;
    let gateway = Gateway::start(data.path()).await?;
    let client = Client::new(&gateway.base_url);
    for path in ["/", "/app/", "/app/conversations/12"] {
        let (status, headers) = client.get_headers(path).await?;
        assert_eq!(status, 200, "{path}");
        let policy = headers
            .get("content-security-policy")
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default()
            .to_string();
        assert!(
            policy.contains("frame-ancestors 'none'"),
            "{path}: {policy}"
        );
        assert!(
            policy.contains("script-src 'self' 'wasm-unsafe-eval' 'sha256-"),
            "{path}: {policy}"
        );
        let scripts = policy
            .split(';')
            .find(|directive| directive.trim().starts_with("script-src"))
            .unwrap_or_default();
        assert!(!scripts.contains("unsafe-inline"), "{path}: {policy}");
    }
    // Paths that climb out of the console's folder get the page, never a file.
    let (status, body) = client.get_bytes("/app/..%2F..%2FCargo.toml").await?;
    assert_eq!(status, 200);
    assert!(String::from_utf8_lossy(&body).contains("<!doctype html>"));
    Ok(())
}

/// The console's first load as the gateway sends it to a browser over HTTPS (Chromium asks
/// for `gzip, deflate, br, zstd`): every file compressed with brotli, the whole within its
/// budget; a browser without brotli gets gzip. The settings' page, which only admins load, is
/// sent the same way within a budget of its own.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_consoles_first_load_comes_compressed_within_its_size_budget() -> anyhow::Result<()> {
    use switchboard_e2e::front_end_size::{self, CONSOLE_BUDGET, SETTINGS_BUDGET};
    let console = front_end_size::console()?;
    front_end_size::ensure_within("console", &console, CONSOLE_BUDGET)?;
    let settings = front_end_size::settings_page()?;
    front_end_size::ensure_within("settings' page", &settings, SETTINGS_BUDGET)?;
    let data = tempfile::tempdir()?;
    let gateway = Gateway::start(data.path()).await?;
    let client = Client::new(&gateway.base_url);
    for (files, page, folder, budget) in [
        (&console, "/app/", "/app/", CONSOLE_BUDGET),
        (
            &settings,
            "/app/settings/teams",
            "/app/admin/",
            SETTINGS_BUDGET,
        ),
    ] {
        let sent = sent_compressed(&client, files, page, folder).await?;
        assert!(sent <= budget, "{page} sends {sent} bytes, over {budget}");
    }
    Ok(())
}

/// The bytes a browser taking brotli is sent of `files` (the page at `page`, the others in
/// `folder`), after checking that each file but the page comes compressed with brotli or, to a
/// browser without it, gzip.
async fn sent_compressed(
    client: &Client,
    files: &[switchboard_e2e::front_end_size::Weighed],
    page: &str,
    folder: &str,
) -> anyhow::Result<usize> {
    let mut sent = 0;
    for file in files {
        let path = if file.name == "index.html" {
            page.to_string()
        } else {
            format!("{folder}{}", file.name)
        };
        for (accepted, encoding) in [("gzip, deflate, br, zstd", "br"), ("gzip", "gzip")] {
            let (status, headers, body) = client.get_encoded(&path, accepted).await?;
            assert_eq!(status, 200, "{path}");
            if encoding == "br" {
                sent += body.len();
            }
            if file.name != "index.html" {
                assert_eq!(
                    headers
                        .get("content-encoding")
                        .and_then(|value| value.to_str().ok()),
                    Some(encoding),
                    "{path} is sent compressed to a browser that takes {accepted}"
                );
                assert!(
                    body.len() < file.bytes,
                    "{path}: {} of {} bytes",
                    body.len(),
                    file.bytes
                );
            }
        }
    }
    Ok(sent)
}

/// Posts an inbound message into the API channel; answers its conversation id.
async fn inbound(
    admin: &Client,
    channel: u64,
    email: &str,
    id: &str,
    text: &str,
) -> anyhow::Result<u64> {
    Ok(admin
        .post_inbound(channel, &switchboard_e2e::inbound_message(email, id, text))
        .await?
        .conversation_id)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_the_gateway_restarts_the_console_resumes_with_exactly_the_servers_state()
-> anyhow::Result<()> {
    let data = tempfile::tempdir()?;
    let gateway = Gateway::start(data.path()).await?;
    let admin = gateway.admin().await?;
    let channel = admin.api_channel().await?;
    let first = inbound(&admin, channel, "ana@example.com", "m-1", "Hola, soy Ana").await?;

    let agent = Browser::start(1280, 800).await?;
    sign_in_to_console(&agent, &gateway.base_url).await?;
    click(&agent, ".view-all").await?;
    shown(&agent, ".row .title", "Hola, soy Ana").await?;
    click(&agent, ".row").await?;
    shown(&agent, ".message.in .text", "Hola, soy Ana").await?;

    // The gateway goes down hard: the console says it is offline.
    let port = gateway
        .base_url
        .rsplit(':')
        .next()
        .unwrap_or_default()
        .to_string();
    gateway.kill_hard().await?;
    shown(&agent, ".offline", "Offline").await?;

    // It comes back on the same address and messages arrive at once, before the console is
    // back: a new conversation, and more in the open one.
    let gateway = Gateway::start_with(
        data.path(),
        &[("SWITCHBOARD_SERVER__LISTEN", format!("127.0.0.1:{port}"))],
    )
    .await?;
    let admin = gateway.admin().await?;
    let second = inbound(
        &admin,
        channel,
        "bruno@example.com",
        "m-2",
        "Buenas, soy Bruno",
    )
    .await?;
    inbound(&admin, channel, "ana@example.com", "m-3", "¿Siguen ahí?").await?;
    assert_ne!(first, second);

    // The console resumes from its last event: both conversations once each, the open one
    // with both of Ana's messages once each, and no offline notice.
    shown(&agent, ".message.in .text", "¿Siguen ahí?").await?;
    shown(&agent, ".row .who", "bruno@example.com").await?;
    eventually("the console back online", async || {
        Ok(texts(&agent, ".offline").await?.is_empty().then_some(()))
    })
    .await?;
    assert_eq!(
        texts(&agent, ".message.in .text").await?,
        ["Hola, soy Ana", "¿Siguen ahí?"]
    );
    let mut rows = texts(&agent, ".row .who").await?;
    rows.sort();
    assert_eq!(rows, ["ana@example.com", "bruno@example.com"]);
    agent.close().await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_canned_response_is_offered_after_a_slash_and_filled_in_for_the_contact()
-> anyhow::Result<()> {
    let data = tempfile::tempdir()?;
    let gateway = Gateway::start(data.path()).await?;
    let admin = gateway.admin().await?;
    let (status, body) = admin
        .post(
            "/api/v1/canned-responses",
            &serde_json::json!({
                "shortcut": "envio",
                "content": "Hola {{contact.first_name}}, soy {{agent.name}}: el envío tarda 48 horas.",
            }),
        )
        .await?;
    assert!(status.is_success(), "{body}");
    let channel = admin.api_channel().await?;
    let (status, body) = admin
        .post(
            &format!("/api/v1/channels/{channel}/inbound"),
            &serde_json::json!({
                "contact": { "identity": { "kind": "email", "value": "ana@example.com" }, "name": "Ana Souza" },
                "external_id": "m-1",
                "text": "¿Cuánto tarda el envío?",
            }),
        )
        .await?;
    assert!(status.is_success(), "{body}");
    let id = body["conversation_id"].as_u64().unwrap_or_default();

    let agent = Browser::start(1280, 800).await?;
    sign_in_to_console(&agent, &gateway.base_url).await?;
    click(&agent, ".view-all").await?;
    click(&agent, ".row").await?;
    shown(&agent, ".message.in .text", "¿Cuánto tarda el envío?").await?;
    type_into(&agent, "#composer-input", "/env").await?;
    shown(&agent, ".canned li", "/envio").await?;
    type_into(&agent, "#composer-input", ENTER).await?;
    let filled = "Hola Ana, soy Admin: el envío tarda 48 horas.";
    eventually("the filled-in response in the composer", async || {
        let value = agent
            .client
            .execute(
                "return document.getElementById('composer-input').value",
                vec![],
            )
            .await?;
        Ok((value == filled).then_some(()))
    })
    .await?;
    type_into(&agent, "#composer-input", ENTER).await?;
    shown(&agent, ".message.out .text", filled).await?;
    let (_, messages) = admin
        .get(&format!("/api/v1/conversations/{id}/messages"))
        .await?;
    assert_eq!(messages["items"][1]["text"], filled);
    agent.close().await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_email_names_its_recipients_and_left_out_files_and_opens_its_quotes_on_request()
-> anyhow::Result<()> {
    let data = tempfile::tempdir()?;
    let gateway = Gateway::start(data.path()).await?;
    let admin = gateway.admin().await?;
    let channel = admin.api_channel().await?;
    let mut message = switchboard_e2e::inbound_message("bea@example.com", "m-1", "Va la planilla.");
    message["left_out"] = serde_json::json!([{
        "name": "planilla.xlsx", "media_type": "application/vnd.ms-excel",
        "size": 31_500_000, "reason": "too_large"
    }]);
    message["quoted"] = "El lun., Soporte escribió:\n> ¿Nos mandas la planilla?".into();
    // A photo, shown in place; a page that calls itself a PNG is only offered as a file.
    let upload = async |name: &str, media_type: &str, bytes: Vec<u8>| -> anyhow::Result<Value> {
        let (status, stored) = admin
            .send(
                hyper::Method::POST,
                &format!("/api/v1/attachments?name={name}"),
                &[],
                Some((media_type, bytes)),
            )
            .await?;
        anyhow::ensure!(status.is_success(), "{stored}");
        Ok(stored)
    };
    let photo = upload("foto.png", "image/png", base64_png()).await?;
    let fake = upload(
        "falsa.png",
        "image/png",
        b"<html><script>alert(1)</script>".to_vec(),
    )
    .await?;
    let invoice = upload("factura.pdf", "application/pdf", one_page_pdf()).await?;
    let fake_pdf = upload(
        "falsa.pdf",
        "application/pdf",
        b"<html><script>alert(1)</script>".to_vec(),
    )
    .await?;
    message["attachments"] = serde_json::json!([photo, fake, invoice, fake_pdf]);
    message["to"] = serde_json::json!(["ventas@acme.test"]);
    message["cc"] = serde_json::json!(["contador@example.com"]);
    admin.post_inbound(channel, &message).await?;

    let agent = spanish_agent(&gateway.base_url).await?;
    click(&agent, ".view-all").await?;
    click(&agent, ".row").await?;
    shown(
        &agent,
        ".message.in .left-out li",
        "planilla.xlsx (31.5 MB) — demasiado grande para adjuntarlo; está en el original",
    )
    .await?;
    shown(&agent, ".message.in .recipients", "Para: ventas@acme.test").await?;
    shown(
        &agent,
        ".message.in .recipients",
        "Cc: contador@example.com",
    )
    .await?;
    let quotes_visible = async || -> anyhow::Result<bool> {
        let visible = agent
            .client
            .execute(
                "return document.querySelector('.message.in .quoted .text').checkVisibility()",
                Vec::new(),
            )
            .await?;
        Ok(visible.as_bool() == Some(true))
    };
    assert!(!quotes_visible().await?, "the history starts folded away");
    assert_eq!(
        texts(&agent, ".message.in > .text").await?,
        ["Va la planilla."]
    );
    click(
        &agent,
        ".message.in .quoted summary[title='Mostrar el texto citado']",
    )
    .await?;
    assert!(quotes_visible().await?, "the ellipsis opens it");
    agent.screenshot("console-email").await?;
    // The photo is drawn; the page is not (its preview is refused).
    eventually("the photo drawn and the page not", async || {
        let drawn = agent
            .client
            .execute(
                "return [...document.querySelectorAll('.message.in img.preview')].map(i => [i.alt, i.complete ? i.naturalWidth : -1])",
                Vec::new(),
            )
            .await?;
        Ok((drawn == serde_json::json!([["foto.png", 2], ["falsa.png", 0]])).then_some(()))
    })
    .await?;
    shown(
        &agent,
        ".message.in .quoted .text",
        "¿Nos mandas la planilla?",
    )
    .await?;
    // A PDF is shown in place on request, as a PDF; a page that claims to be one is not.
    click(&agent, ".message.in .show-pdf").await?;
    let shown_as = eventually("the invoice shown in place", async || {
        let answer = agent
            .client
            .execute(
                "const frames = [...document.querySelectorAll('.message.in iframe.pdf-preview')]; \
                 if (frames.length !== 1) return null; \
                 const response = await fetch(frames[0].src); \
                 return [frames[0].title, response.status, response.headers.get('content-type')];",
                Vec::new(),
            )
            .await?;
        Ok((!answer.is_null()).then_some(answer))
    })
    .await?;
    assert_eq!(
        shown_as,
        serde_json::json!(["factura.pdf", 200, "application/pdf"])
    );
    agent
        .client
        .execute(
            "document.querySelector('.message.in iframe.pdf-preview').scrollIntoView()",
            Vec::new(),
        )
        .await?;
    tokio::time::sleep(Duration::from_millis(500)).await;
    agent.screenshot("console-pdf").await?;
    let buttons = texts(&agent, ".message.in .show-pdf").await?;
    assert_eq!(buttons, ["Ocultar vista previa", "Vista previa"]);
    let fake_src = format!(
        "/api/v1/attachments/{}?preview=true",
        fake_pdf["sha256"].as_str().unwrap_or_default()
    );
    let (status, _) = admin.get_bytes(&fake_src).await?;
    assert_eq!(status, 404, "a page named .pdf has no preview");
    Ok(())
}

/// A one-page PDF, as small as a valid one gets.
fn one_page_pdf() -> Vec<u8> {
    b"%PDF-1.4\n1 0 obj <</Type /Catalog /Pages 2 0 R>> endobj\n\
      2 0 obj <</Type /Pages /Kids [3 0 R] /Count 1>> endobj\n\
      3 0 obj <</Type /Page /Parent 2 0 R /MediaBox [0 0 200 200]>> endobj\n\
      trailer <</Root 1 0 R>>\n%%EOF\n"
        .to_vec()
}

/// An email's HTML shows in a frame that loads no image from the internet (a tracking pixel
/// would tell the sender the mail was opened) until the agent asks.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_emails_formatted_view_loads_remote_images_only_when_the_agent_asks()
-> anyhow::Result<()> {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    // The sender's server, counting how often its pixel is fetched.
    let fetched = Arc::new(AtomicUsize::new(0));
    let counter = fetched.clone();
    let pixel = axum::Router::new().route(
        "/pixel.png",
        axum::routing::get(move || {
            counter.fetch_add(1, Ordering::SeqCst);
            async { ([("content-type", "image/gif")], &b"GIF89a"[..]) }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let pixel_url = format!("http://{}/pixel.png", listener.local_addr()?);
    let sender = tokio::spawn(async move { axum::serve(listener, pixel).await });

    let data = tempfile::tempdir()?;
    let gateway = Gateway::start(data.path()).await?;
    let admin = gateway.admin().await?;
    let channel = admin.api_channel().await?;
    let mut message = switchboard_e2e::inbound_message("bea@example.com", "m-1", "Hola equipo");
    message["html"] = format!(
        "<p>Hola <b>equipo</b></p><img src=\"{pixel_url}\" alt=\"\"><script>document.title='x'</script>"
    )
    .into();
    admin.post_inbound(channel, &message).await?;

    let agent = spanish_agent(&gateway.base_url).await?;
    click(&agent, ".view-all").await?;
    click(&agent, ".row").await?;
    click(&agent, ".message.in .formatted summary").await?;
    shown(
        &agent,
        ".message.in .formatted .images-hidden",
        "Las imágenes de internet están ocultas",
    )
    .await?;
    let frame = agent
        .client
        .wait()
        .at_most(Duration::from_secs(20))
        .for_element(Locator::Css(".message.in .formatted iframe"))
        .await?;
    frame.clone().enter_frame().await?;
    let shown_inside = eventually("the email in its frame", async || {
        let body = agent
            .client
            .find(Locator::Css("body"))
            .await?
            .text()
            .await?;
        Ok(body.contains("Hola equipo").then_some(body))
    })
    .await?;
    assert!(!shown_inside.contains("document.title"), "{shown_inside}");
    agent.client.enter_parent_frame().await?;
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(
        fetched.load(Ordering::SeqCst),
        0,
        "no pixel before the agent asks"
    );

    click(&agent, ".message.in .formatted .images-hidden a").await?;
    eventually("the pixel fetched once the agent asked", async || {
        Ok((fetched.load(Ordering::SeqCst) > 0).then_some(()))
    })
    .await?;
    sender.abort();
    Ok(())
}

/// An agent finds a conversation by a word typed without its accent, and goes back to the
/// list with Escape.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_search_without_accents_finds_the_conversation_and_escape_ends_it() -> anyhow::Result<()>
{
    let data = tempfile::tempdir()?;
    let gateway = Gateway::start(data.path()).await?;
    let admin = gateway.admin().await?;
    let channel = admin.api_channel().await?;
    for (email, id, text) in [
        (
            "ana@example.com",
            "s-1",
            "Necesito información sobre mi factura",
        ),
        ("luis@example.com", "s-2", "¿Abren el sábado?"),
    ] {
        inbound(&admin, channel, email, id, text).await?;
    }

    let agent = spanish_agent(&gateway.base_url).await?;
    click(&agent, ".view-all").await?;
    eventually("both conversations listed", async || {
        Ok((texts(&agent, ".row").await?.len() == 2).then_some(()))
    })
    .await?;
    // The index follows the store within a moment; the agent searches again if it was early.
    let rows = eventually("the search's one result", async || {
        let field = agent
            .client
            .find(Locator::Css(".search input[type=search]"))
            .await?;
        field.clear().await?;
        field.send_keys(&format!("informacion{ENTER}")).await?;
        tokio::time::sleep(Duration::from_millis(300)).await;
        let rows = texts(&agent, ".row .title").await?;
        Ok((rows.len() == 1).then_some(rows))
    })
    .await?;
    assert!(rows[0].contains("información"), "{rows:?}");
    shown(&agent, ".search-results", "1 conversación encontrada").await?;
    agent
        .client
        .find(Locator::Css(".search input[type=search]"))
        .await?
        .send_keys(&Key::Escape.to_string())
        .await?;
    eventually("the whole list again", async || {
        Ok((texts(&agent, ".row").await?.len() == 2).then_some(()))
    })
    .await?;
    Ok(())
}

/// The list narrows to one channel and to one label, and widens again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_list_narrows_to_a_channel_and_a_label() -> anyhow::Result<()> {
    let data = tempfile::tempdir()?;
    let gateway = Gateway::start(data.path()).await?;
    let admin = gateway.admin().await?;
    let support = admin.api_channel().await?;
    let (status, shop) = admin
        .post(
            "/api/v1/channels",
            &serde_json::json!({ "kind": "api", "name": "Tienda" }),
        )
        .await?;
    anyhow::ensure!(status.is_success(), "{shop}");
    let shop = shop["id"].as_u64().context("channel id")?;
    let mut conversations = Vec::new();
    for (channel, email, text) in [
        (support, "ana@example.com", "No puedo entrar"),
        (shop, "luis@example.com", "¿Tienen talla M?"),
        (shop, "eva@example.com", "Me cobraron dos veces"),
    ] {
        conversations.push(inbound(&admin, channel, email, email, text).await?);
    }
    let (status, body) = admin
        .post(
            &format!("/api/v1/conversations/{}/labels", conversations[2]),
            &serde_json::json!({ "labels": ["factura"] }),
        )
        .await?;
    anyhow::ensure!(status.is_success(), "{body}");

    let agent = Browser::start(1280, 800).await?;
    sign_in_to_console(&agent, &gateway.base_url).await?;
    click(&agent, ".view-all").await?;
    rows(&agent, 3).await?;
    choose(&agent, ".channel-filter", &shop.to_string()).await?;
    let titles = rows(&agent, 2).await?;
    assert!(
        !titles.iter().any(|title| title.contains("entrar")),
        "{titles:?}"
    );
    choose(&agent, ".label-filter", "factura").await?;
    let titles = rows(&agent, 1).await?;
    assert!(titles[0].contains("cobraron"), "{titles:?}");
    choose(&agent, ".channel-filter", "").await?;
    choose(&agent, ".label-filter", "").await?;
    rows(&agent, 3).await?;
    Ok(())
}

/// An agent picks a file, sees it waiting under the reply, and sends it with the reply.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reply_carries_the_file_the_agent_attached() -> anyhow::Result<()> {
    let data = tempfile::tempdir()?;
    let gateway = Gateway::start(data.path()).await?;
    let admin = gateway.admin().await?;
    let channel = admin.api_channel().await?;
    let conversation = inbound(
        &admin,
        channel,
        "ana@example.com",
        "f-1",
        "¿Me mandan el presupuesto?",
    )
    .await?;
    let file = data.path().join("presupuesto.txt");
    std::fs::write(&file, "Presupuesto 4711: 120 USD")?;

    let agent = Browser::start(1280, 800).await?;
    sign_in_to_console(&agent, &gateway.base_url).await?;
    click(&agent, ".view-all").await?;
    click(&agent, ".row").await?;
    agent
        .client
        .wait()
        .at_most(Duration::from_secs(20))
        .for_element(Locator::Css(".composer input[type=file]"))
        .await?
        .send_keys(&file.display().to_string())
        .await?;
    shown(&agent, ".composer .files li", "presupuesto.txt").await?;
    type_into(&agent, "#composer-input", "Aquí va.").await?;
    click(&agent, ".composer button.send").await?;
    shown(&agent, ".message.out .attachments a", "presupuesto.txt").await?;
    eventually("the file-less composer", async || {
        Ok(texts(&agent, ".composer .files li")
            .await?
            .is_empty()
            .then_some(()))
    })
    .await?;
    let (_, messages) = admin
        .get(&format!("/api/v1/conversations/{conversation}/messages"))
        .await?;
    let sent = messages["items"]
        .as_array()
        .and_then(|items| items.last().cloned())
        .context("a reply")?;
    assert_eq!(sent["text"], "Aquí va.");
    assert_eq!(sent["attachments"][0]["name"], "presupuesto.txt", "{sent}");
    let (_, bytes) = admin
        .get_bytes(&format!(
            "/api/v1/attachments/{}",
            sent["attachments"][0]["sha256"]
                .as_str()
                .unwrap_or_default()
        ))
        .await?;
    assert_eq!(&bytes[..], b"Presupuesto 4711: 120 USD");
    Ok(())
}

/// The agent orders the list, snoozes a conversation (it waits under Snoozed, says until when,
/// and comes back when the customer writes), ticks two and resolves them at once; each view
/// counts its open conversations.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agent_sorts_snoozes_and_resolves_conversations_in_bulk() -> anyhow::Result<()> {
    let data = tempfile::tempdir()?;
    let gateway = Gateway::start(data.path()).await?;
    let admin = gateway.admin().await?;
    let channel = admin.api_channel().await?;
    let mut ids = Vec::new();
    for (email, text) in [
        ("ana@example.com", "Primera: mi pedido"),
        ("luis@example.com", "Segunda: una factura"),
        ("eva@example.com", "Tercera: un cambio"),
    ] {
        ids.push(inbound(&admin, channel, email, email, text).await?);
    }
    // Ana writes again: her conversation has the latest activity, and still the longest wait.
    inbound(&admin, channel, "ana@example.com", "again", "¿Alguien?").await?;

    let agent = Browser::start(1280, 800).await?;
    sign_in_to_console(&agent, &gateway.base_url).await?;
    click(&agent, ".view-all").await?;
    let first_words = |titles: Vec<String>| -> Vec<String> {
        titles
            .iter()
            .map(|title| title.split(':').next().unwrap_or_default().to_string())
            .collect()
    };
    assert_eq!(
        first_words(rows(&agent, 3).await?),
        ["Primera", "Tercera", "Segunda"]
    );
    choose(&agent, ".sort", "newest").await?;
    eventually("newest first", async || {
        let order = first_words(rows(&agent, 3).await?);
        Ok((order == ["Tercera", "Segunda", "Primera"]).then_some(()))
    })
    .await?;
    choose(&agent, ".sort", "oldest_waiting").await?;
    eventually("longest waiting first", async || {
        let order = first_words(rows(&agent, 3).await?);
        Ok((order == ["Primera", "Segunda", "Tercera"]).then_some(()))
    })
    .await?;
    shown(&agent, ".view-all .open-count", "3").await?;

    // Snoozed for an hour: it leaves the open list and waits under Snoozed, saying until when.
    click(&agent, &format!(".row[data-id='{}']", ids[1])).await?;
    click(&agent, ".snooze summary").await?;
    click(&agent, ".snooze-hour").await?;
    eventually("the conversation snoozed", async || {
        let snoozed = conversation(&admin, &ids[1].to_string()).await?;
        let until = snoozed["snoozed_until"].as_i64().unwrap_or_default();
        let in_an_hour = now_millis() + 3_500_000;
        Ok((snoozed["status"] == "snoozed" && until > in_an_hour).then_some(()))
    })
    .await?;
    shown(&agent, ".snoozed-until", "Snoozed until").await?;
    rows(&agent, 2).await?;
    shown(&agent, ".view-all .open-count", "2").await?;
    click(&agent, ".tabs .status-snoozed").await?;
    assert_eq!(first_words(rows(&agent, 1).await?), ["Segunda"]);
    // The customer writes: it is open again, in the open list, by itself.
    inbound(
        &admin,
        channel,
        "luis@example.com",
        "more",
        "¿Y mi factura?",
    )
    .await?;
    rows(&agent, 0).await?;
    click(&agent, ".tabs .status-open").await?;
    rows(&agent, 3).await?;

    // Two ticked, resolved at once; the third stays.
    for id in [ids[0], ids[2]] {
        click(&agent, &format!(".row[data-id='{id}'] .pick")).await?;
    }
    shown(&agent, ".bulk", "2 selected").await?;
    agent.screenshot("console-bulk").await?;
    click(&agent, ".bulk-resolve").await?;
    for id in [ids[0], ids[2]] {
        eventually("the ticked conversation resolved", async || {
            Ok(
                (conversation(&admin, &id.to_string()).await?["status"] == "resolved")
                    .then_some(()),
            )
        })
        .await?;
    }
    assert_eq!(
        conversation(&admin, &ids[1].to_string()).await?["status"],
        "open"
    );
    assert_eq!(first_words(rows(&agent, 1).await?), ["Segunda"]);
    shown(&agent, ".view-all .open-count", "1").await?;
    Ok(())
}

fn now_millis() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_millis() as i64)
}

/// Two agents: one sets her profile (name, Spanish, away); the other's console shows her away
/// without a reload. She mentions him in a note; his console tells him.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agents_profile_and_availability_reach_another_agent_live_and_a_mention_tells_him()
-> anyhow::Result<()> {
    let data = tempfile::tempdir()?;
    let gateway = Gateway::start(data.path()).await?;
    let admin = gateway.admin().await?;
    let (status, bruno) = admin
        .post(
            "/api/v1/agents",
            &serde_json::json!({ "name": "Bruno", "email": "bruno@example.com", "password": "bruno-password-1", "role": "agent" }),
        )
        .await?;
    anyhow::ensure!(status.is_success(), "{bruno}");
    let channel = admin.api_channel().await?;
    let id = inbound(&admin, channel, "ana@example.com", "a-1", "Necesito ayuda").await?;

    let lucia = Browser::start(1280, 800).await?;
    sign_in_to_console(&lucia, &gateway.base_url).await?;
    let other = Browser::start(1280, 800).await?;
    sign_in_to_console_as(
        &other,
        &gateway.base_url,
        "bruno@example.com",
        "bruno-password-1",
    )
    .await?;
    click(&other, ".view-all").await?;
    click(&other, &format!(".row[data-id='{id}']")).await?;
    shown(&other, ".assignee select", "Nobody").await?;

    click(&lucia, ".topbar .me").await?;
    clear_field(&lucia, ".profile input[name=name]").await?;
    type_into(&lucia, ".profile input[name=name]", "Lucía Pérez").await?;
    choose(&lucia, ".profile select[name=language]", "es").await?;
    click(&lucia, ".profile .availability input[value=away]").await?;
    type_into(
        &lucia,
        ".profile textarea[name=signature]",
        "Lucía · Tienda",
    )
    .await?;
    lucia.screenshot("console-profile").await?;
    click(&lucia, ".profile button[type=submit]").await?;
    // Her console speaks Spanish at once; the gateway keeps all of it.
    shown(&lucia, ".profile .saved", "Guardado").await?;
    shown(&lucia, ".sign-out", "Cerrar sesión").await?;
    let (_, me) = admin.get("/api/v1/auth/me").await?;
    assert_eq!(me["agent"]["name"], "Lucía Pérez");
    assert_eq!(me["agent"]["language"], "es");
    assert_eq!(me["agent"]["availability"], "away");
    assert_eq!(me["agent"]["signature"], "Lucía · Tienda");
    click(&lucia, ".profile .buttons button[type=button]").await?;

    // Bruno sees her new name and her absence in the assignee list, unreloaded.
    shown(&other, ".assignee select", "Lucía Pérez · Away").await?;
    // Back online from the top bar.
    choose(&lucia, ".my-availability", "online").await?;
    eventually("Lucía online", async || {
        let options = texts(&other, ".assignee select option").await?;
        Ok(options
            .iter()
            .any(|option| option.trim() == "Lucía Pérez")
            .then_some(()))
    })
    .await?;

    // She mentions him in a note, picking his name after `@`.
    click(&lucia, ".view-all").await?;
    click(&lucia, &format!(".row[data-id='{id}']")).await?;
    click(&lucia, ".composer .mode-note").await?;
    type_into(&lucia, ".composer textarea", "¿Puedes ver esto @Bru").await?;
    click(&lucia, ".composer .mentions li").await?;
    type_into(&lucia, ".composer textarea", "por favor").await?;
    type_into(&lucia, ".composer textarea", ENTER).await?;
    shown(&lucia, ".message.note .text", "@Bruno por favor").await?;
    shown(&other, ".toast", "mentioned you").await?;
    other.screenshot("console-mention").await?;
    let (_, messages) = admin
        .get(&format!("/api/v1/conversations/{id}/messages"))
        .await?;
    let note = &messages["items"][1];
    assert_eq!(note["direction"], "note");
    assert_eq!(note["mentions"], serde_json::json!([bruno["id"]]));
    Ok(())
}

/// The agent writes first: a new email to a contact made on the spot, then the contact panel
/// (edited in place, tagged, with the contact's conversations).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agent_starts_an_email_to_a_new_contact_and_edits_them_in_the_contact_panel()
-> anyhow::Result<()> {
    let data = tempfile::tempdir()?;
    let gateway = Gateway::start(data.path()).await?;
    let admin = gateway.admin().await?;
    let (status, mailbox) = admin
        .post(
            "/api/v1/channels",
            &serde_json::json!({ "kind": "email", "name": "Ventas" }),
        )
        .await?;
    anyhow::ensure!(status.is_success(), "{mailbox}");

    let agent = spanish_agent(&gateway.base_url).await?;
    click(&agent, ".new-conversation").await?;
    choose(
        &agent,
        ".new-conversation select[name=channel]",
        &mailbox["id"].to_string(),
    )
    .await?;
    type_into(
        &agent,
        ".new-conversation input[name=contact]",
        "marta@example.com",
    )
    .await?;
    shown(&agent, ".create-contact", "Contacto nuevo").await?;
    click(&agent, ".create-contact").await?;
    shown(&agent, ".chosen-contact", "marta@example.com").await?;
    type_into(
        &agent,
        ".new-conversation input[name=subject]",
        "Tu pedido 4711",
    )
    .await?;
    type_into(
        &agent,
        ".new-conversation textarea[name=text]",
        "Hola Marta, tu pedido salió hoy.",
    )
    .await?;
    click(&agent, ".new-conversation button[type=submit]").await?;

    // The new conversation is open, with its subject and the message on its way.
    shown(&agent, ".thread-head .subject", "Tu pedido 4711").await?;
    shown(
        &agent,
        ".message.out .text",
        "Hola Marta, tu pedido salió hoy.",
    )
    .await?;
    let conversations = admin.all_pages("/api/v1/conversations").await?;
    assert_eq!(conversations.len(), 1, "{conversations:?}");
    assert_eq!(conversations[0]["title"], "Tu pedido 4711");
    assert_eq!(conversations[0]["channel_id"], mailbox["id"]);
    let contact_id = conversations[0]["contact_id"].as_u64().context("contact")?;
    let (_, contact) = admin.get(&format!("/api/v1/contacts/{contact_id}")).await?;
    assert_eq!(contact["emails"], serde_json::json!(["marta@example.com"]));

    // The contact panel: a name, a phone and a tag; the conversation is listed there.
    click(&agent, ".show-contact").await?;
    shown(
        &agent,
        ".contact-panel .their-conversations",
        "Tu pedido 4711",
    )
    .await?;
    clear_field(&agent, ".contact-panel input[name=name]").await?;
    type_into(&agent, ".contact-panel input[name=name]", "Marta Gómez").await?;
    type_into(
        &agent,
        ".contact-panel input[name=phones]",
        "+593 99 123 4567",
    )
    .await?;
    type_into(&agent, ".contact-panel .field-row input[name=field]", "RUC").await?;
    type_into(
        &agent,
        ".contact-panel .field-row input[name=value]",
        "1790012345001",
    )
    .await?;
    click(&agent, ".contact-form button[type=submit]").await?;
    shown(&agent, ".thread-head h2", "Marta Gómez").await?;
    type_into(&agent, ".contact-panel .add-tag input", "mayorista").await?;
    type_into(&agent, ".contact-panel .add-tag input", ENTER).await?;
    shown(&agent, ".contact-panel .tags", "mayorista").await?;
    agent.screenshot("console-contact").await?;
    let (_, contact) = admin.get(&format!("/api/v1/contacts/{contact_id}")).await?;
    assert_eq!(contact["name"], "Marta Gómez");
    assert_eq!(contact["phones"], serde_json::json!(["+593 99 123 4567"]));
    assert_eq!(contact["tags"], serde_json::json!(["mayorista"]));
    assert_eq!(
        contact["custom_fields"],
        serde_json::json!({ "RUC": "1790012345001" })
    );
    // The saved field is shown back in the form.
    eventually("the saved field in the form", async || {
        let shown = agent
            .client
            .execute(
                "const row = document.querySelector('.contact-panel .field-row'); \
                 return [row.children[0].value, row.children[1].value];",
                Vec::new(),
            )
            .await?;
        Ok((shown == serde_json::json!(["RUC", "1790012345001"])).then_some(()))
    })
    .await?;

    // Blocked from the panel: marked so in the conversation, and the gateway has it.
    click(&agent, ".contact-panel .block").await?;
    shown(&agent, ".thread-head .blocked-mark", "Bloqueado").await?;
    shown(&agent, ".contact-panel .block", "Desbloquear").await?;
    let (_, contact) = admin.get(&format!("/api/v1/contacts/{contact_id}")).await?;
    assert_eq!(contact["blocked"], true);
    Ok(())
}

/// The console at a phone's width: the list alone, then the open conversation with a way back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_console_fits_a_phone() -> anyhow::Result<()> {
    let data = tempfile::tempdir()?;
    let gateway = Gateway::start(data.path()).await?;
    let admin = gateway.admin().await?;
    let channel = admin.api_channel().await?;
    let id = inbound(
        &admin,
        channel,
        "ana@example.com",
        "a-1",
        "¿Tienen envío a Cuenca?",
    )
    .await?;
    let phone = Browser::phone(390, 844).await?;
    sign_in_to_console(&phone, &gateway.base_url).await?;
    click(&phone, ".view-all").await?;
    rows(&phone, 1).await?;
    let width = |selector: &'static str| {
        let phone = &phone;
        async move {
            let width = phone
                .client
                .execute(
                    "const e = document.querySelector(arguments[0]); return e ? e.getBoundingClientRect().width : -1",
                    vec![serde_json::Value::from(selector)],
                )
                .await?;
            anyhow::Ok(width.as_f64().unwrap_or(-1.0))
        }
    };
    let page = width("body").await?;
    assert!(page <= 400.0, "the page is {page} px wide");
    assert!(width(".list").await? > 300.0, "the list fills the phone");
    phone.screenshot("console-phone-list").await?;
    click(&phone, &format!(".row[data-id='{id}']")).await?;
    shown(&phone, ".message.in .text", "¿Tienen envío a Cuenca?").await?;
    let thread = width(".thread").await?;
    assert!(
        thread > 300.0 && thread <= 400.0,
        "the conversation is {thread} px wide"
    );
    assert_eq!(width(".list").await?, 0.0, "the list steps aside");
    phone.screenshot("console-phone-chat").await?;
    click(&phone, ".back").await?;
    rows(&phone, 1).await?;
    Ok(())
}

/// A long conversation opens on its newest messages; the older ones come on request.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_conversation_opens_on_its_newest_messages_and_shows_earlier_ones_on_request()
-> anyhow::Result<()> {
    let data = tempfile::tempdir()?;
    let gateway = Gateway::start(data.path()).await?;
    let admin = gateway.admin().await?;
    let channel = admin.api_channel().await?;
    let mut id = 0;
    for n in 1..=150 {
        id = inbound(
            &admin,
            channel,
            "ana@example.com",
            &format!("m-{n}"),
            &format!("Mensaje {n}"),
        )
        .await?;
    }
    let agent = Browser::start(1280, 800).await?;
    sign_in_to_console(&agent, &gateway.base_url).await?;
    agent
        .client
        .goto(&format!("{}/app/conversations/{id}", gateway.base_url))
        .await?;
    shown(&agent, ".message.in .text", "Mensaje 150").await?;
    let drawn = texts(&agent, ".message.in .text").await?;
    assert_eq!(drawn.len(), 60, "the newest 60 are drawn");
    assert_eq!(drawn[0], "Mensaje 91");
    shown(&agent, ".messages .earlier", "Earlier messages (90)").await?;
    agent
        .client
        .execute(
            "document.querySelector('.messages .earlier button').click()",
            Vec::new(),
        )
        .await?;
    eventually("every message drawn", async || {
        let drawn = texts(&agent, ".message.in .text").await?;
        Ok((drawn.len() == 150 && drawn[0] == "Mensaje 1").then_some(()))
    })
    .await?;
    Ok(())
}

/// Three conversations triaged with the keyboard alone: the next one, a note, assigned,
/// resolved or snoozed; then a search.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_conversations_are_triaged_with_the_keyboard_alone() -> anyhow::Result<()> {
    let data = tempfile::tempdir()?;
    let gateway = Gateway::start(data.path()).await?;
    let admin = gateway.admin().await?;
    let channel = admin.api_channel().await?;
    let mut ids = Vec::new();
    for (email, text) in [
        ("ana@example.com", "Quiero cambiar mi dirección"),
        ("luis@example.com", "¿Aceptan tarjeta?"),
        ("eva@example.com", "Mi paquete llegó roto"),
    ] {
        ids.push(inbound(&admin, channel, email, email, text).await?);
    }
    let agent = Browser::start(1280, 800).await?;
    sign_in_to_console(&agent, &gateway.base_url).await?;
    click(&agent, ".view-all").await?;
    rows(&agent, 3).await?;
    // Keys go where the focus is, as a person's do.
    let keys = async |keys: &str| -> anyhow::Result<()> {
        agent.client.active_element().await?.send_keys(keys).await?;
        Ok(())
    };
    let status = async |id: u64| conversation(&admin, &id.to_string()).await;
    // The newest first: Eva. A note, then assigned to me and resolved.
    keys("j").await?;
    shown(&agent, ".thread-head h2", "eva@example.com").await?;
    keys("n").await?;
    type_into(&agent, ".composer textarea", "Pedir foto del paquete").await?;
    type_into(&agent, ".composer textarea", ENTER).await?;
    shown(&agent, ".message.note .text", "Pedir foto del paquete").await?;
    keys(&char::from(Key::Escape).to_string()).await?;
    keys("a").await?;
    keys("e").await?;
    eventually("Eva's conversation assigned and resolved", async || {
        let eva = status(ids[2]).await?;
        Ok((eva["status"] == "resolved" && eva["assignee_id"].is_u64()).then_some(()))
    })
    .await?;
    // The next: Luis, snoozed from its menu with the keyboard.
    rows(&agent, 2).await?;
    keys("j").await?;
    shown(&agent, ".thread-head h2", "luis@example.com").await?;
    keys("z").await?;
    keys(ENTER).await?;
    eventually("Luis's conversation snoozed", async || {
        Ok((status(ids[1]).await?["status"] == "snoozed").then_some(()))
    })
    .await?;
    // The last: Ana, resolved.
    rows(&agent, 1).await?;
    keys("j").await?;
    shown(&agent, ".thread-head h2", "ana@example.com").await?;
    keys("e").await?;
    eventually("Ana's conversation resolved", async || {
        Ok((status(ids[0]).await?["status"] == "resolved").then_some(()))
    })
    .await?;
    rows(&agent, 0).await?;
    // `/` goes to the search.
    keys("/").await?;
    type_into(&agent, ".search input", "tarjeta").await?;
    type_into(&agent, ".search input", ENTER).await?;
    shown(&agent, ".search-results", "1 conversation found").await?;
    Ok(())
}

/// The agent's picture and signature, a conversation moved to a team (the step shows in it),
/// and a transcript the gateway cannot send, with the reason shown.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agent_signs_emails_moves_a_conversation_to_a_team_and_is_told_why_a_transcript_failed()
-> anyhow::Result<()> {
    let data = tempfile::tempdir()?;
    let gateway = Gateway::start(data.path()).await?;
    let admin = gateway.admin().await?;
    let (status, team) = admin
        .post("/api/v1/teams", &serde_json::json!({ "name": "Ventas" }))
        .await?;
    anyhow::ensure!(status.is_success(), "{team}");
    let (status, mailbox) = admin
        .post(
            "/api/v1/channels",
            &serde_json::json!({ "kind": "email", "name": "Ventas" }),
        )
        .await?;
    anyhow::ensure!(status.is_success(), "{mailbox}");
    let (_, contact) = admin
        .post(
            "/api/v1/contacts",
            &serde_json::json!({ "name": "Marta", "emails": ["marta@example.com"] }),
        )
        .await?;
    let (status, started) = admin
        .post(
            "/api/v1/conversations",
            &serde_json::json!({ "channel_id": mailbox["id"], "contact_id": contact["id"],
                "title": "Cotización", "text": "Hola Marta" }),
        )
        .await?;
    anyhow::ensure!(status.is_success(), "{started}");
    let id = started["conversation"]["id"].as_u64().context("id")?;
    let (status, me) = admin
        .call(
            hyper::Method::PATCH,
            "/api/v1/auth/me",
            Some(&serde_json::json!({ "signature": "Lucía · Ventas" })),
        )
        .await?;
    anyhow::ensure!(status.is_success(), "{me}");

    let agent = Browser::start(1280, 800).await?;
    sign_in_to_console(&agent, &gateway.base_url).await?;
    // The picture, picked in the profile, is the gateway's at once.
    click(&agent, ".topbar .me").await?;
    let picture = data.path().join("yo.png");
    std::fs::write(&picture, base64_png())?;
    agent
        .client
        .wait()
        .at_most(Duration::from_secs(20))
        .for_element(Locator::Css(".profile input[name=avatar]"))
        .await?
        .send_keys(&picture.display().to_string())
        .await?;
    agent
        .client
        .wait()
        .at_most(Duration::from_secs(20))
        .for_element(Locator::Css(".profile .avatar img"))
        .await?;
    let (_, me) = admin.get("/api/v1/auth/me").await?;
    assert_eq!(me["agent"]["avatar"]["media_type"], "image/png");
    click(&agent, ".profile .buttons button[type=button]").await?;

    agent
        .client
        .goto(&format!("{}/app/conversations/{id}", gateway.base_url))
        .await?;
    shown(&agent, ".composer .signature", "Lucía · Ventas").await?;
    choose(&agent, ".actions .team select", &team["id"].to_string()).await?;
    shown(&agent, ".message.system", "moved it to Ventas").await?;
    assert_eq!(
        conversation(&admin, &id.to_string()).await?["team_id"],
        team["id"]
    );

    click(&agent, ".transcript summary").await?;
    let to = texts(&agent, ".transcript input[name=to]").await?;
    assert_eq!(to.len(), 1);
    click(&agent, ".transcript button[type=submit]").await?;
    shown(&agent, ".transcript .error", "Not sent").await?;
    let said = texts(&agent, ".transcript .error").await?.join(" ");
    assert!(
        said.len() > "Not sent".len() + 10,
        "the reason is shown: {said}"
    );
    Ok(())
}
