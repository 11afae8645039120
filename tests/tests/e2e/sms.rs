//! The SMS channel through the real gateway binary against stand-ins of Twilio, Vonage and
//! MessageBird: each provider's webhook signature checked (Twilio's computed by Twilio's own
//! Python library, as Twilio computes it), forged and replayed webhooks refused, an SMS with
//! its MMS picture reaching the agent under the sender's E.164 number, replies and status
//! reports, and opt-out keywords honoured.

use std::time::Duration;

use anyhow::Context;
use hyper::{Method, StatusCode};
use serde_json::{Value, json};
use switchboard_e2e::sms_stand_in::{self as sms, SmsCredentials, SmsStandIn};
use switchboard_e2e::{Client, Gateway};

const WAIT: Duration = Duration::from_secs(15);
const OUR_NUMBER: &str = "+551140000000";
const SIGNATURE_SECRET: &str = "vonage-signature-secret-0123456789";
const SIGNING_KEY: &str = "messagebird-signing-key-9876";

struct Rig {
    provider: SmsStandIn,
    gateway: Gateway,
    admin: Client,
    channel: u64,
    hook: String,
    _data: tempfile::TempDir,
}

/// The SMS plugin as an admin installs it to reach a provider's API server of their own (here
/// the stand-in on 127.0.0.1): the bundled component, granted that host.
pub(super) fn manifest(provider: &SmsStandIn) -> Value {
    let host = provider.base_url.trim_start_matches("http://");
    json!({
        "name": "sms", "version": "0.1.0", "contract": "0.2.0", "channel_kind": "sms",
        "allowed_hosts": [host],
        "settings": ["provider", "from", "default_country", "account_sid", "api_key", "api_base"],
        "secrets": ["auth_token", "api_secret", "signature_secret", "access_key", "signing_key"],
        "budget": { "memory_mib": 64, "time_ms": 10000 }
    })
}

/// Retries of a failed reply a second apart (then doubling), not half a minute.
const QUICK_RETRIES: (&str, &str) = ("SWITCHBOARD_DELIVERY__FIRST_RETRY_SECONDS", "1");

impl Rig {
    async fn start(settings: Value) -> anyhow::Result<Rig> {
        Rig::start_with(settings, &[]).await
    }

    /// A rig whose gateway is configured with `config` (environment variables) too.
    async fn start_with(settings: Value, config: &[(&str, &str)]) -> anyhow::Result<Rig> {
        let provider = SmsStandIn::start(SmsCredentials::default()).await?;
        let data = tempfile::tempdir()?;
        let config: Vec<(&str, String)> = config
            .iter()
            .map(|(name, value)| (*name, value.to_string()))
            .collect();
        let gateway = Gateway::start_beside_stand_ins(data.path(), &config).await?;
        let admin = gateway.admin().await?;
        admin
            .install_component("sms_adapter", &manifest(&provider))
            .await?;
        let mut settings = settings;
        settings["from"] = json!(OUR_NUMBER);
        settings["default_country"] = json!("BR");
        settings["api_base"] = json!(provider.base_url);
        let (channel, hook) = admin.new_channel("sms", settings).await?;
        Ok(Rig {
            provider,
            gateway,
            admin,
            channel,
            hook,
            _data: data,
        })
    }

    async fn put_secrets(&self, secrets: Value) -> anyhow::Result<(StatusCode, Value)> {
        self.admin
            .call(
                Method::PUT,
                &format!("/api/v1/channels/{}/secrets", self.channel),
                Some(&json!({ "secrets": secrets })),
            )
            .await
    }

    fn webhook_url(&self) -> String {
        format!("{}{}", self.gateway.base_url, self.hook)
    }

    /// Posts a webhook as the provider does; the status and the answer's body as text.
    async fn post(
        &self,
        headers: &[(&str, &str)],
        media_type: &str,
        body: Vec<u8>,
    ) -> anyhow::Result<(StatusCode, String)> {
        let (status, _, answer) = Client::new(&self.gateway.base_url)
            .exchange(Method::POST, &self.hook, headers, Some((media_type, body)))
            .await?;
        Ok((status, String::from_utf8_lossy(&answer).into_owned()))
    }

    /// Posts a Vonage webhook `body`, signed now with the signature secret.
    async fn post_vonage(&self, body: &Value) -> anyhow::Result<StatusCode> {
        let body = body.to_string().into_bytes();
        let signed = sms::vonage_signed_authorization(
            SIGNATURE_SECRET,
            &body,
            now(),
            &SmsCredentials::default().vonage_api_key,
        );
        let (status, _) = self
            .post(
                &[("Authorization", signed.as_str())],
                "application/json",
                body,
            )
            .await?;
        Ok(status)
    }

