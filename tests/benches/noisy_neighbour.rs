//! A well-behaved channel beside hostile plugins, against the release gateway on loopback.
//!
//! Two channels are probed one request at a time: the API channel's inbound route and a
//! webhook handled by the template plugin. Their latency is measured quiet, then while three
//! other channels are hammered at once: one whose plugin spins until its time budget ends, one
//! whose plugin sleeps through it, and one whose provider keeps `HOGS` sleeping calls open to
//! take every instance slot it can. The noisy figures are set beside two limits measured in the
//! same run, as ratios: quiet, and with one core kept busy by a bare native loop at the plugin
//! threads' priority (what one spinning channel may hold by design: half the cores), and that
//! same busy core together with the hostile callers' HTTP traffic at the rate they reached,
//! aimed at a route that answers without calling a plugin (the cost of the requests themselves,
//! which no sandbox can remove). It also
//! reports how long plugin calls took by the wall clock on the busy machine (the gateway's
//! `switchboard_plugin_call_seconds`), against their 1 s budget.
//!
//! `cargo xtask bench` runs it; `PROBES`, `SPINNERS`, `SLEEPERS` and `HOGS` change the load.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use hyper::{Method, StatusCode};
use serde_json::json;
use switchboard_e2e::{
    Client, Gateway, inbound_message, percentile, percentiles, run_bench, setting,
};

/// The pause between probes, so that each is measured on its own.
const PROBE_INTERVAL: Duration = Duration::from_millis(20);

fn main() -> anyhow::Result<()> {
    run_bench(run())
}

async fn run() -> anyhow::Result<()> {
    let probes = setting("PROBES", 1000);
    let data = tempfile::tempdir()?;
    let gateway = Gateway::start(data.path()).await?;
    let admin = gateway.admin().await?;
    let api_inbound = format!("/api/v1/channels/{}/inbound", admin.api_channel().await?);
    let crm_hook = admin
        .install_plugin_channel(
            "template_adapter",
            json!({ "name": "crm", "version": "1.0.0", "contract": "0.2.0", "channel_kind": "api" }),
            "CRM",
        )
        .await?;
    let hostile = json!({ "name": "hostile", "version": "1.0.0", "contract": "0.2.0", "channel_kind": "api" });
    let spinner = admin
        .install_plugin_channel("misbehaving_adapter", hostile.clone(), "Spinner")
        .await?;
    let sleeper = admin.channel_for_plugin("hostile", "Sleeper").await?;
    let hog = admin.channel_for_plugin("hostile", "Hog").await?;
    let probe = Probe {
        admin: admin.clone(),
        provider: Client::new(&gateway.base_url),
        api_inbound,
        crm_hook,
    };

    let quiet = probe.measure("quiet", probes).await?;
    let one_core_busy = {
        let _spinning = BareSpinner::start();
        probe.measure("one-core-busy", probes).await?
    };

    let noise = Noise::default();
    let provider = Client::new(&gateway.base_url);
    let (spinners, sleepers, hogs) = (
        setting("SPINNERS", 32),
        setting("SLEEPERS", 8),
        setting("HOGS", 200),
    );
    noise.hammer(&provider, &spinner, "loop", spinners, None);
    noise.hammer(&provider, &sleeper, "sleep", sleepers, None);
    noise.hammer(&provider, &hog, "sleep", hogs, None);
    // Let the hostile calls fill what they can before measuring.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let hostile_started = Instant::now();
    let noisy = probe.measure("noisy", probes).await?;
    let hostile_rate =
        noise.answered.load(Ordering::Relaxed) as f64 / hostile_started.elapsed().as_secs_f64();
    noise.stop.store(true, Ordering::Relaxed);
    let call_seconds = plugin_call_seconds(&admin).await?;

    let requests_only = {
        let _spinning = BareSpinner::start();
        let traffic = Noise::default();
        // The spinner's own webhook with a wrong token: the channel is looked up and the call
        // refused before any plugin runs.
        let refused = format!("{}x", spinner.trim_end_matches('/'));
        let callers = spinners + sleepers + hogs;
        traffic.hammer(&provider, &refused, "loop", callers, Some(hostile_rate));
        tokio::time::sleep(Duration::from_secs(1)).await;
        let samples = probe.measure("requests-only", probes).await?;
        traffic.stop.store(true, Ordering::Relaxed);
        samples
    };

    for (name, quiet, busy, floor, noisy) in [
        (
            "API inbound",
            &quiet.api,
            &one_core_busy.api,
            &requests_only.api,
            &noisy.api,
        ),
        (
            "plugin webhook",
            &quiet.hook,
            &one_core_busy.hook,
            &requests_only.hook,
            &noisy.hook,
        ),
    ] {
        println!(
            "noisy neighbour, {name}: quiet {}; one core kept busy by a bare native loop {}; that busy core and the hostile requests without their plugins {}; beside the hostile plugins {}; p50 ×{:.2}, p99 ×{:.2} of quiet; p50 ×{:.2}, p99 ×{:.2} of one core busy; p50 ×{:.2}, p99 ×{:.2} of one core busy with the requests",
            percentiles(quiet.iter().copied()),
            percentiles(busy.iter().copied()),
            percentiles(floor.iter().copied()),
            percentiles(noisy.iter().copied()),
            percentile(noisy, 0.5) / percentile(quiet, 0.5),
            percentile(noisy, 0.99) / percentile(quiet, 0.99),
            percentile(noisy, 0.5) / percentile(busy, 0.5),
            percentile(noisy, 0.99) / percentile(busy, 0.99),
            percentile(noisy, 0.5) / percentile(floor, 0.5),
            percentile(noisy, 0.99) / percentile(floor, 0.99),
        );
    }
    println!(
        "noisy neighbour, hostile load: {} webhook calls answered ({} of them 503), {hostile_rate:.0} a second",
        noise.answered.load(Ordering::Relaxed),
        noise.turned_away.load(Ordering::Relaxed)
    );
    println!(
        "noisy neighbour, plugin calls by the wall clock (1,000 ms budgets, the spinning and sleeping calls included, on a busy machine): {call_seconds}"
    );
    Ok(())
}

