//! Limits on how often a client may ask: allowances by key ([`RateLimiter`], `governor`'s), and
//! login's own limits ([`LoginThrottle`]): attempts per client address, and a lockout after a
//! few failed passwords that holds for the client that failed, never for everyone (a stranger
//! must not be able to lock the admin out). Kept in memory per node (a restart forgets).

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};

use crate::{Fault, FaultKind, lock};

/// Keys a limiter remembers at most, so that many clients cannot grow memory without bound.
const MAX_TRACKED: usize = 100_000;

/// Limits by key (`governor`'s keyed limiter): `capacity` requests at once, one more each time
/// a period passes.
pub struct RateLimiter {
    limiter: DefaultKeyedRateLimiter<String>,
    clock: DefaultClock,
}

impl RateLimiter {
    /// `capacity` requests, refilled at `per_minute`.
    pub fn new(capacity: u32, per_minute: u32) -> RateLimiter {
        Self::refilled(capacity, Duration::from_secs(60) / per_minute.max(1))
    }

    /// `capacity` requests, refilled at `per_hour`.
    pub fn per_hour(capacity: u32, per_hour: u32) -> RateLimiter {
        Self::refilled(capacity, Duration::from_secs(3_600) / per_hour.max(1))
    }

    /// `capacity` requests, refilled at `per_day`.
    pub fn per_day(capacity: u32, per_day: u32) -> RateLimiter {
        Self::refilled(capacity, Duration::from_secs(86_400) / per_day.max(1))
    }

    fn refilled(capacity: u32, every: Duration) -> RateLimiter {
        let quota = Quota::with_period(every)
            .expect("a period of a day or less divided by at least one is never zero")
            .allow_burst(NonZeroU32::new(capacity).unwrap_or(NonZeroU32::MIN));
        RateLimiter {
            limiter: DefaultKeyedRateLimiter::keyed(quota),
            clock: DefaultClock::default(),
        }
    }

    /// Takes one request from `key`'s allowance, or says how many seconds to wait.
    pub fn take(&self, key: &str) -> Result<(), u64> {
        if self.limiter.len() > MAX_TRACKED {
            // Forget the keys that are back to a full allowance rather than grow without bound.
            self.limiter.retain_recent();
        }
        self.limiter.check_key(&key.to_string()).map_err(|refused| {
            refused
                .wait_time_from(self.clock.now())
                .as_secs_f64()
                .ceil()
                .max(1.0) as u64
        })
    }
}

/// The answer to a client over a limit, with when to try again.
pub fn rate_limited(what: &str, wait: u64) -> Fault {
    Fault::new(
        FaultKind::Limited,
        "rate_limited",
        format!("too many {what}; try again in {wait} s"),
    )
    .retry_after(wait)
}

/// Failed logins allowed per address and client within [`LOCKOUT`].
const MAX_FAILURES: u32 = 5;
/// How long failures are counted, and how long an address stays locked for that client.
const LOCKOUT: Duration = Duration::from_secs(15 * 60);

/// Login attempts and failures.
pub struct LoginThrottle {
    /// Attempts per client address, right or wrong.
    per_client: RateLimiter,
    /// Failures by (email address, client address).
    failures: Mutex<HashMap<(String, String), (u32, Instant)>>,
}

impl Default for LoginThrottle {
    fn default() -> Self {
        LoginThrottle {
            per_client: RateLimiter::new(LOGINS_PER_CLIENT_BURST, LOGINS_PER_CLIENT_MINUTE),
            failures: Mutex::default(),
        }
    }
}

/// Logins a client address may try at once, then per minute.
pub const LOGINS_PER_CLIENT_BURST: u32 = 30;
pub const LOGINS_PER_CLIENT_MINUTE: u32 = 30;

impl LoginThrottle {
    /// Refuses the attempt when the client tried too often, or failed too often for this
    /// address. `client` is the client address's limit key (`None` without a socket).
    pub fn check(&self, email: &str, client: Option<&str>) -> Result<(), Fault> {
        let client = client.unwrap_or_default();
        if !client.is_empty() {
            self.per_client
                .take(client)
                .map_err(|wait| rate_limited("login attempts from this address", wait))?;
        }
        let failures = lock(&self.failures);
        match failures.get(&key(email, client)) {
            Some((count, since)) if *count >= MAX_FAILURES && since.elapsed() < LOCKOUT => {
                let wait = (LOCKOUT - since.elapsed()).as_secs();
                Err(Fault::new(
                    FaultKind::Limited,
                    "too_many_attempts",
                    format!(
                        "too many failed logins for this address; try again in {} minutes",
                        wait.div_ceil(60)
                    ),
                )
                .retry_after(wait))
            }
            _ => Ok(()),
        }
    }

    pub fn failed(&self, email: &str, client: Option<&str>) {
        let mut failures = lock(&self.failures);
        if failures.len() >= MAX_TRACKED {
            failures.retain(|_, (_, since)| since.elapsed() < LOCKOUT);
        }
        let entry = failures
            .entry(key(email, client.unwrap_or_default()))
            .or_insert((0, Instant::now()));
        if entry.1.elapsed() >= LOCKOUT {
            *entry = (0, Instant::now());
        }
        entry.0 += 1;
    }

    pub fn succeeded(&self, email: &str, client: Option<&str>) {
        lock(&self.failures).remove(&key(email, client.unwrap_or_default()));
    }
}

fn key(email: &str, client: &str) -> (String, String) {
    (email.trim().to_lowercase(), client.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_lock_the_address_for_the_failing_client_only() {
        let throttle = LoginThrottle::default();
        for _ in 0..MAX_FAILURES {
            assert!(
                throttle
                    .check("admin@acme.test", Some("203.0.113.9"))
                    .is_ok()
            );
            throttle.failed("admin@acme.test", Some("203.0.113.9"));
        }
        let refused = throttle
            .check("Admin@acme.test ", Some("203.0.113.9"))
            .expect_err("locked for the guesser");
        assert_eq!(refused.code, "too_many_attempts");
        assert!(refused.retry_after.is_some());
        assert!(
            throttle
                .check("admin@acme.test", Some("198.51.100.7"))
                .is_ok()
        );
        assert!(throttle.check("bea@acme.test", Some("203.0.113.9")).is_ok());
    }

    #[test]
    fn an_hourly_limit_says_how_long_to_wait() {
        let limiter = RateLimiter::per_hour(2, 6);
        assert!(limiter.take("ana@example.com").is_ok());
        assert!(limiter.take("ana@example.com").is_ok());
        let wait = limiter.take("ana@example.com").expect_err("over the burst");
        assert!((590..=600).contains(&wait), "{wait} s");
        assert!(limiter.take("bruno@example.com").is_ok());
    }

    #[test]
    fn a_client_is_limited_whatever_the_address_it_tries() {
        let throttle = LoginThrottle::default();
        for n in 0..LOGINS_PER_CLIENT_BURST {
            assert!(
                throttle
                    .check(&format!("{n}@x.test"), Some("203.0.113.9"))
                    .is_ok()
            );
        }
        let refused = throttle
            .check("next@x.test", Some("203.0.113.9"))
            .expect_err("over the burst");
        assert_eq!(refused.code, "rate_limited");
        assert!(throttle.check("next@x.test", Some("198.51.100.7")).is_ok());
    }
}
