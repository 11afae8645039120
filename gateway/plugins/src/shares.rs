//! Each channel's share of the instance slots: how many of its calls may be open at once. A
//! call beyond waits a moment for one of its own channel's calls to end; a call that ends wakes
//! one waiting call of its own channel only, so that a channel with hundreds of calls queued
//! does not wake them all each time any call ends.

use std::collections::HashMap;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

/// Calls open per channel.
#[derive(Default)]
pub struct Shares {
    channels: Mutex<HashMap<u64, ChannelCalls>>,
}

#[derive(Default)]
struct ChannelCalls {
    open: usize,
    waiting: usize,
    freed: Arc<Condvar>,
}

impl Shares {
    fn lock(&self) -> MutexGuard<'_, HashMap<u64, ChannelCalls>> {
        self.channels.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Counts a call of `channel`, waiting up to `wait` while it already has `share` open.
    pub fn enter(&self, channel: u64, share: usize, wait: Duration) -> Option<ShareHeld<'_>> {
        let deadline = Instant::now() + wait;
        let mut channels = self.lock();
        let mut waited = false;
        let entered = loop {
            let calls = channels.entry(channel).or_default();
            if waited {
                calls.waiting -= 1;
            }
            if calls.open < share {
                calls.open += 1;
                break true;
            }
            let Some(left) = deadline.checked_duration_since(Instant::now()) else {
                break false;
            };
            calls.waiting += 1;
            waited = true;
            let freed = calls.freed.clone();
            channels = freed
                .wait_timeout(channels, left)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        };
        if !entered {
            forget_if_idle(&mut channels, channel);
            return None;
        }
        Some(ShareHeld {
            shares: self,
            channel,
        })
    }
}

fn forget_if_idle(channels: &mut HashMap<u64, ChannelCalls>, channel: u64) {
    if channels
        .get(&channel)
        .is_some_and(|calls| calls.open == 0 && calls.waiting == 0)
    {
        channels.remove(&channel);
    }
}

/// One open call of a channel, counted while it lives.
pub struct ShareHeld<'a> {
    shares: &'a Shares,
    channel: u64,
}

impl Drop for ShareHeld<'_> {
    fn drop(&mut self) {
        let mut channels = self.shares.lock();
        if let Some(calls) = channels.get_mut(&self.channel) {
            calls.open -= 1;
            calls.freed.notify_one();
        }
        forget_if_idle(&mut channels, self.channel);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_channel_waits_for_its_own_calls_only() {
        let shares = Shares::default();
        let first = shares.enter(1, 1, Duration::ZERO).expect("a slot");
        assert!(shares.enter(1, 1, Duration::from_millis(20)).is_none());
        let _other = shares
            .enter(2, 1, Duration::ZERO)
            .expect("another channel's slot");
        std::thread::scope(|scope| {
            let waiting = scope.spawn(|| shares.enter(1, 1, Duration::from_secs(5)).is_some());
            std::thread::sleep(Duration::from_millis(20));
            drop(first);
            assert!(waiting.join().expect("waiting call"));
        });
        assert!(
            shares.lock().get(&1).is_none(),
            "an idle channel is forgotten"
        );
    }
}