    async fn stored(&self, external_id: &str) -> anyhow::Result<Value> {
        self.admin.message_with(external_id, WAIT).await
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

    async fn try_reply(
        &self,
        conversation: u64,
        text: &str,
    ) -> anyhow::Result<(StatusCode, Value)> {
        self.admin
            .post(
                &format!("/api/v1/conversations/{conversation}/messages"),
                &json!({ "text": text }),
            )
            .await
    }
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs())
}

/// A Twilio SMS with a picture reaches the agent (its signature made by Twilio's library;
/// a forged one refused), the reply and its status callback come back, and PARAR / VOLTAR
/// and Twilio's own opt-out refusal decide whether the contact may be written to.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_sms_through_twilio_reaches_an_agent_and_opt_outs_are_honoured() -> anyhow::Result<()> {
    let python = sms::provider_python()
        .context("Twilio's Python library is missing: run `cargo xtask setup`")?;
    let credentials = SmsCredentials::default();
    let rig =
        Rig::start(json!({ "provider": "twilio", "account_sid": credentials.twilio_account_sid }))
            .await?;
    let (status, refused) = rig
        .put_secrets(json!({ "auth_token": "not-the-token" }))
        .await?;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert!(
        refused["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("20003")),
        "{refused}"
    );
    let (status, answer) = rig
        .put_secrets(json!({ "auth_token": credentials.twilio_auth_token }))
        .await?;
    assert_eq!(status, StatusCode::NO_CONTENT, "{answer}");

    let customer = "+5511987654321";
    let picture = rig.provider.add_media(
        &rig.provider.twilio_media_path("MM0001", "ME0001"),
        "image/jpeg",
        b"\xff\xd8 size chart".to_vec(),
    );
    let params = sms::twilio_inbound_params(
        &credentials.twilio_account_sid,
        "MM0001",
        customer,
        OUR_NUMBER,
        "Oi, quero trocar o tamanho",
        &[(picture.as_str(), "image/jpeg")],
    );
    let signature = sms::twilio_signature_with_python(
        &python,
        &credentials.twilio_auth_token,
        &rig.webhook_url(),
        &params,
    )?;
    let form = serde_urlencoded::to_string(&params)?.into_bytes();
    let form_type = "application/x-www-form-urlencoded";
    let (status, _) = rig
        .post(
            &[("X-Twilio-Signature", "bm90IHRoZSBzaWduYXR1cmU=")],
            form_type,
            form.clone(),
        )
        .await?;
    assert_eq!(status, StatusCode::FORBIDDEN, "a forged signature");
    let (status, answer) = rig
        .post(
            &[("X-Twilio-Signature", signature.as_str())],
            form_type,
            form,
        )
        .await?;
    assert_eq!(status, StatusCode::OK);
    assert!(
        answer.ends_with("<Response></Response>"),
        "empty TwiML: {answer}"
    );
    let message = rig.stored("MM0001").await?;
    assert_eq!(message["text"], "Oi, quero trocar o tamanho");
    let bytes = rig.admin.first_attachment(&message).await?;
    assert_eq!(&bytes[..], b"\xff\xd8 size chart");
    let conversation = message["conversation_id"]
        .as_u64()
        .context("conversation")?;
    let contact = rig.admin.contact_of(&message).await?;
    assert_eq!(contact["phones"], json!([customer]));

    let reply = rig
        .admin
        .reply(conversation, "Claro! Qual tamanho você quer?")
        .await?;
    let sent = rig.provider.wait_for_sent(1, WAIT).await?;
    assert_eq!(sent[0].provider, "twilio");
    assert_eq!(sent[0].to, customer);
    assert_eq!(sent[0].body, "Claro! Qual tamanho você quer?");
    assert_eq!(
        sent[0].status_url.as_deref(),
        Some(rig.webhook_url().as_str())
    );
    rig.delivery_of(conversation, reply, "sent").await?;
    let delivered = sms::twilio_status_params(
        &credentials.twilio_account_sid,
        &sent[0].id,
        OUR_NUMBER,
        customer,
        "delivered",
        None,
    );
    let signature = sms::twilio_signature_with_python(
        &python,
        &credentials.twilio_auth_token,
        &rig.webhook_url(),
        &delivered,
    )?;
    let (status, _) = rig
        .post(
            &[("X-Twilio-Signature", signature.as_str())],
            form_type,
            serde_urlencoded::to_string(&delivered)?.into_bytes(),
        )
        .await?;
    assert_eq!(status, StatusCode::OK);
    rig.delivery_of(conversation, reply, "delivered").await?;

    let keyword = async |sid: &str, text: &str| -> anyhow::Result<()> {
        let params = sms::twilio_inbound_params(
            &credentials.twilio_account_sid,
            sid,
            customer,
            OUR_NUMBER,
            text,
            &[],
        );
        let signature = sms::twilio_signature_with_python(
            &python,
            &credentials.twilio_auth_token,
            &rig.webhook_url(),
            &params,
        )?;
        let (status, _) = rig
            .post(
                &[("X-Twilio-Signature", signature.as_str())],
                form_type,
                serde_urlencoded::to_string(&params)?.into_bytes(),
            )
            .await?;
        anyhow::ensure!(status == StatusCode::OK, "{status}");
        rig.stored(sid).await.map(drop)
    };
    keyword("SM0002", "PARAR").await?;
    let (status, answer) = rig.try_reply(conversation, "¿Hola?").await?;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
    assert!(
        answer["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("PARAR")),
        "{answer}"
    );
    keyword("SM0003", "voltar").await?;
    let (status, answer) = rig.try_reply(conversation, "Bem-vindo de volta!").await?;
    assert_eq!(status, StatusCode::CREATED, "{answer}");

    // Twilio itself refuses a number that opted out with it.
    rig.provider.opt_out(customer);
    let refused = rig.admin.reply(conversation, "Oferta especial").await?;
    let failed = rig.delivery_of(conversation, refused, "failed").await?;
    assert!(
        failed["reason"]
            .as_str()
            .is_some_and(|r| r.contains("21610")),
        "{failed}"
    );
    let (status, _) = rig.try_reply(conversation, "¿Y ahora?").await?;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "unreachable after the refusal"
    );
    Ok(())
}

