//! Waits that double after each failure in a row, up to a cap: one rule for retried
//! deliveries and for mailboxes that reconnect.

use std::time::Duration;

/// The wait after the `failures`th failure in a row: `first`, then twice as long each time,
/// never longer than `cap`.
pub fn doubling(first: Duration, failures: u32, cap: Duration) -> Duration {
    first
        .saturating_mul(1 << failures.saturating_sub(1).min(16))
        .min(cap)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_failure_doubles_the_wait_up_to_the_cap() {
        let (first, cap) = (Duration::from_secs(2), Duration::from_secs(300));
        let waits: Vec<u64> = [0, 1, 2, 3, 8, 9, 40, u32::MAX]
            .into_iter()
            .map(|failures| doubling(first, failures, cap).as_secs())
            .collect();
        assert_eq!(waits, [2, 2, 4, 8, 256, 300, 300, 300]);
    }
}
