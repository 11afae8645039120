//! The plugin runtime: one wasmtime engine with the component model and the pooling allocator,
//! an epoch ticker that enforces time budgets (it ticks only while a call runs), a linker per
//! contract version, and the compiled-code cache. Calls are synchronous: the gateway runs them
//! on the runtime's own threads ([`Runtime::threads`]), which the operating system schedules
//! below the gateway's, so that plugins busy with the processor do not slow the rest down.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};
use wasmtime::component::{Component, Linker};
use wasmtime::{
    Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig, Store, Trap,
    UpdateDeadline,
};

use crate::PluginError;
use crate::cache::{CACHED, evict_least_recently_used};
use crate::call::{CallContext, CallOutput, CallState};
use crate::latest as types;
use crate::manifest::{Ceilings, Grants, Manifest};
use crate::output::{
    action_size, check_output, inbound_size, outcome_size, read_response, template_size,
    transport_size,
};
use crate::shares::{Shares, Slots};
use crate::ticker::Ticker;
use crate::turns::Turns;
use crate::{v0_1_0, v0_2_0};

/// How often the epoch advances; time budgets are counted in these ticks.
const TICK: Duration = Duration::from_millis(2);

/// How the runtime is set up.
#[derive(Debug, Clone)]
pub struct RuntimeConfig {
    /// Where compiled code is cached; `None` compiles every time.
    pub cache_dir: Option<PathBuf>,
    /// How many calls may be open at once (the instance slots, counted by the runtime
    /// itself and, where it can reserve them, by the pooling allocator).
    pub max_concurrent_calls: u32,
    /// The largest budgets a manifest may ask for.
    pub ceilings: Ceilings,
    /// The most compiled code the cache keeps, in bytes; the least recently used goes first.
    pub cache_max_bytes: u64,
    /// The instance slots one channel's calls may hold at once (0: a quarter of them); a call
    /// beyond waits a moment for one of its own to end, then is turned away, so that one
    /// channel's slow or spinning plugin never takes every slot from the others.
    pub channel_share: u32,
    /// Calls whose plugin code may run at once (0: one per core of the machine); one channel
    /// runs at most half of them.
    pub cores: usize,
}

impl Default for RuntimeConfig {
    fn default() -> Self {
        RuntimeConfig {
            cache_dir: None,
            max_concurrent_calls: 128,
            ceilings: Ceilings::default(),
            cache_max_bytes: 1 << 30,
            channel_share: 0,
            cores: 0,
        }
    }
}

/// A plugin ready to be called: its compiled code linked against its contract.
#[derive(Clone)]
pub struct Plugin {
    pub manifest: Manifest,
    pub grants: Grants,
    /// Hex SHA-256 of the `.wasm` file.
    pub sha256: String,
    linked: Linked,
}

/// A component linked against the contract version its manifest names.
#[derive(Clone)]
enum Linked {
    V0_1_0(v0_1_0::ChannelAdapterPre<CallState>),
    V0_2_0(v0_2_0::ChannelAdapterPre<CallState>),
}

impl std::fmt::Debug for Plugin {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("Plugin")
            .field("manifest", &self.manifest)
            .field("sha256", &self.sha256)
            .finish()
    }
}

pub struct Runtime {
    engine: Engine,
    ticker: Arc<Ticker>,
    /// Calls open in all.
    slots: Slots,
    /// Calls open per channel.
    shares: Shares,
    /// Turns on the processor.
    turns: Arc<Turns>,
    /// The threads that run calls; an option only so that `drop` can shut them down without
    /// blocking.
    threads: Option<tokio::runtime::Runtime>,
    linker: Linker<CallState>,
    config: RuntimeConfig,
    /// Whether the pooling allocator could reserve its address space.
    pub pooling: bool,
}

/// The contract versions this gateway accepts.
pub const CONTRACTS: &[&str] = &[v0_1_0::VERSION, v0_2_0::VERSION];

