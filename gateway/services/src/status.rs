//! Providers' status reports about our replies (sent, delivered, read, failed), named by the
//! id the provider gave each reply when it took it.

use switchboard_model::{Channel, DeliveryStatus};
use switchboard_plugins::latest::{DeliveryState, DeliveryUpdate};
use switchboard_store::StoreError;

use crate::{ServiceResult, Services};

/// Moves the reply a report names forward. A report about a message the gateway did not send
/// (one sent from the provider's own console) is noted in the log and dropped: there is nothing
/// to keep it for.
pub async fn reported(
    state: &Services,
    channel: &Channel,
    update: DeliveryUpdate,
) -> ServiceResult<()> {
    let status = match update.state {
        DeliveryState::Sent => DeliveryStatus::Sent { via: None },
        DeliveryState::Delivered => DeliveryStatus::Delivered,
        DeliveryState::Read => DeliveryStatus::Read,
        DeliveryState::Failed => DeliveryStatus::Failed {
            reason: update
                .reason
                .unwrap_or_else(|| "the provider could not deliver it".into()),
        },
    };
    match state
        .store
        .report_delivery(channel.workspace_id, channel.id, &update.message_id, status)
        .await
    {
        Ok(_) => Ok(()),
        Err(StoreError::NotFound { .. }) => {
            tracing::info!(
                channel_id = channel.id,
                provider_id = %update.message_id,
                "a status report about a message that is no reply of this channel"
            );
            Ok(())
        }
        Err(error) => Err(error.into()),
    }
}
