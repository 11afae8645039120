//! Plugin-call costs, in a release build: one inbound call on a fresh instance (instantiate,
//! call, drop) for a small chat payload and a 20 KB payload; calls per second on one core; and
//! gateway-style start-up with four plugins, compiling them and from the compiled-code cache.
//!
//! `cargo xtask bench` runs it; `CALLS` changes the number of measured calls.

use std::time::{Duration, Instant};

use switchboard_plugins::latest::{Header, HttpRequest, Transport};
use switchboard_plugins::{
    BUILT_PLUGINS, Budget, CallContext, Manifest, Plugin, Runtime, RuntimeConfig,
};

fn wasm(name: &str) -> Vec<u8> {
    let path = std::path::Path::new(BUILT_PLUGINS).join(format!("{name}.wasm"));
    std::fs::read(&path).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

fn manifest(name: &str) -> Manifest {
    Manifest {
        name: name.into(),
        version: "1.0.0".into(),
        contract: "0.1.0".into(),
        channel_kind: "api".into(),
        allowed_hosts: Vec::new(),
        settings: Vec::new(),
        secrets: Vec::new(),
        budget: Budget::default(),
    }
}

fn load(runtime: &Runtime, file: &str, name: &str) -> Plugin {
    let manifest = manifest(name);
    let grants = manifest.grant_all();
    runtime.load(&wasm(file), manifest, grants).expect("load")
}

fn webhook(text: &str) -> Transport {
    let body = format!(
        r#"{{"id": "m-1", "from": {{"id": "visitor-42", "name": "Ana"}}, "text": {}}}"#,
        serde_json::json!(text)
    );
    Transport::Webhook(HttpRequest {
        method: "POST".into(),
        url: String::new(),
        headers: vec![Header {
            name: "content-type".into(),
            value: "application/json".into(),
        }],
        body: body.into_bytes(),
    })
}

fn percentile(samples: &[Duration], p: f64) -> f64 {
    samples[((samples.len() as f64 * p) as usize).min(samples.len() - 1)].as_secs_f64() * 1e6
}

fn measure(
    runtime: &Runtime,
    plugin: &Plugin,
    payload: &Transport,
    calls: usize,
) -> (Vec<Duration>, Duration) {
    for _ in 0..calls / 10 {
        runtime
            .inbound(plugin, CallContext::default(), payload)
            .expect("warm-up call");
    }
    let mut samples = Vec::with_capacity(calls);
    let started = Instant::now();
    for _ in 0..calls {
        let call = Instant::now();
        runtime
            .inbound(plugin, CallContext::default(), payload)
            .expect("call");
        samples.push(call.elapsed());
    }
    let total = started.elapsed();
    samples.sort_unstable();
    (samples, total)
}

fn main() {
    let calls: usize = std::env::var("CALLS")
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(20_000);
    let runtime = Runtime::new(RuntimeConfig::default()).expect("runtime");
    println!(
        "plugin runtime: pooling allocator {}",
        if runtime.pooling {
            "on"
        } else {
            "unavailable, on demand"
        }
    );
    let template = load(&runtime, "template_adapter", "template");

    let small = webhook("Hola, ¿tienen envío a Montevideo?");
    let (samples, total) = measure(&runtime, &template, &small, calls);
    println!(
        "plugin call, small chat payload ({} bytes), fresh instance each: p50 {:.1} µs, p99 {:.1} µs; {:.0} calls/s on one core",
        match &small {
            Transport::Webhook(request) => request.body.len(),
            _ => 0,
        },
        percentile(&samples, 0.5),
        percentile(&samples, 0.99),
        calls as f64 / total.as_secs_f64()
    );

    let large = webhook(&"Olá, segue o histórico do pedido. ".repeat(600));
    let size = match &large {
        Transport::Webhook(request) => request.body.len(),
        _ => 0,
    };
    let (samples, total) = measure(&runtime, &template, &large, calls / 4);
    println!(
        "plugin call, {} KB payload: p50 {:.1} µs, p99 {:.1} µs; {:.1} MB/s on one core",
        size / 1000,
        percentile(&samples, 0.5),
        percentile(&samples, 0.99),
        (size * calls / 4) as f64 / total.as_secs_f64() / 1e6
    );

    let cache = tempfile::tempdir().expect("temp dir");
    let start_up = || {
        let started = Instant::now();
        let runtime = Runtime::new(RuntimeConfig {
            cache_dir: Some(cache.path().to_path_buf()),
            ..RuntimeConfig::default()
        })
        .expect("runtime");
        for (file, name) in [
            ("template_adapter", "a"),
            ("misbehaving_adapter", "b"),
            ("template_adapter", "c"),
            ("misbehaving_adapter", "d"),
        ] {
            let mut manifest = manifest(name);
            manifest.version = format!("{name}-1");
            let grants = manifest.grant_all();
            // Four distinct components, so that the cache cannot share one entry.
            let mut bytes = wasm(file);
            append_custom_section(&mut bytes, name);
            runtime.load(&bytes, manifest, grants).expect("load");
        }
        started.elapsed()
    };
    let cold = start_up();
    let warm = start_up();
    println!(
        "start-up with four plugins: {:.1} ms compiling, {:.1} ms from the compiled-code cache",
        cold.as_secs_f64() * 1e3,
        warm.as_secs_f64() * 1e3
    );
}

/// Appends a custom section (ignored by the runtime) so the same code gets another hash.
fn append_custom_section(component: &mut Vec<u8>, name: &str) {
    let section_name = format!("bench-{name}");
    let mut payload = vec![u8::try_from(section_name.len()).expect("short name")];
    payload.extend_from_slice(section_name.as_bytes());
    component.push(0); // custom section id
    component.push(u8::try_from(payload.len()).expect("short section"));
    component.extend_from_slice(&payload);
}
