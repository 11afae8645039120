//! The gateway as an attacker meets it, in a real browser where a person would be the victim.

use std::net::{IpAddr, Ipv4Addr};
use std::time::{Duration, Instant};

use anyhow::Context;
use futures_util::StreamExt;
use hyper::StatusCode;
use serde_json::json;
use switchboard_e2e::browser::Browser;
use switchboard_e2e::sites::serve_page;
use switchboard_e2e::{ADMIN_EMAIL, ADMIN_PASSWORD, Client, Gateway};

/// A link to a demo page whose widget id closes the loader's tag and adds a script of its own:
/// signed in to the console, the admin who clicks it must get a page where that script is text.
#[tokio::test(flavor = "multi_thread")]
async fn a_script_in_a_demo_link_does_not_run_in_the_browser() -> anyhow::Result<()> {
    let data = tempfile::tempdir()?;
    let gateway = Gateway::start(data.path()).await?;
    let payload = "\"></script><script>document.title='pwned'</script><b id=\"injected\">";
    let encoded: String = payload.bytes().map(|byte| format!("%{byte:02X}")).collect();
    let browser = Browser::start(1000, 800).await?;
    browser
        .client
        .goto(&format!(
            "{}/demo/index.html?widget={encoded}",
            gateway.base_url
        ))
        .await?;
    let seen = browser
        .client
        .execute(
            "return [document.title, !!document.getElementById('injected'), document.querySelector('script[data-widget]').dataset.widget]",
            vec![],
        )
        .await?;
    assert_eq!(seen[0], "Café Aurora · Switchboard demo shop", "{seen}");
    assert_eq!(seen[1], false, "the link added an element: {seen}");
    assert_eq!(seen[2], payload, "the value stays as text: {seen}");
    browser.close().await?;
    Ok(())
}

/// A client whose connections come from 127.0.x.y: loopback has the whole 127.0.0.0/8, so each
/// stands for another machine.
fn client_from(gateway: &Gateway, x: u8, y: u8) -> Client {
    Client::from_address(
        &gateway.base_url,
        Some(IpAddr::V4(Ipv4Addr::new(127, 0, x, y))),
    )
}

