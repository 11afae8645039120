//! The gateway as clients see it, on loopback, against the release binary:
//! - memory per idle WebSocket connection (the gateway's resident memory before and after
//!   opening a second batch of idle sockets);
//! - latency from an API post to the event arriving at every one of 1,000 subscribers, the CPU
//!   the gateway and this client spend per delivery, and the same fan-out over bare loopback
//!   sockets without the gateway (the floor the two shared cores set);
//! - how long an agent's reply takes to reach a provider (a stand-in on loopback);
//! - ingest throughput through the HTTP API (keep-alive clients posting inbound messages),
//!   beside the same load on a minimal handler that reads each body and only answers.
//!
//! `cargo xtask bench` runs it; `API_CONNECTIONS`, `API_SECONDS`, `SUBSCRIBERS`, `POSTS`, `REPLIES`
//! and `IDLE_SOCKETS` change the load; `READERS` (a list of `beside`, `idle`, `between`) runs only
//! those fan-outs; `POST_INTERVAL_MS` spaces the latency probes so that each fan-out is
//! measured on its own rather than queued behind the previous one.

use std::io::{IoSliceMut, Write};
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::Context;
use base64::Engine;
use hyper::StatusCode;
use nix::sys::socket::{ControlMessageOwned, MsgFlags, recvmsg, setsockopt, sockopt};
use nix::sys::time::TimeSpec;
use switchboard_e2e::{
    Client, Gateway, cpu_ticks, inbound_message, percentiles, run_bench, setting,
};
use thread_priority::ThreadPriority;
use thread_priority::unix::{
    NormalThreadSchedulePolicy, ThreadSchedulePolicy, set_thread_priority_and_policy,
    thread_native_id,
};
use tokio::io::Interest;
use tokio::net::TcpStream;
use tokio_tungstenite::MaybeTlsStream;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> anyhow::Result<()> {
    run_bench(run())
}

async fn run() -> anyhow::Result<()> {
    let data = tempfile::tempdir()?;
    // The reply bench's stand-in provider listens on loopback, over plain HTTP.
    let gateway = Gateway::start_with(
        data.path(),
        &[
            ("SWITCHBOARD_PLUGINS__FETCH_ALLOW_HTTP", "true".into()),
            (
                "SWITCHBOARD_PLUGINS__FETCH_PRIVATE_NETWORKS",
                "[\"127.0.0.0/8\"]".into(),
            ),
        ],
    )
    .await?;
    let client = gateway.admin().await?;
    let channel = client.api_channel().await?;
    let path = format!("/api/v1/channels/{channel}/inbound");

    // Sockets first, on a fresh gateway, so that memory freed by earlier load cannot hide
    // what the connections cost.
    let pid = gateway.pid().context("no gateway pid")?;
    subscribers(&client, &path, pid).await?;
    reply_delivery(&gateway, &client).await?;
    let (rate, p99) =
        api_throughput(&client.base_url, client.token().context("no token")?, &path).await?;
    let (floor, floor_p99) = api_throughput(&minimal_handler().await?, "none", &path).await?;
    println!(
        "api ingest: {} keep-alive connections = {rate:.0} messages/s (p99 {p99}); a minimal handler that reads each body and only answers: {floor:.0} requests/s (p99 {floor_p99}); the gateway ingests ×{:.2} of that",
        setting("API_CONNECTIONS", 128),
        rate / floor
    );
    Ok(())
}

