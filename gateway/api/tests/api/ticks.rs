//! Scheduled plugin calls (`tick`): one channel that cannot be called does not hold up the
//! others.

use serde_json::json;
use switchboard_store::ChannelRecord;

use crate::support::TestApp;

#[tokio::test]
async fn a_channel_whose_scheduled_call_fails_does_not_stop_the_others() {
    let app = TestApp::new().await;
    let mut polling = Vec::new();
    for name in ["Bot A", "Bot B"] {
        let (status, channel) = app
            .post(
                "/api/v1/channels",
                &app.admin,
                json!({ "kind": "telegram", "name": name, "settings": { "receive": "polling" } }),
            )
            .await;
        assert_eq!(status, axum::http::StatusCode::CREATED, "{channel}");
        polling.push(channel["id"].as_u64().expect("an id"));
    }
    // The first channel's secrets can no longer be opened (a damaged record).
    app.state
        .store
        .put_channel_record(
            app.workspace,
            polling[0],
            ChannelRecord::Secrets,
            b"not sealed".to_vec(),
        )
        .await
        .expect("record");
    let schedule = switchboard_services::ticks::Schedule::default();
    let called = switchboard_services::ticks::tick_due(&app.state, "node-a", &schedule)
        .await
        .expect("the round goes on");
    assert_eq!(called, 1, "the second channel was still called");
}
