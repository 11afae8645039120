//! The instance slots: how many calls may be open at once in all ([`Slots`], whatever the
//! allocator), and each channel's share of them ([`Shares`]). A call beyond its share waits a moment for one of its own channel's calls to end; a call that ends wakes
//! one waiting call of its own channel only, so that a channel with hundreds of calls queued
//! does not wake them all each time any call ends.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

/// Calls open in all, at most `limit`: a call finds a slot at once or is turned away.
pub struct Slots {
    open: AtomicUsize,
    limit: usize,
}

impl Slots {
    pub fn new(limit: usize) -> Slots {
        Slots {
            open: AtomicUsize::new(0),
            limit,
        }
    }

    /// Takes a slot for as long as the answer lives; `None` when every slot is taken.
    pub fn take(&self) -> Option<SlotHeld<'_>> {
        self.open
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |open| {
                (open < self.limit).then_some(open + 1)
            })
            .ok()
            .map(|_| SlotHeld { slots: self })
    }

    /// How many calls may be open at once.
    pub fn limit(&self) -> usize {
        self.limit
    }

    /// Calls open now.
    pub fn open(&self) -> usize {
        self.open.load(Ordering::Acquire)
    }
}

/// One taken slot, given back when dropped.
pub struct SlotHeld<'a> {
    slots: &'a Slots,
}

impl Drop for SlotHeld<'_> {
    fn drop(&mut self) {
        self.slots.open.fetch_sub(1, Ordering::AcqRel);
    }
}

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
    fn a_call_beyond_the_slots_is_turned_away_until_one_is_given_back() {
        let slots = Slots::new(2);
        let first = slots.take().expect("a slot");
        let _second = slots.take().expect("a second slot");
        assert!(slots.take().is_none());
        assert_eq!(slots.open(), 2);
        drop(first);
        assert!(slots.take().is_some());
    }

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
