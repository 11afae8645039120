use std::time::Duration;

use super::*;

#[tokio::test]
async fn the_full_round_comes_on_time_while_replies_keep_coming() {
    let queued = QueuedReplies::default();
    queued.add(7);
    queued.add(7);
    let passed = tokio::time::Instant::now();
    assert_eq!(
        queued.wait_until(passed).await,
        None,
        "time for the full round"
    );
    let later = tokio::time::Instant::now() + Duration::from_secs(5);
    assert_eq!(
        queued.wait_until(later).await,
        Some(vec![7]),
        "the queued workspace, once, after the round"
    );
}

#[test]
fn a_channel_is_delivered_by_one_round_at_a_time() {
    let queued = QueuedReplies::default();
    let first = Delivering::start(&queued, 7).expect("nobody delivers channel 7");
    assert!(Delivering::start(&queued, 7).is_none(), "a second round");
    assert!(Delivering::start(&queued, 8).is_some(), "another channel");
    drop(first);
    assert!(Delivering::start(&queued, 7).is_some(), "free again");
}
