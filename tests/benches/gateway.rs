//! The gateway as clients see it, on loopback, against the release binary:
//! - ingest throughput through the HTTP API (keep-alive clients posting inbound messages);
//! - memory per idle WebSocket connection (the gateway's resident memory before and after
//!   opening the subscribers);
//! - latency from an API post to the event arriving at every one of 1,000 subscribers.
//!
//! `cargo xtask bench` runs it; `API_MESSAGES`, `API_CLIENTS`, `SUBSCRIBERS` and `POSTS`
//! change the load; `POST_INTERVAL_MS` spaces the latency probes so that each fan-out is
//! measured on its own rather than queued behind the previous one.

use std::time::{Duration, Instant};

use anyhow::Context;
use futures_util::StreamExt;
use hyper::StatusCode;
use switchboard_e2e::{Client, Gateway, inbound_message, setting};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> anyhow::Result<()> {
    // 1,000 subscribers need 1,000 sockets on each side.
    rlimit::increase_nofile_limit(u64::MAX).context("cannot raise the open-file limit")?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    runtime.block_on(run())
}

async fn run() -> anyhow::Result<()> {
    let data = tempfile::tempdir()?;
    let gateway = Gateway::start(data.path()).await?;
    let client = gateway.admin().await?;
    let channel = client.api_channel().await?;
    let path = format!("/api/v1/channels/{channel}/inbound");

    api_throughput(&client, &path).await?;
    let pid = gateway.pid().context("no gateway pid")?;
    subscribers(&client, &path, pid).await?;
    Ok(())
}

async fn api_throughput(client: &Client, path: &str) -> anyhow::Result<()> {
    let messages = setting("API_MESSAGES", 100_000);
    let clients = setting("API_CLIENTS", 64);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for worker in 0..clients {
        let (client, path) = (client.clone(), path.to_string());
        tasks.push(tokio::spawn(async move {
            let mut n = worker;
            while n < messages {
                let message = inbound_message(
                    &format!("api{}@example.com", n % 2_000),
                    &format!("api-{n}"),
                    "Olá, gostaria de trocar o tamanho do meu pedido.",
                );
                let (status, body) = client.post(&path, &message).await?;
                anyhow::ensure!(
                    status == StatusCode::CREATED,
                    "post failed: {status} {body}"
                );
                n += clients;
            }
            anyhow::Ok(())
        }));
    }
    for task in tasks {
        task.await??;
    }
    let elapsed = started.elapsed();
    println!(
        "api ingest: {messages} messages from {clients} keep-alive clients in {:.2} s = {:.0} messages/s",
        elapsed.as_secs_f64(),
        messages as f64 / elapsed.as_secs_f64()
    );
    Ok(())
}

fn resident_kib(pid: u32) -> anyhow::Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|value| value.split_whitespace().next())
        .and_then(|value| value.parse().ok())
        .context("no VmRSS line")
}

async fn subscribers(client: &Client, path: &str, pid: u32) -> anyhow::Result<()> {
    let count = setting("SUBSCRIBERS", 1_000);
    let posts = setting("POSTS", 200);
    let interval = Duration::from_millis(setting("POST_INTERVAL_MS", 50) as u64);
    let token = client.token().context("no token")?.to_string();
    let url = format!(
        "{}/api/v1/events/ws?after={}",
        client.base_url.replacen("http", "ws", 1),
        last_event_id(client).await?
    );

    // Warm the gateway's allocator with one connection, then measure the idle cost of the rest.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let before = resident_kib(pid)?;
    let origin = Instant::now();
    let (latencies, mut arrivals) = mpsc::unbounded_channel::<u64>();
    let mut readers = Vec::new();
    for _ in 0..count {
        let mut request = url.as_str().into_client_request()?;
        request
            .headers_mut()
            .insert("authorization", format!("Bearer {token}").parse()?);
        let (socket, _) = tokio_tungstenite::connect_async(request).await?;
        let latencies = latencies.clone();
        readers.push(tokio::spawn(async move {
            let (_, mut incoming) = socket.split();
            while let Some(Ok(frame)) = incoming.next().await {
                if let Message::Text(text) = frame
                    && let Some(sent) = text
                        .split("sent-at-ns=")
                        .nth(1)
                        .and_then(|rest| rest.split(';').next())
                        .and_then(|n| n.parse::<u64>().ok())
                {
                    let now = u64::try_from(origin.elapsed().as_nanos()).unwrap_or(u64::MAX);
                    let _ = latencies.send(now.saturating_sub(sent));
                }
            }
        }));
    }
    drop(latencies);
    tokio::time::sleep(Duration::from_secs(2)).await;
    let after = resident_kib(pid)?;
    println!(
        "idle websockets: {count} connections add {} KiB to the gateway = {:.1} KiB per connection",
        after.saturating_sub(before),
        after.saturating_sub(before) as f64 / count as f64
    );

    let poster = client.clone();
    let path = path.to_string();
    let sender = tokio::spawn(async move {
        for n in 0..posts {
            let sent = u64::try_from(origin.elapsed().as_nanos()).unwrap_or(u64::MAX);
            let text = format!("latency probe sent-at-ns={sent}; n={n}");
            let (status, _) = poster
                .post(
                    &path,
                    &inbound_message("probe@example.com", &format!("probe-{n}"), &text),
                )
                .await?;
            anyhow::ensure!(status == StatusCode::CREATED, "probe post failed: {status}");
            tokio::time::sleep(interval).await;
        }
        anyhow::Ok(())
    });
    sender.await??;
    let expected = count * posts;
    let mut samples = Vec::with_capacity(expected);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while samples.len() < expected {
        match tokio::time::timeout_at(deadline, arrivals.recv()).await {
            Ok(Some(latency)) => samples.push(latency),
            _ => break,
        }
    }
    anyhow::ensure!(
        samples.len() == expected,
        "only {} of {expected} events arrived",
        samples.len()
    );
    samples.sort_unstable();
    let percentile =
        |p: f64| samples[((samples.len() as f64 * p) as usize).min(samples.len() - 1)] as f64 / 1e6;
    println!(
        "event latency: {posts} posts to {count} subscribers ({} deliveries): p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        samples.len(),
        percentile(0.50),
        percentile(0.99),
        percentile(1.0)
    );
    for reader in readers {
        reader.abort();
    }
    Ok(())
}

async fn last_event_id(client: &Client) -> anyhow::Result<u64> {
    let mut after = 0;
    loop {
        let (_, events) = client
            .get(&format!("/api/v1/events?after={after}&limit=1000"))
            .await?;
        match events
            .as_array()
            .and_then(|events| events.last())
            .and_then(|event| event["id"].as_u64())
        {
            Some(last) => after = last,
            None => return Ok(after),
        }
    }
}
