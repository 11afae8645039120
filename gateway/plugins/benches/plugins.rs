//! Plugin-call costs, in a release build: one inbound call on a fresh instance (instantiate,
//! call, drop) for a small chat payload, a 20 KB payload and a 20 KB email; calls per second on one core; and
//! gateway-style start-up with four plugins, compiling them and from the compiled-code cache.
//! The email normalization inside the sandbox is set beside the same mail-parser work run
//! natively in this process (parse, text and HTML bodies, attachments, headers), as a ratio.
//!
//! `cargo xtask bench` runs it; `CALLS` changes the number of measured calls.

use std::time::{Duration, Instant};

use switchboard_model::ChannelKind;
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
        contract: "0.2.0".into(),
        channel_kind: ChannelKind::API,
        allowed_hosts: Vec::new(),
        settings: Vec::new(),
        secrets: Vec::new(),
        budget: Budget::default(),
        tick_seconds: None,
        reply_window_hours: None,
        form: None,
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

    let email = load(&runtime, "email_adapter", "email");
    let mail = twenty_kb_email();
    let (samples, total) = measure(&runtime, &email, &mail, calls / 4);
    let size = match &mail {
        Transport::Email(raw) => raw.source.len(),
        _ => 0,
    };
    println!(
        "email normalization, {} KB MIME message (text with quoted history, HTML, attachment): p50 {:.1} µs, p99 {:.1} µs; {:.1} MB/s of MIME on one core",
        size / 1000,
        percentile(&samples, 0.5),
        percentile(&samples, 0.99),
        (size * calls / 4) as f64 / total.as_secs_f64() / 1e6
    );
    if let Transport::Email(raw) = &mail {
        let native = measure_native(&raw.source, calls / 4);
        println!(
            "email normalization natively, the same mail-parser work outside the sandbox: p50 {:.1} µs, p99 {:.1} µs; inside the sandbox p50 ×{:.1}, p99 ×{:.1}",
            percentile(&native, 0.5),
            percentile(&native, 0.99),
            percentile(&samples, 0.5) / percentile(&native, 0.5),
            percentile(&samples, 0.99) / percentile(&native, 0.99),
        );
    }

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
            manifest.version = format!("1.0.0-{name}");
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

/// The floor under the email adapter's normalization: the mail-parser work it does (parse;
/// text and HTML bodies; each attachment's name, type and place; the headers it reads), natively.
fn measure_native(source: &[u8], calls: usize) -> Vec<Duration> {
    use mail_parser::MimeHeaders;
    let normalize = || {
        let parsed = mail_parser::MessageParser::default()
            .parse(source)
            .expect("the bench's email parses");
        let text = parsed.body_text(0).map(|text| text.len()).unwrap_or(0);
        let html = parsed.body_html(0).map(|html| html.len()).unwrap_or(0);
        let attachments: usize = parsed
            .attachments()
            .map(|part| {
                part.attachment_name().map_or(0, str::len)
                    + part.content_type().map_or(0, |kind| kind.ctype().len())
                    + usize::try_from(part.offset_end - part.offset_body).unwrap_or(0)
            })
            .sum();
        let headers = parsed.message_id().map_or(0, str::len)
            + parsed.subject().map_or(0, str::len)
            + parsed
                .references()
                .as_text_list()
                .map_or(0, |list| list.len())
            + parsed.date().map_or(0, |date| usize::from(date.is_valid()));
        std::hint::black_box(text + html + attachments + headers)
    };
    for _ in 0..calls / 10 {
        normalize();
    }
    let mut samples: Vec<Duration> = (0..calls)
        .map(|_| {
            let started = Instant::now();
            normalize();
            started.elapsed()
        })
        .collect();
    samples.sort_unstable();
    samples
}

/// A realistic 20 KB support email: a reply over quoted history, its HTML twin, a PDF.
fn twenty_kb_email() -> Transport {
    let history: String = (0..100)
        .map(|n| format!("> Línea {n} del mensaje anterior, con acentos y eñes: ¿qué tal?\r\n"))
        .collect();
    let html: String = (0..100)
        .map(|n| format!("<p>Párrafo {n} de la respuesta en <b>HTML</b>.</p>"))
        .collect();
    let attachment =
        "JVBERi0xLjQKJcfsj6IKMSAwIG9iago8PD4+CmVuZG9iagp0cmFpbGVyCjw8Pj4KJSVFT0YK".repeat(100);
    let source = format!(
        "From: =?UTF-8?Q?Mar=C3=ADa_L=C3=B3pez?= <maria@example.com>\r\nTo: soporte@acme.test\r\nSubject: Re: Pedido 4711\r\n\
         Date: Mon, 03 Nov 2025 12:30:00 -0300\r\nMessage-ID: <bench@example.com>\r\nIn-Reply-To: <sb-1@acme.test>\r\n\
         References: <sb-0@acme.test> <sb-1@acme.test>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"m\"\r\n\r\n\
         --m\r\nContent-Type: multipart/alternative; boundary=\"a\"\r\n\r\n--a\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n\
         Hola, el pedido todavía no llegó.\r\n\r\nEl lun, 3 nov 2025 a las 10:02, Soporte <soporte@acme.test> escribió:\r\n{history}\
         --a\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<html><body>{html}</body></html>\r\n--a--\r\n\
         --m\r\nContent-Type: application/pdf; name=\"pedido.pdf\"\r\nContent-Disposition: attachment; filename=\"pedido.pdf\"\r\n\
         Content-Transfer-Encoding: base64\r\n\r\n{attachment}\r\n--m--\r\n"
    );
    Transport::Email(switchboard_plugins::latest::RawEmail {
        envelope: switchboard_plugins::latest::Envelope {
            mail_from: "maria@example.com".into(),
            rcpt_to: vec!["soporte@acme.test".into()],
        },
        source: source.into_bytes(),
    })
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
