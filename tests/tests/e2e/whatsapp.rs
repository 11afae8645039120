//! The WhatsApp channel through the real gateway binary against a stand-in of Meta's Cloud
//! API: the access token checked when it is saved, Meta's webhook check answered, signed
//! notifications taken in (unsigned or forged ones refused), replies, files and read receipts
//! sent, statuses moving a reply forward, and the 24-hour window: free text refused outside it
//! with the reason, an approved template filled in and sent.

use std::time::Duration;

use anyhow::Context;
use hyper::{Method, StatusCode};
use serde_json::{Value, json};
use switchboard_e2e::whatsapp_stand_in::{self as whatsapp, WhatsAppStandIn};
use switchboard_e2e::{Client, Gateway};

pub(super) const TOKEN: &str = "EAAG-stand-in-system-user-token";
pub(super) const APP_SECRET: &str = "app-secret-of-acme";
const VERIFY_TOKEN: &str = "acme-verify-7731";
const PHONE_NUMBER_ID: &str = "106540352242922";
const WABA_ID: &str = "102290129340398";
const WAIT: Duration = Duration::from_secs(15);

/// A gateway with a WhatsApp channel on Meta's stand-in (its secrets not yet saved).
pub(super) struct Rig {
    pub(super) meta: WhatsAppStandIn,
    pub(super) gateway: Gateway,
    pub(super) admin: Client,
    pub(super) channel: u64,
    pub(super) hook: String,
    pub(super) _data: tempfile::TempDir,
}

/// The WhatsApp plugin as an admin installs it to reach a Graph API server of their own (here
/// the stand-in on 127.0.0.1): the bundled component, granted that host.
pub(super) fn manifest(meta: &WhatsAppStandIn) -> Value {
    let host = meta.base_url.trim_start_matches("http://");
    json!({
        "name": "whatsapp", "version": "0.1.0", "contract": "0.2.0", "channel_kind": "whatsapp",
        "allowed_hosts": ["graph.facebook.com", host],
        "settings": ["phone_number_id", "business_account_id", "api_base", "api_version"],
        "secrets": ["access_token", "app_secret", "verify_token"],
        "reply_window_hours": 24,
        "budget": { "memory_mib": 64, "time_ms": 15000 }
    })
}

impl Rig {
    pub(super) async fn start() -> anyhow::Result<Rig> {
        Rig::start_with(&[]).await
    }

    /// A rig whose gateway is configured with `config` (environment variables) too.
    async fn start_with(config: &[(&str, &str)]) -> anyhow::Result<Rig> {
        let meta = WhatsAppStandIn::start(
            TOKEN,
            PHONE_NUMBER_ID,
            "+55 11 4000-0000",
            "Acme Store",
            WABA_ID,
        )
        .await?;
        let data = tempfile::tempdir()?;
        let config: Vec<(&str, String)> = config
            .iter()
            .map(|(name, value)| (*name, value.to_string()))
            .collect();
        let gateway = Gateway::start_beside_stand_ins(data.path(), &config).await?;
        let admin = gateway.admin().await?;
        admin
            .install_component("whatsapp_adapter", &manifest(&meta))
            .await?;
        let settings = json!({
            "phone_number_id": PHONE_NUMBER_ID,
            "business_account_id": WABA_ID,
            "api_base": meta.base_url,
        });
        let (channel, hook) = admin.new_channel("whatsapp", settings).await?;
        Ok(Rig {
            meta,
            gateway,
            admin,
            channel,
            hook,
            _data: data,
        })
    }

    pub(super) async fn put_secrets(&self, token: &str) -> anyhow::Result<(StatusCode, Value)> {
        self.admin
            .call(
                Method::PUT,
                &format!("/api/v1/channels/{}/secrets", self.channel),
                Some(&json!({ "secrets": {
                    "access_token": token, "app_secret": APP_SECRET, "verify_token": VERIFY_TOKEN
                } })),
            )
            .await
    }

