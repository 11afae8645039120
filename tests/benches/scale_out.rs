//! Live events across nodes: a message posted on node A reaches `SCALE_SOCKETS` agents' event
//! sockets (1,000), first all on one node, then spread evenly over three nodes that share a
//! private PostgreSQL and nats-server; each post waits until every socket has its event, and
//! the figure is the time from post to frame over all deliveries (p50, p99), as a ratio to the
//! single node in the same run. `SCALE_POSTS` (50) changes the number of posts.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use futures_util::StreamExt;
use switchboard_e2e::scale_rig::Cluster;
use switchboard_e2e::{Client, Gateway, inbound_message, percentile, run_bench, setting};
use tokio::sync::mpsc;

fn main() -> anyhow::Result<()> {
    run_bench(run())
}

async fn run() -> anyhow::Result<()> {
    let sockets = setting("SCALE_SOCKETS", 1_000);
    let posts = setting("SCALE_POSTS", 50);
    let one = {
        let cluster = Cluster::start()?;
        let a = cluster.node("a").await?;
        post_to_sockets(&[&a], sockets, posts).await?
    };
    let three = {
        let cluster = Cluster::start()?;
        let [a, b, c] = cluster.three_nodes().await?;
        post_to_sockets(&[&a, &b, &c], sockets, posts).await?
    };
    let (one_p50, one_p99) = (percentile(&one, 0.5) / 1e6, percentile(&one, 0.99) / 1e6);
    let (p50, p99) = (
        percentile(&three, 0.5) / 1e6,
        percentile(&three, 0.99) / 1e6,
    );
    println!(
        "post on node A → event on {sockets} sockets spread over three nodes (PostgreSQL + NATS), {posts} posts: p50 {p50:.2} ms, p99 {p99:.2} ms; all on one node of the same store: p50 {one_p50:.2} ms, p99 {one_p99:.2} ms; three nodes ×{:.2} (p50), ×{:.2} (p99)",
        p50 / one_p50,
        p99 / one_p99
    );
    Ok(())
}

/// Opens `sockets` event sockets spread over `nodes`, posts `posts` messages one at a time on
/// the first node, and answers every delivery's time from post to frame (ns), sorted.
async fn post_to_sockets(
    nodes: &[&Gateway],
    sockets: usize,
    posts: usize,
) -> anyhow::Result<Vec<u64>> {
    let admin = nodes[0].admin().await?;
    let channel = admin.api_channel().await?;
    let token = admin.token().context("a token")?.to_string();
    let (arrived, mut arrivals) = mpsc::unbounded_channel::<(usize, Instant)>();
    let mut readers = Vec::with_capacity(sockets);
    for n in 0..sockets {
        let client = Client::new(&nodes[n % nodes.len()].base_url).with_bearer(&token);
        let mut socket = client.event_socket(0).await?;
        let arrived = arrived.clone();
        readers.push(tokio::spawn(async move {
            while let Some(Ok(frame)) = socket.next().await {
                let Ok(text) = frame.to_text() else { continue };
                if !text.contains("\"type\":\"message_created\"") {
                    continue;
                }
                // The message's own text (the conversation's title holds the first probe).
                let probe = text
                    .split("\"text\":\"probe-")
                    .nth(1)
                    .and_then(|rest| rest.split('-').next())
                    .and_then(|number| number.parse::<usize>().ok());
                if let Some(probe) = probe {
                    let _ = arrived.send((probe, Instant::now()));
                }
            }
        }));
    }
    // Every socket has caught up with the workspace's history before the first post.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let path = format!("/api/v1/channels/{channel}/inbound");
    let shared = Arc::new(admin);
    let mut samples = Vec::with_capacity(sockets * posts);
    for probe in 0..posts {
        let message = inbound_message(
            "probe@example.test",
            &format!("p{probe}"),
            &format!("probe-{probe}-end"),
        );
        let posted = Instant::now();
        let (status, answer) = shared.post(&path, &message).await?;
        anyhow::ensure!(status.is_success(), "{answer}");
        let mut seen = 0;
        while seen < sockets {
            let (number, at) = tokio::time::timeout(Duration::from_secs(30), arrivals.recv())
                .await
                .context("every socket gets the event within 30 s")?
                .context("the readers stopped")?;
            if number == probe {
                samples.push(u64::try_from(at.duration_since(posted).as_nanos())?);
                seen += 1;
            }
        }
    }
    for reader in readers {
        reader.abort();
    }
    samples.sort_unstable();
    Ok(samples)
}