/// Vonage's and MessageBird's signed webhooks: a good one is taken in once, the same token
/// again (a replay), an old one or one for another body is refused; replies and status
/// reports travel as for Twilio.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn vonage_and_messagebird_webhooks_are_checked_and_replays_refused() -> anyhow::Result<()> {
    let credentials = SmsCredentials::default();
    let vonage =
        Rig::start(json!({ "provider": "vonage", "api_key": credentials.vonage_api_key })).await?;
    let (status, answer) = vonage
        .put_secrets(json!({ "api_secret": credentials.vonage_api_secret, "signature_secret": SIGNATURE_SECRET }))
        .await?;
    assert_eq!(status, StatusCode::NO_CONTENT, "{answer}");
    let body = sms::vonage_inbound(
        "aaaaaaaa-0000-4000-8000-000000000001",
        "5521998887777",
        "551140000000",
        "Hola, ¿tienen envío?",
    )
    .to_string()
    .into_bytes();
    let signed = sms::vonage_signed_authorization(
        SIGNATURE_SECRET,
        &body,
        now(),
        &credentials.vonage_api_key,
    );
    let (status, _) = vonage
        .post(
            &[("Authorization", signed.as_str())],
            "application/json",
            body.clone(),
        )
        .await?;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = vonage
        .post(
            &[("Authorization", signed.as_str())],
            "application/json",
            body.clone(),
        )
        .await?;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "the same token again is a replay"
    );
    let old = sms::vonage_signed_authorization(
        SIGNATURE_SECRET,
        &body,
        now() - 3_600,
        &credentials.vonage_api_key,
    );
    let (status, _) = vonage
        .post(&[("Authorization", old.as_str())], "application/json", body)
        .await?;
    assert_eq!(status, StatusCode::FORBIDDEN, "an hour-old token");
    let message = vonage
        .stored("aaaaaaaa-0000-4000-8000-000000000001")
        .await?;
    let conversation = message["conversation_id"]
        .as_u64()
        .context("conversation")?;
    let reply = vonage
        .admin
        .reply(conversation, "Sí, a todo el país.")
        .await?;
    let sent = vonage.provider.wait_for_sent(1, WAIT).await?;
    assert_eq!(
        (sent[0].provider, sent[0].to.as_str()),
        ("vonage", "5521998887777")
    );
    let report = sms::vonage_status(
        &sent[0].id,
        "5521998887777",
        "551140000000",
        "rejected",
        Some((1050, "Number barred")),
    );
    assert_eq!(vonage.post_vonage(&report).await?, StatusCode::OK);
    let failed = vonage.delivery_of(conversation, reply, "failed").await?;
    assert!(
        failed["reason"]
            .as_str()
            .is_some_and(|r| r.contains("Number barred")),
        "{failed}"
    );

    // A new number whose first message opts out is never written to.
    let baja = sms::vonage_inbound(
        "aaaaaaaa-0000-4000-8000-000000000002",
        "5521911112222",
        "551140000000",
        "BAJA",
    );
    assert_eq!(vonage.post_vonage(&baja).await?, StatusCode::OK);
    let opted_out = vonage
        .stored("aaaaaaaa-0000-4000-8000-000000000002")
        .await?;
    let (status, answer) = vonage
        .try_reply(
            opted_out["conversation_id"]
                .as_u64()
                .context("conversation")?,
            "¿Seguro?",
        )
        .await?;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
    assert!(
        answer["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("BAJA")),
        "{answer}"
    );

    let bird = Rig::start(json!({ "provider": "messagebird" })).await?;
    let (status, answer) = bird
        .put_secrets(
            json!({ "access_key": credentials.messagebird_access_key, "signing_key": SIGNING_KEY }),
        )
        .await?;
    assert_eq!(status, StatusCode::NO_CONTENT, "{answer}");
    let form = serde_urlencoded::to_string(sms::messagebird_inbound(
        "mb-0001",
        "5531977776666",
        "551140000000",
        "Oi, meu pedido chegou?",
    ))?
    .into_bytes();
    let signature =
        sms::messagebird_signature(SIGNING_KEY, &bird.webhook_url(), Some(&form), now());
    let form_type = "application/x-www-form-urlencoded";
    let wrong_body =
        sms::messagebird_signature(SIGNING_KEY, &bird.webhook_url(), Some(b"other"), now());
    let (status, _) = bird
        .post(
            &[("MessageBird-Signature-JWT", wrong_body.as_str())],
            form_type,
            form.clone(),
        )
        .await?;
    assert_eq!(status, StatusCode::FORBIDDEN, "signed for another body");
    let (status, _) = bird
        .post(
            &[("MessageBird-Signature-JWT", signature.as_str())],
            form_type,
            form.clone(),
        )
        .await?;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = bird
        .post(
            &[("MessageBird-Signature-JWT", signature.as_str())],
            form_type,
            form,
        )
        .await?;
    assert_eq!(status, StatusCode::FORBIDDEN, "a replay");
    let message = bird.stored("mb-0001").await?;
    let contact = bird.admin.contact_of(&message).await?;
    assert_eq!(contact["phones"], json!(["+5531977776666"]), "in E.164");
    let conversation = message["conversation_id"]
        .as_u64()
        .context("conversation")?;
    let reply = bird.admin.reply(conversation, "Chegou sim, ontem.").await?;
    let sent = bird.provider.wait_for_sent(1, WAIT).await?;
    assert_eq!(sent[0].provider, "messagebird");
    let report = serde_urlencoded::to_string(sms::messagebird_status(
        &sent[0].id,
        Some(&reply.to_string()),
        "5531977776666",
        "delivered",
        "successfully delivered",
        None,
    ))?
    .into_bytes();
    let signature =
        sms::messagebird_signature(SIGNING_KEY, &bird.webhook_url(), Some(&report), now());
    let (status, _) = bird
        .post(
            &[("MessageBird-Signature-JWT", signature.as_str())],
            form_type,
            report,
        )
        .await?;
    assert_eq!(status, StatusCode::OK);
    bird.delivery_of(conversation, reply, "delivered").await?;
    Ok(())
}

