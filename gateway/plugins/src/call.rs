//! The state of one call into a plugin: what it was granted, its memory limit, its deadline,
//! the key-value writes it made, and the host functions behind the contract's imports. A fresh
//! state (and a fresh instance) serves every call, so nothing leaks from one call to the next.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

use wasmtime::ResourceLimiter;
use wasmtime::component::ResourceTable;
use wasmtime_wasi::{WasiCtx, WasiCtxBuilder, WasiCtxView, WasiView};

use crate::latest::{HttpRequest, HttpResponse};
use crate::manifest::Grants;
use crate::runtime::DeadlinePassed;
use crate::turns::Turn;

/// Most log lines one call may write; later ones are dropped.
const MAX_LOG_LINES: u32 = 100;
/// Longest log line kept, in bytes.
const MAX_LOG_BYTES: usize = 1_000;
/// Largest key-value store a channel may hold, in bytes (keys and values added up). A call
/// checks its own writes against it; the store checks again when it keeps them, against what
/// other calls kept meanwhile.
pub const MAX_KV_BYTES: usize = 1 << 20;

/// Makes the HTTP requests plugins ask for (already checked against their grants). The whole
/// exchange, body included, ends by `deadline`: the calling plugin's time is up then.
pub trait Fetch: Send + Sync {
    /// Makes the request, with the fetcher's own cap on the answer's size.
    fn fetch(&self, request: HttpRequest, deadline: Instant) -> Result<HttpResponse, String>;
    /// Makes the request, reading at most `max_bytes` of the answer (a file to store).
    fn fetch_up_to(
        &self,
        request: HttpRequest,
        deadline: Instant,
        max_bytes: usize,
    ) -> Result<HttpResponse, String>;
    /// Refuses, before any request, a destination the fetcher would never reach: its scheme,
    /// an address written in it, or a host name whose every address is refused. It may
    /// resolve a name, and so blocks: call it from a blocking thread.
    fn check_destination(&self, url: &str) -> Result<(), String>;
}

/// What the gateway hands a call: the channel's settings, secrets and key-value store.
#[derive(Clone, Default)]
pub struct CallContext {
    pub channel_id: u64,
    pub settings: BTreeMap<String, String>,
    pub secrets: BTreeMap<String, String>,
    pub kv: BTreeMap<String, Vec<u8>>,
    pub fetcher: Option<Arc<dyn Fetch>>,
}

/// A successful call's result and the key-value writes to keep with it.
#[derive(Debug, Clone, PartialEq)]
pub struct CallOutput<T> {
    pub value: T,
    pub kv_writes: BTreeMap<String, Vec<u8>>,
    /// When the call's time budget ends: the host's own work on the output (sanitizing its
    /// HTML) counts against the same budget.
    pub deadline: Instant,
}

/// Refuses memory beyond the budget and remembers that it did, so that the crash that follows
/// is reported as what it is.
pub struct MemoryLimiter {
    pub max_bytes: usize,
    pub refused: bool,
}

impl ResourceLimiter for MemoryLimiter {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if desired > self.max_bytes {
            self.refused = true;
            return Ok(false);
        }
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(desired <= 100_000)
    }
}

pub struct CallState {
    wasi: WasiCtx,
    pub(crate) table: ResourceTable,
    pub limiter: MemoryLimiter,
    /// When the call's time budget is up, by the wall clock.
    pub(crate) deadline: Instant,
    /// A host call was cut short at the deadline: the call fails with a timeout, whatever the
    /// plugin made of it.
    pub(crate) deadline_passed: bool,
    /// The call's turn on the processor, given back while it waits on the host.
    pub(crate) turn: Option<Turn>,
    plugin: String,
    grants: Grants,
    context: CallContext,
    pub kv_writes: BTreeMap<String, Vec<u8>>,
    log_lines: u32,
}

