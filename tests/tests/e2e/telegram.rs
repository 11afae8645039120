//! The Telegram channel through the real gateway binary against a stand-in of the Bot API:
//! a bot token checked and its webhook registered when it is saved, updates taken in (and
//! forged ones refused), replies and typing sent, Telegram's refusals honoured, and polling
//! for gateways that cannot take webhooks.

use std::time::Duration;

use anyhow::Context;
use hyper::{Method, StatusCode};
use serde_json::{Value, json};
use switchboard_e2e::telegram_stand_in::{self as telegram, TelegramStandIn};
use switchboard_e2e::{Client, Gateway, eventually_within};

const TOKEN: &str = "7000001:AAH-stand-in-token";
const WAIT: Duration = Duration::from_secs(15);

/// A gateway with a Telegram channel on the stand-in; the channel's id and webhook path.
struct Rig {
    bot: TelegramStandIn,
    gateway: Gateway,
    admin: Client,
    channel: u64,
    hook: String,
    _data: tempfile::TempDir,
}

/// The Telegram plugin as an admin installs it to reach a Bot API server of their own (here
/// the stand-in on 127.0.0.1): the bundled component, granted that host.
pub(super) fn manifest(bot: &TelegramStandIn) -> anyhow::Result<Value> {
    let host = bot
        .base_url
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_string();
    Ok(json!({
        "name": "telegram", "version": "0.1.0", "contract": "0.2.0", "channel_kind": "telegram",
        "allowed_hosts": ["api.telegram.org", host],
        "settings": ["receive", "groups", "api_base"], "secrets": ["bot_token"],
        "tick_seconds": 1,
        "budget": { "memory_mib": 64, "time_ms": 10000 }
    }))
}

impl Rig {
    async fn start(settings: Value) -> anyhow::Result<Rig> {
        let bot = TelegramStandIn::start(TOKEN, "acme_bot").await?;
        let data = tempfile::tempdir()?;
        let gateway = Gateway::start_beside_stand_ins(data.path(), &[]).await?;
        let admin = gateway.admin().await?;
        admin
            .install_component("telegram_adapter", &manifest(&bot)?)
            .await?;
        let mut settings = settings;
        settings["api_base"] = json!(bot.base_url);
        let (channel, hook) = admin.new_channel("telegram", settings).await?;
        let (_, created) = admin.get(&format!("/api/v1/channels/{channel}")).await?;
        assert_eq!(created["plugin"], "telegram", "the Telegram adapter");
        Ok(Rig {
            bot,
            gateway,
            admin,
            channel,
            hook,
            _data: data,
        })
    }

    async fn put_token(&self, token: &str) -> anyhow::Result<(StatusCode, Value)> {
        self.admin
            .call(
                Method::PUT,
                &format!("/api/v1/channels/{}/secrets", self.channel),
                Some(&json!({ "secrets": { "bot_token": token } })),
            )
            .await
    }

    /// Posts an update as Telegram does, with the secret token it was given.
    async fn deliver(&self, update: &Value) -> anyhow::Result<StatusCode> {
        let (_, secret) = self.bot.webhook().context("no webhook registered")?;
        let secret = secret.context("the webhook has no secret token")?;
        let (status, _) = Client::new(&self.gateway.base_url)
            .send(
                Method::POST,
                &self.hook,
                &[("X-Telegram-Bot-Api-Secret-Token", secret.as_str())],
                Some(("application/json", update.to_string().into_bytes())),
            )
            .await?;
        Ok(status)
    }

    async fn messages_with(&self, external_id: &str) -> anyhow::Result<Vec<Value>> {
        Ok(self
            .admin
            .all_messages()
            .await?
            .into_iter()
            .filter(|message| message["external_id"] == external_id)
            .collect())
    }

    /// The stored message with this Telegram id (`chat:message`), once it is there.
    async fn stored(&self, external_id: &str) -> anyhow::Result<Value> {
        self.admin.message_with(external_id, WAIT).await
    }

    /// The delivery state of a reply, once `done` says it is what the test waits for.
    async fn delivery(
        &self,
        conversation: u64,
        reply: u64,
        done: impl Fn(&Value) -> bool,
    ) -> anyhow::Result<Value> {
        self.admin
            .delivery_where(conversation, reply, "'s delivery", WAIT, done)
            .await
    }
}

