//! What a call of a channel's plugin is given: the channel's settings and its secrets (opened),
//! its key-value store and the HTTP client.

use std::collections::BTreeMap;

use switchboard_model::{Channel, Id};
use switchboard_plugins::CallContext;
use switchboard_store::ChannelRecord;

use crate::{Fault, ServiceResult, Services};

/// A channel's settings as a plugin sees them: top-level strings, numbers and booleans.
fn string_settings(settings: &serde_json::Value) -> BTreeMap<String, String> {
    let Some(object) = settings.as_object() else {
        return BTreeMap::new();
    };
    object
        .iter()
        .filter_map(|(name, value)| match value {
            serde_json::Value::String(text) => Some((name.clone(), text.clone())),
            serde_json::Value::Number(_) | serde_json::Value::Bool(_) => {
                Some((name.clone(), value.to_string()))
            }
            _ => None,
        })
        .collect()
}

/// What a plugin call for this channel gets: its settings, its secrets, its key-value store and
/// the HTTP client. The plugin then sees only the ones it was granted.
pub async fn call_context(state: &Services, channel: &Channel) -> ServiceResult<CallContext> {
    let secrets = channel_secrets(state, channel).await?;
    Ok(CallContext {
        channel_id: channel.id,
        settings: string_settings(&channel.settings),
        secrets,
        kv: state
            .store
            .plugin_kv(channel.workspace_id, channel.id)
            .await?,
        fetcher: Some(state.plugins.fetcher.clone()),
    })
}

/// Seals a channel's secrets and stores them in place of those it had.
pub async fn keep_channel_secrets(
    state: &Services,
    workspace_id: Id,
    channel_id: Id,
    secrets: &BTreeMap<String, String>,
) -> ServiceResult<()> {
    let sealed = state.secrets.seal(secrets).map_err(Fault::internal)?;
    state
        .store
        .put_channel_record(workspace_id, channel_id, ChannelRecord::Secrets, sealed)
        .await?;
    tracing::info!(
        workspace_id,
        channel_id,
        count = secrets.len(),
        "channel secrets replaced"
    );
    Ok(())
}

/// A channel's secrets in the clear, for the plugin or the transport that needs them.
pub async fn channel_secrets(
    state: &Services,
    channel: &Channel,
) -> ServiceResult<BTreeMap<String, String>> {
    secrets_of(state, channel.workspace_id, channel.id).await
}

/// The secrets of the channel `channel_id` in the clear (none for another workspace's).
pub async fn secrets_of(
    state: &Services,
    workspace_id: Id,
    channel_id: Id,
) -> ServiceResult<BTreeMap<String, String>> {
    Ok(
        match state
            .store
            .channel_record(workspace_id, channel_id, ChannelRecord::Secrets)
            .await?
        {
            Some(sealed) => state.secrets.open(&sealed).map_err(Fault::internal)?,
            None => BTreeMap::new(),
        },
    )
}