impl CallState {
    pub fn new(
        plugin: &str,
        grants: &Grants,
        context: CallContext,
        max_memory: usize,
        deadline: Instant,
    ) -> CallState {
        CallState {
            // No environment, arguments, files, sockets or console: WASI only for what Rust's
            // standard library needs (clocks, randomness, an empty stdin, discarded output).
            wasi: WasiCtxBuilder::new().build(),
            table: ResourceTable::new(),
            limiter: MemoryLimiter {
                max_bytes: max_memory,
                refused: false,
            },
            deadline,
            deadline_passed: false,
            turn: None,
            plugin: plugin.to_string(),
            grants: grants.clone(),
            context,
            kv_writes: BTreeMap::new(),
            log_lines: 0,
        }
    }

    pub fn write_log(&mut self, level: tracing::Level, message: &str) {
        self.log_lines += 1;
        if self.log_lines > MAX_LOG_LINES {
            return;
        }
        let mut end = message.len().min(MAX_LOG_BYTES);
        while !message.is_char_boundary(end) {
            end -= 1;
        }
        let (plugin, channel_id, text) = (&self.plugin, self.context.channel_id, &message[..end]);
        match level {
            tracing::Level::ERROR => tracing::error!(plugin, channel_id, "{text}"),
            tracing::Level::WARN => tracing::warn!(plugin, channel_id, "{text}"),
            tracing::Level::INFO => tracing::info!(plugin, channel_id, "{text}"),
            _ => tracing::debug!(plugin, channel_id, "{text}"),
        }
    }

    pub fn granted_setting(&mut self, name: &str) -> Option<String> {
        if !self.grants.settings.iter().any(|granted| granted == name) {
            self.write_log(
                tracing::Level::WARN,
                &format!("refused the setting {name:?}: not granted"),
            );
            return None;
        }
        self.context.settings.get(name).cloned()
    }

    pub fn granted_secret(&mut self, name: &str) -> Option<String> {
        if !self.grants.secrets.iter().any(|granted| granted == name) {
            self.write_log(
                tracing::Level::WARN,
                &format!("refused the secret {name:?}: not granted"),
            );
            return None;
        }
        self.context.secrets.get(name).cloned()
    }

    pub fn granted_fetch(&mut self, request: HttpRequest) -> Result<HttpResponse, String> {
        self.grants.check_url(&request.url)?;
        let Some(fetcher) = self.context.fetcher.clone() else {
            return Err("this gateway makes no outbound requests for plugins".to_string());
        };
        let deadline = self.deadline;
        let answer = self
            .waiting_on_host(|_| fetcher.fetch(request, deadline))
            .unwrap_or_else(|_| Err("the call's time ran out".to_string()));
        if answer.is_err() && Instant::now() >= self.deadline {
            self.deadline_passed = true;
        }
        answer
    }

    /// Runs `wait` (a sleep, a fetch) with the call's processor turn given back meanwhile;
    /// fails when no turn comes back before the deadline.
    pub(crate) fn waiting_on_host<R>(
        &mut self,
        wait: impl FnOnce(&mut Self) -> R,
    ) -> Result<R, DeadlinePassed> {
        if let Some(turn) = &mut self.turn {
            turn.pause();
        }
        let waited = wait(self);
        let deadline = self.deadline;
        let resumed = self.turn.as_mut().is_none_or(|turn| turn.resume(deadline));
        if !resumed {
            self.deadline_passed = true;
            return Err(DeadlinePassed);
        }
        Ok(waited)
    }

    pub fn kv_read(&self, key: &str) -> Option<Vec<u8>> {
        self.kv_writes
            .get(key)
            .or_else(|| self.context.kv.get(key))
            .cloned()
    }

    pub fn kv_write(&mut self, key: String, value: Vec<u8>) {
        let used: usize = self
            .context
            .kv
            .iter()
            .chain(&self.kv_writes)
            .map(|(key, value)| key.len() + value.len())
            .sum();
        if used + key.len() + value.len() > MAX_KV_BYTES {
            self.write_log(
                tracing::Level::WARN,
                &format!("dropped a write to {key:?}: the key-value store is full"),
            );
            return;
        }
        self.kv_writes.insert(key, value);
    }
}

/// The current time, Unix milliseconds.
pub fn now_ms() -> u64 {
    u64::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |elapsed| elapsed.as_millis()),
    )
    .unwrap_or(u64::MAX)
}

impl WasiView for CallState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}
