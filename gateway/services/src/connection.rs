//! A channel's connection with its provider: its plugin checks the settings and secrets (a
//! bot token with Telegram's `getMe`) and registers the channel's webhook address. It runs
//! before new secrets or settings are saved, so a wrong token is refused when it is written,
//! and by the channel's "test connection" button.

use std::collections::BTreeMap;

use switchboard_model::Channel;
use switchboard_plugins::PluginError;

use crate::{Fault, FaultKind, ServiceResult, Services};

/// Connects `channel` (as it would be with `secrets`, when given, instead of its stored ones):
/// the line that names the account connected (empty when the plugin checks nothing), or why
/// the provider or the plugin refused.
pub async fn connect(
    state: &Services,
    channel: &Channel,
    secrets: Option<&BTreeMap<String, String>>,
) -> ServiceResult<Result<String, String>> {
    let Some(name) = &channel.plugin else {
        return Ok(Ok(String::new()));
    };
    // A plugin not installed yet, or switched off, has nothing to check now.
    let plugin = match state
        .plugins
        .active(state.store.as_ref(), channel.workspace_id, name)
        .await
    {
        Ok(plugin) => plugin,
        Err(error) if matches!(error.kind, FaultKind::NotFound | FaultKind::Busy) => {
            return Ok(Ok(String::new()));
        }
        Err(error) => return Err(error),
    };
    let mut context = crate::plugins::call_context(state, channel).await?;
    if let Some(secrets) = secrets {
        context.secrets = secrets.clone();
    }
    let webhook_url = crate::plugins::webhook_url(state, channel);
    let runtime = state.plugins.runtime.clone();
    let span = tracing::Span::current();
    let outcome = runtime
        .threads()
        .spawn_blocking(move || {
            let _connect = span.enter();
            runtime.connect(&plugin, context, webhook_url.as_deref())
        })
        .await
        .map_err(|error| Fault::internal(error.to_string()))?;
    Ok(match outcome {
        Ok(output) => {
            // What the plugin noted while connecting (its webhook address) is kept.
            if !output.kv_writes.is_empty() {
                crate::ingest::keep_kv_writes(state, channel, output.kv_writes).await?;
            }
            Ok(output.value)
        }
        // A plugin of contract 0.1.0 has nothing to check.
        Err(PluginError::Unsupported(_)) => Ok(String::new()),
        Err(error @ PluginError::Host(_)) => {
            return Err(Fault::new(FaultKind::Busy, "busy", error.to_string()));
        }
        Err(PluginError::Provider(reason) | PluginError::Denied(reason)) => Err(reason),
        Err(error) => Err(error.to_string()),
    })
}

/// The error that refuses a save whose connection failed.
pub fn refused(reason: &str) -> Fault {
    Fault::new(
        FaultKind::Invalid,
        "connection_failed",
        format!("the channel could not connect to its provider: {reason}"),
    )
    .with_reason(reason)
}
