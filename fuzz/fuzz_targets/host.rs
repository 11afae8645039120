//! One plugin host with one of the bundled adapters loaded, as the gateway loads it.

use std::sync::Arc;

use switchboard_plugins::{BUILT_PLUGINS, Budget, Manifest, Plugin, Runtime, RuntimeConfig};

pub struct Host {
    pub runtime: Arc<Runtime>,
    pub plugin: Plugin,
}

impl Host {
    pub fn load(name: &str) -> Host {
        let runtime = Runtime::new(RuntimeConfig::default()).expect("a plugin host");
        let path = std::path::Path::new(BUILT_PLUGINS).join(format!("{name}.wasm"));
        let wasm = std::fs::read(&path).expect("the adapter, built by `cargo xtask fuzz`");
        let manifest = Manifest {
            name: name.replace('_', "-"),
            version: "1.0.0".into(),
            contract: "0.1.0".into(),
            channel_kind: "api".into(),
            allowed_hosts: Vec::new(),
            settings: Vec::new(),
            secrets: Vec::new(),
            budget: Budget {
                memory_mib: 64,
                time_ms: 2_000,
                output_kib: 16_384,
            },
        };
        let grants = manifest.grant_all();
        let plugin = runtime
            .load(&wasm, manifest, grants)
            .expect("the adapter loads");
        Host { runtime, plugin }
    }
}