impl Runtime {
    pub fn new(config: RuntimeConfig) -> anyhow::Result<Arc<Runtime>> {
        let base = || {
            let mut base = Config::new();
            base.wasm_component_model(true).epoch_interruption(true);
            base
        };
        let mut pooled = base();
        let slots = config.max_concurrent_calls.max(1);
        let mut pool = PoolingAllocationConfig::new();
        pool.total_component_instances(slots)
            // A Rust component holds three core instances, one memory and two tables.
            .total_core_instances(slots * 4)
            .total_memories(slots)
            .total_tables(slots * 2)
            .max_memory_size(1 << 30);
        pooled.allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
        let (engine, pooling) = match Engine::new(&pooled) {
            Ok(engine) => (engine, true),
            Err(error) => {
                tracing::warn!(
                    error = format!("{error:#}"),
                    "the pooling allocator is unavailable; instances are allocated on demand"
                );
                let mut on_demand = base();
                on_demand.allocation_strategy(InstanceAllocationStrategy::OnDemand);
                (Engine::new(&on_demand)?, false)
            }
        };
        let mut linker = Linker::new(&engine);
        wasmtime_wasi::p2::add_to_linker_sync(&mut linker)?;
        waits_end_at_the_deadline(&mut linker)?;
        v0_1_0::add_to_linker(&mut linker)?;
        v0_2_0::add_to_linker(&mut linker)?;
        if let Some(dir) = &config.cache_dir {
            std::fs::create_dir_all(dir)?;
        }
        let ticker = Arc::new(Ticker::default());
        let weak = engine.weak();
        let ticking = ticker.clone();
        std::thread::Builder::new()
            .name("plugin-epoch".into())
            .spawn(move || {
                while ticking.while_calls_run() {
                    let Some(engine) = weak.upgrade() else { return };
                    engine.increment_epoch();
                    drop(engine);
                    std::thread::sleep(TICK);
                }
            })?;
        Ok(Arc::new(Runtime {
            engine,
            ticker,
            slots: Slots::new(slots as usize),
            shares: Shares::default(),
            threads: Some(plugin_threads()?),
            turns: Turns::new(match config.cores {
                0 => std::thread::available_parallelism().map_or(1, usize::from),
                cores => cores,
            }),
            linker,
            config,
            pooling,
        }))
    }

    /// Validates, compiles (or reads from the cache) and links a plugin.
    pub fn load(
        &self,
        wasm: &[u8],
        manifest: Manifest,
        grants: Grants,
    ) -> Result<Plugin, PluginError> {
        manifest
            .check(&self.config.ceilings)
            .map_err(PluginError::Invalid)?;
        let grants = Grants::approve(&manifest, grants).map_err(PluginError::Invalid)?;
        if !CONTRACTS.contains(&manifest.contract.as_str()) {
            return Err(PluginError::Invalid(format!(
                "contract {} is not supported; this gateway accepts {}",
                manifest.contract,
                CONTRACTS.join(", ")
            )));
        }
        if !wasmparser::Parser::is_component(wasm) {
            return Err(PluginError::Invalid(
                "the file is not a WebAssembly component (build it for wasm32-wasip2)".into(),
            ));
        }
        wasmparser::Validator::new_with_features(wasmparser::WasmFeatures::all())
            .validate_all(wasm)
            .map_err(|error| {
                PluginError::Invalid(format!("the component is not valid WebAssembly: {error}"))
            })?;
        let sha256 = hex::encode(Sha256::digest(wasm));
        let (component, compiled_now) = self.compile(wasm, &sha256)?;
        let instance_pre = self.linker.instantiate_pre(&component).map_err(|error| {
            PluginError::Invalid(format!(
                "the component does not fit contract {}: {error}",
                manifest.contract
            ))
        })?;
        let not_an_adapter = |error: wasmtime::Error| {
            PluginError::Invalid(format!(
                "the component does not export the adapter interface of contract {}: {error}",
                manifest.contract
            ))
        };
        let linked = if manifest.contract == v0_1_0::VERSION {
            Linked::V0_1_0(v0_1_0::ChannelAdapterPre::new(instance_pre).map_err(not_an_adapter)?)
        } else {
            Linked::V0_2_0(v0_2_0::ChannelAdapterPre::new(instance_pre).map_err(not_an_adapter)?)
        };
        // Only code that was accepted is worth keeping.
        if compiled_now {
            self.cache(&component, &sha256);
        }
        Ok(Plugin {
            manifest,
            grants,
            sha256,
            linked,
        })
    }