/// An admin moving the bot to another Bot API server (a local one, say) changes its address and
/// its token in one save: both are checked together, the new token against the new server, and
/// the webhook is registered there. The address alone, with the old token, is refused with the
/// new server's words.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_bot_api_server_and_the_token_change_in_one_save() -> anyhow::Result<()> {
    const NEW_TOKEN: &str = "7000002:AAH-local-server-token";
    let rig = Rig::start(json!({})).await?;
    assert_eq!(rig.put_token(TOKEN).await?.0, StatusCode::NO_CONTENT);
    let local = TelegramStandIn::start(NEW_TOKEN, "acme_local_bot").await?;
    let mut granted = manifest(&rig.bot)?;
    granted["version"] = json!("0.1.1");
    granted["allowed_hosts"]
        .as_array_mut()
        .context("hosts")?
        .push(json!(local.base_url.trim_start_matches("http://")));
    rig.admin
        .install_component("telegram_adapter", &granted)
        .await?;
    let path = format!("/api/v1/channels/{}", rig.channel);

    let (status, refused) = rig
        .admin
        .call(
            Method::PATCH,
            &path,
            Some(&json!({ "settings": { "api_base": local.base_url } })),
        )
        .await?;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert_eq!(refused["error"]["code"], "connection_failed");
    assert!(local.webhook().is_none(), "nothing registered there");

    let (status, saved) = rig
        .admin
        .call(
            Method::PATCH,
            &path,
            Some(&json!({
                "settings": { "api_base": local.base_url },
                "secrets": { "bot_token": NEW_TOKEN }
            })),
        )
        .await?;
    assert_eq!(status, StatusCode::OK, "{saved}");
    assert_eq!(saved["settings"]["api_base"], json!(local.base_url));
    let (url, secret) = local.webhook().context("registered on the new server")?;
    assert!(url.ends_with(&rig.hook) && secret.is_some(), "{url}");
    let (_, connection) = rig
        .admin
        .post(&format!("{path}/connect"), &json!({}))
        .await?;
    assert_eq!(connection["account"], "@acme_local_bot, updates by webhook");
    Ok(())
}

