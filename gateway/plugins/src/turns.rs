//! Turns on the processor for plugin code. Instance slots bound how many calls may be open at
//! once; turns bound how many may *run* at once: one per core, and for one channel at most
//! half of them (at least one). A channel whose plugin spins can then keep only its own turns
//! busy, and the other channels' calls (and the gateway's own work) still find a core.
//!
//! A call gives its turn back while it waits on the host (a sleep, a fetch), and after each
//! slice of [`SLICE`] when a call of another channel is waiting for one. Channels are served in
//! turn: a free turn goes to the waiting call whose channel was served longest ago (the oldest
//! call first within a channel), skipping channels that already run their share.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

/// How long a call keeps its turn while calls of other channels wait for one.
pub const SLICE: Duration = Duration::from_millis(10);

/// The turns of one runtime.
pub struct Turns {
    queue: Mutex<Queue>,
    /// Turns in all: one per core.
    cores: usize,
    /// Turns one channel may hold at once.
    per_channel: usize,
}

#[derive(Default)]
struct Queue {
    /// Turns held, per channel.
    running: HashMap<u64, usize>,
    held: usize,
    /// Calls waiting for a turn, oldest first.
    waiting: VecDeque<Waiter>,
    next_ticket: u64,
    /// When each channel last got a turn, as a count of turns handed out; a channel not
    /// listed comes first.
    last_served: HashMap<u64, u64>,
    served: u64,
}

/// A call waiting for a turn, woken alone when it is the one to be served (so that a freed
/// turn does not wake every waiting thread).
struct Waiter {
    ticket: u64,
    channel: u64,
    wake: Arc<Condvar>,
}

/// Channels remembered in `last_served` before those with no call are forgotten.
const REMEMBERED_CHANNELS: usize = 1024;

impl Queue {
    /// The waiting call that may take a turn now: of the channel served longest ago, the
    /// oldest.
    fn first_served(&self, cores: usize, per_channel: usize) -> Option<u64> {
        if self.held >= cores {
            return None;
        }
        self.waiting
            .iter()
            .filter(|waiter| self.below_share(waiter.channel, per_channel))
            .min_by_key(|waiter| {
                (
                    self.last_served.get(&waiter.channel).copied().unwrap_or(0),
                    waiter.ticket,
                )
            })
            .map(|waiter| waiter.ticket)
    }

    /// Whether `channel` holds fewer turns than its share.
    fn below_share(&self, channel: u64, per_channel: usize) -> bool {
        self.running.get(&channel).copied().unwrap_or(0) < per_channel
    }

    /// Wakes the waiting call to be served next, if a turn is free for it.
    fn wake_next(&self, cores: usize, per_channel: usize) {
        if let Some(ticket) = self.first_served(cores, per_channel)
            && let Some(waiter) = self.waiting.iter().find(|waiter| waiter.ticket == ticket)
        {
            waiter.wake.notify_one();
        }
    }

    /// Hands a turn to `channel`.
    fn serve(&mut self, channel: u64) {
        self.held += 1;
        *self.running.entry(channel).or_default() += 1;
        self.served += 1;
        if self.last_served.len() >= REMEMBERED_CHANNELS {
            let (running, waiting) = (&self.running, &self.waiting);
            self.last_served.retain(|channel, _| {
                running.contains_key(channel)
                    || waiting.iter().any(|waiter| waiter.channel == *channel)
            });
        }
        self.last_served.insert(channel, self.served);
    }
}

impl Turns {
    /// Turns for `cores` cores.
    pub fn new(cores: usize) -> Arc<Turns> {
        let cores = cores.max(1);
        Arc::new(Turns {
            queue: Mutex::new(Queue::default()),
            cores,
            per_channel: (cores / 2).max(1),
        })
    }

    fn lock(&self) -> MutexGuard<'_, Queue> {
        self.queue.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Waits for a turn for a call of `channel` until `until`; `None` when none came by then.
    pub fn take(self: &Arc<Self>, channel: u64, until: Instant) -> Option<Turn> {
        self.wait_for_turn(channel, until).then(|| Turn {
            turns: self.clone(),
            channel,
            since: Some(Instant::now()),
        })
    }

