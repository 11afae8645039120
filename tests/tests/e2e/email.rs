//! The email channel against real mail servers: a private Dovecot (IMAP) and Postfix (SMTP)
//! started by the test (see `switchboard_e2e::mail_rig`), and the real gateway binary.

use std::time::Duration;

use anyhow::Context;
use hyper::{Method, StatusCode};
use mail_parser::MessageParser;
use serde_json::{Value, json};
use switchboard_e2e::mail_rig::MailRig;
use switchboard_e2e::{Client, Gateway};
use switchboard_mail::imap::{Cursor, Mailbox};
use switchboard_mail::smtp::Sender;
use switchboard_mail::{Account, Auth, Security, Server, Trust};

fn plain(port: u16) -> Option<Server> {
    Some(Server {
        host: "127.0.0.1".into(),
        port,
        security: Security::None,
    })
}

/// The customer's own mail account on the rig.
fn customer(rig: &MailRig) -> Account {
    Account {
        imap: plain(rig.imap_port),
        smtp: plain(rig.smtp_port),
        username: "customer@example.test".into(),
        auth: Auth::Password("customerpw".into()),
        folder: "INBOX".into(),
    }
}

pub(crate) fn trust() -> Trust {
    Trust::new(Vec::new()).expect("system roots")
}

/// The gateway's listener for forwarded mail, as a business's mail server reaches it.
pub(crate) fn forwarding_listener(gateway: &Gateway, security: Security) -> Account {
    Account {
        imap: None,
        smtp: Some(Server {
            host: gateway.smtp.ip().to_string(),
            port: gateway.smtp.port(),
            security,
        }),
        username: String::new(),
        auth: Auth::Password(String::new()),
        folder: "INBOX".into(),
    }
}

/// Sends `mime` as the customer over the rig's SMTP server.
pub(crate) async fn customer_sends(rig: &MailRig, to: &str, mime: &str) -> anyhow::Result<()> {
    Sender::new(&customer(rig), &trust())?
        .send("customer@example.test", &[to.to_string()], mime.as_bytes())
        .await?;
    Ok(())
}

/// Asks `probe` every 100 ms until it answers, for up to 30 s.
async fn eventually<T>(
    what: &str,
    probe: impl AsyncFnMut() -> anyhow::Result<Option<T>>,
) -> anyhow::Result<T> {
    switchboard_e2e::eventually_within(Duration::from_secs(30), what, probe).await
}

/// Connects an email channel with these settings and password, as an admin would.
pub(crate) async fn connect(
    admin: &Client,
    name: &str,
    settings: Value,
    password: &str,
) -> anyhow::Result<u64> {
    let (status, channel) = admin
        .post(
            "/api/v1/channels",
            &json!({ "kind": "email", "name": name, "settings": settings }),
        )
        .await?;
    assert_eq!(status, StatusCode::CREATED, "{channel}");
    let id = channel["id"].as_u64().context("channel id")?;
    let (status, answer) = admin
        .call(
            Method::PUT,
            &format!("/api/v1/channels/{id}/secrets"),
            Some(&json!({ "secrets": { "password": password } })),
        )
        .await?;
    assert!(status.is_success(), "{answer}");
    Ok(id)
}

/// The rig's support mailbox over plain IMAP and SMTP, plus `extra` settings.
pub(crate) fn support_settings(rig: &MailRig, extra: Value) -> Value {
    let mut settings = json!({
        "provider": "other",
        "reply_address": "support@example.test",
        "reply_name": "Acme Soporte",
        "footer": "Acme · Av. Corrientes 1234",
        "imap_host": "127.0.0.1", "imap_port": rig.imap_port, "imap_security": "none",
        "smtp_host": "127.0.0.1", "smtp_port": rig.smtp_port, "smtp_security": "none",
        "username": "support@example.test"
    });
    if let (Some(settings), Some(extra)) = (settings.as_object_mut(), extra.as_object()) {
        settings.extend(extra.clone());
    }
    settings
}

async fn connect_support_mailbox(
    admin: &Client,
    rig: &MailRig,
    password: &str,
) -> anyhow::Result<u64> {
    connect(admin, "Soporte", support_settings(rig, json!({})), password).await
}

/// What "Test connection" says of the channel's servers.
async fn test_connection(admin: &Client, channel: u64) -> anyhow::Result<Value> {
    let (_, test) = admin
        .post(
            &format!("/api/v1/channels/{channel}/mailbox/test"),
            &json!({}),
        )
        .await?;
    Ok(test)
}

/// The mailbox's health once the channel is marked failing.
async fn failing_health(admin: &Client, channel: u64) -> anyhow::Result<Value> {
    eventually("the channel marked failing", async || {
        let (_, status) = admin
            .get(&format!("/api/v1/channels/{channel}/mailbox"))
            .await?;
        Ok((status["health"]["state"] == "failing").then(|| status["health"].clone()))
    })
    .await
}

/// Every message in the customer's mailbox, parsed.
/// A new email channel "Ventas" answering from ventas@acme.test: its id and the address mail
/// is forwarded to.
pub(crate) async fn forwarded_mailbox(admin: &Client) -> anyhow::Result<(u64, String)> {
    let (status, channel) = admin
        .post(
            "/api/v1/channels",
            &json!({ "kind": "email", "name": "Ventas", "settings": { "reply_address": "ventas@acme.test" } }),
        )
        .await?;
    anyhow::ensure!(status == StatusCode::CREATED, "{channel}");
    let channel_id = channel["id"].as_u64().context("id")?;
    let (_, mailbox) = admin
        .get(&format!("/api/v1/channels/{channel_id}/mailbox"))
        .await?;
    let address = mailbox["forwarding_address"]
        .as_str()
        .context("a forwarding address")?
        .to_string();
    Ok((channel_id, address))
}

/// The channel's first conversation, once the sync has imported one.
async fn imported_conversation(admin: &Client, channel: u64) -> anyhow::Result<Value> {
    eventually("the imported conversation", async || {
        Ok(conversations(admin, channel).await?.into_iter().next())
    })
    .await
}

/// The contact of a conversation.
async fn sent_contact(admin: &Client, conversation: u64) -> anyhow::Result<u64> {
    let (_, about) = admin
        .get(&format!("/api/v1/conversations/{conversation}"))
        .await?;
    about["contact_id"].as_u64().context("contact_id")
}

pub(crate) async fn customer_inbox(rig: &MailRig) -> anyhow::Result<Vec<Vec<u8>>> {
    let mut mailbox = Mailbox::open(&customer(rig), &trust()).await?;
    let mail = mailbox.fetch_after(Cursor::default(), 100).await?;
    mailbox.logout().await;
    Ok(mail.into_iter().map(|mail| mail.source).collect())
}

/// A plain customer email.
pub(crate) fn customer_mail(id: &str, subject: &str, text: &str) -> String {
    format!(
        "From: Maria Lopez <customer@example.test>\r\nTo: support@example.test\r\nSubject: {subject}\r\n\
         Message-ID: <{id}@example.test>\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\n{text}\r\n"
    )
}

pub(crate) async fn conversations(admin: &Client, channel: u64) -> anyhow::Result<Vec<Value>> {
    admin
        .all_pages(&format!(
            "/api/v1/conversations?channel_id={channel}&limit=50"
        ))
        .await
}

