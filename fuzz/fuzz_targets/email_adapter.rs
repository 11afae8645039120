//! The email adapter's normalization, run in the plugin host as the gateway runs it: any bytes
//! as a forwarded email give a message or a refusal, never a crash of the adapter (which would
//! turn a customer's mail into a dead letter).
#![no_main]

use std::sync::LazyLock;

use switchboard_plugins::latest::{Envelope, RawEmail, Transport};
use switchboard_plugins::{CallContext, PluginError};

mod host;

static HOST: LazyLock<host::Host> = LazyLock::new(|| host::Host::load("email_adapter"));

libfuzzer_sys::fuzz_target!(|bytes: &[u8]| {
    let email = Transport::Email(RawEmail {
        envelope: Envelope {
            mail_from: "cliente@example.com".into(),
            rcpt_to: vec!["ventas@forward.example.com".into()],
        },
        source: bytes.to_vec(),
    });
    let outcome = HOST.runtime.inbound(&HOST.plugin, CallContext::default(), &email);
    if let Err(PluginError::Trap(reason)) = outcome {
        panic!("the email adapter crashed: {reason}");
    }
});
