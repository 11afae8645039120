//! Settings › Integraciones in a real headless Chromium against the real gateway, an admin in
//! Spanish: an API token made in the console is shown once, works with a bearer header within
//! its scope and stops when revoked; a webhook to a receiver on loopback (a refused address
//! first, its reason beside the field), "Enviar prueba" showing the receiver's answer, a
//! customer's message delivered signed with the secret shown once and listed in the delivery
//! log; and the audit log naming both creations by the admin.

use std::sync::{Arc, Mutex};

use anyhow::Context;
use axum::http::HeaderMap;
use hmac::{Hmac, Mac};
use hyper::StatusCode;
use serde_json::Value;
use sha2::Sha256;
use switchboard_e2e::browser::{Browser, choose, click, eventually, set_field, shown, texts};
use switchboard_e2e::{Client, Gateway, inbound_message};

use super::console_settings::{admin_console, into_view};

/// What the receiver answers every delivery with.
const RECEIVED: &str = "recibido";

/// An integration's endpoint on loopback: it answers 200 and keeps each delivery.
struct Receiver {
    url: String,
    got: Arc<Mutex<Vec<(HeaderMap, String)>>>,
}

impl Receiver {
    async fn start() -> anyhow::Result<Receiver> {
        let got: Arc<Mutex<Vec<(HeaderMap, String)>>> = Arc::default();
        let seen = got.clone();
        let endpoint = axum::Router::new().route(
            "/hook",
            axum::routing::post(move |headers: HeaderMap, body: String| {
                seen.lock()
                    .expect("the deliveries' lock")
                    .push((headers, body));
                async { RECEIVED }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let address = listener.local_addr()?;
        tokio::spawn(async move { axum::serve(listener, endpoint).await });
        Ok(Receiver {
            url: format!("http://{address}/hook"),
            got,
        })
    }

    /// The first delivery of `event`, once it came.
    async fn delivery_of(&self, event: &str) -> anyhow::Result<(HeaderMap, String)> {
        eventually(&format!("a {event} delivery"), async || {
            Ok(self
                .got
                .lock()
                .expect("the deliveries' lock")
                .iter()
                .find(|(headers, _)| {
                    headers
                        .get("x-switchboard-event")
                        .is_some_and(|name| name == event)
                })
                .cloned())
        })
        .await
    }
}

/// Whether the `X-Switchboard-Signature` of a delivery is the HMAC-SHA256 of its timestamp, a
/// dot and its body, keyed with `secret`.
fn signed_with(secret: &str, headers: &HeaderMap, body: &str) -> anyhow::Result<bool> {
    let header = headers
        .get("x-switchboard-signature")
        .context("no signature")?
        .to_str()?;
    let part = |name: &str| {
        header
            .split(',')
            .find_map(|part| part.strip_prefix(name))
            .with_context(|| format!("no {name} in {header}"))
    };
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes())?;
    mac.update(format!("{}.{body}", part("t=")?).as_bytes());
    Ok(hex::encode(mac.finalize().into_bytes()) == part("v1=")?)
}

/// The value of the field `selector` finds.
async fn value_of(browser: &Browser, selector: &str) -> anyhow::Result<String> {
    let value = browser
        .client
        .execute(
            "return document.querySelector(arguments[0]).value",
            vec![Value::from(selector)],
        )
        .await?;
    value
        .as_str()
        .map(str::to_string)
        .with_context(|| format!("no value in {selector}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn an_admin_makes_a_token_and_a_signed_webhook_and_the_audit_log_names_them()
-> anyhow::Result<()> {
    let receiver = Receiver::start().await?;
    let data = tempfile::tempdir()?;
    let gateway = Gateway::start_beside_stand_ins(data.path(), &[]).await?;
    let api = gateway.admin().await?;
    let channel = api.api_channel().await?;
    let (_, me) = api.get("/api/v1/auth/me").await?;
    let admin_name = me["agent"]["name"].as_str().context("the admin's name")?;

    let admin = admin_console(&gateway, "es", false).await?;
    click(&admin, ".topbar .settings-link").await?;
    click(&admin, ".settings-tabs .tab[data-section=integrations]").await?;
    shown(&admin, ".settings-head h1", "Integraciones").await?;
    assert_eq!(
        admin.client.current_url().await?.path(),
        "/app/settings/integrations"
    );

    // A read-only token for a CRM, shown once.
    click(&admin, ".api-tokens .new-token").await?;
    set_field(&admin, ".token-editor input[name=token-name]", "CRM").await?;
    choose(&admin, ".token-editor select[name=token-scope]", "read").await?;
    choose(&admin, ".token-editor select[name=token-expiry]", "1").await?;
    click(&admin, ".token-editor button[type=submit]").await?;
    shown(&admin, ".token-once .warning", "no se volverá a mostrar").await?;
    let token = value_of(&admin, ".token-once input.secret").await?;
    assert!(token.starts_with("sbt_"), "{token}");
    shown(&admin, ".token-row[data-token=CRM]", "Solo lectura").await?;
    shown(&admin, ".token-row[data-token=CRM]", "Vence el").await?;
    admin
        .screenshot("console-settings-integrations-token")
        .await?;
    let integration = Client::new(&gateway.base_url).with_bearer(&token);
    let (status, _) = integration.get("/api/v1/conversations").await?;
    assert_eq!(status, StatusCode::OK, "the token reads");
    let (status, _) = integration
        .post("/api/v1/webhooks", &serde_json::json!({}))
        .await?;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "a read-only token writes nothing"
    );
    click(&admin, ".token-once .done").await?;

    // A webhook: an address inside the network is refused beside the field, the receiver's is
    // taken and its secret shown once.
    click(&admin, ".webhooks .new-webhook").await?;
    set_field(
        &admin,
        ".webhook-editor input[name=url]",
        "http://169.254.169.254/hook",
    )
    .await?;
    click(&admin, ".webhook-editor input[value=conversation_created]").await?;
    click(&admin, ".webhook-editor button[type=submit]").await?;
    shown(&admin, ".webhook-editor .url-refused", "dentro de la red").await?;
    shown(&admin, ".webhook-editor .error", "revisa «URL»").await?;
    admin
        .screenshot("console-settings-integrations-refused-url")
        .await?;
    set_field(&admin, ".webhook-editor input[name=url]", &receiver.url).await?;
    click(&admin, ".webhook-editor button[type=submit]").await?;
    shown(&admin, ".secret-once .warning", "no se volverá a mostrar").await?;
    let secret = value_of(&admin, ".secret-once input.secret").await?;
    assert!(secret.starts_with("whsec_"), "{secret}");

    // Enviar prueba: the receiver's status and answer.
    click(&admin, ".webhook-tools .send-test").await?;
    shown(
        &admin,
        ".webhook-tools .test-result.ok",
        "El destino respondió 200",
    )
    .await?;
    shown(&admin, ".webhook-tools .test-result", RECEIVED).await?;
    let (headers, ping) = receiver.delivery_of("ping").await?;
    assert!(signed_with(&secret, &headers, &ping)?, "the ping is signed");
    admin
        .screenshot("console-settings-integrations-test")
        .await?;

    // A customer writes: the delivery is signed with the secret shown once, and logged.
    api.post_inbound(
        channel,
        &inbound_message(
            "ana@example.com",
            "e2e-integrations-1",
            "Hola, necesito ayuda",
        ),
    )
    .await?;
    let (headers, body) = receiver.delivery_of("message_created").await?;
    assert!(
        signed_with(&secret, &headers, &body)?,
        "the delivery is signed with the secret shown once"
    );
    let told: Value = serde_json::from_str(&body)?;
    assert_eq!(told["data"]["message"]["text"], "Hola, necesito ayuda");
    let delivered = ".deliveries tr.delivery-row[data-event=message_created]";
    eventually("the delivery in the log", async || {
        click(&admin, ".webhook-tools .refresh").await?;
        Ok(texts(&admin, delivered)
            .await?
            .iter()
            .any(|row| row.contains("Entregado · 200") && row.contains("Mensaje creado"))
            .then_some(()))
    })
    .await?;
    into_view(&admin, ".webhook-tools").await?;
    admin
        .screenshot("console-settings-integrations-deliveries")
        .await?;

    // The token revoked, after asking, stops at once.
    click(&admin, ".webhook-editor .back-to-list").await?;
    shown(&admin, ".webhook-row .last-delivery", "Entregado").await?;
    click(&admin, ".token-row[data-token=CRM] .delete").await?;
    shown(
        &admin,
        ".token-row[data-token=CRM] .danger",
        "¿Revocar este token?",
    )
    .await?;
    click(&admin, ".token-row[data-token=CRM] .delete").await?;
    shown(&admin, ".api-tokens .saved", "Revocado.").await?;
    let (status, _) = integration.get("/api/v1/conversations").await?;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "a revoked token works no more"
    );

    // The audit log: both creations and the revocation, by the admin, in Spanish.
    for (action, words, which) in [
        ("token_created", "Token de API creado", "CRM"),
        ("webhook_created", "Webhook creado", "http://127.0.0.1"),
        ("token_revoked", "Token de API revocado", ""),
    ] {
        let row = format!(".audit-log tr[data-action={action}]");
        shown(&admin, &format!("{row} .what"), words).await?;
        shown(&admin, &format!("{row} .who"), admin_name).await?;
        shown(&admin, &format!("{row} .which"), which).await?;
    }
    into_view(&admin, ".audit-log").await?;
    admin
        .screenshot("console-settings-integrations-audit")
        .await?;
    admin.close().await
}
