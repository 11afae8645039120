//! Searching conversations: accent- and case-insensitive words over messages, titles and
//! contacts, a workspace's own only.

use std::time::Duration;

use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::support::{TestApp, assert_error};

/// The ids of the conversations a search answers, once the index has caught up with `expected`
/// hits (the indexer follows the store a few times a second), or whatever it answers after 5 s.
async fn found(app: &TestApp, query: &str, expected: usize) -> Vec<u64> {
    let mut ids = Vec::new();
    for _ in 0..50 {
        let (status, page) = app
            .get(&format!("/api/v1/search?q={query}"), &app.agent)
            .await;
        assert_eq!(status, StatusCode::OK, "{page}");
        ids = page["items"]
            .as_array()
            .map(|items| items.iter().filter_map(|c| c["id"].as_u64()).collect())
            .unwrap_or_default();
        if ids.len() >= expected {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    ids
}

fn conversation(ingested: &Value) -> u64 {
    ingested["conversation_id"]
        .as_u64()
        .expect("conversation id")
}

#[tokio::test]
async fn words_find_conversations_without_accents_by_message_title_or_contact() {
    let app = TestApp::new().await;
    let portuguese = conversation(
        &app.inbound(
            "ana@example.com",
            "m-1",
            "Preciso de informação sobre a fatura",
        )
        .await,
    );
    let spanish = conversation(
        &app.inbound("jose.pena@example.com", "m-2", "¿Dónde está mi pedido?")
            .await,
    );
    assert_eq!(found(&app, "informacao", 1).await, [portuguese]);
    assert_eq!(found(&app, "DONDE%20pedido", 1).await, [spanish]);
    assert_eq!(
        found(&app, "informacao%20pedido", 1).await,
        Vec::<u64>::new(),
        "every word must match"
    );
    // The contact's name and address find their conversations.
    let (status, _) = app
        .call(
            axum::http::Method::PATCH,
            &format!(
                "/api/v1/contacts/{}",
                app.get(&format!("/api/v1/conversations/{spanish}"), &app.agent)
                    .await
                    .1["contact_id"]
            ),
            &app.admin,
            Some(json!({ "name": "José Peña" })),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(found(&app, "pena", 1).await, [spanish]);
    assert_eq!(found(&app, "jose.pena", 1).await, [spanish]);

    // Another workspace finds nothing of this one's.
    let (status, page) = app.get("/api/v1/search?q=informacao", &app.stranger).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(page["items"], json!([]));
    assert_error(
        &app.get("/api/v1/search?q=%20", &app.agent).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_body",
    );
}