pub(crate) async fn messages(admin: &Client, conversation: u64) -> anyhow::Result<Vec<Value>> {
    admin
        .all_pages(&format!(
            "/api/v1/conversations/{conversation}/messages?limit=200"
        ))
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_customer_email_and_the_agents_reply_make_a_threaded_round_trip() -> anyhow::Result<()> {
    let rig = MailRig::start().await?;
    let data = tempfile::tempdir()?;
    let gateway = Gateway::start(data.path()).await?;
    let admin = gateway.admin().await?;
    let channel = connect_support_mailbox(&admin, &rig, "supportpw").await?;

    // "Test connection" logs in to both servers.
    let test = test_connection(&admin, channel).await?;
    assert_eq!(test["ok"], true, "{test}");
    assert_eq!(test["imap"]["result"], "ok", "{test}");
    assert_eq!(test["smtp"]["result"], "ok", "{test}");

    // 1. The customer writes to the support address over SMTP.
    customer_sends(
        &rig,
        "support@example.test",
        "From: =?ISO-8859-1?Q?Mar=EDa_L=F3pez?= <customer@example.test>\r\n\
         To: support@example.test\r\n\
         Subject: =?ISO-8859-1?Q?Pedido_n=BA_4711_no_lleg=F3?=\r\n\
         Message-ID: <order-4711-1@example.test>\r\n\
         Date: Sun, 22 Nov 2026 10:00:00 -0300\r\n\
         MIME-Version: 1.0\r\n\
         Content-Type: text/plain; charset=ISO-8859-1\r\n\
         Content-Transfer-Encoding: quoted-printable\r\n\
         \r\n\
         Hola, mi pedido 4711 todav=EDa no lleg=F3. =BFMe ayudan?\r\n",
    )
    .await?;

    // 2. The gateway imports it from the support mailbox into a new conversation.
    let conversation = imported_conversation(&admin, channel).await?;
    assert_eq!(conversation["title"], "Pedido nº 4711 no llegó");
    let conversation_id = conversation["id"].as_u64().context("id")?;
    let first = messages(&admin, conversation_id).await?;
    assert_eq!(first.len(), 1, "{first:?}");
    assert_eq!(
        first[0]["text"],
        "Hola, mi pedido 4711 todavía no llegó. ¿Me ayudan?"
    );
    assert_eq!(
        first[0]["to"],
        json!(["support@example.test"]),
        "the address it was sent to"
    );
    assert_eq!(first[0]["external_id"], "<order-4711-1@example.test>");
    let original = &first[0]["original"];
    assert_eq!(
        original["media_type"], "message/rfc822",
        "show original: {original}"
    );
    // It was fetched without being marked read in the support mailbox.
    let unseen = rig.doveadm(&[
        "search",
        "-u",
        "support@example.test",
        "mailbox",
        "INBOX",
        "UNSEEN",
    ])?;
    assert_eq!(
        unseen.lines().count(),
        1,
        "still unread in the mailbox: {unseen}"
    );

    // 3. An agent answers; the reply goes out through the channel's SMTP server.
    let reply_id = admin
        .reply(conversation_id, "Hola María, su pedido sale hoy.")
        .await?;
    eventually("the reply marked sent", async || {
        let all = messages(&admin, conversation_id).await?;
        let state = all
            .iter()
            .find(|message| message["id"] == reply_id)
            .map(|message| message["delivery"]["state"].clone());
        Ok((state == Some(json!("sent"))).then_some(()))
    })
    .await?;

    // 4. It arrives in the customer's mailbox, threaded and from the channel's reply name.
    let received = eventually("the reply in the customer's mailbox", async || {
        let mut mailbox = Mailbox::open(&customer(&rig), &trust()).await?;
        let mail = mailbox.fetch_after(Cursor::default(), 10).await?;
        mailbox.logout().await;
        Ok(mail.into_iter().next())
    })
    .await?;
    let mail = MessageParser::default()
        .parse(&received.source)
        .context("the reply is MIME")?;
    assert_eq!(
        mail.in_reply_to().as_text(),
        Some("order-4711-1@example.test")
    );
    let from = mail.from().and_then(|from| from.first()).context("From")?;
    assert_eq!(
        (from.name(), from.address()),
        (Some("Acme Soporte"), Some("support@example.test"))
    );
    assert_eq!(mail.subject(), Some("Re: Pedido nº 4711 no llegó"));
    let body = mail.body_text(0).unwrap_or_default();
    assert!(
        body.starts_with("Hola María, su pedido sale hoy."),
        "{body}"
    );
    assert!(
        body.contains("Av. Corrientes 1234"),
        "the channel footer: {body}"
    );
    let reply_message_id = format!(
        "<{}>",
        mail.message_id().context("the reply has a Message-ID")?
    );
    let subject = "Re: =?UTF-8?Q?Pedido_n=C2=BA_4711_no_lleg=C3=B3?=";

    // 5. The customer answers from their mail client, quoting the reply; it joins the conversation.
    customer_sends(
        &rig,
        "support@example.test",
        &format!(
            "From: =?ISO-8859-1?Q?Mar=EDa_L=F3pez?= <customer@example.test>\r\n\
             To: Acme Soporte <support@example.test>\r\n\
             Subject: {subject}\r\n\
             Message-ID: <order-4711-2@example.test>\r\n\
             In-Reply-To: {reply_message_id}\r\n\
             References: <order-4711-1@example.test> {reply_message_id}\r\n\
             Content-Type: text/plain; charset=UTF-8\r\n\
             \r\n\
             ¡Gracias! Ya lo recibí.\r\n\
             \r\n\
             El dom, 22 nov 2026 a las 10:05, Acme Soporte <support@example.test> escribió:\r\n\
             > Hola María, su pedido sale hoy.\r\n"
        ),
    )
    .await?;
    let thread = eventually("the answer in the same conversation", async || {
        let all = messages(&admin, conversation_id).await?;
        Ok((all.len() == 3).then_some(all))
    })
    .await?;
    let answer = thread
        .iter()
        .find(|message| message["external_id"] == "<order-4711-2@example.test>");
    assert_eq!(
        answer.map(|message| message["text"].clone()),
        Some(json!("¡Gracias! Ya lo recibí.")),
        "{thread:?}"
    );
    assert_eq!(
        conversations(&admin, channel).await?.len(),
        1,
        "no second conversation"
    );

    // Nothing was imported twice, although the sync saw the mailbox many times.
    let (_, status) = admin
        .get(&format!("/api/v1/channels/{channel}/mailbox"))
        .await?;
    assert_eq!(status["health"]["state"], "ok", "{status}");
    rig.stop().await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_password_marks_the_channel_failing_with_the_servers_words() -> anyhow::Result<()> {
    let rig = MailRig::start().await?;
    let data = tempfile::tempdir()?;
    let gateway = Gateway::start(data.path()).await?;
    let admin = gateway.admin().await?;
    let channel = connect_support_mailbox(&admin, &rig, "not the password").await?;

    let test = test_connection(&admin, channel).await?;
    assert_eq!(test["ok"], false, "{test}");
    assert_eq!(test["imap"]["step"], "authentication", "{test}");
    assert_eq!(test["smtp"]["step"], "authentication", "{test}");

    let health = failing_health(&admin, channel).await?;
    assert_eq!(health["step"], "authentication", "{health}");
    assert!(
        health["reason"]
            .as_str()
            .unwrap_or_default()
            .contains("AUTHENTICATIONFAILED"),
        "{health}"
    );
    // The next attempt waits a minute, not a moment: the server is not hammered.
    let wait = health["retry_at"].as_i64().unwrap_or_default()
        - health["since"].as_i64().unwrap_or_default();
    assert!(wait >= 59_000, "retries after {wait} ms");
    // The password never comes back through the API.
    let (_, channel_json) = admin.get(&format!("/api/v1/channels/{channel}")).await?;
    assert!(!channel_json.to_string().contains("not the password"));
    rig.stop().await?;
    Ok(())
}

/// A mail server that cannot deliver an agent's reply sends a report back to the support
/// address: the reply is marked failed with the server's reason, which the agent sees.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bounce_marks_the_reply_failed_with_the_servers_reason() -> anyhow::Result<()> {
    let rig = MailRig::start().await?;
    let data = tempfile::tempdir()?;
    let gateway = Gateway::start(data.path()).await?;
    let admin = gateway.admin().await?;
    let channel = connect_support_mailbox(&admin, &rig, "supportpw").await?;
    customer_sends(
        &rig,
        "support@example.test",
        &customer_mail("bounce-1", "Pedido 4711", "¿Dónde está mi pedido?"),
    )
    .await?;
    let conversation = imported_conversation(&admin, channel).await?;
    let conversation_id = conversation["id"].as_u64().context("id")?;
    let reply = admin.reply(conversation_id, "Sale mañana.").await?;
    delivery_of(&admin, conversation_id, reply, |delivery| {
        delivery["state"] == "sent"
    })
    .await?;

    // The customer's server refuses it later and reports so, quoting our reply's headers.
    let report = String::from_utf8(std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("resources/email/bounce-of-our-reply.eml"),
    )?)?
    .replace(
        "<sb-42.c7@example.test>",
        &format!("<sb-{reply}.c{conversation_id}@example.test>"),
    );
    customer_sends(&rig, "support@example.test", &report).await?;
    let delivery = delivery_of(&admin, conversation_id, reply, |delivery| {
        delivery["state"] == "failed"
    })
    .await?;
    assert!(
        delivery["reason"].as_str().unwrap_or_default().contains(
            "5.1.1: 550 5.1.1 <cliente@example.com>: Recipient address rejected: User unknown"
        ),
        "{delivery}"
    );
    let (_, letters) = admin.get("/api/v1/dead-letters").await?;
    assert_eq!(letters["items"], json!([]), "{letters}");
    assert_eq!(
        conversations(&admin, channel).await?.len(),
        1,
        "the report is no conversation"
    );
    rig.stop().await?;
    Ok(())
}