fn html_unescaped(text: &str) -> String {
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// Saving a wrong token is refused with Telegram's words and keeps nothing; the right one
/// registers the webhook with a secret token, and the test button names the bot. A Telegram
/// user's text and photo reach the agent (an update Telegram sends twice is stored once, one
/// without the secret is refused, an edit changes the stored text), the agent's typing and
/// reply reach the user, escaped for Telegram's HTML and answering the user's message.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_telegram_user_reaches_an_agent_and_gets_the_reply() -> anyhow::Result<()> {
    let rig = Rig::start(json!({})).await?;
    let (status, refused) = rig.put_token("7000001:wrong").await?;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert_eq!(refused["error"]["code"], "connection_failed");
    assert!(
        refused["error"]["message"]
            .as_str()
            .is_some_and(|message| message.contains("Unauthorized")),
        "{refused}"
    );
    assert!(
        refused["error"]["reason"]
            .as_str()
            .is_some_and(|reason| reason.contains("Unauthorized")),
        "Telegram's own words, for the console to show in a sentence of its own: {refused}"
    );
    let (_, names) = rig
        .admin
        .get(&format!("/api/v1/channels/{}/secrets", rig.channel))
        .await?;
    assert_eq!(names["names"], json!([]), "a refused token is not kept");

    let (status, answer) = rig.put_token(TOKEN).await?;
    assert_eq!(status, StatusCode::NO_CONTENT, "{answer}");
    let (url, secret) = rig.bot.webhook().context("the webhook is registered")?;
    assert!(url.ends_with(&rig.hook), "{url}");
    assert!(secret.is_some_and(|secret| secret.len() >= 32));
    let (status, connection) = rig
        .admin
        .post(
            &format!("/api/v1/channels/{}/connect", rig.channel),
            &json!({}),
        )
        .await?;
    assert_eq!(status, StatusCode::OK, "{connection}");
    assert_eq!(connection["account"], "@acme_bot, updates by webhook");

    let chat = 5_550_001;
    let hello = telegram::text_update(
        1,
        10,
        chat,
        "Lucía",
        Some("lucia_m"),
        "Hola, ¿tienen envío a Lima?",
    );
    let (forged, _) = Client::new(&rig.gateway.base_url)
        .send(
            Method::POST,
            &rig.hook,
            &[("X-Telegram-Bot-Api-Secret-Token", "guessed")],
            Some(("application/json", hello.to_string().into_bytes())),
        )
        .await?;
    assert_eq!(forged, StatusCode::FORBIDDEN, "a forged update");
    assert!(rig.messages_with(&format!("{chat}:10")).await?.is_empty());

    assert_eq!(rig.deliver(&hello).await?, StatusCode::OK);
    assert_eq!(rig.deliver(&hello).await?, StatusCode::OK, "sent again");
    assert_eq!(rig.messages_with(&format!("{chat}:10")).await?.len(), 1);
    let message = rig.stored(&format!("{chat}:10")).await?;
    assert_eq!(message["text"], "Hola, ¿tienen envío a Lima?");
    let conversation = message["conversation_id"]
        .as_u64()
        .context("conversation")?;
    let contact = rig.admin.contact_of(&message).await?;
    assert_eq!(contact["name"], "Lucía", "{contact}");
    // She comes back through a campaign's deep link (t.me/acme_bot?start=summer-sale).
    let start = telegram::text_update(20, 9, chat, "Lucía", Some("lucia_m"), "/start summer-sale");
    assert_eq!(rig.deliver(&start).await?, StatusCode::OK);
    rig.stored(&format!("{chat}:9")).await?;
    let contact = rig.admin.contact_of(&message).await?;
    assert_eq!(
        contact["custom_fields"]["telegram_start"], "summer-sale",
        "the link she came through is on her contact: {contact}"
    );
    let edit = telegram::edited_text_update(
        3,
        10,
        chat,
        "Lucía",
        Some("lucia_m"),
        "Hola, ¿tienen envío a Arequipa?",
    );
    assert_eq!(rig.deliver(&edit).await?, StatusCode::OK);
    let edited = eventually_within(WAIT, "the edit", async || {
        Ok(rig
            .messages_with(&format!("{chat}:10"))
            .await?
            .into_iter()
            .find(|message| message["edited_at"].is_number()))
    })
    .await?;
    assert_eq!(edited["text"], "Hola, ¿tienen envío a Arequipa?");
    assert_eq!(
        rig.messages_with(&format!("{chat}:10")).await?.len(),
        1,
        "edited in place"
    );

    rig.bot.add_file(
        "photo-big",
        "photos/file_1.jpg",
        b"\xff\xd8jpeg bytes".to_vec(),
    );
    let photo = telegram::photo_update(
        2,
        11,
        chat,
        "Lucía",
        Some("lucia_m"),
        "photo-big",
        Some("Este modelo"),
    );
    assert_eq!(rig.deliver(&photo).await?, StatusCode::OK);
    let with_photo = rig.stored(&format!("{chat}:11")).await?;
    assert_eq!(with_photo["text"], "Este modelo");
    let bytes = rig.admin.first_attachment(&with_photo).await?;
    assert_eq!(&bytes[..], b"\xff\xd8jpeg bytes");

    let (status, _) = rig
        .admin
        .call(
            Method::POST,
            &format!("/api/v1/conversations/{conversation}/typing"),
            None,
        )
        .await?;
    assert_eq!(status, StatusCode::NO_CONTENT);
    rig.bot.wait_for_calls("sendChatAction", 1, WAIT).await?;
    assert_eq!(rig.bot.chat_actions(), vec![(chat, "typing".to_string())]);

    let text = "¡Hola Lucía! Sí, enviamos a Lima <48 h> & sin costo";
    let reply = rig.admin.reply(conversation, text).await?;
    rig.bot.wait_for_calls("sendMessage", 1, WAIT).await?;
    let sent = rig.bot.sent_messages();
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(sent[0].chat_id, chat);
    assert_eq!(html_unescaped(&sent[0].text), text, "what the user reads");
    assert_eq!(sent[0].parse_mode.as_deref(), Some("HTML"));
    assert_eq!(sent[0].reply_to, Some(11), "answers the newest message");
    let delivery = rig
        .delivery(conversation, reply, |delivery| delivery["state"] == "sent")
        .await?;
    assert_eq!(delivery["state"], "sent");
    Ok(())
}

