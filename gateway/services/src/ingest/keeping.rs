//! What is kept of a call besides its messages: a payload that could not be processed, as a dead
//! letter, and the plugin's key-value writes.

use switchboard_model::Channel;

use crate::{ServiceResult, Services};

/// Keeps a payload that could not be processed as a dead letter, within the channel's room
/// for them (`ApiConfig::dead_letters`): older letters dropped to make room are counted.
pub async fn keep_dead_letter(
    state: &Services,
    workspace_id: switchboard_model::Id,
    channel_id: switchboard_model::Id,
    reason: &str,
    payload: Vec<u8>,
) -> ServiceResult<switchboard_model::DeadLetter> {
    let kept = state
        .store
        .put_dead_letter(
            workspace_id,
            channel_id,
            reason,
            payload,
            state.config.dead_letters,
        )
        .await?;
    if kept.dropped > 0 {
        metrics::counter!("switchboard_dead_letters_dropped_total").increment(kept.dropped);
        tracing::warn!(
            channel_id,
            dropped = kept.dropped,
            "older dead letters of the channel were dropped to keep it within its room"
        );
    }
    Ok(kept.letter)
}

/// Keeps a call's key-value writes, unless other calls filled the channel's store meanwhile:
/// then they are dropped (the call's messages stay) and the plugin's log says so.
pub(crate) async fn keep_kv_writes(
    state: &Services,
    channel: &Channel,
    writes: std::collections::BTreeMap<String, Vec<u8>>,
) -> ServiceResult<()> {
    match state
        .store
        .put_plugin_kv(
            channel.workspace_id,
            channel.id,
            writes,
            switchboard_plugins::MAX_KV_BYTES as u64,
        )
        .await
    {
        Err(switchboard_store::StoreError::TooLarge { size, limit, .. }) => {
            tracing::warn!(
                channel_id = channel.id,
                size,
                limit,
                "a plugin call's key-value writes were dropped: the channel's store would be over its quota"
            );
            Ok(())
        }
        other => Ok(other?),
    }
}
