//! Asking a channel's plugin how to deliver a reply: the actions it plans, within a reply's
//! limit.

use switchboard_model::Channel;
use switchboard_plugins::Plugin;
use switchboard_plugins::latest::{DeliveryAction, Reply};

use super::Outcome;
use crate::{Fault, ServiceResult, Services};

/// Most deliveries (HTTP requests, emails) one reply may turn into: a text and its files.
const MAX_ACTIONS_PER_REPLY: usize = 10;

/// Asks the channel's plugin how to deliver `reply`; `kind` tells the plugin what it is
/// (`agent`, `auto-reply` or `transcript`).
pub(crate) async fn plan(
    state: &Services,
    channel: &Channel,
    reply: Reply,
    kind: &str,
) -> ServiceResult<Result<(Plugin, Vec<DeliveryAction>), Outcome>> {
    let Some(name) = &channel.plugin else {
        return Ok(Err(Outcome::Failed("the channel has no plugin".into())));
    };
    let plugin = match state
        .plugins
        .active(state.store.as_ref(), channel.workspace_id, name)
        .await
    {
        Ok(plugin) => plugin,
        Err(error) => return Ok(Err(Outcome::Retry(error.message))),
    };
    let mut context = crate::plugins::call_context(state, channel).await?;
    context
        .settings
        .insert(crate::email::setting::REPLY_KIND.into(), kind.into());
    let runtime = state.plugins.runtime.clone();
    let call_plugin = plugin.clone();
    // The call runs on a plugin thread, inside this delivery's span.
    let span = tracing::Span::current();
    let actions = runtime
        .threads()
        .spawn_blocking(move || {
            let _delivery = span.enter();
            runtime.outbound(&call_plugin, context, &reply)
        })
        .await
        .map_err(|error| Fault::internal(error.to_string()))?;
    Ok(match actions {
        Ok(output) if output.value.len() > MAX_ACTIONS_PER_REPLY => Err(Outcome::Failed(format!(
            "the plugin planned {} deliveries for one reply; at most {MAX_ACTIONS_PER_REPLY} are made",
            output.value.len()
        ))),
        Ok(output) => Ok((plugin, output.value)),
        Err(error) => Err(Outcome::Failed(error.to_string())),
    })
}