/// Vonage sending a webhook twice (it tries again when our answer is late, signing each try
/// anew) leaves one message; a reply while Vonage is down waits with Vonage's reason shown and
/// goes once Vonage is back, once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_repeated_webhook_is_stored_once_and_a_reply_waits_out_vonage_being_down()
-> anyhow::Result<()> {
    let credentials = SmsCredentials::default();
    let rig = Rig::start_with(
        json!({ "provider": "vonage", "api_key": credentials.vonage_api_key }),
        &[QUICK_RETRIES],
    )
    .await?;
    let (status, answer) = rig
        .put_secrets(json!({ "api_secret": credentials.vonage_api_secret, "signature_secret": SIGNATURE_SECRET }))
        .await?;
    assert_eq!(status, StatusCode::NO_CONTENT, "{answer}");
    let id = "bbbbbbbb-0000-4000-8000-000000000002";
    let hello = sms::vonage_inbound(id, "5521998887777", "551140000000", "¿Abren el sábado?");
    assert_eq!(rig.post_vonage(&hello).await?, StatusCode::OK);
    assert_eq!(
        rig.post_vonage(&hello).await?,
        StatusCode::OK,
        "Vonage tries again"
    );
    let message = rig.stored(id).await?;
    assert_eq!(rig.admin.copies_of(id).await?, 1, "stored once");
    let conversation = message["conversation_id"]
        .as_u64()
        .context("conversation")?;

    rig.provider.set_down(true);
    let reply = rig.admin.reply(conversation, "Sí, de 9 a 13 h.").await?;
    let waiting = rig
        .admin
        .delivery_waiting_to_retry(conversation, reply, WAIT)
        .await?;
    assert!(
        waiting["reason"]
            .as_str()
            .is_some_and(|reason| reason.contains("503")),
        "the provider's answer: {waiting}"
    );
    assert!(rig.provider.sent().is_empty());
    rig.provider.set_down(false);
    rig.delivery_of(conversation, reply, "sent").await?;
    let sent = rig.provider.sent();
    assert_eq!(sent.len(), 1, "sent once: {sent:?}");
    assert_eq!(sent[0].body, "Sí, de 9 a 13 h.");
    Ok(())
}