/// With a certificate configured, the listener offers STARTTLS: a mail server that requires
/// TLS forwards over it, and one that does not use TLS still delivers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mail_is_forwarded_over_starttls_with_the_operators_certificate() -> anyhow::Result<()> {
    let data = tempfile::tempdir()?;
    let tls = data.path().join("tls");
    switchboard_e2e::mail_rig::test_certificates(&tls)?;
    let gateway = Gateway::start_with(
        data.path(),
        &[
            (
                "SWITCHBOARD_MAIL__TLS_CERTIFICATE",
                tls.join("cert.pem").display().to_string(),
            ),
            (
                "SWITCHBOARD_MAIL__TLS_KEY",
                tls.join("key.pem").display().to_string(),
            ),
        ],
    )
    .await?;
    let admin = gateway.admin().await?;
    let (channel_id, address) = forwarded_mailbox(&admin).await?;
    let forwarder = |security| forwarding_listener(&gateway, security);
    let rig_ca =
        Trust::new(vec![std::fs::read(tls.join("ca.pem"))?]).map_err(anyhow::Error::msg)?;
    Sender::new(&forwarder(Security::Starttls), &rig_ca)?
        .send(
            "ventas@acme.test",
            std::slice::from_ref(&address),
            b"From: Joao Silva <joao@cliente.test>\r\nTo: ventas@acme.test\r\nSubject: Orcamento seguro\r\nMessage-ID: <tls-1@cliente.test>\r\n\r\nOla, por TLS.\r\n",
        )
        .await?;
    Sender::new(&forwarder(Security::None), &trust())?
        .send(
            "ventas@acme.test",
            std::slice::from_ref(&address),
            b"From: Rosa Lima <rosa@cliente.test>\r\nTo: ventas@acme.test\r\nSubject: Sem TLS\r\nMessage-ID: <plain-1@cliente.test>\r\n\r\nOla, sem TLS.\r\n",
        )
        .await?;
    let mut titles: Vec<String> = conversations(&admin, channel_id)
        .await?
        .iter()
        .filter_map(|conversation| conversation["title"].as_str().map(str::to_string))
        .collect();
    titles.sort();
    assert_eq!(titles, ["Orcamento seguro", "Sem TLS"]);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mail_forwarded_to_the_channels_address_arrives_and_strangers_are_refused()
