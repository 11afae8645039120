//! An acknowledged write survives `kill -9`: clients post messages while the gateway is killed
//! without warning; after a restart every acknowledged message is there exactly once.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use hyper::StatusCode;
use switchboard_e2e::{Gateway, inbound_message};
use tokio::sync::Mutex;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_messages_survive_kill_9() -> anyhow::Result<()> {
    let data = tempfile::tempdir()?;
    let gateway = Gateway::start(data.path()).await?;
    let client = gateway.admin().await?;
    let channel = client.api_channel().await?;
    let path = format!("/api/v1/channels/{channel}/inbound");

    let acknowledged = Arc::new(Mutex::new(Vec::<String>::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let mut writers = Vec::new();
    for writer in 0..16 {
        let (client, path, acknowledged, stop) = (
            client.clone(),
            path.clone(),
            acknowledged.clone(),
            stop.clone(),
        );
        writers.push(tokio::spawn(async move {
            let mut n = 0;
            while !stop.load(Ordering::Relaxed) {
                let external_id = format!("w{writer}-{n}");
                let message = inbound_message(
                    &format!("customer{}@example.com", n % 25),
                    &external_id,
                    &format!("message {external_id}"),
                );
                match client.post(&path, &message).await {
                    Ok((StatusCode::CREATED, _)) => acknowledged.lock().await.push(external_id),
                    // The gateway died mid-request: this one was never acknowledged.
                    _ => break,
                }
                n += 1;
            }
        }));
    }
    // Let the writers get going, then pull the plug while they are mid-flight.
    while acknowledged.lock().await.len() < 1000 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    gateway.kill_hard().await?;
    stop.store(true, Ordering::Relaxed);
    for writer in writers {
        writer.await?;
    }
    let acknowledged = acknowledged.lock().await.clone();
    assert!(acknowledged.len() >= 1000);

    let gateway = Gateway::start(data.path()).await?;
    let client = gateway.admin().await?;
    let mut stored: HashMap<String, usize> = HashMap::new();
    for message in client.all_messages().await? {
        if let Some(external_id) = message["external_id"].as_str() {
            *stored.entry(external_id.to_string()).or_default() += 1;
        }
    }
    let missing: Vec<&String> = acknowledged
        .iter()
        .filter(|id| !stored.contains_key(*id))
        .collect();
    assert!(
        missing.is_empty(),
        "{} acknowledged messages were lost, e.g. {:?}",
        missing.len(),
        missing.first()
    );
    let doubled: Vec<(&String, &usize)> = stored.iter().filter(|(_, count)| **count > 1).collect();
    assert!(doubled.is_empty(), "messages stored twice: {doubled:?}");

    // Posting an acknowledged message again after the restart is recognised as a duplicate.
    let first = &acknowledged[0];
    let (status, answer) = client
        .post(
            &path,
            &inbound_message("customer0@example.com", first, "again"),
        )
        .await?;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(answer["duplicate"], true);
    Ok(())
}
