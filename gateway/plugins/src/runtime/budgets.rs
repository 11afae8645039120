//! One call on a fresh instance within its plugin's budgets: a place in its channel's share of
//! the instance slots, a processor turn, a slot, a memory limit, and a deadline that both the
//! epoch and every wait of the plugin's (WASI's `poll`) obey; a plugin's failure becomes the
//! [`PluginError`] that says which budget it broke.

use std::time::{Duration, Instant};

use wasmtime::component::Linker;
use wasmtime::{Store, Trap, UpdateDeadline};

use super::{Linked, Plugin, Runtime};
use crate::PluginError;
use crate::call::{CallContext, CallOutput, CallState};
use crate::latest as types;

impl Runtime {
    /// The instance slots one channel may hold at once.
    fn channel_share(&self) -> usize {
        match self.config.channel_share {
            0 => (self.config.max_concurrent_calls as usize / 4).max(1),
            share => share as usize,
        }
    }

    /// One call on a fresh instance, within the plugin's budgets.
    pub(super) fn call<T>(
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

/// How long a call over its channel's share waits for one of the channel's calls to end.
const SHARE_WAIT: Duration = Duration::from_secs(1);

/// A wait of a plugin's (WASI's `poll` or `pollable.block`) that reached the call's deadline.
#[derive(Debug, thiserror::Error)]
#[error("the call's time budget ran out while the plugin waited")]
pub(crate) struct DeadlinePassed;

/// WASI's own `wasi:io/poll`, the one way a plugin waits (a sleep, a timer, a stream), with
/// every wait ending at the call's deadline: a plugin that sleeps cannot hold its call, or its
/// instance slot, past its time budget.
pub(super) fn waits_end_at_the_deadline(linker: &mut Linker<CallState>) -> anyhow::Result<()> {
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