/// 3,000 logins to made-up addresses from 100 machines, and a stranger guessing the admin's
/// password, while a visitor writes in the website chat: the visitor's message reaches the
/// agents, every login gets an answer that says what to do (never a 500 or a dropped
/// connection), and the admin, from a machine that has not failed, still gets in.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_login_flood_neither_stalls_the_chat_nor_locks_the_admin_out() -> anyhow::Result<()> {
    let data = tempfile::tempdir()?;
    let gateway = Gateway::start(data.path()).await?;
    let admin = gateway.admin().await?;
    let (_, widget) = admin.demo_widget().await?;

    // The stranger fails often enough to lock the admin's address, for the stranger.
    let stranger = client_from(&gateway, 9, 9);
    let mut stranger_answers = Vec::new();
    for _ in 0..8 {
        let (status, _, _) = stranger
            .attempt_login(ADMIN_EMAIL, "not the password", &[])
            .await?;
        stranger_answers.push(status);
    }
    assert_eq!(
        stranger_answers.last(),
        Some(&StatusCode::TOO_MANY_REQUESTS),
        "{stranger_answers:?}"
    );

    let flood = tokio::spawn({
        let clients: Vec<Client> = (0..100)
            .map(|n| client_from(&gateway, 10 + n / 50, 1 + n % 50))
            .collect();
        async move {
            let attempts = futures_util::stream::iter(0..3_000u32).map(|n| {
                let client = clients[n as usize % clients.len()].clone();
                async move {
                    let email = format!("nobody-{n}-{}@flood.example", rand_suffix(n));
                    client.attempt_login(&email, "password123456", &[]).await
                }
            });
            let answers: Vec<_> = attempts.buffer_unordered(200).collect().await;
            answers
        }
    });

    // Meanwhile a visitor writes; an agent must see it.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let visitor = Client::new(&gateway.base_url);
    let (status, session) = visitor
        .post(&format!("/widget/v1/{widget}/visitors"), &json!({}))
        .await?;
    assert_eq!(status, StatusCode::OK, "{session}");
    let token = session["token"].as_str().context("a visitor token")?;
    let written = Instant::now();
    let (status, sent) = visitor
        .with_bearer(token)
        .post(
            &format!("/widget/v1/{widget}/messages"),
            &json!({ "client_id": "f-1", "text": "¿Siguen abiertos hoy?" }),
        )
        .await?;
    assert_eq!(status, StatusCode::CREATED, "{sent}");
    switchboard_e2e::eventually_within(
        Duration::from_secs(20),
        "the visitor's message in the agents' list",
        async || {
            let messages = admin.all_messages().await?;
            Ok(messages
                .iter()
                .any(|message| message["text"] == "¿Siguen abiertos hoy?")
                .then_some(()))
        },
    )
    .await?;
    let reached = written.elapsed();
    let flood_still_running = !flood.is_finished();

    // The admin signs in from their own machine, waiting as told if the gateway is busy.
    let own_machine = client_from(&gateway, 7, 7);
    let mut admin_answers = Vec::new();
    loop {
        let (status, headers, body) = own_machine
            .attempt_login(ADMIN_EMAIL, ADMIN_PASSWORD, &[])
            .await?;
        admin_answers.push(status);
        if status != StatusCode::SERVICE_UNAVAILABLE || admin_answers.len() > 30 {
            assert_eq!(status, StatusCode::OK, "{admin_answers:?} {body}");
            break;
        }
        let wait: u64 = headers
            .get("retry-after")
            .and_then(|value| value.to_str().ok()?.parse().ok())
            .context("a busy answer says when to come back")?;
        tokio::time::sleep(Duration::from_secs(wait)).await;
    }

    let answers = flood.await?;
    let mut counts = std::collections::BTreeMap::new();
    for answer in answers {
        let (status, headers, body) = answer?;
        assert!(
            [
                StatusCode::UNAUTHORIZED,
                StatusCode::TOO_MANY_REQUESTS,
                StatusCode::SERVICE_UNAVAILABLE
            ]
            .contains(&status),
            "{status} {body}"
        );
        if status != StatusCode::UNAUTHORIZED {
            assert!(headers.contains_key("retry-after"), "{status} {body}");
        }
        *counts.entry(status.as_u16()).or_insert(0) += 1;
    }
    eprintln!(
        "login flood: answers {counts:?}; the visitor's message reached the agents in {reached:?} (flood still running: {flood_still_running})"
    );
    Ok(())
}

/// A made-up part of an address, so that no two floods try the same ones.
fn rand_suffix(n: u32) -> u32 {
    n.wrapping_mul(2_654_435_761) ^ std::process::id()
}

/// Behind a trusted proxy, clients are counted apart by the address the proxy forwarded for;
/// without one, a client cannot escape its limit by writing that header itself.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn limits_count_the_forwarded_client_only_behind_a_trusted_proxy() -> anyhow::Result<()> {
    // Attempts until refused, beside how many the bucket's refill (30 a minute) may have added
    // while they ran: a slow machine earns a client a try or two more, never a second burst.
    let attempts_until_limited = async |client: &Client, forwarded: &[&str]| {
        let started = std::time::Instant::now();
        let refilled = || (started.elapsed().as_secs_f64() / 2.0).ceil() as usize;
        for (n, address) in forwarded.iter().cycle().take(100).enumerate() {
            let (status, _, _) = client
                .attempt_login(
                    &format!("guess-{n}@example.com"),
                    "wrong password",
                    &[("x-forwarded-for", address)],
                )
                .await?;
            if status == StatusCode::TOO_MANY_REQUESTS {
                return anyhow::Ok((Some(n), refilled()));
            }
        }
        Ok((None, refilled()))
    };
    let burst = |(refused_after, refilled): (Option<usize>, usize), who: &str| {
        assert!(
            refused_after.is_some_and(|n| (30..=30 + refilled).contains(&n)),
            "{who}: refused after {refused_after:?} attempts; 30 expected, {refilled} more refilled meanwhile"
        )
    };

    let data = tempfile::tempdir()?;
    let behind_proxy = Gateway::start_with(
        data.path(),
        &[(
            "SWITCHBOARD_SERVER__TRUSTED_PROXIES",
            "[\"127.0.5.1\"]".to_string(),
        )],
    )
    .await?;
    let proxy = client_from(&behind_proxy, 5, 1);
    let first = attempts_until_limited(&proxy, &["203.0.113.5"]).await?;
    burst(first, "one client behind the proxy");
    let second = attempts_until_limited(&proxy, &["203.0.113.6"]).await?;
    burst(second, "another client behind the same proxy");
    // Not the proxy: its header is ignored, whatever it says.
    let direct = client_from(&behind_proxy, 5, 2);
    let spoofing = attempts_until_limited(&direct, &["198.51.100.1", "198.51.100.2"]).await?;
    burst(spoofing, "a client naming itself");
    Ok(())
}