    /// Posts a notification as Meta does, signed with `secret`.
    async fn notify_signed(&self, body: &Value, secret: &str) -> anyhow::Result<StatusCode> {
        let bytes = body.to_string().into_bytes();
        let signature = whatsapp::signature(secret, &bytes);
        let (status, _) = Client::new(&self.gateway.base_url)
            .send(
                Method::POST,
                &self.hook,
                &[("X-Hub-Signature-256", signature.as_str())],
                Some(("application/json", bytes)),
            )
            .await?;
        Ok(status)
    }

    async fn notify(&self, body: &Value) -> anyhow::Result<StatusCode> {
        self.notify_signed(body, APP_SECRET).await
    }

    async fn stored(&self, wamid: &str) -> anyhow::Result<Value> {
        self.admin.message_with(wamid, WAIT).await
    }

    async fn delivery_of(
        &self,
        conversation: u64,
        reply: u64,
        state: &str,
    ) -> anyhow::Result<Value> {
        self.admin
            .delivery_reaching(conversation, reply, state, WAIT)
            .await
    }
}

/// A customer's text and photo reach the agent; the agent's reply, its statuses and the read
/// receipt travel back; Meta's check of the address is answered only with the channel's
/// verify token, and notifications not signed with the app secret are refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_whatsapp_customer_reaches_an_agent_and_the_replys_statuses_come_back()
-> anyhow::Result<()> {
    let rig = Rig::start().await?;
    let (status, refused) = rig.put_secrets("EAAG-wrong").await?;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert!(
        refused["error"]["message"]
            .as_str()
            .is_some_and(|message| message.contains("190")),
        "Meta's code for a bad token: {refused}"
    );
    let (status, answer) = rig.put_secrets(TOKEN).await?;
    assert_eq!(status, StatusCode::NO_CONTENT, "{answer}");
    let (status, connection) = rig
        .admin
        .post(
            &format!("/api/v1/channels/{}/connect", rig.channel),
            &json!({}),
        )
        .await?;
    assert_eq!(status, StatusCode::OK, "{connection}");
    assert_eq!(connection["account"], "Acme Store (+55 11 4000-0000)");

    let provider = Client::new(&rig.gateway.base_url);
    let check = format!(
        "{}?{}",
        rig.hook,
        whatsapp::verification_query(VERIFY_TOKEN, "1158201444")
    );
    let (status, challenge) = provider.get_bytes(&check).await?;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(&challenge[..], b"1158201444", "the challenge, as it came");
    let wrong = format!(
        "{}?{}",
        rig.hook,
        whatsapp::verification_query("guess", "1")
    );
    assert_eq!(provider.get_bytes(&wrong).await?.0, StatusCode::FORBIDDEN);

    let notes = rig.meta.notifications();
    let customer = "5511987654321";
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_secs() as i64;
    let hello = notes.text_message(
        "wamid.HBgN1",
        customer,
        "Mariana Souza",
        "Oi! Vocês têm o tênis 38?",
        now,
    );
    assert_eq!(
        rig.notify_signed(&hello, "another-apps-secret").await?,
        StatusCode::FORBIDDEN,
        "signed by someone else"
    );
    let (status, _) = provider
        .send(
            Method::POST,
            &rig.hook,
            &[],
            Some(("application/json", hello.to_string().into_bytes())),
        )
        .await?;
    assert_eq!(status, StatusCode::FORBIDDEN, "unsigned");
    assert_eq!(rig.notify(&hello).await?, StatusCode::OK);
    let message = rig.stored("wamid.HBgN1").await?;
    assert_eq!(message["text"], "Oi! Vocês têm o tênis 38?");
    let conversation = message["conversation_id"]
        .as_u64()
        .context("conversation")?;
    let contact = rig.admin.contact_of(&message).await?;
    assert_eq!(contact["name"], "Mariana Souza");
    assert_eq!(contact["phones"], json!(["+5511987654321"]), "{contact}");

    rig.meta
        .add_media("media-77", "image/jpeg", b"\xff\xd8 the shoe".to_vec());
    let photo = notes.image_message(
        "wamid.HBgN2",
        customer,
        "Mariana Souza",
        "media-77",
        "image/jpeg",
        Some("Este aqui"),
    );
    assert_eq!(rig.notify(&photo).await?, StatusCode::OK);
    let with_photo = rig.stored("wamid.HBgN2").await?;
    assert_eq!(with_photo["text"], "Este aqui");
    let bytes = rig.admin.first_attachment(&with_photo).await?;
    assert_eq!(&bytes[..], b"\xff\xd8 the shoe");

    let (status, _) = rig
        .admin
        .call(
            Method::POST,
            &format!("/api/v1/conversations/{conversation}/read"),
            None,
        )
        .await?;
    assert_eq!(status, StatusCode::OK);
    rig.meta.wait_for_calls("read_receipt", 1, WAIT).await?;
    assert_eq!(rig.meta.read_receipts(), vec!["wamid.HBgN2".to_string()]);

    let reply = rig
        .admin
        .reply(conversation, "Temos sim! Tamanho 38 em preto.")
        .await?;
    rig.meta.wait_for_calls("send", 1, WAIT).await?;
    let sent = rig.meta.sent_messages();
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(sent[0].to, customer);
    assert_eq!(
        sent[0].body["text"]["body"],
        "Temos sim! Tamanho 38 em preto."
    );
    rig.delivery_of(conversation, reply, "sent").await?;
    let wamid = sent[0].wamid.clone();
    assert_eq!(
        rig.notify(&notes.status(&wamid, customer, "read")).await?,
        StatusCode::OK
    );
    rig.delivery_of(conversation, reply, "read").await?;
    assert_eq!(
        rig.notify(&notes.status(&wamid, customer, "delivered"))
            .await?,
        StatusCode::OK
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    rig.delivery_of(conversation, reply, "read").await?;
    Ok(())
}

/// Outside the 24-hour window (a conversation the agent starts, where the customer has not
/// written) free text is refused with the reason, the channel's approved templates are
/// listed, and a template goes out with its values; a failed status carries Meta's reason.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn outside_the_window_only_an_approved_template_goes_out() -> anyhow::Result<()> {
    let rig = Rig::start().await?;
    let (status, answer) = rig.put_secrets(TOKEN).await?;
    assert_eq!(status, StatusCode::NO_CONTENT, "{answer}");
    rig.meta.add_template(
        "pedido_listo",
        "es_MX",
        "APPROVED",
        "Hola {{1}}, tu pedido {{2}} está listo para recoger.",
    );
    rig.meta
        .add_template("promo", "es_MX", "REJECTED", "¡Ofertas!");
    let (status, offered) = rig
        .admin
        .get(&format!("/api/v1/channels/{}/templates", rig.channel))
        .await?;
    assert_eq!(status, StatusCode::OK, "{offered}");
    assert_eq!(offered["reply_window_hours"], 24);
    assert_eq!(
        offered["templates"],
        json!([{ "name": "pedido_listo", "language": "es_MX",
                 "text": "Hola {{1}}, tu pedido {{2}} está listo para recoger.", "variables": 2 }]),
        "approved ones only"
    );

    let (status, contact) = rig
        .admin
        .post(
            "/api/v1/contacts",
            &json!({ "name": "Rosa Díaz", "phones": ["+52 55 1234 5678"] }),
        )
        .await?;
    assert_eq!(status, StatusCode::CREATED, "{contact}");
    let start = |text: &str, template: Option<Value>| {
        let mut body =
            json!({ "channel_id": rig.channel, "contact_id": contact["id"], "text": text });
        if let Some(template) = template {
            body["template"] = template;
        }
        body
    };
    let (status, refused) = rig
        .admin
        .post("/api/v1/conversations", &start("¿Sigues interesada?", None))
        .await?;
    assert_eq!(status, StatusCode::CONFLICT, "{refused}");
    assert_eq!(refused["error"]["code"], "outside_reply_window");
    assert!(
        refused["error"]["message"]
            .as_str()
            .is_some_and(|message| message.contains("approved template")),
        "{refused}"
    );
    let (status, wrong) = rig
        .admin
        .post(
            "/api/v1/conversations",
            &start(
                "",
                Some(json!({ "name": "pedido_listo", "language": "es_MX", "values": ["Rosa"] })),
            ),
        )
        .await?;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "one value short: {wrong}"
    );
    let (status, started) = rig
        .admin
        .post(
            "/api/v1/conversations",
            &start("", Some(json!({ "name": "pedido_listo", "language": "es_MX", "values": ["Rosa", "A-17"] }))),
        )
        .await?;
    assert_eq!(status, StatusCode::CREATED, "{started}");
    assert_eq!(
        started["message"]["text"], "Hola Rosa, tu pedido A-17 está listo para recoger.",
        "the agent sees the text the customer gets"
    );
    rig.meta.wait_for_calls("send", 1, WAIT).await?;
    let sent = rig.meta.sent_messages();
    assert_eq!(sent[0].kind, "template", "{sent:?}");
    assert_eq!(sent[0].to, "525512345678");
    assert_eq!(sent[0].body["template"]["name"], "pedido_listo");
    assert_eq!(
        sent[0].body["template"]["components"][0]["parameters"][1]["text"],
        "A-17"
    );
    let conversation = started["conversation"]["id"]
        .as_u64()
        .context("conversation")?;
    let reply = started["message"]["id"].as_u64().context("message")?;
    rig.delivery_of(conversation, reply, "sent").await?;
    let failed = rig.meta.notifications().failed_status(
        &sent[0].wamid,
        "525512345678",
        131026,
        "Message undeliverable",
        "Unable to deliver message.",
    );
    assert_eq!(rig.notify(&failed).await?, StatusCode::OK);
    let delivery = rig.delivery_of(conversation, reply, "failed").await?;
    assert!(
        delivery["reason"].as_str().is_some_and(
            |reason| reason.contains("131026") && reason.contains("not be on WhatsApp")
        ),
        "{delivery}"
    );
    Ok(())
}

