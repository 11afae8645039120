//! An agent typing in a conversation, shown to the contact (not stored).

use axum::extract::State;
use axum::http::StatusCode;
use switchboard_model::Id;

use crate::auth::Caller;
use crate::extract::Path;
use crate::{ApiResult, AppState};

/// The agent is typing: the contact's open chat widget shows it, and so does the contact's
/// channel where it can (not stored).
#[utoipa::path(post, path = "/api/v1/conversations/{id}/typing", tag = "conversations",
    params(("id" = u64, Path)), responses((status = 204)))]
pub(super) async fn typing(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<Id>,
) -> ApiResult<StatusCode> {
    let conversation = state.store.conversation(caller.workspace_id, id).await?;
    state
        .widgets
        .presence
        .publish(switchboard_services::widget::Presence {
            workspace_id: caller.workspace_id,
            conversation_id: conversation.id,
            from: switchboard_services::widget::Side::Agent,
            kind: switchboard_services::widget::SignalKind::Typing,
            author: Some(caller.agent.name),
        });
    // The contact's channel shows it too where it can; the agent does not wait for that.
    let services = state.services.clone();
    tokio::spawn(async move {
        if let Err(error) =
            switchboard_services::signals::agent_typing(&services, &conversation).await
        {
            tracing::info!(code = error.code, reason = %error.message, "typing was not shown on the channel");
        }
    });
    Ok(StatusCode::NO_CONTENT)
}