/// The password a fresh install makes up for its first admin is saved for them to read; once
/// they have chosen their own, the file is gone from the data folder and the generated one
/// no longer signs in.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_first_admins_password_file_is_removed_once_they_chose_their_own() -> anyhow::Result<()>
{
    let data = tempfile::tempdir()?;
    let gateway = Gateway::start_with(
        data.path(),
        &[("SWITCHBOARD_BOOTSTRAP__ADMIN_PASSWORD", String::new())],
    )
    .await?;
    let file = data.path().join("first-admin-password.txt");
    let password = std::fs::read_to_string(&file).context("the generated password")?;
    let visitor = Client::new(&gateway.base_url);
    let (status, _, _) = visitor
        .attempt_login(ADMIN_EMAIL, "not the password", &[])
        .await?;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(file.exists(), "a failed login leaves the file");
    let admin = Client::new(&gateway.base_url)
        .session(ADMIN_EMAIL, password.trim())
        .await?;
    assert!(
        file.exists(),
        "signing in leaves the file until a password is chosen"
    );
    let own = serde_json::json!({ "password": "a password of my own" });
    let (status, chosen) = admin.post("/api/v1/auth/password", &own).await?;
    assert_eq!(status, StatusCode::OK, "{chosen}");
    assert!(!file.exists(), "the file outlived the choice of a password");
    let (status, _, _) = visitor
        .attempt_login(ADMIN_EMAIL, password.trim(), &[])
        .await?;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "the generated password still works"
    );
    Ok(())
}