/// Telegram's answers decide what happens to a reply: 429 waits `retry_after` and sends, a
/// bot the user blocked fails the reply with the reason and refuses the next one until the
/// user starts the bot again; group chats stay out unless the channel takes them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn telegrams_refusals_and_waits_are_honoured() -> anyhow::Result<()> {
    let rig = Rig::start(json!({})).await?;
    let (status, answer) = rig.put_token(TOKEN).await?;
    assert_eq!(status, StatusCode::NO_CONTENT, "{answer}");
    let chat = 5_550_002;
    let hello = telegram::text_update(1, 20, chat, "João", None, "Olá! Vocês entregam em Recife?");
    assert_eq!(rig.deliver(&hello).await?, StatusCode::OK);
    let message = rig.stored(&format!("{chat}:20")).await?;
    let conversation = message["conversation_id"]
        .as_u64()
        .context("conversation")?;

    rig.bot.throttle_next(1, 1);
    let reply = rig.admin.reply(conversation, "Entregamos, sim.").await?;
    let waiting = rig
        .delivery(conversation, reply, |delivery| {
            delivery["state"] == "queued" && delivery["reason"].is_string()
        })
        .await?;
    assert!(
        waiting["reason"]
            .as_str()
            .is_some_and(|reason| reason.contains("Too Many Requests")),
        "{waiting}"
    );
    rig.delivery(conversation, reply, |delivery| delivery["state"] == "sent")
        .await?;
    let tries = rig.bot.calls_of("sendMessage");
    assert_eq!(tries.len(), 2, "one refused, one sent");

    rig.bot.block(chat);
    let refused = rig.admin.reply(conversation, "¿Algo más?").await?;
    let failed = rig
        .delivery(conversation, refused, |delivery| {
            delivery["state"] == "failed"
        })
        .await?;
    assert!(
        failed["reason"]
            .as_str()
            .is_some_and(|reason| reason.contains("blocked the bot")),
        "{failed}"
    );
    let (status, answer) = rig
        .admin
        .post(
            &format!("/api/v1/conversations/{conversation}/messages"),
            &json!({ "text": "¿Hola?" }),
        )
        .await?;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
    assert!(
        answer["error"]["message"]
            .as_str()
            .is_some_and(|message| message.contains("blocked the bot")),
        "{answer}"
    );
    rig.bot.unblock(chat);
    let unblocked = telegram::my_chat_member_unblocked(2, chat, "João", None, &rig.bot.bot_user());
    assert_eq!(rig.deliver(&unblocked).await?, StatusCode::OK);
    rig.admin.reply(conversation, "Bem-vindo de volta!").await?;

    let group = telegram::group_text_update(
        3,
        30,
        -4_000_001,
        "Vecinos",
        5_550_003,
        "Ana",
        None,
        "hola grupo",
    );
    assert_eq!(rig.deliver(&group).await?, StatusCode::OK);
    assert!(
        rig.messages_with("-4000001:30").await?.is_empty(),
        "a group chat is not taken in unless the channel takes groups"
    );
    Ok(())
}

/// A gateway that cannot take webhooks polls: the webhook is removed, queued updates come in
/// once each (the offset confirms them), and replies go out as usual.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_polling_channel_takes_updates_without_a_webhook() -> anyhow::Result<()> {
    let rig = Rig::start(json!({ "receive": "polling" })).await?;
    let (status, answer) = rig.put_token(TOKEN).await?;
    assert_eq!(status, StatusCode::NO_CONTENT, "{answer}");
    assert!(rig.bot.webhook().is_none(), "no webhook while polling");
    let chat = 5_550_004;
    rig.bot.queue_update(telegram::text_update(
        7,
        40,
        chat,
        "Carmen",
        None,
        "¿Abren el sábado?",
    ));
    rig.bot.queue_update(telegram::text_update(
        8,
        41,
        chat,
        "Carmen",
        None,
        "¿Y el domingo?",
    ));
    let first = rig.stored(&format!("{chat}:40")).await?;
    rig.stored(&format!("{chat}:41")).await?;
    // Later polls confirm the offset and bring nothing twice.
    rig.bot.wait_for_calls("getUpdates", 4, WAIT).await?;
    assert_eq!(rig.bot.pending_updates(), 0, "confirmed");
    assert_eq!(rig.messages_with(&format!("{chat}:40")).await?.len(), 1);
    let conversation = first["conversation_id"].as_u64().context("conversation")?;
    rig.admin.reply(conversation, "Sí, de 9 a 13.").await?;
    rig.bot.wait_for_calls("sendMessage", 1, WAIT).await?;
    Ok(())
}