    /// The component, from the cache when this engine compiled it before (the file is then
    /// marked as just used), else compiled now; `true` when it was compiled now.
    fn compile(&self, wasm: &[u8], sha256: &str) -> Result<(Component, bool), PluginError> {
        if let Some(path) = self.cache_path(sha256)
            && let Ok(bytes) = std::fs::read(&path)
        {
            // SAFETY: the file was written by `Component::serialize` of this very engine
            // configuration (its compatibility hash is in the name) into the gateway's own data
            // folder; anyone able to replace it could already replace the gateway itself.
            #[allow(unsafe_code)]
            match unsafe { Component::deserialize(&self.engine, &bytes) } {
                Ok(component) => {
                    let _ = std::fs::File::options()
                        .write(true)
                        .open(&path)
                        .and_then(|file| file.set_modified(std::time::SystemTime::now()));
                    return Ok((component, false));
                }
                Err(error) => {
                    tracing::warn!(path = %path.display(), %error, "ignoring an unusable cached component")
                }
            }
        }
        let component = Component::new(&self.engine, wasm)
            .map_err(|error| PluginError::Invalid(format!("{error:#}")))?;
        Ok((component, true))
    }

    fn cache_path(&self, sha256: &str) -> Option<PathBuf> {
        let dir = self.config.cache_dir.as_ref()?;
        Some(dir.join(format!("{}-{sha256}.{CACHED}", self.compatibility())))
    }

    /// Keeps the compiled code of a component that was accepted, then drops the files used
    /// least recently until the cache is within its size.
    fn cache(&self, component: &Component, sha256: &str) {
        let (Some(path), Some(dir)) = (self.cache_path(sha256), &self.config.cache_dir) else {
            return;
        };
        match component.serialize() {
            Ok(bytes) => {
                let partial = path.with_extension("partial");
                if let Err(error) =
                    std::fs::write(&partial, bytes).and_then(|()| std::fs::rename(&partial, &path))
                {
                    tracing::warn!(path = %path.display(), %error, "cannot cache compiled code");
                }
            }
            Err(error) => tracing::warn!(%error, "cannot serialize compiled code"),
        }
        evict_least_recently_used(dir, self.config.cache_max_bytes, &path);
    }

    /// Calls open now (instantiated or about to be), across every channel.
    pub fn calls_open(&self) -> usize {
        self.slots.open()
    }

    /// Where to run calls and the host's work on their results: `threads().spawn_blocking(…)`.
    pub fn threads(&self) -> tokio::runtime::Handle {
        self.threads
            .as_ref()
            .expect("only `drop` takes the plugin threads")
            .handle()
            .clone()
    }

    /// The instance slots one channel may hold at once.
    fn channel_share(&self) -> usize {
        match self.config.channel_share {
            0 => (self.config.max_concurrent_calls as usize / 4).max(1),
            share => share as usize,
        }
    }

    /// A short hash of everything that makes compiled code usable by this engine.
    fn compatibility(&self) -> String {
        use std::hash::{Hash, Hasher};
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        self.engine
            .precompile_compatibility_hash()
            .hash(&mut hasher);
        format!("{:016x}", hasher.finish())
    }

    /// Turns a raw inbound payload into events, and the answer to give its sender.
    pub fn inbound(
        &self,
        plugin: &Plugin,
        context: CallContext,
        payload: &types::Transport,
    ) -> Result<CallOutput<types::InboundResult>, PluginError> {
        let output = self.call(plugin, context, |linked, store| match linked {
            Linked::V0_1_0(pre) => v0_1_0::inbound(pre, store, payload),
            Linked::V0_2_0(pre) => pre
                .instantiate(&mut *store)?
                .switchboard_channel_adapter()
                .call_inbound(store, payload),
        })?;
        check_output(plugin, inbound_size(&output.value))?;
        Ok(output)
    }