/// Whether the chat app in the site's frame told the site it was ready, within 8 s.
async fn chat_ready_in(browser: &Browser, site: &str) -> anyhow::Result<bool> {
    browser.client.goto(site).await?;
    for _ in 0..80 {
        let ready = browser
            .client
            .execute("return window.chatReady === true", vec![])
            .await?;
        if ready == true {
            return Ok(true);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Ok(false)
}

/// A site's page that frames `frame` (given the site's origin) and notes when the chat in it
/// says it is ready, as the loader would hear it.
fn framing_page(frame: String) -> String {
    format!(
        "<!doctype html><title>Copycat</title><script>window.addEventListener('message', e => {{ if (e.data && e.data.sb === 1 && e.data.type === 'ready') window.chatReady = true; }});</script><iframe src=\"{frame}\" style=\"width:400px;height:600px\"></iframe>"
    )
}

/// A site the widget does not allow cannot put the chat on its page: not with the frame's
/// address as the loader writes it, and not by leaving the widget id out of the query and
/// passing it in the fragment. The loader's kind of page works once the site is allowed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_site_the_widget_does_not_allow_cannot_frame_the_chat() -> anyhow::Result<()> {
    let data = tempfile::tempdir()?;
    let gateway = Gateway::start(data.path()).await?;
    let admin = gateway.admin().await?;
    let (channel, widget) = admin.demo_widget().await?;
    admin
        .allow_origins(channel, &["https://cafe-aurora.example"])
        .await?;
    let gw = gateway.base_url.clone();
    let encoded = |origin: &str| origin.replace(':', "%3A").replace('/', "%2F");

    let browser = Browser::start(1000, 800).await?;
    // The bypass: no widget in the query (a policy for no widget once allowed every site).
    let by_fragment = serve_page(|site| {
        framing_page(format!(
            "{gw}/widget/frame.html#w={widget}&locale=es&origin={}",
            encoded(site)
        ))
    })
    .await?;
    assert!(
        !chat_ready_in(&browser, &by_fragment).await?,
        "the chat ran in a frame given its widget id in the fragment"
    );

    // The loader's own address, on a site that is not allowed, then allowed.
    let as_the_loader = serve_page(|site| {
        framing_page(format!(
            "{gw}/widget/frame.html?w={widget}#locale=es&origin={}",
            encoded(site)
        ))
    })
    .await?;
    assert!(
        !chat_ready_in(&browser, &as_the_loader).await?,
        "the chat ran on a site the widget does not allow"
    );
    admin.allow_origins(channel, &[&as_the_loader]).await?;
    assert!(
        chat_ready_in(&browser, &as_the_loader).await?,
        "the chat did not start on an allowed site"
    );
    browser.close().await?;
    Ok(())
}

/// Every visitor route checks the calling site and the client's limits, not only the ones that
/// write: history and typing signals included, and signals have a limit per visitor.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_visitor_route_checks_the_site_and_limits_signals() -> anyhow::Result<()> {
    let data = tempfile::tempdir()?;
    let gateway = Gateway::start(data.path()).await?;
    let admin = gateway.admin().await?;
    let (channel, widget) = admin.demo_widget().await?;
    admin
        .allow_origins(channel, &["https://cafe-aurora.example"])
        .await?;
    let shop = [("origin", "https://cafe-aurora.example")];
    let copycat = [("origin", "https://copycat.example")];
    let anonymous = Client::new(&gateway.base_url);
    let (status, session) = anonymous
        .send(
            hyper::Method::POST,
            &format!("/widget/v1/{widget}/visitors"),
            &shop,
            Some(("application/json", b"{}".to_vec())),
        )
        .await?;
    assert_eq!(status, StatusCode::OK, "{session}");
    let visitor = anonymous.with_bearer(session["token"].as_str().context("token")?);
    let (status, sent) = visitor
        .send(
            hyper::Method::POST,
            &format!("/widget/v1/{widget}/messages"),
            &shop,
            Some((
                "application/json",
                serde_json::to_vec(&json!({ "client_id": "s-1", "text": "Hola" }))?,
            )),
        )
        .await?;
    assert_eq!(status, StatusCode::CREATED, "{sent}");

    let history = format!("/widget/v1/{widget}/messages");
    let (status, refusal) = visitor
        .send(hyper::Method::GET, &history, &copycat, None)
        .await?;
    assert_eq!(status, StatusCode::FORBIDDEN, "history: {refusal}");
    let signals = format!("/widget/v1/{widget}/signals");
    let typing = || Some(("application/json", br#"{"kind":"typing"}"#.to_vec()));
    let (status, refusal) = visitor
        .send(hyper::Method::POST, &signals, &copycat, typing())
        .await?;
    assert_eq!(status, StatusCode::FORBIDDEN, "signals: {refusal}");

    let mut answers = Vec::new();
    for _ in 0..30 {
        let (status, _) = visitor
            .send(hyper::Method::POST, &signals, &shop, typing())
            .await?;
        answers.push(status.as_u16());
    }
    assert_eq!(answers[0], 204, "{answers:?}");
    assert_eq!(answers.last(), Some(&429), "{answers:?}");
    Ok(())
}

/// A visitor of the demo widget, calling from `site`.
async fn visitor_of(gateway: &Gateway, widget: &str, site: &str) -> anyhow::Result<Client> {
    let (status, session) = Client::new(&gateway.base_url)
        .send(
            hyper::Method::POST,
            &format!("/widget/v1/{widget}/visitors"),
            &[("origin", site)],
            Some(("application/json", b"{}".to_vec())),
        )
        .await?;
    anyhow::ensure!(status == StatusCode::OK, "{session}");
    Ok(Client::new(&gateway.base_url).with_bearer(session["token"].as_str().context("token")?))
}

/// Visitors' files count against a quota per visitor and one per site, a day; past them a
/// file is refused with a reason, and the visitor's messages still reach the agents.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn files_past_the_daily_quotas_are_refused_and_messages_still_go_in() -> anyhow::Result<()> {
    let data = tempfile::tempdir()?;
    let gateway = Gateway::start_with(
        data.path(),
        &[
            ("SWITCHBOARD_UPLOADS__VISITOR_MIB_PER_DAY", "1".into()),
            ("SWITCHBOARD_UPLOADS__WORKSPACE_MIB_PER_DAY", "2".into()),
        ],
    )
    .await?;
    let admin = gateway.admin().await?;
    let (channel, widget) = admin.demo_widget().await?;
    let site = "https://cafe-aurora.example";
    admin.allow_origins(channel, &[site]).await?;
    let shop = [("origin", site)];
    let upload = async |visitor: &Client, name: &str| {
        visitor
            .send(
                hyper::Method::POST,
                &format!("/widget/v1/{widget}/attachments?name={name}"),
                &shop,
                Some(("image/png", vec![7; 700 * 1024])),
            )
            .await
    };
    let write = async |visitor: &Client, id: &str, text: &str, files: Vec<serde_json::Value>| {
        let message = json!({ "client_id": id, "text": text, "attachments": files });
        visitor
            .send(
                hyper::Method::POST,
                &format!("/widget/v1/{widget}/messages"),
                &shop,
                Some(("application/json", serde_json::to_vec(&message)?)),
            )
            .await
    };

    let ana = visitor_of(&gateway, &widget, site).await?;
    let (status, photo) = upload(&ana, "recibo.png").await?;
    assert_eq!(status, StatusCode::CREATED, "{photo}");
    let (status, refusal) = upload(&ana, "recibo-2.png").await?;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{refusal}");
    assert_eq!(refusal["error"]["code"], "over_quota", "{refusal}");
    let reason = refusal["error"]["message"].as_str().unwrap_or_default();
    assert!(
        reason.contains("this chat may send at most 1 MiB of files a day"),
        "{reason}"
    );
    let (status, sent) = write(&ana, "a-1", "Te mando el recibo", vec![photo]).await?;
    assert_eq!(status, StatusCode::CREATED, "{sent}");

    let beto = visitor_of(&gateway, &widget, site).await?;
    let (status, file) = upload(&beto, "foto.png").await?;
    assert_eq!(status, StatusCode::CREATED, "{file}");
    let carla = visitor_of(&gateway, &widget, site).await?;
    let (status, refusal) = upload(&carla, "foto.png").await?;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{refusal}");
    let reason = refusal["error"]["message"].as_str().unwrap_or_default();
    assert!(
        reason.contains("this site's chats may send at most 2 MiB"),
        "{reason}"
    );
    let (status, sent) = write(&carla, "c-1", "¿Hacen envíos a Quito?", vec![]).await?;
    assert_eq!(status, StatusCode::CREATED, "{sent}");

    let messages = admin.all_messages().await?;
    let texts: Vec<&str> = messages
        .iter()
        .filter_map(|message| message["text"].as_str())
        .collect();
    assert!(texts.contains(&"Te mando el recibo"), "{texts:?}");
    assert!(texts.contains(&"¿Hacen envíos a Quito?"), "{texts:?}");
    let with_photo = messages
        .iter()
        .find(|message| message["text"] == "Te mando el recibo")
        .context("Ana's message")?;
    assert_eq!(with_photo["attachments"][0]["name"], "recibo.png");
    Ok(())
}

/// Every file under `folder`, with its size.
fn files_in(folder: &std::path::Path) -> anyhow::Result<Vec<(std::path::PathBuf, u64)>> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(folder)? {
        let entry = entry?;
        if entry.file_type()?.is_dir() {
            found.extend(files_in(&entry.path())?);
        } else {
            found.push((entry.path(), entry.metadata()?.len()));
        }
    }
    Ok(found)
}

