//! Inbound webhook to stored message through each channel plugin, against the release gateway
//! pinned to one core, with the providers' stand-ins on loopback: the template adapter (the
//! floor every plugin is measured against, in the same run), Telegram, WhatsApp (signature
//! checked) and SMS by Vonage (JWT checked, replays remembered). For each: latency one webhook
//! at a time (p50, p99; the answer comes once the message is stored) and messages per second
//! with `CONCURRENCY` webhooks in flight, each beside the template's as a ratio.
//!
//! The channels take turns, webhook by webhook for the latencies and in `ROUNDS` rounds for the
//! rates (the median kept), so that the machine's slow and fast moments fall on all of them
//! alike and the ratios compare the plugins rather than the moments.
//!
//! `cargo xtask bench` runs it; `MESSAGES`, `ROUNDS` and `CONCURRENCY` change the load.

use std::time::Instant;

use anyhow::Context;
use futures_util::StreamExt;
use hyper::{Method, StatusCode};
use serde_json::{Value, json};
use switchboard_e2e::sms_stand_in::{self as sms, SmsCredentials, SmsStandIn};
use switchboard_e2e::telegram_stand_in::{self as telegram, TelegramStandIn};
use switchboard_e2e::whatsapp_stand_in::{self as whatsapp, WhatsAppStandIn};
use switchboard_e2e::{Client, Gateway, percentile, run_bench, setting};

const TELEGRAM_TOKEN: &str = "7000001:AAH-bench-token";
const WHATSAPP_TOKEN: &str = "EAAG-bench-token";
const APP_SECRET: &str = "bench-app-secret";
const SIGNATURE_SECRET: &str = "bench-vonage-signature-secret";
/// Distinct senders the messages come from.
const SENDERS: usize = 200;

fn main() -> anyhow::Result<()> {
    run_bench(run())
}

/// One webhook as the provider sends it: its headers, media type and body.
struct Webhook {
    headers: Vec<(String, String)>,
    media_type: &'static str,
    body: Vec<u8>,
}

/// A channel under test: its webhook path and a maker of its `n`th webhook.
struct Channel {
    name: &'static str,
    hook: String,
    make: Box<dyn Fn(usize) -> Webhook>,
}

async fn run() -> anyhow::Result<()> {
    let messages = setting("MESSAGES", 2000);
    let rounds = setting("ROUNDS", 3);
    let concurrency = setting("CONCURRENCY", 8);
    let data = tempfile::tempdir()?;
    let gateway =
        Gateway::start_beside_stand_ins(data.path(), &[("SWITCHBOARD_LOG__FILTER", "warn".into())])
            .await?;
    let pid = gateway.pid().context("the gateway's pid")?;
    let pinned = std::process::Command::new("taskset")
        .args(["-a", "-p", "-c", "0", &pid.to_string()])
        .output()?;
    anyhow::ensure!(pinned.status.success(), "taskset: {pinned:?}");
    let admin = gateway.admin().await?;
    let bot = TelegramStandIn::start(TELEGRAM_TOKEN, "bench_bot").await?;
    let meta =
        WhatsAppStandIn::start(WHATSAPP_TOKEN, "1065", "+55 11 4000-0000", "Bench", "1022").await?;
    let sms_provider = SmsStandIn::start(SmsCredentials::default()).await?;

    let template = admin
        .install_plugin_channel(
            "template_adapter",
            json!({ "name": "crm", "version": "1.0.0", "contract": "0.2.0", "channel_kind": "api" }),
            "CRM",
        )
        .await?;
    let channels = vec![
        Channel {
            name: "template",
            hook: template,
            make: Box::new(|n| {
                Webhook {
                headers: Vec::new(),
                media_type: "application/json",
                body: json!({ "id": format!("crm-{n}"), "from": { "id": format!("lead-{}", n % SENDERS), "name": "Ana" }, "text": "¿Me llaman mañana?" })
                    .to_string()
                    .into_bytes(),
            }
            }),
        },
        telegram_channel(&admin, &bot).await?,
        whatsapp_channel(&admin, &meta).await?,
        sms_channel(&admin, &sms_provider).await?,
    ];
    let provider = Client::new(&gateway.base_url);
    println!(
        "inbound webhook to stored message, gateway pinned to one core, {messages} messages each, channels taking turns"
    );
    let latencies = taking_turns(&provider, &channels, messages).await?;
    let mut rates = vec![Vec::with_capacity(rounds); channels.len()];
    for round in 0..rounds {
        for (channel, rate) in channels.iter().zip(&mut rates) {
            // Ids after the latency phase's and the earlier rounds', so every message is new.
            let first = messages * (1 + round);
            rate.push(concurrent(&provider, channel, first, messages, concurrency).await?);
        }
    }
    let mut floor: Option<(f64, f64, f64)> = None;
    for ((channel, mut latencies), mut rate) in channels.iter().zip(latencies).zip(rates) {
        latencies.sort_unstable();
        let (p50, p99) = (percentile(&latencies, 0.50), percentile(&latencies, 0.99));
        rate.sort_by(f64::total_cmp);
        let rate = rate[rate.len() / 2];
        let (p50_floor, p99_floor, rate_floor) = *floor.get_or_insert((p50, p99, rate));
        println!(
            "{:<9} p50 {:>7.0} µs (×{:.2})  p99 {:>7.0} µs (×{:.2})  {:>6.0} msg/s with {concurrency} in flight, median of {rounds} (×{:.2} of the template's rate)",
            channel.name,
            p50,
            p50 / p50_floor,
            p99,
            p99 / p99_floor,
            rate,
            rate_floor / rate,
        );
    }
    Ok(())
}