    /// Turns an agent's reply into delivery actions.
    pub fn outbound(
        &self,
        plugin: &Plugin,
        context: CallContext,
        reply: &types::Reply,
    ) -> Result<CallOutput<Vec<types::DeliveryAction>>, PluginError> {
        let output = self.call(plugin, context, |linked, store| match linked {
            Linked::V0_1_0(pre) => v0_1_0::outbound(pre, store, reply),
            Linked::V0_2_0(pre) => pre
                .instantiate(&mut *store)?
                .switchboard_channel_adapter()
                .call_outbound(store, reply),
        })?;
        check_output(plugin, output.value.iter().map(action_size).sum())?;
        Ok(output)
    }

    /// What the provider's answer to one of a reply's delivery requests meant; a 0.1.0
    /// plugin has it read by [`read_response`].
    pub fn response(
        &self,
        plugin: &Plugin,
        context: CallContext,
        reply_id: &str,
        response: &types::HttpResponse,
    ) -> Result<types::ResponseOutcome, PluginError> {
        match &plugin.linked {
            Linked::V0_1_0(_) => Ok(read_response(response)),
            Linked::V0_2_0(_) => {
                let output = self.call_newest(plugin, context, |adapter, store| {
                    adapter.call_response(store, reply_id, response)
                })?;
                check_output(plugin, outcome_size(&output.value))?;
                Ok(output.value)
            }
        }
    }

    /// The delivery actions that show an agent's typing or reading to the contact; none for a
    /// 0.1.0 plugin.
    pub fn signal(
        &self,
        plugin: &Plugin,
        context: CallContext,
        signal: &types::AgentSignal,
        reply_context: &types::ReplyContext,
    ) -> Result<Vec<types::DeliveryAction>, PluginError> {
        if let Linked::V0_1_0(_) = plugin.linked {
            return Ok(Vec::new());
        }
        let output = self.call_newest(plugin, context, |adapter, store| {
            adapter.call_signal(store, signal, reply_context)
        })?;
        check_output(plugin, output.value.iter().map(action_size).sum())?;
        Ok(output.value)
    }

    /// The plugin's scheduled call: the payloads it found by polling, each to be handled as
    /// an inbound one (a 0.1.0 plugin has no schedule).
    pub fn tick(
        &self,
        plugin: &Plugin,
        context: CallContext,
    ) -> Result<CallOutput<Vec<types::Transport>>, PluginError> {
        if let Linked::V0_1_0(_) = plugin.linked {
            return Err(PluginError::Unsupported(
                "a plugin of contract 0.1.0 has no scheduled call".into(),
            ));
        }
        let output =
            self.call_newest(plugin, context, |adapter, store| adapter.call_tick(store))?;
        check_output(plugin, output.value.iter().map(transport_size).sum())?;
        Ok(output)
    }

    /// Checks the channel with its provider and registers its webhook; the line for the admin.
    pub fn connect(
        &self,
        plugin: &Plugin,
        context: CallContext,
        webhook_url: Option<&str>,
    ) -> Result<CallOutput<String>, PluginError> {
        if let Linked::V0_1_0(_) = plugin.linked {
            return Err(PluginError::Unsupported(
                "a plugin of contract 0.1.0 cannot check its connection".into(),
            ));
        }
        let output = self.call_newest(plugin, context, |adapter, store| {
            adapter.call_connect(store, webhook_url)
        })?;
        check_output(plugin, output.value.len() as u64)?;
        Ok(output)
    }

    /// The messages the provider approved for use outside its reply window.
    pub fn templates(
        &self,
        plugin: &Plugin,
        context: CallContext,
    ) -> Result<Vec<types::Template>, PluginError> {
        if let Linked::V0_1_0(_) = plugin.linked {
            return Ok(Vec::new());
        }
        let output = self.call_newest(plugin, context, |adapter, store| {
            adapter.call_templates(store)
        })?;
        check_output(plugin, output.value.iter().map(template_size).sum())?;
        Ok(output.value)
    }

