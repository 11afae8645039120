//! Visitors online in the website chat, against the release gateway on loopback: `VISITORS`
//! visitors open the demo widget's socket, then `WRITERS` of them write one message each. It
//! reports how long a message takes from its post to its own visitor's socket, and the gateway's
//! CPU per message, which should not grow with the visitors who are online but silent.
//!
//! The widget limits requests per client address, so the visitors come from many loopback
//! addresses (127.0.0.2, 127.0.0.3, …), as visitors on the internet do.
//!
//! `cargo xtask bench` runs it; `VISITORS` and `WRITERS` change the load.

use std::net::{IpAddr, Ipv4Addr};
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::Context;
use futures_util::StreamExt;
use hyper::StatusCode;
use switchboard_e2e::{Client, EventSocket, Gateway, cpu_ticks, percentiles, run_bench, setting};

/// Visitors per loopback address: each makes three requests, well inside the per-address limit.
const VISITORS_PER_ADDRESS: usize = 20;

fn main() -> anyhow::Result<()> {
    run_bench(run())
}

async fn run() -> anyhow::Result<()> {
    let count = setting("VISITORS", 1_000);
    let writers = setting("WRITERS", 200).min(count);
    let data = tempfile::tempdir()?;
    let gateway = Gateway::start(data.path()).await?;
    let admin = gateway.admin().await?;
    let (_, widget) = admin.demo_widget().await?;

    let mut visitors = Vec::with_capacity(count);
    for n in 0..count {
        visitors.push(Visitor::arrive(&gateway, &widget, n).await?);
    }
    tokio::time::sleep(Duration::from_secs(1)).await;

    let gateway_process = format!("/proc/{}", gateway.pid().context("no gateway pid")?);
    let ticks = cpu_ticks(Path::new(&gateway_process))?;
    let mut samples = Vec::with_capacity(writers);
    for (n, visitor) in visitors.iter_mut().take(writers).enumerate() {
        let text = format!("Hola, soy el visitante {n}");
        let posted = Instant::now();
        visitor.write(&widget, &text).await?;
        visitor.until_seen(&text).await?;
        samples.push(u64::try_from(posted.elapsed().as_nanos())?);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let ticks = cpu_ticks(Path::new(&gateway_process))? - ticks;
    println!(
        "visitors online: {count} chat sockets open, {writers} of the visitors write one message each: post → their own socket {}; {:.0} µs of gateway CPU per message",
        percentiles(samples.into_iter()),
        ticks as f64 * 10_000.0 / writers as f64
    );
    Ok(())
}

/// A visitor with a session and an open chat socket.
struct Visitor {
    client: Client,
    socket: EventSocket,
}

impl Visitor {
    async fn arrive(gateway: &Gateway, widget: &str, n: usize) -> anyhow::Result<Visitor> {
        let third = u8::try_from(n / VISITORS_PER_ADDRESS / 250)?;
        let fourth = u8::try_from(n / VISITORS_PER_ADDRESS % 250 + 2)?;
        let local = Ipv4Addr::new(127, 0, third, fourth);
        let anonymous = Client::from_address(&gateway.base_url, Some(IpAddr::V4(local)));
        let (status, session) = anonymous
            .post(
                &format!("/widget/v1/{widget}/visitors"),
                &serde_json::json!({}),
            )
            .await?;
        anyhow::ensure!(status == StatusCode::OK, "no session: {session}");
        let token = session["token"].as_str().context("no token")?;
        let address = gateway
            .base_url
            .trim_start_matches("http://")
            .parse::<std::net::SocketAddr>()?;
        let tcp = tokio::net::TcpSocket::new_v4()?;
        tcp.bind((local, 0).into())?;
        let stream = tcp.connect(address).await?;
        let url = format!("ws://{address}/widget/v1/{widget}/socket?token={token}&after=0");
        let (socket, _) =
            tokio_tungstenite::client_async(url, tokio_tungstenite::MaybeTlsStream::Plain(stream))
                .await?;
        Ok(Visitor {
            client: anonymous.with_bearer(token),
            socket,
        })
    }

    async fn write(&self, widget: &str, text: &str) -> anyhow::Result<()> {
        let message = serde_json::json!({ "client_id": text, "text": text });
        let (status, sent) = self
            .client
            .post(&format!("/widget/v1/{widget}/messages"), &message)
            .await?;
        anyhow::ensure!(status == StatusCode::CREATED, "not sent: {sent}");
        Ok(())
    }

    /// Reads the socket until the message with `text` comes.
    async fn until_seen(&mut self, text: &str) -> anyhow::Result<()> {
        let wanted = format!("\"text\":{}", serde_json::to_string(text)?);
        tokio::time::timeout(Duration::from_secs(10), async {
            while let Some(frame) = self.socket.next().await {
                if frame?.to_text().is_ok_and(|frame| frame.contains(&wanted)) {
                    return Ok(());
                }
            }
            anyhow::bail!("the visitor's socket closed")
        })
        .await
        .context("the visitor's message did not reach their socket within 10 s")?
    }
}