/// How long an agent's reply takes to reach the provider: a channel run by the template
/// adapter, whose `reply_url` is a stand-in provider here, gets `REPLIES` replies one after
/// another, each timed from its post to the provider's receiving it.
async fn reply_delivery(gateway: &Gateway, client: &Client) -> anyhow::Result<()> {
    let replies = setting("REPLIES", 50);
    let (received, mut arrivals) = tokio::sync::mpsc::unbounded_channel::<Instant>();
    let provider = axum::Router::new().route(
        "/out",
        axum::routing::post(move || {
            let _ = received.send(Instant::now());
            async { "ok" }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let provider_address = listener.local_addr()?;
    tokio::spawn(async move { axum::serve(listener, provider).await });

    let wasm = std::fs::read(
        std::path::Path::new(switchboard_plugins::BUILT_PLUGINS).join("template_adapter.wasm"),
    )
    .context("the template adapter is not built (`cargo xtask bench` builds it)")?;
    let upload = serde_json::json!({
        "manifest": {
            "name": "bench-crm", "version": "1.0.0", "contract": "0.2.0", "channel_kind": "api",
            "allowed_hosts": [provider_address.to_string()], "settings": ["reply_url"]
        },
        "wasm_base64": base64::engine::general_purpose::STANDARD.encode(wasm),
    });
    let (status, installed) = client.post("/api/v1/plugins", &upload).await?;
    anyhow::ensure!(
        status == StatusCode::CREATED,
        "cannot install the adapter: {installed}"
    );
    let channel = serde_json::json!({
        "kind": "api", "name": "Bench CRM", "plugin": "bench-crm",
        "settings": { "reply_url": format!("http://{provider_address}/out") }
    });
    let (status, channel) = client.post("/api/v1/channels", &channel).await?;
    anyhow::ensure!(
        status == StatusCode::CREATED,
        "cannot add the channel: {channel}"
    );
    let hook = format!(
        "/hooks/{}/{}/{}",
        channel["workspace_id"],
        channel["id"],
        channel["webhook_token"].as_str().unwrap_or_default()
    );
    let message =
        serde_json::json!({ "id": "bench-1", "from": { "id": "lead-1" }, "text": "Hola" });
    let (status, ingested) = Client::new(&gateway.base_url).post(&hook, &message).await?;
    anyhow::ensure!(status == StatusCode::OK, "the webhook failed: {ingested}");
    let conversation = ingested["ingested"][0]["conversation_id"]
        .as_u64()
        .context("the webhook named no conversation")?;

    let mut samples = Vec::with_capacity(replies);
    for n in 0..replies {
        let posted = Instant::now();
        client
            .reply(conversation, &format!("Respuesta {n}"))
            .await?;
        let arrived = tokio::time::timeout(Duration::from_secs(10), arrivals.recv())
            .await
            .context("a reply did not reach the provider within 10 s")?
            .context("the provider stopped")?;
        samples.push(u64::try_from(arrived.duration_since(posted).as_nanos()).unwrap_or(u64::MAX));
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    println!(
        "reply delivery: {replies} agents' replies, post to the provider's receiving it: {}",
        percentiles(samples.into_iter())
    );
    Ok(())
}

/// The floor of API ingest: a server in this process on loopback whose only handler reads the
/// request body and answers `200` with a small JSON body; answers its base URL.
async fn minimal_handler() -> anyhow::Result<String> {
    let answer = axum::Router::new().fallback(|body: axum::body::Bytes| async move {
        axum::Json(serde_json::json!({ "received": body.len() }))
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let address = listener.local_addr()?;
    tokio::spawn(async move { axum::serve(listener, answer).await });
    Ok(format!("http://{address}"))
}

/// Posts inbound messages to `base_url` as fast as `wrk` (a C load generator, so that the
/// client does not eat the CPU the gateway is measured on) can, each with its own external id;
/// answers the rate per second and the p99 latency wrk reports.
async fn api_throughput(base_url: &str, token: &str, path: &str) -> anyhow::Result<(f64, String)> {
    let connections = setting("API_CONNECTIONS", 128);
    let seconds = setting("API_SECONDS", 10);
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
        .arg(format!("{base_url}/"))
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
    let p99 = line("99%").unwrap_or("?").to_string();
    Ok((rate.parse()?, p99))
}

/// The time the machine's virtual CPUs have waited for the host so far ("steal" in
/// `/proc/stat`), in clock ticks of 10 ms: time in which nothing here could run.
fn stolen_ticks() -> anyhow::Result<u64> {
    let stat = std::fs::read_to_string("/proc/stat")?;
    let line = stat.lines().next().context("empty /proc/stat")?;
    Ok(line
        .split_whitespace()
        .nth(8)
        .context("no steal column in /proc/stat")?
        .parse()?)
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
    // Idle connections, on a fresh gateway, in two batches: the first takes up memory that the
    // gateway freed during its start but kept, so only the second shows what a connection
    // costs.
    let idle = setting("IDLE_SOCKETS", 5_000);
    let last_seen = last_event_id(client).await?;
    let mut sockets = Vec::with_capacity(2 * idle);
    for _ in 0..idle {
        sockets.push(client.event_socket(last_seen).await?);
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    let before = resident_kib(pid)?;
    for _ in 0..idle {
        sockets.push(client.event_socket(last_seen).await?);
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let after = resident_kib(pid)?;
    println!(
        "idle websockets: {idle} connections more, after the first {idle}, take the gateway from {before} to {after} KiB resident = {:.1} KiB per connection",
        after.saturating_sub(before) as f64 / idle as f64
    );
    drop(sockets);
    tokio::time::sleep(Duration::from_secs(1)).await;

    let chosen = std::env::var("READERS").unwrap_or_default();
    for readers in [Readers::Beside, Readers::Idle, Readers::Between] {
        if chosen.is_empty() || chosen.split(',').any(|name| readers.is_named(name)) {
            fan_out(client, path, pid, readers).await?;
        }
    }
    Ok(())
}

/// Who reads the event sockets, and so what a figure measures.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Readers {
    /// At normal priority, sharing the two cores with the gateway.
    Beside,
    /// At idle priority, so that they only run on a core the gateway leaves free (the way
    /// agents' browsers run on machines of their own). What counts then is when a frame
    /// entered the reader's socket, as the kernel stamped it, not when the reader got to it.
    Idle,
    /// Not while a post fans out: once it has had time to reach every socket, one thread reads
    /// them all. Nothing of the subscribers' own work (waking up, reading, acknowledging) runs
    /// on the two cores while the gateway writes, as with subscribers on machines of their
    /// own; the kernel's receive stamp still says when each frame reached its socket.
    Between,
}

impl Readers {
    /// `READERS` picks runs by these names: `beside`, `idle`, `between`.
    fn is_named(self, name: &str) -> bool {
        format!("{self:?}").eq_ignore_ascii_case(name.trim())
    }

    fn describe(self) -> &'static str {
        match self {
            Readers::Beside => "readers beside the gateway",
            Readers::Idle => "readers at idle priority",
            Readers::Between => "readers only between posts",
        }
    }

    /// Starts reading the sockets that [`Reading::add`] is given.
    fn start(self) -> anyhow::Result<Reading> {
        Ok(match self {
            Readers::Between => Reading::Between(Vec::new()),
            _ => Reading::Tasks {
                pool: self.pool()?,
                tasks: Vec::new(),
            },
        })
    }

    /// Two threads for the readers, at this priority.
    fn pool(self) -> anyhow::Result<ReaderPool> {
        let refused = Arc::new(std::sync::Mutex::new(None));
        let refusal = refused.clone();
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("bench-reader")
            .on_thread_start(move || {
                if self == Readers::Idle
                    && let Err(error) = set_thread_priority_and_policy(
                        thread_native_id(),
                        ThreadPriority::Min,
                        ThreadSchedulePolicy::Normal(NormalThreadSchedulePolicy::Idle),
                    )
                    && let Ok(mut refused) = refusal.lock()
                {
                    *refused = Some(format!("{error:?}"));
                }
            })
            .enable_all()
            .build()?;
        Ok(ReaderPool {
            handle: runtime.handle().clone(),
            runtime: Some(runtime),
            refused,
        })
    }
}

/// The readers' own runtime; it is shut down without waiting, as the bench's runtime may not
/// block.
struct ReaderPool {
    handle: tokio::runtime::Handle,
    /// Taken only when the pool is dropped.
    runtime: Option<tokio::runtime::Runtime>,
    /// Why a thread could not be given its priority, if it could not.
    refused: Arc<std::sync::Mutex<Option<String>>>,
}

impl ReaderPool {
    fn spawn(
        &self,
        reader: impl Future<Output = anyhow::Result<Vec<Arrival>>> + Send + 'static,
    ) -> tokio::task::JoinHandle<anyhow::Result<Vec<Arrival>>> {
        self.handle.spawn(reader)
    }

    /// Fails if the readers did not run at the priority asked for.
    fn check(&self) -> anyhow::Result<()> {
        match self.refused.lock().ok().and_then(|refused| refused.clone()) {
            Some(error) => anyhow::bail!("cannot run the readers at idle priority: {error}"),
            None => Ok(()),
        }
    }
}

impl Drop for ReaderPool {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

/// The probed sockets, being read the way a [`Readers`] says.
enum Reading {
    /// A task per socket that reads each frame as it comes.
    Tasks {
        pool: ReaderPool,
        tasks: Vec<tokio::task::JoinHandle<anyhow::Result<Vec<Arrival>>>>,
    },
    /// Sockets read only when [`Reading::between_posts`] is called.
    Between(Vec<(std::net::TcpStream, Probes)>),
}

impl Reading {
    /// Reads `stream` until `posts` probes have come.
    fn add(&mut self, stream: std::net::TcpStream, posts: usize) -> anyhow::Result<()> {
        let stream = with_receive_times(stream)?;
        match self {
            Reading::Tasks { pool, tasks } => tasks.push(pool.spawn(probe_arrivals(stream, posts))),
            Reading::Between(sockets) => {
                stream.set_nonblocking(true)?;
                sockets.push((stream, Probes::with_capacity(posts)));
            }
        }
        Ok(())
    }

    /// Called once a post has had time to reach every socket: reads whatever they hold.
    fn between_posts(&mut self) -> anyhow::Result<()> {
        let Reading::Between(sockets) = self else {
            return Ok(());
        };
        let mut chunk = vec![0; 16 * 1024];
        for (stream, probes) in sockets {
            loop {
                match receive(stream, &mut chunk) {
                    // Closed: whatever did not come is missed in the count.
                    Ok((0, _)) => break,
                    Ok((read, stamped)) => probes.take(&chunk[..read], stamped)?,
                    Err(error) if error.kind() == std::io::ErrorKind::WouldBlock => break,
                    Err(error) => return Err(error.into()),
                }
            }
        }
        Ok(())
    }

    /// Every probe's arrival at every socket, once `expected` of them have come.
    async fn arrivals(mut self, expected: usize) -> anyhow::Result<Vec<Arrival>> {
        self.between_posts()?;
        match self {
            Reading::Tasks { pool, tasks } => {
                let arrivals = gather(tasks, expected).await?;
                pool.check()?;
                Ok(arrivals)
            }
            Reading::Between(sockets) => {
                let arrivals: Vec<Arrival> = sockets
                    .into_iter()
                    .flat_map(|(_, probes)| probes.arrivals)
                    .collect();
                anyhow::ensure!(
                    arrivals.len() == expected,
                    "only {} of {expected} events arrived",
                    arrivals.len()
                );
                Ok(arrivals)
            }
        }
    }
}

/// One probe's arrival at one socket, in nanoseconds.
struct Arrival {
    /// When its post was sent (since the Unix epoch), which also tells the posts apart.
    sent: u64,
    /// Until the reader had it.
    read: u64,
    /// Until it entered the reader's socket (the kernel's receive stamp).
    stamped: u64,
}

/// Opens `SUBSCRIBERS` event sockets read by `readers`, posts `POSTS` probes and reports how
/// long each took to reach each socket, then does the same without the gateway.
async fn fan_out(client: &Client, path: &str, pid: u32, readers: Readers) -> anyhow::Result<()> {
    let count = setting("SUBSCRIBERS", 1_000);
    let posts = setting("POSTS", 200);
    let interval = Duration::from_millis(setting("POST_INTERVAL_MS", 50) as u64);
    let last_seen = last_event_id(client).await?;
    let mut reading = readers.start()?;
    for _ in 0..count {
        // Opened after the last stored event, so nothing follows the handshake until the first
        // probe and the bare stream can be read from its first byte on.
        let socket = client.event_socket(last_seen).await?;
        let MaybeTlsStream::Plain(stream) = socket.into_inner() else {
            anyhow::bail!("the event socket is not plain TCP");
        };
        reading.add(stream.into_std()?, posts)?;
    }
    tokio::time::sleep(Duration::from_secs(1)).await;

    let gateway = PathBuf::from(format!("/proc/{pid}"));
    let this_process = Path::new("/proc/self");
    let gateway_ticks = cpu_ticks(&gateway)?;
    let stolen = stolen_ticks()?;
    let own_ticks = cpu_ticks(this_process)?;
    for n in 0..posts {
        let text = format!("latency probe sent-at-ns={}; n={n}", wall_clock_ns());
        let (status, _) = client
            .post(
                path,
                &inbound_message(
                    "probe@example.com",
                    &format!("probe-{readers:?}-{n}"),
                    &text,
                ),
            )
            .await?;
        anyhow::ensure!(status == StatusCode::CREATED, "probe post failed: {status}");
        // Read halfway to the next post: what 1,000 reads leave the kernel to do (window
        // updates, acknowledgements) is done before that post, rather than delaying it.
        tokio::time::sleep(interval / 2).await;
        reading.between_posts()?;
        tokio::time::sleep(interval / 2).await;
    }
    // Ticks are 10 ms; per delivery in microseconds.
    let per_delivery = |ticks: u64| ticks as f64 * 10_000.0 / (count * posts) as f64;
    let gateway_cpu = per_delivery(cpu_ticks(&gateway)? - gateway_ticks);
    let client_cpu = per_delivery(cpu_ticks(this_process)? - own_ticks);
    let stolen_ms = (stolen_ticks()? - stolen) * 10;
    let arrivals = reading.arrivals(count * posts).await?;
    let frame_len = last_event_len(client).await?;
    println!(
        "event latency ({}): {posts} posts to {count} subscribers ({} deliveries): {}",
        readers.describe(),
        arrivals.len(),
        report(&arrivals, readers)
    );
    println!(
        "event fan-out cost ({}): {gateway_cpu:.1} µs of gateway CPU and {client_cpu:.1} µs of this client's per delivery; the host took {stolen_ms} ms from the virtual CPUs meanwhile",
        readers.describe()
    );
    let (floor, floor_cpu) = loopback_floor(count, posts, interval, frame_len, readers).await?;
    println!(
        "loopback floor ({}): the same {frame_len}-byte frames written straight to {count} TCP sockets by two threads, no gateway: {}; {:.1} µs of the writers' CPU per delivery",
        readers.describe(),
        report(&floor, readers),
        floor_cpu.as_secs_f64() * 1e6
    );
    let p99 = |arrivals: &[Arrival]| {
        let mut stamped: Vec<u64> = arrivals.iter().map(|arrival| arrival.stamped).collect();
        stamped.sort_unstable();
        switchboard_e2e::percentile(&stamped, 0.99)
    };
    println!(
        "event fan-out p99 over the loopback floor's p99 ({}): ×{:.2}",
        readers.describe(),
        p99(&arrivals) / p99(&floor)
    );
    Ok(())
}

/// Every reader's arrivals, checking that all `expected` came.
async fn gather(
    tasks: Vec<tokio::task::JoinHandle<anyhow::Result<Vec<Arrival>>>>,
    expected: usize,
) -> anyhow::Result<Vec<Arrival>> {
    let mut arrivals = Vec::with_capacity(expected);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    for task in tasks {
        match tokio::time::timeout_at(deadline, task).await {
            Ok(done) => arrivals.extend(done??),
            Err(_) => break,
        }
    }
    anyhow::ensure!(
        arrivals.len() == expected,
        "only {} of {expected} events arrived",
        arrivals.len()
    );
    Ok(arrivals)
}

/// Nanoseconds since the Unix epoch: the clock the kernel stamps arrivals with.
fn wall_clock_ns() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| {
            u64::try_from(since.as_nanos()).unwrap_or(u64::MAX)
        })
}

/// Both clocks' percentiles, and how soon each post's first socket and how late its last one
/// got it (the first shows how long a post takes to start fanning out; a tail that comes from
/// a few slow posts shows in the last apart from one that every post has).
fn report(arrivals: &[Arrival], readers: Readers) -> String {
    let mut per_post = std::collections::HashMap::new();
    for arrival in arrivals {
        let (first, last) = per_post.entry(arrival.sent).or_insert((u64::MAX, 0));
        *first = arrival.stamped.min(*first);
        *last = arrival.stamped.max(*last);
    }
    // Read between posts, a frame was read long after it came: only the kernel's time counts.
    let read = match readers {
        Readers::Between => String::new(),
        _ => format!(
            "; read {}",
            percentiles(arrivals.iter().map(|arrival| arrival.read))
        ),
    };
    format!(
        "in the socket {}{read}; each post's first socket, in the socket: {}; its last: {}",
        percentiles(arrivals.iter().map(|arrival| arrival.stamped)),
        percentiles(per_post.values().map(|(first, _)| *first)),
        percentiles(per_post.values().map(|(_, last)| *last))
    )
}

/// The fan-out with the gateway taken out: `count` loopback TCP connections inside this
/// process, two writer threads (one per core) that each write every round's text frame to half
/// of them, and the same readers as the event sockets. What is left is what the kernel and this
/// client cost on the shared cores: the floor under the gateway's figure. Also returns the
/// writers' CPU time per delivery.
async fn loopback_floor(
    count: usize,
    rounds: usize,
    interval: Duration,
    frame_len: usize,
    readers: Readers,
) -> anyhow::Result<(Vec<Arrival>, Duration)> {
    let mut reading = readers.start()?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let address = listener.local_addr()?;
    let mut writers = vec![Vec::new(), Vec::new()];
    for n in 0..count {
        let read_end = TcpStream::connect(address).await?;
        let (writing, _) = listener.accept().await?;
        writing.set_nodelay(true)?;
        writers[n % 2].push(writing);
        reading.add(read_end.into_std()?, rounds)?;
    }
    // Threads of their own, so that the two halves are surely written at the same time.
    let mut feeds = Vec::new();
    let mut writer_threads = Vec::new();
    for streams in writers {
        let mut streams = streams
            .into_iter()
            .map(|stream| {
                let stream = stream.into_std()?;
                stream.set_nonblocking(false)?;
                Ok(stream)
            })
            .collect::<std::io::Result<Vec<_>>>()?;
        let (feed, frames) = std::sync::mpsc::channel::<Arc<Vec<u8>>>();
        feeds.push(feed);
        writer_threads.push(std::thread::spawn(move || {
            // A reader that fails closes its socket; the others still get every frame, so
            // that the failed reader's own error can be reported.
            let mut failed = None;
            for frame in frames {
                for stream in &mut streams {
                    if let Err(error) = stream.write_all(&frame) {
                        failed.get_or_insert(error);
                    }
                }
            }
            // Waiting for the next frame takes no CPU: what the thread used is its writes.
            failed.map_or_else(|| Ok(thread_cpu_time()), Err)
        }));
    }
    // A writer that panicked has dropped its feed; that is reported when it is joined.
    'rounds: for _ in 0..rounds {
        let marker = format!("sent-at-ns={};", wall_clock_ns());
        let payload = format!(
            "{}{marker}",
            " ".repeat(frame_len.saturating_sub(marker.len()))
        );
        let frame = Arc::new(text_frame(payload.as_bytes()));
        for feed in &feeds {
            if feed.send(frame.clone()).is_err() {
                break 'rounds;
            }
        }
        tokio::time::sleep(interval / 2).await;
        reading.between_posts()?;
        tokio::time::sleep(interval / 2).await;
    }
    drop(feeds);
    let mut written: anyhow::Result<Duration> = Ok(Duration::ZERO);
    for writer in writer_threads {
        let outcome = match writer.join() {
            Ok(outcome) => outcome.context("writing to a bare socket"),
            Err(_) => Err(anyhow::anyhow!("a writer thread panicked")),
        };
        written = written.and_then(|total| Ok(total + outcome?));
    }
    let arrivals = reading.arrivals(count * rounds).await?;
    let writing = written?;
    Ok((arrivals, writing / u32::try_from(count * rounds)?))
}

/// The CPU time the calling thread has used.
fn thread_cpu_time() -> Duration {
    nix::time::clock_gettime(nix::time::ClockId::CLOCK_THREAD_CPUTIME_ID)
        .map_or(Duration::ZERO, Duration::from)
}

/// An unmasked WebSocket text frame, as a server sends it.
fn text_frame(payload: &[u8]) -> Vec<u8> {
    let mut frame = vec![0x80 | TEXT_OPCODE];
    match u16::try_from(payload.len()) {
        Ok(short) if short < 126 => frame.push(short as u8),
        Ok(medium) => {
            frame.push(126);
            frame.extend_from_slice(&medium.to_be_bytes());
        }
        Err(_) => {
            frame.push(127);
            frame.extend_from_slice(&(payload.len() as u64).to_be_bytes());
        }
    }
    frame.extend_from_slice(payload);
    frame
}

/// The stream with the kernel's receive times turned on, before anything can arrive on it (a
/// segment that arrived earlier carries no time).
fn with_receive_times(stream: std::net::TcpStream) -> anyhow::Result<std::net::TcpStream> {
    setsockopt(&stream, sockopt::ReceiveTimestampns, &true)?;
    Ok(stream)
}

/// Reads the event socket's frames straight off the TCP stream until `posts` probes have
/// arrived, and returns how long after its post each one came. A WebSocket library per socket
/// costs the shared two cores more than the gateway's own work (tungstenite zeroes its 128 KiB
/// read buffer before every read), so the frames are parsed here: server frames are unmasked,
/// and a probe is a text frame whose payload carries `sent-at-ns=`.
async fn probe_arrivals(stream: std::net::TcpStream, posts: usize) -> anyhow::Result<Vec<Arrival>> {
    let stream = TcpStream::from_std(stream)?;
    let mut probes = Probes::with_capacity(posts);
    let mut chunk = vec![0; 16 * 1024];
    while probes.arrivals.len() < posts {
        let (read, stamped) = stream
            .async_io(Interest::READABLE, || receive(&stream, &mut chunk))
            .await?;
        if read == 0 {
            anyhow::bail!("the gateway closed an event socket");
        }
        probes.take(&chunk[..read], stamped)?;
    }
    Ok(probes.arrivals)
}

/// The probes found in one socket's bytes so far.
struct Probes {
    /// Bytes of a frame that has not all arrived yet.
    buffer: Vec<u8>,
    arrivals: Vec<Arrival>,
}

impl Probes {
    fn with_capacity(posts: usize) -> Probes {
        Probes {
            buffer: Vec::with_capacity(16 * 1024),
            arrivals: Vec::with_capacity(posts),
        }
    }

    /// Takes bytes just read, which the kernel received at `stamped`.
    fn take(&mut self, bytes: &[u8], stamped: Option<u64>) -> anyhow::Result<()> {
        let now = wall_clock_ns();
        let stamped = stamped.context("the kernel put no receive time on the segment")?;
        self.buffer.extend_from_slice(bytes);
        let mut consumed = 0;
        while let Some((opcode, payload, length)) = frame(&self.buffer[consumed..]) {
            consumed += length;
            // A post that opens a conversation carries its text in two events; the first
            // one to arrive times it.
            if opcode == TEXT_OPCODE
                && let Some(sent) = probe_sent_at(payload)
                && self.arrivals.last().is_none_or(|last| last.sent != sent)
            {
                self.arrivals.push(Arrival {
                    sent,
                    read: now.saturating_sub(sent),
                    stamped: stamped.saturating_sub(sent),
                });
            }
        }
        self.buffer.drain(..consumed);
        Ok(())
    }
}

/// One `recvmsg`: how many bytes it read, and when the kernel received the last segment
/// among them (nanoseconds since the Unix epoch).
fn receive(stream: &impl AsRawFd, chunk: &mut [u8]) -> std::io::Result<(usize, Option<u64>)> {
    let mut parts = [IoSliceMut::new(chunk)];
    let mut control = nix::cmsg_space!(TimeSpec);
    let message = recvmsg::<()>(
        stream.as_raw_fd(),
        &mut parts,
        Some(&mut control),
        MsgFlags::empty(),
    )?;
    let stamped = message.cmsgs()?.find_map(|control| match control {
        ControlMessageOwned::ScmTimestampns(time) => {
            Some(time.tv_sec() as u64 * 1_000_000_000 + time.tv_nsec() as u64)
        }
        _ => None,
    });
    Ok((message.bytes, stamped))
}

const TEXT_OPCODE: u8 = 0x1;

/// The first whole WebSocket frame in `bytes` from the server: its opcode, its payload and its
/// length on the wire; `None` until all of it has arrived.
fn frame(bytes: &[u8]) -> Option<(u8, &[u8], usize)> {
    let (&first, &second) = (bytes.first()?, bytes.get(1)?);
    let (payload_len, header_len) = match second & 0x7f {
        126 => (
            u64::from(u16::from_be_bytes(bytes.get(2..4)?.try_into().ok()?)),
            4,
        ),
        127 => (u64::from_be_bytes(bytes.get(2..10)?.try_into().ok()?), 10),
        short => (u64::from(short), 2),
    };
    let end = header_len + usize::try_from(payload_len).ok()?;
    Some((first & 0x0f, bytes.get(header_len..end)?, end))
}

/// The post time a probe's text carries. The conversation's title repeats its first message's
/// text, so the probe's own time is the last one in the frame.
fn probe_sent_at(payload: &[u8]) -> Option<u64> {
    let (_, rest) = std::str::from_utf8(payload)
        .ok()?
        .rsplit_once("sent-at-ns=")?;
    rest.split(';').next()?.parse().ok()
}

/// The length of the newest event's JSON, as the event socket sends it.
async fn last_event_len(client: &Client) -> anyhow::Result<usize> {
    let last = last_event_id(client).await?;
    let (_, events) = client
        .get(&format!("/api/v1/events?after={}&limit=1", last - 1))
        .await?;
    Ok(events[0].to_string().len())
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
