//! The gateway as clients see it, on loopback, against the release binary:
//! - memory per idle WebSocket connection (the gateway's resident memory before and after
//!   opening the subscribers);
//! - latency from an API post to the event arriving at every one of 1,000 subscribers;
//! - ingest throughput through the HTTP API (keep-alive clients posting inbound messages).
//!
//! `cargo xtask bench` runs it; `API_CONNECTIONS`, `API_SECONDS`, `SUBSCRIBERS`, `POSTS`
//! and `IDLE_SOCKETS` change the load; `POST_INTERVAL_MS` spaces the latency probes so that each fan-out is
//! measured on its own rather than queued behind the previous one.

use std::time::{Duration, Instant};

use anyhow::Context;
use futures_util::StreamExt;
use hyper::StatusCode;
use switchboard_e2e::{Client, Gateway, inbound_message, setting};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;

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

    // Sockets first, on a fresh gateway, so that memory freed by earlier load cannot hide
    // what the connections cost.
    let pid = gateway.pid().context("no gateway pid")?;
    subscribers(&client, &path, pid).await?;
    api_throughput(&client, &path).await?;
    Ok(())
}

/// Posts inbound messages as fast as `wrk` (a C load generator, so that the client does not
/// eat the CPU the gateway is measured on) can, each with its own external id.
async fn api_throughput(client: &Client, path: &str) -> anyhow::Result<()> {
    let connections = setting("API_CONNECTIONS", 128);
    let seconds = setting("API_SECONDS", 10);
    let token = client.token().context("no token")?;
    let script_dir = tempfile::tempdir()?;
    let script = script_dir.path().join("post.lua");
    std::fs::write(
        &script,
        format!(
            r#"local counter = 0
function setup(thread) thread:set("tid", tostring(math.random(1, 1000000000))) end
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer {token}"
function request()
  counter = counter + 1
  local body = string.format('{{"contact":{{"identity":{{"kind":"email","value":"api%d@example.com"}}}},"external_id":"api-%s-%d","text":"Ola, gostaria de trocar o tamanho do meu pedido."}}', counter % 2000, tid, counter)
  return wrk.format(nil, "{path}", nil, body)
end
function done(summary, latency, requests)
  io.write(string.format("non-2xx: %d\n", summary.errors.status))
end
"#
        ),
    )?;
    let output = tokio::process::Command::new("wrk")
        .args([
            "-t1",
            &format!("-c{connections}"),
            &format!("-d{seconds}s"),
            "--latency",
            "-s",
        ])
        .arg(&script)
        .arg(format!("{}/", client.base_url))
        .output()
        .await
        .context("cannot run wrk (`cargo xtask bench` installs it)")?;
    let report = String::from_utf8_lossy(&output.stdout);
    let line = |prefix: &str| {
        report
            .lines()
            .find_map(|line| line.trim().strip_prefix(prefix).map(str::trim))
    };
    let rate =
        line("Requests/sec:").with_context(|| format!("no rate in wrk's report:\n{report}"))?;
    let failed = line("non-2xx:").unwrap_or("?");
    anyhow::ensure!(failed == "0", "{failed} posts failed:\n{report}");
    let p99 = line("99%").unwrap_or("?");
    println!(
        "api ingest: {connections} keep-alive connections for {seconds} s = {rate} messages/s (p99 {p99})"
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
    let last_seen = last_event_id(client).await?;

    // Idle connections, on a fresh gateway: enough of them that the allocator's spare pages
    // cannot hide what they cost.
    let idle = setting("IDLE_SOCKETS", 5_000);
    tokio::time::sleep(Duration::from_millis(500)).await;
    let before = resident_kib(pid)?;
    let mut sockets = Vec::with_capacity(idle);
    for _ in 0..idle {
        sockets.push(client.event_socket(last_seen).await?);
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let after = resident_kib(pid)?;
    println!(
        "idle websockets: {idle} connections take the gateway from {before} to {after} KiB resident = {:.1} KiB per connection",
        after.saturating_sub(before) as f64 / idle as f64
    );
    drop(sockets);
    tokio::time::sleep(Duration::from_secs(1)).await;

    let origin = Instant::now();
    let (latencies, mut arrivals) = mpsc::unbounded_channel::<u64>();
    let mut readers = Vec::new();
    for _ in 0..count {
        let socket = client.event_socket(last_seen).await?;
        let latencies = latencies.clone();
        readers.push(tokio::spawn(async move {
            let (_, mut incoming) = socket.split();
            while let Some(Ok(frame)) = incoming.next().await {
                // The conversation's title repeats its first message's text, so the probe's
                // own time is the last one in the frame.
                if let Message::Text(text) = frame
                    && let Some(sent) = text
                        .rsplit("sent-at-ns=")
                        .next()
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
    tokio::time::sleep(Duration::from_secs(1)).await;

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