    /// Queues a call of `channel` and waits until it holds a turn (`true`) or `until` passes.
    fn wait_for_turn(&self, channel: u64, until: Instant) -> bool {
        let mut queue = self.lock();
        // Nobody waits and a turn is free: taken at once, without joining the queue.
        if queue.waiting.is_empty()
            && queue.held < self.cores
            && queue.below_share(channel, self.per_channel)
        {
            queue.serve(channel);
            return true;
        }
        let ticket = queue.next_ticket;
        queue.next_ticket += 1;
        let wake = Arc::new(Condvar::new());
        queue.waiting.push_back(Waiter {
            ticket,
            channel,
            wake: wake.clone(),
        });
        loop {
            if queue.first_served(self.cores, self.per_channel) == Some(ticket) {
                queue.waiting.retain(|waiter| waiter.ticket != ticket);
                queue.serve(channel);
                // Another waiting call may be served by a turn still free.
                queue.wake_next(self.cores, self.per_channel);
                return true;
            }
            let now = Instant::now();
            if now >= until {
                queue.waiting.retain(|waiter| waiter.ticket != ticket);
                queue.wake_next(self.cores, self.per_channel);
                return false;
            }
            queue = wake
                .wait_timeout(queue, until - now)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
    }

    fn give_back(&self, channel: u64) {
        let mut queue = self.lock();
        queue.held -= 1;
        if let Some(count) = queue.running.get_mut(&channel) {
            *count -= 1;
            if *count == 0 {
                queue.running.remove(&channel);
            }
        }
        queue.wake_next(self.cores, self.per_channel);
    }

    /// Whether a call of a channel other than `channel` waits for a turn it could take.
    fn others_wait(&self, channel: u64) -> bool {
        let queue = self.lock();
        queue.waiting.iter().any(|waiter| {
            waiter.channel != channel && queue.below_share(waiter.channel, self.per_channel)
        })
    }
}

/// A call's turn, given back when dropped.
pub struct Turn {
    turns: Arc<Turns>,
    channel: u64,
    /// When the turn was taken; `None` while it is given back.
    since: Option<Instant>,
}

impl Turn {
    /// Gives the turn back while the call waits on the host.
    pub fn pause(&mut self) {
        if self.since.take().is_some() {
            self.turns.give_back(self.channel);
        }
    }

    /// Takes a turn again after a wait; `false` when none came by `until`.
    pub fn resume(&mut self, until: Instant) -> bool {
        if self.since.is_some() {
            return true;
        }
        let taken = self.turns.wait_for_turn(self.channel, until);
        if taken {
            self.since = Some(Instant::now());
        }
        taken
    }

    /// After a slice, lets a waiting call of another channel run first; `false` when no turn
    /// came back by `until`.
    pub fn share(&mut self, until: Instant) -> bool {
        let slice_over = self.since.is_some_and(|since| since.elapsed() >= SLICE);
        if slice_over && self.turns.others_wait(self.channel) {
            self.pause();
            return self.resume(until);
        }
        true
    }
}

impl Drop for Turn {
    fn drop(&mut self) {
        self.pause();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn soon() -> Instant {
        Instant::now() + Duration::from_millis(50)
    }

    #[test]
    fn one_channel_holds_at_most_half_of_the_turns() {
        let turns = Turns::new(4);
        let _first = turns.take(1, soon()).expect("a turn");
        let _second = turns.take(1, soon()).expect("a second turn");
        assert!(
            turns.take(1, soon()).is_none(),
            "a third for the same channel"
        );
        let _other = turns.take(2, soon()).expect("another channel still runs");
    }

    #[test]
    fn a_paused_turn_is_free_for_others_until_it_resumes() {
        let turns = Turns::new(2);
        let mut sleeper = turns.take(1, soon()).expect("a turn");
        let _busy = turns.take(2, soon()).expect("a turn");
        sleeper.pause();
        let third = turns.take(3, soon()).expect("the paused turn");
        assert!(!sleeper.resume(soon()), "every turn is taken");
        drop(third);
        assert!(sleeper.resume(soon()));
    }

    #[test]
    fn a_long_runner_shares_its_turn_with_other_channels_after_a_slice() {
        let turns = Turns::new(1);
        let mut spinner = turns.take(1, soon()).expect("a turn");
        let waiter = std::thread::spawn({
            let turns = turns.clone();
            move || {
                turns
                    .take(2, Instant::now() + Duration::from_secs(5))
                    .is_some()
            }
        });
        while !turns.others_wait(1) {
            std::thread::yield_now();
        }
        assert!(spinner.share(soon()), "the slice is not over");
        std::thread::sleep(SLICE);
        // The waiting call runs and ends; the spinner then gets its turn back.
        assert!(spinner.share(Instant::now() + Duration::from_secs(5)));
        assert!(waiter.join().expect("waiter"));
    }

    #[test]
    fn a_free_turn_goes_to_the_channel_served_longest_ago() {
        let turns = Turns::new(2);
        let first = turns.take(1, soon()).expect("a turn");
        let _other = turns.take(2, soon()).expect("a turn");
        let later = || Instant::now() + Duration::from_secs(5);
        let same = std::thread::spawn({
            let turns = turns.clone();
            move || turns.take(1, later()).map(|_| Instant::now())
        });
        while turns.lock().waiting.is_empty() {
            std::thread::yield_now();
        }
        let newcomer = std::thread::spawn({
            let turns = turns.clone();
            move || turns.take(3, later()).map(|_| Instant::now())
        });
        while turns.lock().waiting.len() < 2 {
            std::thread::yield_now();
        }
        drop(first);
        let newcomer = newcomer.join().expect("newcomer").expect("a turn");
        let same = same.join().expect("same channel").expect("a turn");
        assert!(
            newcomer < same,
            "channel 3 was never served, channel 1 just was"
        );
    }
}