    /// A call of an export only the newest contract has.
    fn call_newest<T>(
        &self,
        plugin: &Plugin,
        context: CallContext,
        run: impl FnOnce(
            &v0_2_0::exports::switchboard::channel::adapter::Guest,
            &mut Store<CallState>,
        ) -> wasmtime::Result<Result<T, types::Error>>,
    ) -> Result<CallOutput<T>, PluginError> {
        self.call(plugin, context, |linked, store| match linked {
            Linked::V0_2_0(pre) => {
                let adapter = pre.instantiate(&mut *store)?;
                run(adapter.switchboard_channel_adapter(), store)
            }
            Linked::V0_1_0(_) => Err(wasmtime::Error::msg("not an export of contract 0.1.0")),
        })
    }

    /// One call on a fresh instance, within the plugin's budgets.
    fn call<T>(
        &self,
        plugin: &Plugin,
        context: CallContext,
        run: impl FnOnce(&Linked, &mut Store<CallState>) -> wasmtime::Result<Result<T, types::Error>>,
    ) -> Result<CallOutput<T>, PluginError> {
        let budget = plugin.manifest.budget;
        let max_memory = usize::try_from(budget.memory_mib)
            .unwrap_or(usize::MAX)
            .saturating_mul(1 << 20);
        let channel_id = context.channel_id;
        // Everything the call logs (the plugin's own lines included) names the plugin and the
        // channel.
        let _span = tracing::info_span!(
            "plugin_call",
            plugin = %plugin.manifest.name,
            channel_id
        )
        .entered();
        let Some(_share) = self
            .shares
            .enter(channel_id, self.channel_share(), SHARE_WAIT)
        else {
            metrics::counter!("switchboard_plugin_calls_over_share_total").increment(1);
            return Err(PluginError::Host(format!(
                "channel {channel_id} already runs {} calls, its share of the plugin host",
                self.channel_share()
            )));
        };
        let Some(turn) = self.turns.take(channel_id, Instant::now() + SHARE_WAIT) else {
            metrics::counter!("switchboard_plugin_calls_without_turn_total").increment(1);
            return Err(PluginError::Host(
                "no processor turn came free within a second: the plugin host is busy".into(),
            ));
        };
        let Some(_slot) = self.slots.take() else {
            metrics::counter!("switchboard_plugin_calls_without_slot_total").increment(1);
            return Err(PluginError::Host(format!(
                "all {} instance slots are taken: too many plugin calls at once",
                self.slots.limit()
            )));
        };
        let started = Instant::now();
        let deadline = started + Duration::from_millis(u64::from(budget.time_ms));
        let mut state = CallState::new(
            &plugin.manifest.name,
            &plugin.grants,
            context,
            max_memory,
            deadline,
        );
        state.turn = Some(turn);
        let mut store = Store::new(&self.engine, state);
        store.limiter(|state| &mut state.limiter);
        // At every tick the wall clock decides, not a count of ticks: a busy machine makes the
        // ticks late, and the budget must not stretch with them. A call that ran a slice lets
        // other channels' waiting calls run first.
        store.set_epoch_deadline(1);
        store.epoch_deadline_callback(move |mut store| {
            let shared = store
                .data_mut()
                .turn
                .as_mut()
                .is_none_or(|turn| turn.share(deadline));
            if !shared || Instant::now() >= deadline {
                Err(Trap::Interrupt.into())
            } else {
                Ok(UpdateDeadline::Continue(1))
            }
        });
        let _ticking = self.ticker.call();
        let outcome = run(&plugin.linked, &mut store);
        let state = store.into_data();
        metrics::histogram!("switchboard_plugin_call_seconds").record(started.elapsed());
        if state.deadline_passed {
            return Err(PluginError::Timeout {
                budget_ms: budget.time_ms,
            });
        }
        match outcome {
            Ok(Ok(value)) => Ok(CallOutput {
                value,
                kv_writes: state.kv_writes,
                deadline,
            }),
            Ok(Err(error)) => Err(match error {
                types::Error::Malformed(reason) => PluginError::Malformed(reason),
                types::Error::Unsupported(reason) => PluginError::Unsupported(reason),
                types::Error::Denied(reason) => PluginError::Denied(reason),
                types::Error::Provider(reason) => PluginError::Provider(reason),
                types::Error::Internal(reason) => PluginError::Internal(reason),
                types::Error::Forged(reason) => PluginError::Forged(reason),
            }),
            Err(_) if state.limiter.refused => Err(PluginError::OutOfMemory {
                budget_mib: budget.memory_mib,
            }),
            Err(error)
                if error.downcast_ref::<Trap>() == Some(&Trap::Interrupt)
                    || error.is::<DeadlinePassed>() =>
            {
                Err(PluginError::Timeout {
                    budget_ms: budget.time_ms,
                })
            }
            Err(error) if error.is::<wasmtime::PoolConcurrencyLimitError>() => Err(
                PluginError::Host(format!("too many plugin calls at once: {error}")),
            ),
            Err(error) => Err(PluginError::Trap(error.root_cause().to_string())),
        }
    }
}

