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

fn trust() -> Trust {
    Trust::new(Vec::new()).expect("system roots")
}

/// Sends `mime` as the customer over the rig's SMTP server.
async fn customer_sends(rig: &MailRig, to: &str, mime: &str) -> anyhow::Result<()> {
    Sender::new(&customer(rig), &trust())?
        .send("customer@example.test", &[to.to_string()], mime.as_bytes())
        .await?;
    Ok(())
}

/// Asks `probe` every 100 ms until it answers, for up to 30 s.
async fn eventually<T>(
    what: &str,
    mut probe: impl AsyncFnMut() -> anyhow::Result<Option<T>>,
) -> anyhow::Result<T> {
    for _ in 0..300 {
        if let Some(found) = probe().await? {
            return Ok(found);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    anyhow::bail!("timed out waiting for {what}")
}

/// Connects the rig's support mailbox as an email channel, as an admin would.
async fn connect_support_mailbox(
    admin: &Client,
    rig: &MailRig,
    password: &str,
) -> anyhow::Result<u64> {
    let (status, channel) = admin
        .post(
            "/api/v1/channels",
            &json!({
                "kind": "email",
                "name": "Soporte",
                "settings": {
                    "provider": "other",
                    "reply_address": "support@example.test",
                    "reply_name": "Acme Soporte",
                    "footer": "Acme · Av. Corrientes 1234",
                    "imap_host": "127.0.0.1", "imap_port": rig.imap_port, "imap_security": "none",
                    "smtp_host": "127.0.0.1", "smtp_port": rig.smtp_port, "smtp_security": "none",
                    "username": "support@example.test"
                }
            }),
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

async fn conversations(admin: &Client, channel: u64) -> anyhow::Result<Vec<Value>> {
    admin
        .all_pages(&format!(
            "/api/v1/conversations?channel_id={channel}&limit=50"
        ))
        .await
}

async fn messages(admin: &Client, conversation: u64) -> anyhow::Result<Vec<Value>> {
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
    let (status, test) = admin
        .post(
            &format!("/api/v1/channels/{channel}/mailbox/test"),
            &json!({}),
        )
        .await?;
    assert_eq!(status, StatusCode::OK);
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
    let conversation = eventually("the imported conversation", async || {
        Ok(conversations(&admin, channel).await?.into_iter().next())
    })
    .await?;
    assert_eq!(conversation["title"], "Pedido nº 4711 no llegó");
    let conversation_id = conversation["id"].as_u64().context("id")?;
    let first = messages(&admin, conversation_id).await?;
    assert_eq!(first.len(), 1, "{first:?}");
    assert_eq!(
        first[0]["text"],
        "Hola, mi pedido 4711 todavía no llegó. ¿Me ayudan?"
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
    let (status, reply) = admin
        .post(
            &format!("/api/v1/conversations/{conversation_id}/messages"),
            &json!({ "text": "Hola María, su pedido sale hoy." }),
        )
        .await?;
    assert_eq!(status, StatusCode::CREATED, "{reply}");
    let reply_id = reply["id"].as_u64().context("reply id")?;
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

    let (_, test) = admin
        .post(
            &format!("/api/v1/channels/{channel}/mailbox/test"),
            &json!({}),
        )
        .await?;
    assert_eq!(test["ok"], false, "{test}");
    assert_eq!(test["imap"]["step"], "authentication", "{test}");
    assert_eq!(test["smtp"]["step"], "authentication", "{test}");

    let health = eventually("the channel marked failing", async || {
        let (_, status) = admin
            .get(&format!("/api/v1/channels/{channel}/mailbox"))
            .await?;
        Ok((status["health"]["state"] == "failing").then(|| status["health"].clone()))
    })
    .await?;
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mail_forwarded_to_the_channels_address_arrives_and_strangers_are_refused()
-> anyhow::Result<()> {
    let data = tempfile::tempdir()?;
    let gateway = Gateway::start(data.path()).await?;
    let admin = gateway.admin().await?;
    let (status, channel) = admin
        .post(
            "/api/v1/channels",
            &json!({ "kind": "email", "name": "Ventas", "settings": { "reply_address": "ventas@acme.test" } }),
        )
        .await?;
    assert_eq!(status, StatusCode::CREATED, "{channel}");
    let channel_id = channel["id"].as_u64().context("id")?;
    let (_, mailbox) = admin
        .get(&format!("/api/v1/channels/{channel_id}/mailbox"))
        .await?;
    let address = mailbox["forwarding_address"]
        .as_str()
        .context("a forwarding address")?
        .to_string();
    assert!(address.ends_with("@forward.switchboard.test"), "{address}");

    // The business's mail server forwards a customer's mail to the gateway's listener.
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
    Ok(())
}
