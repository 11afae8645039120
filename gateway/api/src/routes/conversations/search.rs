//! Searching conversations: by the words of their messages, their title or their contact.

use axum::extract::State;
use serde::Deserialize;
use switchboard_model::{Conversation, ConversationFilter, Page};

use crate::auth::Caller;
use crate::extract::Query;
use crate::routes::{page_size, require_text};
use crate::{ApiResult, AppState};

/// A search over conversations.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub(super) struct SearchQuery {
    /// Words to find, in any case and with or without accents ("informacao" finds
    /// "informação"); every word must match a message, the title or the contact.
    q: String,
    /// At most this many conversations (50 by default, at most 200).
    limit: Option<u32>,
}

/// Longest search, in characters.
const MAX_SEARCH_CHARS: usize = 200;

/// Conversations whose messages, title or contact (name, addresses, phone numbers) hold
/// every word searched, best match first; a contact's conversations come newest first.
#[utoipa::path(get, path = "/api/v1/search", tag = "conversations", params(SearchQuery),
    responses((status = 200, body = Page<Conversation>)))]
pub(super) async fn search(
    State(state): State<AppState>,
    caller: Caller,
    Query(query): Query<SearchQuery>,
) -> ApiResult<axum::Json<Page<Conversation>>> {
    require_text("q", &query.q, MAX_SEARCH_CHARS)?;
    let limit = page_size(query.limit);
    let index = state.search.clone();
    let workspace_id = caller.workspace_id;
    let found = tokio::task::spawn_blocking(move || index.search(workspace_id, &query.q, limit))
        .await
        .map_err(|error| crate::ApiError::internal(error.to_string()))?
        .map_err(|error| crate::ApiError::internal(error.to_string()))?;
    let mut items: Vec<Conversation> = Vec::new();
    for id in found.conversations.into_iter().take(limit) {
        match state.store.conversation(workspace_id, id).await {
            Ok(conversation) => items.push(conversation),
            Err(switchboard_store::StoreError::NotFound { .. }) => {}
            Err(error) => return Err(error.into()),
        }
    }
    for contact_id in found.contacts {
        if items.len() == limit {
            break;
        }
        let filter = ConversationFilter {
            contact_id: Some(contact_id),
            limit: Some(limit as u32),
            ..ConversationFilter::default()
        };
        let theirs = state.store.conversations(workspace_id, &filter).await?;
        for conversation in theirs.items {
            if items.len() < limit && !items.iter().any(|found| found.id == conversation.id) {
                items.push(conversation);
            }
        }
    }
    Ok(axum::Json(Page {
        items,
        next_cursor: None,
    }))
}