impl Drop for Runtime {
    fn drop(&mut self) {
        // Without blocking: the runtime may be dropped on an async worker.
        if let Some(threads) = self.threads.take() {
            threads.shutdown_background();
        }
    }
}

/// A pool for plugin calls whose threads run at a lower priority than the gateway's (a nice
/// value near 10), with one worker that drives the timers of waits inside calls.
fn plugin_threads() -> std::io::Result<tokio::runtime::Runtime> {
    use thread_priority::{ThreadPriority, ThreadPriorityValue, set_current_thread_priority};
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .thread_name("plugin-call")
        .enable_all()
        .on_thread_start(|| {
            let lower = ThreadPriorityValue::try_from(25u8).map(ThreadPriority::Crossplatform);
            if let Err(error) = lower.map(set_current_thread_priority) {
                tracing::debug!(?error, "plugin threads keep the gateway's priority");
            }
        })
        .build()
}

/// How long a call over its channel's share waits for one of the channel's calls to end.
const SHARE_WAIT: Duration = Duration::from_secs(1);

/// A wait of a plugin's (WASI's `poll` or `pollable.block`) that reached the call's deadline.
#[derive(Debug, thiserror::Error)]
#[error("the call's time budget ran out while the plugin waited")]
pub(crate) struct DeadlinePassed;

/// WASI's own `wasi:io/poll`, the one way a plugin waits (a sleep, a timer, a stream), with
/// every wait ending at the call's deadline: a plugin that sleeps cannot hold its call, or its
/// instance slot, past its time budget.
fn waits_end_at_the_deadline(linker: &mut Linker<CallState>) -> anyhow::Result<()> {
    use wasmtime::component::Resource;
    use wasmtime_wasi_io::bindings::wasi::io::poll::{Host, HostPollable};
    use wasmtime_wasi_io::poll::DynPollable;

    /// `wait` on the gateway's runtime (or WASI's own outside one), until the deadline.
    fn until<T>(deadline: Instant, wait: impl Future<Output = T>) -> wasmtime::Result<T> {
        wasmtime_wasi::runtime::in_tokio(async {
            tokio::time::timeout_at(deadline.into(), wait).await
        })
        .map_err(|_| DeadlinePassed.into())
    }

    linker.allow_shadowing(true);
    let mut poll = linker.instance(WASI_POLL)?;
    poll.func_wrap(
        "poll",
        |mut store: wasmtime::StoreContextMut<'_, CallState>,
         (pollables,): (Vec<Resource<DynPollable>>,)| {
            let ready = store
                .data_mut()
                .waiting_on_host(|state| until(state.deadline, state.table.poll(pollables)))???;
            Ok((ready,))
        },
    )?;
    poll.func_wrap(
        "[method]pollable.block",
        |mut store: wasmtime::StoreContextMut<'_, CallState>,
         (pollable,): (Resource<DynPollable>,)| {
            store
                .data_mut()
                .waiting_on_host(|state| until(state.deadline, state.table.block(pollable)))???;
            Ok(())
        },
    )?;
    linker.allow_shadowing(false);
    Ok(())
}

/// The `wasi:io/poll` that `wasmtime_wasi` links.
const WASI_POLL: &str = "wasi:io/poll@0.2.12";
