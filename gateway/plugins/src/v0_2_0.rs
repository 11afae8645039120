//! Contract `switchboard:channel@0.2.0` (frozen in `channel-plugins/wit/v0.2.0`), the newest:
//! its bindings and the host functions it imports. Each is checked against the call's grants.
//! Its types are the ones the gateway works with ([`crate::latest`]).

use wasmtime::component::HasSelf;

use crate::call::CallState;

wasmtime::component::bindgen!({
    path: "../../channel-plugins/wit/v0.2.0",
    world: "channel-adapter",
});

pub use self::switchboard::channel::types;
use self::types::{Error, HttpRequest, HttpResponse, Level};

/// The contract version these bindings implement.
pub const VERSION: &str = "0.2.0";

/// Adds this contract's host functions to a linker.
pub fn add_to_linker(linker: &mut wasmtime::component::Linker<CallState>) -> wasmtime::Result<()> {
    ChannelAdapter::add_to_linker::<CallState, HasSelf<CallState>>(linker, |state| state)
}

impl types::Host for CallState {}

impl switchboard::channel::host::Host for CallState {
    fn log(&mut self, level: Level, message: String) {
        self.write_log(level.into(), &message);
    }

    fn setting(&mut self, name: String) -> Option<String> {
        self.granted_setting(&name)
    }

    fn secret(&mut self, name: String) -> Option<String> {
        self.granted_secret(&name)
    }

    fn fetch(&mut self, request: HttpRequest) -> Result<HttpResponse, Error> {
        self.granted_fetch(request).map_err(Error::Denied)
    }

    fn kv_get(&mut self, key: String) -> Option<Vec<u8>> {
        self.kv_read(&key)
    }

    fn kv_set(&mut self, key: String, value: Vec<u8>) {
        self.kv_write(key, value);
    }

    fn now_ms(&mut self) -> u64 {
        crate::call::now_ms()
    }
}

impl From<Level> for tracing::Level {
    fn from(level: Level) -> tracing::Level {
        match level {
            Level::Debug => tracing::Level::DEBUG,
            Level::Info => tracing::Level::INFO,
            Level::Warn => tracing::Level::WARN,
            Level::Error => tracing::Level::ERROR,
        }
    }
}