/// Meta sending a notification twice (it does, when our answer is late) leaves one message; a
/// reply while the Cloud API is down waits with Meta's reason shown and goes once it is back,
/// once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_repeated_notification_is_stored_once_and_a_reply_waits_out_meta_being_down()
-> anyhow::Result<()> {
    let rig = Rig::start_with(&[("SWITCHBOARD_DELIVERY__FIRST_RETRY_SECONDS", "1")]).await?;
    let (status, answer) = rig.put_secrets(TOKEN).await?;
    assert_eq!(status, StatusCode::NO_CONTENT, "{answer}");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_secs() as i64;
    let hello = rig.meta.notifications().text_message(
        "wamid.HBgN7",
        "5215512345678",
        "Rosa Díaz",
        "¿Tienen la talla 7?",
        now,
    );
    assert_eq!(rig.notify(&hello).await?, StatusCode::OK);
    assert_eq!(
        rig.notify(&hello).await?,
        StatusCode::OK,
        "Meta tries again"
    );
    let message = rig.stored("wamid.HBgN7").await?;
    assert_eq!(rig.admin.copies_of("wamid.HBgN7").await?, 1, "stored once");
    let conversation = message["conversation_id"]
        .as_u64()
        .context("conversation")?;

    rig.meta.set_down(true);
    let reply = rig.admin.reply(conversation, "¡Sí, la tenemos!").await?;
    let waiting = rig
        .admin
        .delivery_waiting_to_retry(conversation, reply, WAIT)
        .await?;
    assert!(waiting["reason"].is_string(), "Meta's answer: {waiting}");
    assert!(rig.meta.sent_messages().is_empty());
    rig.meta.set_down(false);
    rig.delivery_of(conversation, reply, "sent").await?;
    let sent = rig.meta.sent_messages();
    assert_eq!(sent.len(), 1, "sent once: {sent:?}");
    assert_eq!(sent[0].body["text"]["body"], "¡Sí, la tenemos!");
    Ok(())
}
