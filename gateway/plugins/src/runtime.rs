//! The plugin runtime: one wasmtime engine with the component model and the pooling allocator,
//! an epoch ticker that enforces time budgets (it ticks only while a call runs), a linker per
//! contract version, and the compiled-code cache. Calls are synchronous: the gateway runs them
//! on the runtime's own threads ([`Runtime::threads`]), which the operating system schedules
//! below the gateway's, so that plugins busy with the processor do not slow the rest down.

mod budgets;
mod compiled_code;
mod exports;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use sha2::{Digest, Sha256};
use wasmtime::component::Linker;
use wasmtime::{Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig};

use crate::PluginError;
use crate::call::CallState;
use crate::manifest::{Ceilings, Grants, Manifest};
use crate::shares::{Shares, Slots};
use crate::ticker::Ticker;
use crate::turns::Turns;
use crate::{v0_1_0, v0_2_0};

pub(crate) use budgets::DeadlinePassed;
use budgets::waits_end_at_the_deadline;

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

    /// Whether this gateway would run a plugin of `manifest`, as far as it tells without the
    /// component: a known contract, budgets under the operator's ceilings, sound hosts and form.
    pub fn check_manifest(&self, manifest: &Manifest) -> Result<(), PluginError> {
        manifest
            .check(&self.config.ceilings)
            .map_err(PluginError::Invalid)?;
        if !CONTRACTS.contains(&manifest.contract.as_str()) {
            return Err(PluginError::Invalid(format!(
                "contract {} is not supported; this gateway accepts {}",
                manifest.contract,
                CONTRACTS.join(", ")
            )));
        }
        Ok(())
    }

    /// Validates, compiles (or reads from the cache) and links a plugin.
    pub fn load(
        &self,
        wasm: &[u8],
        manifest: Manifest,
        grants: Grants,
    ) -> Result<Plugin, PluginError> {
        self.check_manifest(&manifest)?;
        let grants = Grants::approve(&manifest, grants).map_err(PluginError::Invalid)?;
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