/// Each channel's webhook latencies in µs, one webhook at a time, the channels taking turns.
async fn taking_turns(
    provider: &Client,
    channels: &[Channel],
    messages: usize,
) -> anyhow::Result<Vec<Vec<u64>>> {
    let mut latencies = vec![Vec::with_capacity(messages); channels.len()];
    for n in 0..messages {
        for (channel, latencies) in channels.iter().zip(&mut latencies) {
            let webhook = (channel.make)(n);
            let started = Instant::now();
            send(provider, &channel.hook, webhook).await?;
            latencies.push(u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX));
        }
    }
    Ok(latencies)
}

/// Messages stored per second with `concurrency` webhooks in flight: `messages` new ones, the
/// first numbered `first`.
async fn concurrent(
    provider: &Client,
    channel: &Channel,
    first: usize,
    messages: usize,
    concurrency: usize,
) -> anyhow::Result<f64> {
    let webhooks: Vec<Webhook> = (first..first + messages)
        .map(|n| (channel.make)(n))
        .collect();
    let started = Instant::now();
    let results: Vec<anyhow::Result<()>> = futures_util::stream::iter(webhooks)
        .map(|webhook| send(provider, &channel.hook, webhook))
        .buffer_unordered(concurrency)
        .collect()
        .await;
    for result in results {
        result?;
    }
    Ok(messages as f64 / started.elapsed().as_secs_f64())
}

async fn send(provider: &Client, hook: &str, webhook: Webhook) -> anyhow::Result<()> {
    let headers: Vec<(&str, &str)> = webhook
        .headers
        .iter()
        .map(|(name, value)| (name.as_str(), value.as_str()))
        .collect();
    let (status, _, answer) = provider
        .exchange(
            Method::POST,
            hook,
            &headers,
            Some((webhook.media_type, webhook.body)),
        )
        .await?;
    anyhow::ensure!(
        status == StatusCode::OK,
        "{status}: {}",
        String::from_utf8_lossy(&answer)
    );
    Ok(())
}

/// Installs the component `file` with `manifest`, and a channel of `kind` with `settings` and
/// `secrets`; its webhook path.
async fn plugin_channel(
    admin: &Client,
    file: &str,
    manifest: Value,
    kind: &str,
    settings: Value,
    secrets: Value,
) -> anyhow::Result<String> {
    admin.install_component(file, &manifest).await?;
    let (channel, hook) = admin.new_channel(kind, settings).await?;
    let (status, answer) = admin
        .call(
            Method::PUT,
            &format!("/api/v1/channels/{channel}/secrets"),
            Some(&json!({ "secrets": secrets })),
        )
        .await?;
    anyhow::ensure!(status == StatusCode::NO_CONTENT, "{answer}");
    Ok(hook)
}

fn host_of(base_url: &str) -> String {
    base_url.trim_start_matches("http://").to_string()
}

