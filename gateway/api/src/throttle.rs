//! Slows down password guessing: after a few failed logins for one address, further attempts
//! for it are refused for a while, right or wrong. Kept in memory per node (a restart forgets).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::lock;

/// Failed logins allowed per address within [`WINDOW`].
const MAX_FAILURES: u32 = 5;
/// How long failures are counted, and how long an address stays locked.
const WINDOW: Duration = Duration::from_secs(15 * 60);
/// Addresses remembered at most, so that guessing many addresses cannot grow memory.
const MAX_TRACKED: usize = 100_000;

#[derive(Debug, Default)]
pub struct LoginThrottle {
    failures: Mutex<HashMap<String, (u32, Instant)>>,
}

impl LoginThrottle {
    /// `Err(minutes)` while the address is locked.
    pub fn check(&self, email: &str) -> Result<(), u64> {
        let failures = lock(&self.failures);
        match failures.get(&key(email)) {
            Some((count, since)) if *count >= MAX_FAILURES && since.elapsed() < WINDOW => {
                Err((WINDOW - since.elapsed()).as_secs().div_ceil(60))
            }
            _ => Ok(()),
        }
    }

    pub fn failed(&self, email: &str) {
        let mut failures = lock(&self.failures);
        if failures.len() >= MAX_TRACKED {
            failures.retain(|_, (_, since)| since.elapsed() < WINDOW);
        }
        let entry = failures.entry(key(email)).or_insert((0, Instant::now()));
        if entry.1.elapsed() >= WINDOW {
            *entry = (0, Instant::now());
        }
        entry.0 += 1;
    }

    pub fn succeeded(&self, email: &str) {
        lock(&self.failures).remove(&key(email));
    }
}

fn key(email: &str) -> String {
    email.trim().to_lowercase()
}