-> anyhow::Result<()> {
    let data = tempfile::tempdir()?;
    let gateway = Gateway::start(data.path()).await?;
    let admin = gateway.admin().await?;
    let (channel_id, address) = forwarded_mailbox(&admin).await?;
    assert!(address.ends_with("@forward.switchboard.test"), "{address}");

    // The business's mail server forwards a customer's mail to the gateway's listener.
    let listener = forwarding_listener(&gateway, Security::None);
    let forwarder = Sender::new(&listener, &trust())?;
    forwarder
        .send(
            "ventas@acme.test",
            std::slice::from_ref(&address),
            b"From: Joao Silva <joao@cliente.test>\r\nTo: ventas@acme.test\r\nSubject: Orcamento\r\nMessage-ID: <fw-1@cliente.test>\r\n\r\nOla, quero um orcamento.\r\n",
        )
        .await?;
    // Acknowledged means stored: it is there at once.
    let all = conversations(&admin, channel_id).await?;
    assert_eq!(all.len(), 1, "{all:?}");
    assert_eq!(all[0]["title"], "Orcamento");

    // A made-up address on the same domain is refused at RCPT.
    let guessed = address.replacen('.', "9.", 1);
    let refused = forwarder
        .send("x@y.test", &[guessed], b"Subject: x\r\n\r\nx\r\n")
        .await;
    let error = refused.expect_err("a guessed address is refused");
    assert!(error.to_string().contains("550"), "{error}");

    // Mail from the channel's own address is never taken in (no loops).
    forwarder
        .send(
            "ventas@acme.test",
            std::slice::from_ref(&address),
            b"From: ventas@acme.test\r\nTo: ventas@acme.test\r\nSubject: Re: Orcamento\r\nMessage-ID: <loop-1@acme.test>\r\n\r\nNosso eco.\r\n",
        )
        .await?;
    let texts: Vec<Value> = admin
        .all_messages()
        .await?
        .into_iter()
        .map(|message| message["text"].clone())
        .collect();
    assert!(!texts.contains(&json!("Nosso eco.")), "{texts:?}");

    // While an admin has the email adapter switched off, forwarded mail is deferred (451) for
    // the forwarding server to bring again, not accepted into dead letters; once it is back
    // on, the same mail goes in.
    let (status, off) = admin
        .post("/api/v1/plugins/email/disable", &json!({}))
        .await?;
    assert_eq!(status, StatusCode::OK, "{off}");
    let later = b"From: Joao Silva <joao@cliente.test>\r\nTo: ventas@acme.test\r\nSubject: Prazo\r\nMessage-ID: <fw-2@cliente.test>\r\n\r\nQual o prazo?\r\n";
    let deferred = forwarder
        .send("ventas@acme.test", std::slice::from_ref(&address), later)
        .await
        .expect_err("deferred while the adapter is off");
    assert!(deferred.to_string().contains("451"), "{deferred}");
    let (_, letters) = admin.get("/api/v1/dead-letters").await?;
    assert_eq!(letters["items"], json!([]), "nothing kept as a dead letter");
    let (status, on) = admin
        .post("/api/v1/plugins/email/enable", &json!({}))
        .await?;
    assert_eq!(status, StatusCode::OK, "{on}");
    forwarder
        .send("ventas@acme.test", std::slice::from_ref(&address), later)
        .await?;
    let texts = admin.all_messages().await?;
    assert!(
        texts
            .iter()
            .any(|message| message["text"] == "Qual o prazo?"),
        "{texts:?}"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auto_replies_go_once_a_day_never_to_machines_and_transcripts_arrive() -> anyhow::Result<()>
{
    let rig = MailRig::start().await?;
    let data = tempfile::tempdir()?;
    let gateway = Gateway::start(data.path()).await?;
    let admin = gateway.admin().await?;
    let auto = "Recibimos su mensaje; le respondemos en menos de un día.";
    let channel = connect(
        &admin,
        "Soporte",
        support_settings(&rig, json!({ "auto_reply": auto })),
        "supportpw",
    )
    .await?;

    // A newsletter (list mail) comes in first: it is stored but never answered automatically.
    customer_sends(
        &rig,
        "support@example.test",
        "From: Novedades <customer@example.test>\r\nTo: support@example.test\r\nSubject: Ofertas de noviembre\r\n\
         Message-ID: <news-1@example.test>\r\nList-Id: <ofertas.example.test>\r\nPrecedence: bulk\r\n\r\nTodo al 50%.\r\n",
    )
    .await?;
    let newsletter = eventually("the newsletter stored", async || {
        Ok(conversations(&admin, channel).await?.into_iter().next())
    })
    .await?;
    let newsletter_id = newsletter["id"].as_u64().context("id")?;
    let stored = messages(&admin, newsletter_id).await?;
    assert_eq!(
        stored[0]["automatic"], true,
        "flagged as sent by a machine: {stored:?}"
    );
    admin
        .call(
            Method::POST,
            &format!("/api/v1/conversations/{newsletter_id}/close"),
            None,
        )
        .await?;

    // A person's first email gets the auto-reply, marked as such and without the footer.
    customer_sends(
        &rig,
        "support@example.test",
        &customer_mail("ask-1", "Factura duplicada", "Me cobraron dos veces."),
    )
    .await?;
    let auto_reply = eventually("the auto-reply in the customer's mailbox", async || {
        let inbox = customer_inbox(&rig).await?;
        Ok(inbox
            .into_iter()
            .find(|source| String::from_utf8_lossy(source).contains("Auto-Submitted")))
    })
    .await?;
    let parsed = MessageParser::default()
        .parse(&auto_reply)
        .context("MIME")?;
    assert_eq!(
        parsed.header_raw("Auto-Submitted").map(str::trim),
        Some("auto-replied")
    );
    assert_eq!(parsed.in_reply_to().as_text(), Some("ask-1@example.test"));
    let body = parsed.body_text(0).unwrap_or_default();
    assert!(
        body.starts_with(auto) && !body.contains("Corrientes"),
        "{body}"
    );
    let replies = messages(&admin, newsletter_id)
        .await?
        .into_iter()
        .filter(|message| message["direction"] == "out")
        .count();
    assert_eq!(replies, 0, "no auto-reply to list mail");

    // Closed, then the same person writes again the same day: a new conversation, no second auto-reply.
    let first = conversations(&admin, channel).await?;
    let asked = first
        .iter()
        .find(|c| c["title"] == "Factura duplicada")
        .context("conversation")?;
    let asked_id = asked["id"].as_u64().context("id")?;
    admin
        .call(
            Method::POST,
            &format!("/api/v1/conversations/{asked_id}/close"),
            None,
        )
        .await?;
    customer_sends(
        &rig,
        "support@example.test",
        &customer_mail("ask-2", "Otra consulta", "¿Y el envío?"),
    )
    .await?;
    let second = eventually("the second conversation", async || {
        let all = conversations(&admin, channel).await?;
        Ok(all.into_iter().find(|c| c["title"] == "Otra consulta"))
    })
    .await?;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let second_messages = messages(&admin, second["id"].as_u64().context("id")?).await?;
    assert_eq!(
        second_messages.len(),
        1,
        "no second auto-reply within a day: {second_messages:?}"
    );

    // The transcript of the first conversation, in Spanish, by email.
    let (status, sent) = admin
        .post(
            &format!("/api/v1/conversations/{asked_id}/transcript"),
            &json!({ "to": "customer@example.test", "locale": "es" }),
        )
        .await?;
    assert_eq!(status, StatusCode::OK, "{sent}");
    assert!(
        sent["accepted"]
            .as_str()
            .unwrap_or_default()
            .starts_with("250"),
        "{sent}"
    );
    let transcript = eventually("the transcript in the customer's mailbox", async || {
        let inbox = customer_inbox(&rig).await?;
        Ok(inbox.into_iter().find_map(|source| {
            let parsed = MessageParser::default().parse(&source)?;
            parsed
                .subject()
                .is_some_and(|subject| subject.starts_with("Transcripción"))
                .then(|| parsed.body_text(0).unwrap_or_default().into_owned())
        }))
    })
    .await?;
    assert!(
        transcript.contains("Transcripción de la conversación"),
        "{transcript}"
    );
    assert!(
        transcript.contains("Me cobraron dos veces.") && transcript.contains(auto),
        "{transcript}"
    );
    let (status, refused) = admin
        .post(
            &format!("/api/v1/conversations/{asked_id}/transcript"),
            &json!({ "to": "not an address" }),
        )
        .await?;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");

    // Transcripts count against the mailbox's daily limit like any email.
    let (_, current) = admin.get(&format!("/api/v1/channels/{channel}")).await?;
    let mut settings = current["settings"].clone();
    settings["daily_send_limit"] = json!(1);
    let (status, updated) = admin
        .call(
            Method::PATCH,
            &format!("/api/v1/channels/{channel}"),
            Some(&json!({ "settings": settings })),
        )
        .await?;
    assert_eq!(status, StatusCode::OK, "{updated}");
    let (status, refused) = admin
        .post(
            &format!("/api/v1/conversations/{asked_id}/transcript"),
            &json!({ "to": "customer@example.test", "locale": "es" }),
        )
        .await?;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{refused}");
    assert_eq!(refused["error"]["code"], "daily_limit", "{refused}");

    // So do auto-replies: a new customer's waits in the outbox, saying why.
    customer_sends(
        &rig,
        "support@example.test",
        "From: Pedro <pedro@example.test>\r\nTo: support@example.test\r\nSubject: Horarios\r\n\
         Message-ID: <ask-pedro@example.test>\r\n\r\n¿Abren el domingo?\r\n",
    )
    .await?;
    eventually(
        "the new customer's auto-reply, held at the limit",
        async || {
            for conversation in conversations(&admin, channel).await? {
                let id = conversation["id"].as_u64().context("id")?;
                for message in messages(&admin, id).await? {
                    if message["direction"] == "out"
                        && message["text"] == auto
                        && message["delivery"].to_string().contains("daily send limit")
                    {
                        return Ok(Some(()));
                    }
                }
            }
            Ok(None)
        },
    )
    .await?;
    rig.stop().await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replies_go_via_another_channel_over_tls_and_wait_at_the_daily_limit() -> anyhow::Result<()>
{
    let rig = MailRig::start().await?;
    let data = tempfile::tempdir()?;
    let ca = format!("[\"{}\"]", rig.ca_pem().display());
    let gateway = Gateway::start_with(data.path(), &[("SWITCHBOARD_MAIL__CA_FILES", ca)]).await?;
    let admin = gateway.admin().await?;
    // Sales sends only: STARTTLS to the SMTP server, trusting the company's own CA.
    let sales = connect(
        &admin,
        "Ventas",
        json!({
            "reply_address": "support+sales@example.test", "reply_name": "Acme Ventas",
            "smtp_host": "localhost", "smtp_port": rig.smtp_port, "smtp_security": "starttls",
            "username": "support@example.test", "daily_send_limit": 1
        }),
        "supportpw",
    )
    .await?;
    // Support receives over IMAPS and answers through Sales.
    let support = connect(
        &admin,
        "Soporte",
        json!({
            "reply_address": "support@example.test",
            "imap_host": "localhost", "imap_port": rig.imaps_port, "imap_security": "tls",
            "username": "support@example.test", "reply_via_channel": sales
        }),
        "supportpw",
    )
    .await?;
    let test = test_connection(&admin, support).await?;
    assert_eq!(
        test["imap"]["result"], "ok",
        "IMAPS with the trusted CA: {test}"
    );

    customer_sends(
        &rig,
        "support@example.test",
        &customer_mail("quote-1", "Presupuesto", "¿Precio por 100 unidades?"),
    )
    .await?;
    let conversation = imported_conversation(&admin, support).await?;
    let id = conversation["id"].as_u64().context("id")?;
    for text in ["Son 900 euros.", "Con el envío incluido."] {
        admin.reply(id, text).await?;
    }
    // The first goes out from Sales' address; the second waits, and says why.
    let delivered = eventually("both replies handled", async || {
        let all = messages(&admin, id).await?;
        let states: Vec<Value> = all
            .iter()
            .skip(1)
            .map(|message| message["delivery"].clone())
            .collect();
        let settled = states.iter().any(|state| state["state"] == "sent")
            && states
                .iter()
                .any(|state| state["state"] == "queued" && !state["reason"].is_null());
        Ok(settled.then_some(states))
    })
    .await?;
    let waiting = delivered
        .iter()
        .find(|state| state["state"] == "queued")
        .context("queued")?;
    assert!(
        waiting["reason"]
            .as_str()
            .unwrap_or_default()
            .contains("daily send limit of 1"),
        "{waiting}"
    );
    let inbox = customer_inbox(&rig).await?;
    assert_eq!(inbox.len(), 1, "only one email went out today");
    let parsed = MessageParser::default().parse(&inbox[0]).context("MIME")?;
    let from = parsed
        .from()
        .and_then(|from| from.first())
        .context("From")?;
    assert_eq!(
        (from.name(), from.address()),
        (Some("Acme Ventas"), Some("support+sales@example.test"))
    );
    rig.stop().await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unreadable_mail_is_kept_for_replay_and_mail_from_an_outage_is_backfilled_once()
-> anyhow::Result<()> {
    let rig = MailRig::start().await?;
    let data = tempfile::tempdir()?;
    let gateway = Gateway::start(data.path()).await?;
    let admin = gateway.admin().await?;
    // Bytes that are no email at all (mail naming no sender is still taken in).
    rig.save(
        "support@example.test",
        b"\x00\x01\x02 not an email \xff\xfe\r\n\r\nwho wrote this?\r\n",
    )?;
    customer_sends(
        &rig,
        "support@example.test",
        &customer_mail("before-1", "Antes", "Primero."),
    )
    .await?;
    let channel = connect_support_mailbox(&admin, &rig, "supportpw").await?;

    let letter = eventually("the dead letter", async || {
        let (_, letters) = admin.get("/api/v1/dead-letters").await?;
        Ok(letters["items"]
            .as_array()
            .and_then(|letters| letters.first().cloned()))
    })
    .await?;
    assert!(
        letter["reason"]
            .as_str()
            .unwrap_or_default()
            .contains("not an RFC 5322 email"),
        "{letter}"
    );
    let (status, replay) = admin
        .post(
            &format!("/api/v1/dead-letters/{}/replay", letter["id"]),
            &json!({}),
        )
        .await?;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "still unreadable, still kept: {replay}"
    );
    eventually("the readable mail imported", async || {
        Ok((conversations(&admin, channel).await?.len() == 1).then_some(()))
    })
    .await?;

    // The gateway goes down; mail keeps arriving; it comes back and catches up.
    gateway.kill_hard().await?;
    for n in 1..=3 {
        customer_sends(
            &rig,
            "support@example.test",
            &customer_mail(&format!("during-{n}"), "Antes", &format!("Durante {n}.")),
        )
        .await?;
    }
    let gateway = Gateway::start(data.path()).await?;
    let admin = gateway.admin().await?;
    let all = eventually("the backfill", async || {
        let all = admin.all_messages().await?;
        Ok((all.len() >= 4).then_some(all))
    })
    .await?;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let all = admin.all_messages().await?.len().max(all.len());
    assert_eq!(all, 4, "every email exactly once");
    rig.stop().await?;
    Ok(())
}

/// A file of the fixture corpus in `tests/resources/email`.
fn fixture(name: &str) -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("resources/email")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forwarded_corpus_keeps_files_and_originals_sanitizes_html_and_stores_each_message_once()
-> anyhow::Result<()> {
    let data = tempfile::tempdir()?;
    let gateway = Gateway::start_with(
        data.path(),
        &[("SWITCHBOARD_HTTP__MAX_ATTACHMENT_BYTES", "1024".into())],
    )
    .await?;
    let admin = gateway.admin().await?;
    let (_, channel) = admin
        .post("/api/v1/channels", &json!({ "kind": "email", "name": "Soporte", "settings": { "reply_address": "soporte@acme.test" } }))
        .await?;
    let channel_id = channel["id"].as_u64().context("id")?;
    let (_, mailbox) = admin
        .get(&format!("/api/v1/channels/{channel_id}/mailbox"))
        .await?;
    let address = mailbox["forwarding_address"]
        .as_str()
        .context("forwarding address")?
        .to_string();
    let listener = Account {
        imap: None,
        smtp: Some(Server {
            host: gateway.smtp.ip().to_string(),
            port: gateway.smtp.port(),
            security: Security::None,
        }),
        username: String::new(),
        auth: Auth::Password(String::new()),
        folder: "INBOX".into(),
    };
    let forwarder = Sender::new(&listener, &trust())?;
    for file in [
        "attachments-html.eml",
        "script-html.eml",
        "large-attachment.eml",
        "gmail-es-latin1.eml",
        "duplicate-message-id.eml",
        "gmail-es-latin1.eml",
        "malformed-headers.eml",
        "outlook-pt-cp1252.eml",
        "no-from.eml",
    ] {
        forwarder
            .send(
                "soporte@acme.test",
                std::slice::from_ref(&address),
                &fixture(file),
            )
            .await
            .with_context(|| format!("forwarding {file}"))?;
    }
    let all = admin.all_messages().await?;
    let by_id = |id: &str| {
        all.iter()
            .find(|message| message["external_id"] == id)
            .cloned()
            .unwrap_or_default()
    };

    // Files are stored and downloadable; the inline image too; "show original" has the source.
    let invoice = by_id("<att-5@example.com>");
    let files = invoice["attachments"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let pdf = files
        .iter()
        .find(|file| file["name"] == "factura-4711.pdf")
        .context("the PDF")?;
    assert_eq!(pdf["media_type"], "application/pdf");
    let (status, bytes) = admin
        .get_bytes(&format!(
            "/api/v1/attachments/{}",
            pdf["sha256"].as_str().unwrap_or_default()
        ))
        .await?;
    assert_eq!(status, StatusCode::OK);
    assert!(bytes.starts_with(b"%PDF-1.4"), "the PDF as it was sent");
    assert!(
        files.iter().any(|file| file["name"] == "logo.png"),
        "{files:?}"
    );
    assert_eq!(invoice["original"]["media_type"], "message/rfc822");
    assert!(
        invoice["html"]
            .as_str()
            .unwrap_or_default()
            .contains("<b>factura</b>"),
        "{invoice}"
    );

    // HTML is sanitized before anyone's browser sees it.
    let html = by_id("<script-1@example.com>")["html"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(html.contains("mi pedido"), "{html}");
    for dangerous in ["<script", "onclick", "onerror", "javascript:"] {
        assert!(!html.contains(dangerous), "{dangerous} survived: {html}");
    }

    // A file over the limit is left in the original, named as such (for the console to say
    // in the agent's language), and the text stays the customer's own.
    let large = by_id("<large-1@example.com>");
    assert_eq!(large["attachments"], Value::Null, "{large}");
    assert_eq!(large["text"], "Va la planilla.", "{large}");
    assert_eq!(
        large["left_out"],
        json!([{ "name": "planilla.bin", "media_type": "application/octet-stream",
                 "size": 3200, "reason": "too_large" }]),
        "{large}"
    );
    assert!(
        large["original"]["size"].as_u64().unwrap_or_default() > 3000,
        "{large}"
    );

    // Mail that names no sender at all is a message too, from a contact an agent can fill in,
    // never a dead letter.
    let anonymous = by_id("<nofrom-10@example.com>");
    assert_eq!(anonymous["text"], "Hola", "{anonymous}");
    let (_, about) = admin
        .get(&format!(
            "/api/v1/conversations/{}",
            anonymous["conversation_id"]
        ))
        .await?;
    let (_, contact) = admin
        .get(&format!("/api/v1/contacts/{}", about["contact_id"]))
        .await?;
    assert_eq!(contact["identities"][0]["kind"], "unknown", "{contact}");
    let (_, letters) = admin.get("/api/v1/dead-letters").await?;
    assert_eq!(letters["items"], json!([]), "{letters}");

    // The addresses copied on an email are on its message.
    let copied = all
        .iter()
        .find(|message| {
            message["text"]
                .as_str()
                .is_some_and(|text| text.starts_with("Bom dia, preciso trocar"))
        })
        .context("the Outlook email")?;
    assert_eq!(
        copied["cc"],
        json!(["financeiro@example.com.br"]),
        "{copied}"
    );

    // The same email twice is one message; another email that reuses its Message-ID is kept.
    let copies: Vec<&str> = all
        .iter()
        .filter(|message| message["external_id"] == "<CAF-es-1@mail.gmail.com>")
        .filter_map(|message| message["text"].as_str())
        .collect();
    assert_eq!(copies.len(), 2, "{copies:?}");
    let reused = copies
        .iter()
        .filter(|text| text.starts_with("Un mensaje distinto que reutiliza"))
        .count();
    assert_eq!(reused, 1, "{copies:?}");

    // A broken From still names the sender.
    // A broken From still names the sender; an unterminated Message-ID gives way to a stable one.
    let broken = all
        .iter()
        .find(|message| {
            message["text"]
                .as_str()
                .unwrap_or_default()
                .contains("plan anual")
        })
        .context("the malformed mail is stored")?;
    assert!(
        broken["external_id"]
            .as_str()
            .unwrap_or_default()
            .starts_with("<no-id-"),
        "{broken}"
    );
    let contact = broken["author"]["id"].as_u64().context("contact")?;
    let (_, contact) = admin.get(&format!("/api/v1/contacts/{contact}")).await?;
    assert_eq!(contact["emails"][0], "carla@example.com", "{contact}");
    Ok(())
}

/// Waits for the delivery state of message `id` in `conversation` to satisfy `done`.
async fn delivery_of(
    admin: &Client,
    conversation: u64,
    id: u64,
    done: impl Fn(&Value) -> bool,
) -> anyhow::Result<Value> {
    eventually("the reply's delivery state", async || {
        let all = messages(admin, conversation).await?;
        Ok(all
            .into_iter()
            .find(|message| message["id"] == id)
            .map(|message| message["delivery"].clone())
            .filter(|delivery| done(delivery)))
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_website_chat_continues_by_email_once_the_visitor_has_left() -> anyhow::Result<()> {
    use futures_util::StreamExt;

    let rig = MailRig::start().await?;
    let data = tempfile::tempdir()?;
    let gateway = Gateway::start(data.path()).await?;
    let admin = gateway.admin().await?;
    let mailbox = connect_support_mailbox(&admin, &rig, "supportpw").await?;
    let (_, channels) = admin.get("/api/v1/channels").await?;
    let webchat = channels
        .as_array()
        .and_then(|all| all.iter().find(|channel| channel["kind"] == "webchat"))
        .context("the demo workspace has a webchat channel")?;
    let widget = format!("{}.{}", webchat["workspace_id"], webchat["id"]);
    // Replies wait one second (instead of two minutes) for the visitor to come back.
    let (status, updated) = admin
        .call(
            Method::PATCH,
            &format!("/api/v1/channels/{}", webchat["id"]),
            Some(&json!({ "settings": { "email_after_seconds": 1 } })),
        )
        .await?;
    assert_eq!(status, StatusCode::OK, "{updated}");

    // A visitor leaves a message with their name and email, as the offline form sends it.
    let (status, session) = admin
        .post(&format!("/widget/v1/{widget}/visitors"), &json!({}))
        .await?;
    assert_eq!(status, StatusCode::OK, "{session}");
    let token = session["token"].as_str().context("visitor token")?;
    let visitor = admin.with_bearer(token);
    let question = "Hola, ¿hacen envíos a Córdoba?";
    let (status, sent) = visitor
        .post(
            &format!("/widget/v1/{widget}/messages"),
            &json!({ "client_id": "w-1", "text": question, "name": "María López", "email": "customer@example.test" }),
        )
        .await?;
    assert_eq!(status, StatusCode::CREATED, "{sent}");
    let conversation = sent["conversation_id"].as_u64().context("conversation")?;

    // While the chat is open, a reply reaches the widget and is not emailed.
    let url = format!(
        "{}/widget/v1/{widget}/socket?token={token}&after=0",
        gateway.base_url.replacen("http", "ws", 1)
    );
    let (mut socket, _) = tokio_tungstenite::connect_async(url).await?;
    let in_chat = "¿A qué código postal?";
    let in_chat_id = admin.reply(conversation, in_chat).await?;
    tokio::time::timeout(Duration::from_secs(20), async {
        while let Some(frame) = socket.next().await {
            if let tokio_tungstenite::tungstenite::Message::Text(text) = frame? {
                let frame: Value = serde_json::from_str(&text)?;
                if frame["message"]["text"] == in_chat {
                    return Ok(());
                }
            }
        }
        anyhow::bail!("the visitor's socket closed")
    })
    .await
    .context("the reply did not reach the open widget")??;
    let delivery = delivery_of(&admin, conversation, in_chat_id, |delivery| {
        delivery["state"] == "sent"
    })
    .await?;
    assert_eq!(
        delivery["via"],
        Value::Null,
        "delivered in the chat: {delivery}"
    );

    // The visitor closes the chat; the next two replies wait, then go out as one email.
    socket.close(None).await?;
    drop(socket);
    tokio::time::sleep(Duration::from_millis(500)).await;
    let by_email = "Sí: llegamos a Córdoba en tres días hábiles.";
    let also_by_email = "El envío cuesta $ 2.500.";
    let mut by_email_ids = Vec::new();
    for text in [by_email, also_by_email] {
        by_email_ids.push(admin.reply(conversation, text).await?);
    }

    // The address came from a form, so nothing is emailed to it until the visitor proves it
    // is theirs: a link to confirm it arrives instead, and the replies wait.
    let confirmation = eventually("the link to confirm the address", async || {
        let inbox = customer_inbox(&rig).await?;
        Ok((!inbox.is_empty()).then_some(inbox))
    })
    .await?;
    assert_eq!(confirmation.len(), 1, "only the confirmation link so far");
    let mail = MessageParser::default()
        .parse(&confirmation[0])
        .context("the email is MIME")?;
    let body = mail.body_text(0).unwrap_or_default().into_owned();
    assert!(body.contains("Tenemos una respuesta para ti"), "{body}");
    assert!(
        !body.contains(by_email),
        "no answer before the address is proved: {body}"
    );
    let link = body
        .split_whitespace()
        .find(|word| word.contains("/email-confirmation?"))
        .context("a confirmation link")?;
    let path = link
        .strip_prefix(&gateway.base_url)
        .context("the link points at the gateway")?;
    let delivery = delivery_of(&admin, conversation, by_email_ids[1], |delivery| {
        delivery["state"] == "queued"
    })
    .await?;
    assert!(
        delivery["reason"]
            .as_str()
            .unwrap_or_default()
            .contains("has not confirmed customer@example.test"),
        "{delivery}"
    );
    // Opening the link (as a mail scanner would) confirms nothing; its button does.
    let visitor_browser = Client::new(&gateway.base_url);
    let (status, page) = visitor_browser.get_bytes(path).await?;
    let page = String::from_utf8_lossy(&page);
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(
        page.contains("<form method=\"post\">") && !page.contains("<script"),
        "{page}"
    );
    // A link whose signature was changed works for nobody.
    let (status, _) = visitor_browser
        .get_bytes(&path.replacen("tag=", "tag=0", 1))
        .await?;
    assert_eq!(status, StatusCode::GONE);
    let (_, contact) = admin
        .get(&format!(
            "/api/v1/contacts/{}",
            sent_contact(&admin, conversation).await?
        ))
        .await?;
    assert_eq!(contact["verified_emails"], json!([]), "{contact}");
    let (status, done) = visitor_browser.call_raw(Method::POST, path, None).await?;
    let done = String::from_utf8_lossy(&done);
    assert_eq!(status, StatusCode::OK, "{done}");
    assert!(done.contains("customer@example.test"), "{done}");
    for id in by_email_ids {
        let delivery = delivery_of(&admin, conversation, id, |delivery| {
            delivery["state"] == "sent"
        })
        .await?;
        assert_eq!(delivery["via"], "email", "{delivery}");
    }

    // Only the replies written after the visitor left are in their mailbox, in one email.
    let received = eventually("the emailed replies", async || {
        let inbox = customer_inbox(&rig).await?;
        Ok((inbox.len() > 1).then_some(inbox))
    })
    .await?;
    assert_eq!(
        received.len(),
        2,
        "the link, then one email for the two replies"
    );
    let mail = MessageParser::default()
        .parse(&received[1])
        .context("the email is MIME")?;
    let body = mail.body_text(0).unwrap_or_default().replace("\r\n", "\n");
    assert!(
        body.starts_with(&format!("{by_email}\n\n{also_by_email}")),
        "{body}"
    );
    assert!(!body.contains(in_chat), "{body}");
    let to = mail.to().and_then(|to| to.first()).context("To")?;
    assert_eq!(
        (to.name(), to.address()),
        (Some("María López"), Some("customer@example.test"))
    );
    assert_eq!(mail.subject(), Some(format!("Re: {question}").as_str()));
    let reply_message_id = format!("<{}>", mail.message_id().context("Message-ID")?);

    // The visitor answers from their mail client: it joins the chat's conversation, and the
    // widget shows it.
    let answer = "El 5000, en el centro. ¡Gracias!";
    customer_sends(
        &rig,
        "support@example.test",
        &format!(
            "From: =?UTF-8?Q?Mar=C3=ADa_L=C3=B3pez?= <customer@example.test>\r\n\
             To: Acme Soporte <support@example.test>\r\n\
             Subject: Re: envios\r\n\
             Message-ID: <chat-answer-1@example.test>\r\n\
             In-Reply-To: {reply_message_id}\r\n\
             References: {reply_message_id}\r\n\
             Content-Type: text/plain; charset=UTF-8\r\n\
             \r\n\
             {answer}\r\n"
        ),
    )
    .await?;
    eventually(
        "the emailed answer in the chat's conversation",
        async || {
            let all = messages(&admin, conversation).await?;
            Ok(all
                .iter()
                .any(|message| message["text"] == answer)
                .then_some(()))
        },
    )
    .await?;
    assert!(
        conversations(&admin, mailbox).await?.is_empty(),
        "no separate email conversation"
    );
    let (status, history) = visitor
        .get(&format!("/widget/v1/{widget}/messages"))
        .await?;
    assert_eq!(status, StatusCode::OK, "{history}");
    let shown: Vec<(&str, &str)> = history["messages"]
        .as_array()
        .context("messages")?
        .iter()
        .filter_map(|message| Some((message["from"].as_str()?, message["text"].as_str()?)))
        .collect();
    assert_eq!(
        shown,
        [
            ("visitor", question),
            ("agent", in_chat),
            ("agent", by_email),
            ("agent", also_by_email),
            ("visitor", answer)
        ]
    );
    rig.stop().await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reply_in_a_long_thread_answers_its_newest_email() -> anyhow::Result<()> {
    let rig = MailRig::start().await?;
    // More emails in one conversation than one page of messages holds (200).
    let count = 205;
    let mail = (1..=count).map(|n| {
        customer_mail(
            &format!("long-{n}"),
            "Re: Pedido 9000",
            &format!("Mensaje {n}"),
        )
        .into_bytes()
    });
    rig.fill_maildir("support@example.test", mail)?;
    let data = tempfile::tempdir()?;
    let gateway = Gateway::start(data.path()).await?;
    let admin = gateway.admin().await?;
    let channel = connect_support_mailbox(&admin, &rig, "supportpw").await?;
    let (conversation, newest) = eventually("every email in one conversation", async || {
        let Some(conversation) = conversations(&admin, channel).await?.into_iter().next() else {
            return Ok(None);
        };
        let id = conversation["id"].as_u64().context("id")?;
        let all = messages(&admin, id).await?;
        Ok((all.len() == count).then(|| (id, all[count - 1]["external_id"].clone())))
    })
    .await?;
    assert_eq!(conversations(&admin, channel).await?.len(), 1);

    admin.reply(conversation, "Ya lo revisamos.").await?;
    let received = eventually("the reply in the customer's mailbox", async || {
        Ok(customer_inbox(&rig).await?.into_iter().next())
    })
    .await?;
    let mail = MessageParser::default()
        .parse(&received)
        .context("the reply is MIME")?;
    let in_reply_to = mail.in_reply_to().as_text().map(|id| format!("<{id}>"));
    assert_eq!(
        in_reply_to.as_deref(),
        newest.as_str(),
        "it answers the newest email"
    );
    rig.stop().await?;
    Ok(())
}

/// A customer's email carrying `file` as a base64 PDF attachment, as a mail program writes it.
fn mail_with_file(id: &str, file: &[u8]) -> Vec<u8> {
    use base64::Engine;
    let encoded = base64::engine::general_purpose::STANDARD.encode(file);
    let body: Vec<&[u8]> = encoded.as_bytes().chunks(76).collect();
    let mut mime = format!(
        "From: Maria Lopez <customer@example.test>\r\nTo: support@example.test\r\n\
         Subject: Catálogo 2027\r\nMessage-ID: <{id}@example.test>\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/mixed; boundary=\"sep\"\r\n\r\n--sep\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\r\nLes mando el catálogo completo.\r\n\
         --sep\r\nContent-Type: application/pdf; name=\"catalogo-2027.pdf\"\r\n\
         Content-Disposition: attachment; filename=\"catalogo-2027.pdf\"\r\n\
         Content-Transfer-Encoding: base64\r\n\r\n"
    )
    .into_bytes();
    mime.extend_from_slice(&body.join(&b"\r\n"[..]));
    mime.extend_from_slice(b"\r\n--sep--\r\n");
    mime
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_twenty_megabyte_attachment_arrives_over_imap_and_downloads_as_it_was_sent()
-> anyhow::Result<()> {
    let rig = MailRig::start().await?;
    let data = tempfile::tempdir()?;
    let gateway = Gateway::start(data.path()).await?;
    let admin = gateway.admin().await?;
    connect_support_mailbox(&admin, &rig, "supportpw").await?;
    // A PDF's first line, then 20 MB that do not compress.
    let mut file = b"%PDF-1.7\n".to_vec();
    let mut state = 0x9e37_79b9_7f4a_7c15_u64;
    while file.len() < 20 * 1000 * 1000 {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1);
        file.extend_from_slice(&state.to_be_bytes());
    }
    let mime = mail_with_file("catalogo-1", &file);
    Sender::new(&customer(&rig), &trust())?
        .send(
            "customer@example.test",
            &["support@example.test".into()],
            &mime,
        )
        .await?;
    let message = switchboard_e2e::eventually_within(
        Duration::from_secs(120),
        "the email with the catalogue",
        async || {
            let all = admin.all_messages().await?;
            Ok(all
                .into_iter()
                .find(|message| message["external_id"] == "<catalogo-1@example.test>"))
        },
    )
    .await?;
    assert_eq!(
        message["text"], "Les mando el catálogo completo.",
        "{message}"
    );
    assert_eq!(message["left_out"], Value::Null, "{message}");
    let pdf = &message["attachments"][0];
    assert_eq!(pdf["name"], "catalogo-2027.pdf", "{message}");
    assert_eq!(pdf["size"].as_u64(), Some(file.len() as u64), "{message}");
    let (status, bytes) = admin
        .get_bytes(&format!(
            "/api/v1/attachments/{}",
            pdf["sha256"].as_str().unwrap_or_default()
        ))
        .await?;
    assert_eq!(status, StatusCode::OK);
    assert!(bytes.as_ref() == file.as_slice(), "the file byte for byte");
    let (_, letters) = admin.get("/api/v1/dead-letters").await?;
    assert_eq!(letters["items"], json!([]), "{letters}");
    rig.stop().await?;
    Ok(())
}

/// A Microsoft 365 style mailbox: IMAP takes only OAuth tokens, which last an hour (here a few
/// seconds). The gateway renews the access token with the refresh token before it expires and
/// signs in again with the new one; when the grant is revoked, the channel is marked failing in
/// the token endpoint's words.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_oauth_mailbox_renews_its_token_before_expiry_and_a_revoked_grant_marks_it_failing()
-> anyhow::Result<()> {
    use switchboard_e2e::oauth_stand_in::{CLIENT_ID, CLIENT_SECRET, OAuthStandIn};
    let rig = MailRig::start().await?;
    let tokens = OAuthStandIn::start(rig.oauth_port).await?;
    tokens.set_token_life(Duration::from_secs(4));
    let refresh_token = tokens.grant("support@example.test");
    let data = tempfile::tempdir()?;
    let gateway = Gateway::start_beside_stand_ins(data.path(), &[]).await?;
    let admin = gateway.admin().await?;
    let settings = support_settings(
        &rig,
        json!({
            "auth": "xoauth2",
            "oauth_token_url": tokens.token_url(),
            "oauth_client_id": CLIENT_ID,
        }),
    );
    let (status, channel) = admin
        .post(
            "/api/v1/channels",
            &json!({ "kind": "email", "name": "Soporte", "settings": settings }),
        )
        .await?;
    assert_eq!(status, StatusCode::CREATED, "{channel}");
    let channel = channel["id"].as_u64().context("channel id")?;
    let (status, answer) = admin
        .call(
            Method::PUT,
            &format!("/api/v1/channels/{channel}/secrets"),
            Some(&json!({ "secrets": {
                "oauth_refresh_token": refresh_token,
                "oauth_client_secret": CLIENT_SECRET,
            } })),
        )
        .await?;
    assert!(status.is_success(), "{answer}");

    // Each email is read with a token the gateway renewed: the first once it signs in, the
    // second after the first token lived past half its life (Dovecot checks each new token
    // with the token endpoint).
    let read = async |id: &str, text: &str, count: usize| -> anyhow::Result<()> {
        customer_sends(
            &rig,
            "support@example.test",
            &customer_mail(id, "Factura", text),
        )
        .await?;
        eventually(&format!("email {id} read"), async || {
            Ok((admin.all_messages().await?.len() == count).then_some(()))
        })
        .await
    };
    read("oauth-1", "¿Me reenvían la factura?", 1).await?;
    tokio::time::sleep(Duration::from_secs(3)).await;
    read("oauth-2", "Gracias, la espero.", 2).await?;
    assert!(
        tokens.renewals() >= 2,
        "renewed {} times",
        tokens.renewals()
    );
    // The agent's answer goes out over SMTP with the token too.
    let conversation = imported_conversation(&admin, channel).await?["id"]
        .as_u64()
        .context("conversation")?;
    admin.reply(conversation, "Te la mandamos hoy.").await?;
    eventually("the answer in the customer's mailbox", async || {
        Ok(customer_inbox(&rig).await?.into_iter().next())
    })
    .await?;

    // The customer withdraws consent: the next renewal is refused, and the channel says why.
    tokens.revoke("support@example.test");
    let health = failing_health(&admin, channel).await?;
    assert_eq!(health["step"], "token", "{health}");
    assert!(
        health["reason"]
            .as_str()
            .unwrap_or_default()
            .contains("invalid_grant"),
        "{health}"
    );
    let test = test_connection(&admin, channel).await?;
    assert_eq!(test["ok"], false, "{test}");
    assert_eq!(test["imap"]["step"], "token", "{test}");
    // The tokens never come back through the API.
    let (_, channel_json) = admin.get(&format!("/api/v1/channels/{channel}")).await?;
    assert!(!channel_json.to_string().contains(&refresh_token));
    rig.stop().await?;
    Ok(())
}
