//! The plugin host against real components built from `channel-plugins/`: a well-behaved
//! adapter works, and adapters that loop, bloat, trap, flood or overreach fail that call alone,
//! with an error that says which, while the well-behaved one keeps serving.

use std::sync::Arc;
use std::time::Duration;

use switchboard_model::ChannelKind;
use switchboard_plugins::latest::{
    Contact, DeliveryAction, Event, Header, HttpRequest, HttpResponse, Identity, Reply,
    ReplyContext, ResponseOutcome, RetryLater, TemplateChoice, Transport,
};
use switchboard_plugins::{
    BUILT_PLUGINS, Budget, CallContext, Grants, Manifest, Plugin, PluginError, Runtime,
    RuntimeConfig,
};

fn wasm(name: &str) -> Vec<u8> {
    let path = std::path::Path::new(BUILT_PLUGINS).join(format!("{name}.wasm"));
    std::fs::read(&path).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

fn manifest(name: &str) -> Manifest {
    Manifest {
        name: name.to_string(),
        version: "1.0.0".into(),
        contract: "0.2.0".into(),
        channel_kind: ChannelKind::API,
        allowed_hosts: vec!["hooks.example.com".into()],
        settings: vec!["reply_url".into()],
        secrets: vec!["api_token".into()],
        budget: Budget {
            memory_mib: 32,
            time_ms: 300,
            output_kib: 1024,
        },
        tick_seconds: None,
        reply_window_hours: None,
        form: None,
    }
}

fn load(runtime: &Runtime, file: &str) -> Plugin {
    let manifest = manifest(file);
    let grants = manifest.grant_all();
    runtime
        .load(&wasm(file), manifest, grants)
        .expect("the plugin loads")
}

fn webhook(body: &str) -> Transport {
    Transport::Webhook(HttpRequest {
        method: "POST".into(),
        url: "/hooks/1".into(),
        headers: vec![Header {
            name: "Content-Type".into(),
            value: "application/json".into(),
        }],
        body: body.as_bytes().to_vec(),
    })
}

fn runtime() -> Arc<Runtime> {
    Runtime::new(RuntimeConfig::default()).expect("runtime")
}

#[test]
fn the_template_turns_a_webhook_into_a_message() {
    let runtime = runtime();
    let plugin = load(&runtime, "template_adapter");
    let payload =
        webhook(r#"{"id": "m-1", "from": {"id": "crm-7", "name": "Ana"}, "text": "Olá!"}"#);
    let output = runtime
        .inbound(&plugin, CallContext::default(), &payload)
        .expect("inbound");
    let [Event::Message(message)] = output.value.events.as_slice() else {
        panic!("one message, got {:?}", output.value)
    };
    assert_eq!(message.message_id, "m-1");
    assert_eq!(message.text, "Olá!");
    assert_eq!(message.contact.identity.value, "crm-7");
    assert_eq!(message.contact.display_name.as_deref(), Some("Ana"));

    let broken = runtime.inbound(&plugin, CallContext::default(), &webhook("{\"id\": 1"));
    assert!(
        matches!(&broken, Err(PluginError::Malformed(reason)) if reason.contains("neither a message nor a status")),
        "{broken:?}"
    );
}

fn reply() -> Reply {
    Reply {
        reply_id: "r-9".into(),
        text: "¡Hola Ana!".into(),
        html: None,
        attachments: Vec::new(),
        agent_name: "Bea".into(),
        agent_signature: None,
        template: None,
        context: ReplyContext {
            conversation_id: 12,
            subject: None,
            thread: Vec::new(),
            contact: Contact {
                identity: Identity {
                    kind: "external".into(),
                    value: "crm-7".into(),
                },
                display_name: None,
                email: None,
                phone: None,
                fields: Vec::new(),
            },
        },
    }
}

#[test]
fn outbound_sees_only_granted_settings_and_secrets() {
    let runtime = runtime();
    let mut context = CallContext::default();
    context
        .settings
        .insert("reply_url".into(), "https://hooks.example.com/out".into());
    context.secrets.insert("api_token".into(), "s3cr3t".into());

    let plugin = load(&runtime, "template_adapter");
    let actions = runtime
        .outbound(&plugin, context.clone(), &reply())
        .expect("outbound")
        .value;
    let [switchboard_plugins::latest::DeliveryAction::Http(request)] = actions.as_slice() else {
        panic!("{actions:?}")
    };
    assert_eq!(request.url, "https://hooks.example.com/out");
    assert!(
        request
            .headers
            .iter()
            .any(|header| header.value == "Bearer s3cr3t")
    );
    assert!(String::from_utf8_lossy(&request.body).contains("¡Hola Ana!"));

    // The same plugin, with the secret not granted, never sees it.
    let manifest = manifest("template_adapter");
    let grants = Grants {
        settings: vec!["reply_url".into()],
        ..Grants::default()
    };
    let restricted = runtime
        .load(&wasm("template_adapter"), manifest, grants)
        .expect("load");
    let actions = runtime
        .outbound(&restricted, context, &reply())
        .expect("outbound")
        .value;
    let [switchboard_plugins::latest::DeliveryAction::Http(request)] = actions.as_slice() else {
        panic!("{actions:?}")
    };
    assert!(
        request
            .headers
            .iter()
            .all(|header| header.name != "authorization"),
        "{:?}",
        request.headers
    );
}

#[test]
fn bad_files_and_manifests_are_refused_with_a_reason() {
    let runtime = runtime();
    let garbage = runtime.load(b"not wasm at all", manifest("x"), Grants::default());
    assert!(
        matches!(&garbage, Err(PluginError::Invalid(reason)) if reason.contains("not a WebAssembly component")),
        "{garbage:?}"
    );
    // A core module, not a component.
    let core = runtime.load(b"\0asm\x01\0\0\0", manifest("x"), Grants::default());
    assert!(
        matches!(&core, Err(PluginError::Invalid(reason)) if reason.contains("component")),
        "{core:?}"
    );
    // A truncated component.
    let mut truncated = wasm("template_adapter");
    truncated.truncate(truncated.len() / 2);
    assert!(matches!(
        runtime.load(&truncated, manifest("x"), Grants::default()),
        Err(PluginError::Invalid(_))
    ));

    let mut future = manifest("template_adapter");
    future.contract = "9.0.0".into();
    let refused = runtime.load(&wasm("template_adapter"), future, Grants::default());
    assert!(
        matches!(&refused, Err(PluginError::Invalid(reason)) if reason.contains("9.0.0") && reason.contains("0.1.0, 0.2.0")),
        "{refused:?}"
    );

    let overgranted = Grants {
        allowed_hosts: vec!["evil.example".into()],
        ..Grants::default()
    };
    let refused = runtime.load(
        &wasm("template_adapter"),
        manifest("template_adapter"),
        overgranted,
    );
    assert!(
        matches!(&refused, Err(PluginError::Invalid(reason)) if reason.contains("evil.example")),
        "{refused:?}"
    );
}

#[test]
fn misbehaving_plugins_fail_their_call_alone() {
    let runtime = runtime();
    let bad = load(&runtime, "misbehaving_adapter");
    let call = |command: &str| runtime.inbound(&bad, CallContext::default(), &webhook(command));

    assert_eq!(
        call("loop").map(|_| ()),
        Err(PluginError::Timeout { budget_ms: 300 })
    );
    // A sleep through WASI ends with the budget, not 20 s later.
    assert_eq!(
        call("sleep").map(|_| ()),
        Err(PluginError::Timeout { budget_ms: 300 })
    );
    assert_eq!(
        call("bloat").map(|_| ()),
        Err(PluginError::OutOfMemory { budget_mib: 32 })
    );
    let trap = call("trap").map(|_| ());
    assert!(matches!(&trap, Err(PluginError::Trap(_))), "{trap:?}");
    let flood = call("flood").map(|_| ());
    assert!(
        matches!(
            flood,
            Err(PluginError::OutputTooLarge {
                budget_kib: 1024,
                ..
            })
        ),
        "{flood:?}"
    );
    let overreach = call("overreach").map(|_| ());
    assert!(
        matches!(&overreach, Err(PluginError::Denied(reason)) if reason.contains("evil.example")),
        "{overreach:?}"
    );
    let secret = call("secret").map(|_| ());
    assert!(
        matches!(&secret, Err(PluginError::Denied(_))),
        "an ungranted secret stays hidden: {secret:?}"
    );

    // The same plugin still answers a harmless payload afterwards.
    let fine = call("hello").expect("a harmless call works");
    assert_eq!(fine.value.events.len(), 1);
}

#[test]
fn a_well_behaved_channel_keeps_serving_while_another_misbehaves() {
    let runtime = runtime();
    let bad = load(&runtime, "misbehaving_adapter");
    let good = load(&runtime, "template_adapter");
    let troublemakers: Vec<_> = ["loop", "bloat", "loop", "trap"]
        .into_iter()
        .map(|command| {
            let (runtime, bad) = (runtime.clone(), bad.clone());
            std::thread::spawn(move || {
                runtime
                    .inbound(&bad, CallContext::default(), &webhook(command))
                    .map(|_| ())
            })
        })
        .collect();
    let started = std::time::Instant::now();
    let mut served = 0;
    while started.elapsed() < Duration::from_millis(250) || served < 50 {
        let payload = webhook(&format!(
            r#"{{"id": "m-{served}", "from": {{"id": "c"}}, "text": "hi"}}"#
        ));
        let output = runtime
            .inbound(&good, CallContext::default(), &payload)
            .expect("the good channel keeps serving");
        assert_eq!(output.value.events.len(), 1);
        served += 1;
    }
    for troublemaker in troublemakers {
        assert!(troublemaker.join().expect("thread").is_err());
    }
    assert!(served >= 50);
}

#[test]
fn compiled_code_is_cached_on_disk() {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = RuntimeConfig {
        cache_dir: Some(dir.path().to_path_buf()),
        ..RuntimeConfig::default()
    };
    let runtime = Runtime::new(config.clone()).expect("runtime");
    load(&runtime, "template_adapter");
    let cached: Vec<_> = std::fs::read_dir(dir.path())
        .expect("cache dir")
        .filter_map(Result::ok)
        .collect();
    assert_eq!(cached.len(), 1, "one compiled file");
    assert!(cached[0].file_name().to_string_lossy().ends_with(".cwasm"));

    // A new runtime (a restart) loads from the cache and the plugin works.
    let restarted = Runtime::new(config).expect("runtime");
    let plugin = load(&restarted, "template_adapter");
    let payload = webhook(r#"{"id": "m-1", "from": {"id": "c"}, "text": "hi"}"#);
    assert!(
        restarted
            .inbound(&plugin, CallContext::default(), &payload)
            .is_ok()
    );
}

/// The smallest component that imports an instance of an interface no gateway offers and
/// exports nothing: it compiles, and the contract refuses it.
fn component_with_an_unknown_import() -> Vec<u8> {
    let mut wasm = b"\0asm\x0d\x00\x01\x00".to_vec();
    // A type section: one instance type that declares nothing.
    wasm.extend_from_slice(&[0x07, 0x03, 0x01, 0x42, 0x00]);
    // An import section: `evil:thing/x`, an instance of that type.
    let name = b"evil:thing/x";
    wasm.extend_from_slice(&[0x0a, 5 + name.len() as u8, 0x01, 0x00, name.len() as u8]);
    wasm.extend_from_slice(name);
    wasm.extend_from_slice(&[0x05, 0x00]);
    wasm
}

fn cached_files(dir: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("cache dir")
        .filter_map(Result::ok)
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn the_cache_keeps_accepted_code_only_and_within_its_size() {
    let dir = tempfile::tempdir().expect("temp dir");
    let runtime = Runtime::new(RuntimeConfig {
        cache_dir: Some(dir.path().to_path_buf()),
        ..RuntimeConfig::default()
    })
    .expect("runtime");
    let manifest = manifest("stranger");
    let refused = runtime.load(
        &component_with_an_unknown_import(),
        manifest.clone(),
        manifest.grant_all(),
    );
    assert!(
        matches!(&refused, Err(PluginError::Invalid(reason)) if reason.contains("does not export the adapter")),
        "{refused:?}"
    );
    assert_eq!(
        cached_files(dir.path()),
        Vec::<String>::new(),
        "refused code was cached"
    );

    // Room for one compiled adapter: the one used least recently goes.
    load(&runtime, "template_adapter");
    let one = cached_files(dir.path());
    assert_eq!(one.len(), 1, "{one:?}");
    let small = Runtime::new(RuntimeConfig {
        cache_dir: Some(dir.path().to_path_buf()),
        cache_max_bytes: 1,
        ..RuntimeConfig::default()
    })
    .expect("runtime");
    load(&small, "misbehaving_adapter");
    let after = cached_files(dir.path());
    assert_eq!(after.len(), 1, "{after:?}");
    assert_ne!(after, one, "the older file stayed: {after:?}");
}

#[test]
fn key_value_writes_come_back_with_the_result() {
    let runtime = runtime();
    let plugin = load(&runtime, "misbehaving_adapter");
    let mut context = CallContext::default();
    context.kv.insert("count".into(), b"41".to_vec());
    let output = runtime
        .inbound(&plugin, context, &webhook("count"))
        .expect("call");
    let [Event::Message(message)] = output.value.events.as_slice() else {
        panic!("{:?}", output.value)
    };
    assert_eq!(message.text, "42");
    assert_eq!(
        output.kv_writes.get("count").map(Vec::as_slice),
        Some(&b"42"[..])
    );
}

/// A plugin built before contract 0.2.0, against the frozen 0.1.0 WIT with no SDK, still runs:
/// its webhook gets the query only, as 0.1.0 promised, its reply goes out as it asks, and the
/// host reads the provider's answer for it.
#[test]
fn a_plugin_of_contract_0_1_0_still_runs_beside_the_newest() {
    let runtime = runtime();
    let mut legacy = manifest("legacy_adapter");
    legacy.contract = "0.1.0".into();
    let grants = legacy.grant_all();
    let plugin = runtime
        .load(&wasm("legacy_adapter"), legacy.clone(), grants)
        .expect("a 0.1.0 plugin loads");
    let payload = Transport::Webhook(HttpRequest {
        method: "POST".into(),
        url: "https://gw.example.com/hooks/1/2/secret?lang=pt".into(),
        headers: Vec::new(),
        body: b"m-1|lead-9|Oi".to_vec(),
    });
    let output = runtime
        .inbound(&plugin, CallContext::default(), &payload)
        .expect("inbound");
    let [Event::Message(message)] = output.value.events.as_slice() else {
        panic!("one message, got {:?}", output.value)
    };
    assert_eq!(message.text, "Oi?lang=pt", "0.1.0 sees the query only");
    assert!(output.value.answer.is_none());

    let mut context = CallContext::default();
    context
        .settings
        .insert("reply_url".into(), "https://hooks.example.com/out".into());
    let actions = runtime
        .outbound(&plugin, context.clone(), &reply())
        .expect("outbound");
    let [DeliveryAction::Http(request)] = actions.value.as_slice() else {
        panic!("one request, got {:?}", actions.value)
    };
    assert_eq!(request.body, "crm-7|¡Hola Ana!".as_bytes());
    let mut template = reply();
    template.template = Some(TemplateChoice {
        name: "hello".into(),
        language: "es".into(),
        values: Vec::new(),
    });
    assert!(matches!(
        runtime.outbound(&plugin, context.clone(), &template),
        Err(PluginError::Unsupported(_))
    ));
    let throttled = HttpResponse {
        status: 429,
        headers: vec![Header {
            name: "Retry-After".into(),
            value: "7".into(),
        }],
        body: Vec::new(),
    };
    assert!(matches!(
        runtime.response(&plugin, context.clone(), "r-9", &throttled),
        Ok(ResponseOutcome::Retry(RetryLater {
            after_ms: Some(7000),
            ..
        }))
    ));
    assert!(matches!(
        runtime.tick(&plugin, context),
        Err(PluginError::Unsupported(_))
    ));

    // Each contract's component fits only its own contract.
    let mut mislabelled = legacy;
    mislabelled.contract = "0.2.0".into();
    let refused = runtime.load(
        &wasm("legacy_adapter"),
        mislabelled.clone(),
        mislabelled.grant_all(),
    );
    assert!(
        matches!(&refused, Err(PluginError::Invalid(reason)) if reason.contains("0.2.0")),
        "{refused:?}"
    );
    let mut old_label = manifest("template_adapter");
    old_label.contract = "0.1.0".into();
    let refused = runtime.load(
        &wasm("template_adapter"),
        old_label.clone(),
        old_label.grant_all(),
    );
    assert!(
        matches!(&refused, Err(PluginError::Invalid(reason)) if reason.contains("0.1.0")),
        "{refused:?}"
    );
}

#[test]
fn a_schedule_needs_contract_0_2_0_and_a_sensible_period() {
    let runtime = runtime();
    let mut ticking = manifest("template_adapter");
    ticking.tick_seconds = Some(5);
    assert!(
        runtime
            .load(
                &wasm("template_adapter"),
                ticking.clone(),
                ticking.grant_all()
            )
            .is_ok()
    );
    for (contract, seconds, named) in [("0.1.0", 5, "0.2.0"), ("0.2.0", 0, "outside")] {
        let mut wrong = ticking.clone();
        wrong.contract = contract.into();
        wrong.tick_seconds = Some(seconds);
        let refused = runtime.load(&wasm("template_adapter"), wrong.clone(), wrong.grant_all());
        assert!(
            matches!(&refused, Err(PluginError::Invalid(reason)) if reason.contains("tick_seconds") && reason.contains(named)),
            "{refused:?}"
        );
    }
}
