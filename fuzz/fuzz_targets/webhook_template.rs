//! Webhook bodies through the template adapter, in the plugin host: any body gives a message
//! or a refusal, never a crash of the adapter.
#![no_main]

use std::sync::LazyLock;

use switchboard_plugins::latest::{Header, HttpRequest, Transport};
use switchboard_plugins::{CallContext, PluginError};

mod host;

static HOST: LazyLock<host::Host> = LazyLock::new(|| host::Host::load("template_adapter"));

libfuzzer_sys::fuzz_target!(|bytes: &[u8]| {
    let webhook = Transport::Webhook(HttpRequest {
        method: "POST".into(),
        url: "/hooks/1/2/token".into(),
        headers: vec![Header {
            name: "Content-Type".into(),
            value: "application/json".into(),
        }],
        body: bytes.to_vec(),
    });
    let outcome = HOST.runtime.inbound(&HOST.plugin, CallContext::default(), &webhook);
    if let Err(PluginError::Trap(reason)) = outcome {
        panic!("the template adapter crashed: {reason}");
    }
});