/// A write the disk refuses (here, a file that would grow past the process's file size limit,
/// as on a full disk) is answered `507`; `/readyz` says so until a write goes in again, which
/// the next one does with no restart; and a restart then finds the store whole.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_the_disk_refuses_is_answered_507_and_the_next_one_goes_in() -> anyhow::Result<()> {
    const MIB: usize = 1 << 20;
    let data = tempfile::tempdir()?;
    let settings = [(
        "SWITCHBOARD_HTTP__MAX_ATTACHMENT_BYTES",
        (48 * MIB).to_string(),
    )];
    let gateway =
        Gateway::start_with_file_size_limit(data.path(), &settings, 32 * MIB as u64).await?;
    let admin = gateway.admin().await?;
    let anonymous = Client::new(&gateway.base_url);
    let (status, ready) = anonymous.get("/readyz").await?;
    assert_eq!(
        (status, &ready["status"]),
        (StatusCode::OK, &json!("ready"))
    );

    let (status, refusal) = admin
        .send(
            hyper::Method::POST,
            "/api/v1/attachments?name=backup.zip",
            &[],
            Some(("application/zip", vec![1; 40 * MIB])),
        )
        .await?;
    assert_eq!(status, StatusCode::INSUFFICIENT_STORAGE, "{refusal}");
    assert_eq!(refusal["error"]["code"], "insufficient_storage");
    let (status, ready) = anonymous.get("/readyz").await?;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{ready}");
    let kept = files_in(&data.path().join("store/files"))?;
    assert!(
        kept.iter().all(|(_, size)| *size < MIB as u64),
        "the part of the refused file that went in was removed: {kept:?}"
    );

    let inbound = format!("/api/v1/channels/{}/inbound", admin.api_channel().await?);
    let message = switchboard_e2e::inbound_message("ana@example.com", "m-1", "¿Siguen abiertos?");
    let (status, stored) = admin.post(&inbound, &message).await?;
    assert_eq!(status, StatusCode::CREATED, "{stored}");
    let (status, ready) = anonymous.get("/readyz").await?;
    assert_eq!(status, StatusCode::OK, "{ready}");
    let (status, file) = admin
        .send(
            hyper::Method::POST,
            "/api/v1/attachments?name=factura.pdf",
            &[],
            Some(("application/pdf", b"%PDF-1.7 factura".to_vec())),
        )
        .await?;
    assert_eq!(status, StatusCode::CREATED, "{file}");

    drop(gateway);
    let gateway = Gateway::start(data.path()).await?;
    let admin = gateway.admin().await?;
    let texts: Vec<serde_json::Value> = admin
        .all_messages()
        .await?
        .into_iter()
        .map(|message| message["text"].clone())
        .collect();
    assert!(texts.contains(&json!("¿Siguen abiertos?")), "{texts:?}");
    let sha = file["sha256"].as_str().context("sha256")?;
    let (status, bytes) = admin
        .get_bytes(&format!("/api/v1/attachments/{sha}"))
        .await?;
    assert_eq!(
        (status, &bytes[..]),
        (StatusCode::OK, &b"%PDF-1.7 factura"[..])
    );
    Ok(())
}