/// The gateway's own figures for how long plugin calls took (its summary of
/// `switchboard_plugin_call_seconds`), in milliseconds.
async fn plugin_call_seconds(admin: &Client) -> anyhow::Result<String> {
    let (_, metrics) = admin.get_bytes("/metrics").await?;
    let text = String::from_utf8_lossy(&metrics);
    let quantile = |name: &str| {
        text.lines()
            .find(|line| {
                line.starts_with("switchboard_plugin_call_seconds{")
                    && line.contains(&format!("quantile=\"{name}\""))
            })
            .and_then(|line| line.rsplit(' ').next()?.trim().parse::<f64>().ok())
            .map_or_else(
                || "?".to_string(),
                |seconds| format!("{:.1} ms", seconds * 1e3),
            )
    };
    Ok(format!(
        "p50 {}, p99 {}, max {}",
        quantile("0.5"),
        quantile("0.99"),
        quantile("1")
    ))
}

/// A native thread that spins at the plugin threads' priority until dropped: the floor for a
/// design that lets one spinning channel keep one of the two cores.
struct BareSpinner {
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl BareSpinner {
    fn start() -> BareSpinner {
        use thread_priority::{ThreadPriority, ThreadPriorityValue, set_current_thread_priority};
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = stop.clone();
        let thread = std::thread::spawn(move || {
            if let Ok(value) = ThreadPriorityValue::try_from(25u8) {
                let _ = set_current_thread_priority(ThreadPriority::Crossplatform(value));
            }
            let mut spins: u64 = 0;
            while !stopped.load(Ordering::Relaxed) {
                spins = std::hint::black_box(spins.wrapping_add(1));
            }
        });
        BareSpinner {
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for BareSpinner {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// One request at a time to each well-behaved channel, timed.
struct Probe {
    admin: Client,
    provider: Client,
    api_inbound: String,
    crm_hook: String,
}

/// Latencies in nanoseconds, in ascending order.
struct Samples {
    api: Vec<u64>,
    hook: Vec<u64>,
}

impl Probe {
    async fn measure(&self, phase: &str, probes: usize) -> anyhow::Result<Samples> {
        let mut samples = Samples {
            api: Vec::with_capacity(probes),
            hook: Vec::with_capacity(probes),
        };
        for n in 0..probes {
            let message = inbound_message(
                &format!("cliente{n}@example.com"),
                &format!("{phase}-api-{n}"),
                "¿Tienen envíos a Medellín?",
            );
            let started = Instant::now();
            let (status, answer) = self.admin.post(&self.api_inbound, &message).await?;
            samples.api.push(elapsed_nanos(started));
            anyhow::ensure!(status.is_success(), "API inbound {status}: {answer}");
            tokio::time::sleep(PROBE_INTERVAL).await;

            let update = json!({
                "id": format!("{phase}-crm-{n}"),
                "from": { "id": format!("lead-{n}"), "name": "Lucía" },
                "text": "¿Me llaman mañana?",
            });
            let started = Instant::now();
            let (status, answer) = self.provider.post(&self.crm_hook, &update).await?;
            samples.hook.push(elapsed_nanos(started));
            anyhow::ensure!(status.is_success(), "plugin webhook {status}: {answer}");
            tokio::time::sleep(PROBE_INTERVAL).await;
        }
        samples.api.sort_unstable();
        samples.hook.sort_unstable();
        Ok(samples)
    }
}

/// Hostile providers: tasks that post a command to a webhook again as soon as it is answered,
/// or, given a rate, all together at about that many requests a second.
#[derive(Default, Clone)]
struct Noise {
    stop: Arc<AtomicBool>,
    answered: Arc<AtomicUsize>,
    turned_away: Arc<AtomicUsize>,
}

impl Noise {
    fn hammer(
        &self,
        provider: &Client,
        hook: &str,
        command: &'static str,
        tasks: usize,
        per_second: Option<f64>,
    ) {
        let pause = per_second.map(|rate| Duration::from_secs_f64(tasks as f64 / rate.max(1.0)));
        for _ in 0..tasks {
            let (noise, provider, hook) = (self.clone(), provider.clone(), hook.to_string());
            tokio::spawn(async move {
                while !noise.stop.load(Ordering::Relaxed) {
                    if let Some(pause) = pause {
                        tokio::time::sleep(pause).await;
                    }
                    let body = Some(("text/plain", command.as_bytes().to_vec()));
                    let Ok((status, _)) = provider.send(Method::POST, &hook, &[], body).await
                    else {
                        continue;
                    };
                    noise.answered.fetch_add(1, Ordering::Relaxed);
                    if status == StatusCode::SERVICE_UNAVAILABLE {
                        noise.turned_away.fetch_add(1, Ordering::Relaxed);
                    }
                }
            });
        }
    }
}

fn elapsed_nanos(started: Instant) -> u64 {
    u64::try_from(started.elapsed().as_nanos()).unwrap_or(u64::MAX)
}
