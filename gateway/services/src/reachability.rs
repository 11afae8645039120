//! Whether replies can reach a contact on a channel: a provider refused a reply because the
//! contact blocked us, or the contact opted out (STOP) or back in (START). Replies on a channel
//! that cannot reach the contact are refused with the reason, before they are stored.

use switchboard_model::{Channel, Identity};
use switchboard_plugins::latest::Reachability;
use switchboard_store::OutboxItem;

use crate::{ServiceResult, Services};

/// The provider refused `item` because its contact cannot be reached on `channel` any more.
pub async fn unreachable_by_reply(
    state: &Services,
    channel: &Channel,
    item: &OutboxItem,
    reason: &str,
) -> ServiceResult<()> {
    let conversation = state
        .store
        .conversation(item.workspace_id, item.conversation_id)
        .await?;
    state
        .store
        .set_reachability(
            item.workspace_id,
            conversation.contact_id,
            channel.id,
            Some(reason.to_string()),
        )
        .await?;
    Ok(())
}

/// A plugin's report that a contact can or cannot be reached on its channel; about an
/// identity no contact has, it is dropped (there is no one to mark).
pub async fn reported(
    state: &Services,
    channel: &Channel,
    report: Reachability,
) -> ServiceResult<()> {
    let identity = Identity::new(report.contact.kind, report.contact.value);
    let Some(contact) = state
        .store
        .contact_by_identity(channel.workspace_id, &identity)
        .await?
    else {
        return Ok(());
    };
    let unreachable = (!report.reachable).then(|| {
        report
            .reason
            .unwrap_or_else(|| "the contact cannot be reached on this channel".into())
    });
    state
        .store
        .set_reachability(channel.workspace_id, contact.id, channel.id, unreachable)
        .await?;
    Ok(())
}