/// A site's identity verification vouches for the email only when the email is in what it
/// signed: then the chat may go on by email to it; an id signed alone proves no address.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_site_vouches_for_a_visitors_email_only_by_signing_it() -> anyhow::Result<()> {
    use hmac::{Hmac, Mac};

    let data = tempfile::tempdir()?;
    let gateway = Gateway::start(data.path()).await?;
    let admin = gateway.admin().await?;
    let (channel, widget) = admin.demo_widget().await?;
    let secret = "la-clave-de-la-tienda";
    let (status, answer) = admin
        .call(
            hyper::Method::PUT,
            &format!("/api/v1/channels/{channel}/secrets"),
            Some(&json!({ "secrets": { "identity_secret": secret } })),
        )
        .await?;
    assert!(status.is_success(), "{answer}");
    let sign = |data: &str| -> anyhow::Result<String> {
        let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes())?;
        mac.update(data.as_bytes());
        Ok(hex::encode(mac.finalize().into_bytes()))
    };
    let verified_emails = async |user: serde_json::Value| -> anyhow::Result<serde_json::Value> {
        let (status, session) = admin
            .post(
                &format!("/widget/v1/{widget}/visitors"),
                &json!({ "user": user }),
            )
            .await?;
        anyhow::ensure!(status == StatusCode::OK, "{session}");
        let (_, contacts) = admin.get("/api/v1/contacts?limit=100").await?;
        let contact = contacts["items"]
            .as_array()
            .and_then(|all| all.iter().find(|contact| contact["name"] == user["name"]))
            .context("the user's contact")?;
        Ok(contact["verified_emails"].clone())
    };
    let id_only = json!({ "id": "cliente-7", "name": "Ana Ruiz", "email": "ana@example.test", "hash": sign("cliente-7")? });
    assert_eq!(verified_emails(id_only).await?, json!([]));
    let with_email = json!({ "id": "cliente-8", "name": "Beto Díaz", "email": "Beto@Example.test", "hash": sign("cliente-8\nbeto@example.test")? });
    assert_eq!(
        verified_emails(with_email).await?,
        json!(["beto@example.test"])
    );
    Ok(())
}