async fn telegram_channel(admin: &Client, bot: &TelegramStandIn) -> anyhow::Result<Channel> {
    let hook = plugin_channel(
        admin,
        "telegram_adapter",
        json!({ "name": "telegram", "version": "0.1.0", "contract": "0.2.0", "channel_kind": "telegram",
                "allowed_hosts": [host_of(&bot.base_url)], "settings": ["receive", "groups", "api_base"],
                "secrets": ["bot_token"], "budget": { "time_ms": 10000 } }),
        "telegram",
        json!({ "api_base": bot.base_url }),
        json!({ "bot_token": TELEGRAM_TOKEN }),
    )
    .await?;
    let (_, secret) = bot.webhook().context("the webhook")?;
    let secret = secret.context("the secret token")?;
    Ok(Channel {
        name: "telegram",
        hook,
        make: Box::new(move |n| Webhook {
            headers: vec![("X-Telegram-Bot-Api-Secret-Token".into(), secret.clone())],
            media_type: "application/json",
            body: telegram::text_update(
                n as i64,
                n as i64,
                5_000_000 + (n % SENDERS) as i64,
                "Lucía",
                None,
                "¿Tienen envío a Lima?",
            )
            .to_string()
            .into_bytes(),
        }),
    })
}

async fn whatsapp_channel(admin: &Client, meta: &WhatsAppStandIn) -> anyhow::Result<Channel> {
    let hook = plugin_channel(
        admin,
        "whatsapp_adapter",
        json!({ "name": "whatsapp", "version": "0.1.0", "contract": "0.2.0", "channel_kind": "whatsapp",
                "allowed_hosts": [host_of(&meta.base_url)],
                "settings": ["phone_number_id", "business_account_id", "api_base", "api_version"],
                "secrets": ["access_token", "app_secret", "verify_token"], "reply_window_hours": 24,
                "budget": { "time_ms": 15000 } }),
        "whatsapp",
        json!({ "phone_number_id": "1065", "business_account_id": "1022", "api_base": meta.base_url }),
        json!({ "access_token": WHATSAPP_TOKEN, "app_secret": APP_SECRET, "verify_token": "bench" }),
    )
    .await?;
    let notes = meta.notifications();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_secs() as i64;
    Ok(Channel {
        name: "whatsapp",
        hook,
        make: Box::new(move |n| {
            let body = notes
                .text_message(
                    &format!("wamid.bench{n}"),
                    &format!("55119{:08}", n % SENDERS),
                    "Mariana",
                    "Oi! Tem o 38?",
                    now,
                )
                .to_string()
                .into_bytes();
            Webhook {
                headers: vec![(
                    "X-Hub-Signature-256".into(),
                    whatsapp::signature(APP_SECRET, &body),
                )],
                media_type: "application/json",
                body,
            }
        }),
    })
}

async fn sms_channel(admin: &Client, provider: &SmsStandIn) -> anyhow::Result<Channel> {
    let credentials = SmsCredentials::default();
    let hook = plugin_channel(
        admin,
        "sms_adapter",
        json!({ "name": "sms", "version": "0.1.0", "contract": "0.2.0", "channel_kind": "sms",
                "allowed_hosts": [host_of(&provider.base_url)],
                "settings": ["provider", "from", "default_country", "account_sid", "api_key", "api_base"],
                "secrets": ["auth_token", "api_secret", "signature_secret", "access_key", "signing_key"],
                "budget": { "time_ms": 10000 } }),
        "sms",
        json!({ "provider": "vonage", "from": "+551140000000", "default_country": "BR",
                "api_key": credentials.vonage_api_key, "api_base": provider.base_url }),
        json!({ "api_secret": credentials.vonage_api_secret, "signature_secret": SIGNATURE_SECRET }),
    )
    .await?;
    let api_key = credentials.vonage_api_key.clone();
    Ok(Channel {
        name: "sms",
        hook,
        make: Box::new(move |n| {
            let body = sms::vonage_inbound(
                &format!("bench-{n:08}"),
                &format!("55219{:08}", n % SENDERS),
                "551140000000",
                "Hola, ¿tienen envío?",
            )
            .to_string()
            .into_bytes();
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |elapsed| elapsed.as_secs());
            Webhook {
                headers: vec![(
                    "Authorization".into(),
                    sms::vonage_signed_authorization(SIGNATURE_SECRET, &body, now, &api_key),
                )],
                media_type: "application/json",
                body,
            }
        }),
    })
}
