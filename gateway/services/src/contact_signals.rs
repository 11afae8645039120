//! A contact's typing and reading, shown to the agents of the contact's latest conversation on
//! the channel: from the website chat's own signals and from any channel whose plugin reports
//! them. They are hints: a contact the gateway does not know yet, or one with no conversation
//! there, shows nothing.

use switchboard_model::{Channel, ConversationFilter, Identity};

use crate::widget::{Presence, Side, SignalKind};
use crate::{ServiceResult, Services};

/// Shows the agents that the contact known as `identity` on `channel` is typing or has read.
pub async fn show(
    state: &Services,
    channel: &Channel,
    identity: &Identity,
    kind: SignalKind,
) -> ServiceResult<()> {
    let Some(contact) = state
        .store
        .contact_by_identity(channel.workspace_id, identity)
        .await?
    else {
        return Ok(());
    };
    let filter = ConversationFilter {
        contact_id: Some(contact.id),
        channel_id: Some(channel.id),
        limit: Some(1),
        ..ConversationFilter::default()
    };
    let latest = state
        .store
        .conversations(channel.workspace_id, &filter)
        .await?
        .items
        .into_iter()
        .next();
    if let Some(conversation) = latest {
        state.widgets.presence.publish(Presence {
            workspace_id: channel.workspace_id,
            conversation_id: conversation.id,
            from: Side::Visitor,
            kind,
            author: Some(contact.name),
        });
    }
    Ok(())
}
