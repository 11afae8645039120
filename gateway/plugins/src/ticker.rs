//! The epoch ticker's bookkeeping: how many calls run, so that the ticker thread sleeps while
//! none does and an idle gateway is not woken every tick.

use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::time::Duration;

/// Keeps the epoch thread asleep while no call runs, so that an idle gateway is not woken
/// every tick.
#[derive(Default)]
pub struct Ticker {
    calls: Mutex<usize>,
    started: Condvar,
}

impl Ticker {
    /// Counts a call as running until the guard is dropped.
    pub fn call(&self) -> impl Drop + '_ {
        let mut calls = self.calls.lock().unwrap_or_else(PoisonError::into_inner);
        *calls += 1;
        if *calls == 1 {
            self.started.notify_one();
        }
        CallRunning(self)
    }

    /// Waits until a call runs; `false` once the runtime is gone (checked every second).
    pub fn while_calls_run(self: &Arc<Self>) -> bool {
        let mut calls = self.calls.lock().unwrap_or_else(PoisonError::into_inner);
        while *calls == 0 {
            if Arc::strong_count(self) == 1 {
                return false;
            }
            calls = self
                .started
                .wait_timeout(calls, Duration::from_secs(1))
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
        true
    }
}

struct CallRunning<'a>(&'a Ticker);

impl Drop for CallRunning<'_> {
    fn drop(&mut self) {
        *self.0.calls.lock().unwrap_or_else(PoisonError::into_inner) -= 1;
    }
}
