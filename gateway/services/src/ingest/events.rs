//! What a payload said besides its messages: delivery and reachability reports, a contact's
//! edits, what the channel learned of a contact, and a contact's typing and reading.

use switchboard_model::{Channel, Identity};
use switchboard_plugins::latest::{self as contract, Event};

use super::messages::contact_ref;
use crate::widget::SignalKind;
use crate::{ServiceResult, Services};

/// What a payload said besides its messages.
pub(super) async fn apply(state: &Services, channel: &Channel, event: Event) -> ServiceResult<()> {
    match event {
        Event::Delivery(update) => crate::status::reported(state, channel, update).await,
        Event::Reachability(report) => crate::reachability::reported(state, channel, report).await,
        Event::Edited(edit) => edited(state, channel, edit).await,
        // What the channel learned of a contact fills in what the contact lacked.
        Event::ContactUpdate(contact) => {
            state
                .store
                .introduce_contact(channel.workspace_id, contact_ref(contact))
                .await?;
            Ok(())
        }
        Event::Typing(identity) => {
            let identity = Identity::new(identity.kind, identity.value);
            crate::contact_signals::show(state, channel, &identity, SignalKind::Typing).await
        }
        Event::Read((identity, _)) => {
            let identity = Identity::new(identity.kind, identity.value);
            crate::contact_signals::show(state, channel, &identity, SignalKind::Read).await
        }
        Event::Message(_) => Ok(()),
    }
}

/// A contact's edit of a message they sent; one of a message the gateway never took in (sent
/// before the channel was connected) has nothing to change and is noted in the log.
async fn edited(state: &Services, channel: &Channel, edit: contract::Edit) -> ServiceResult<()> {
    match state
        .store
        .edit_message(
            channel.workspace_id,
            channel.id,
            &edit.message_id,
            edit.text,
        )
        .await
    {
        Ok(_) => Ok(()),
        Err(switchboard_store::StoreError::NotFound { .. }) => {
            tracing::info!(channel_id = channel.id, message = %edit.message_id, "an edit of a message the gateway does not have");
            Ok(())
        }
        Err(error) => Err(error.into()),
    }
}
