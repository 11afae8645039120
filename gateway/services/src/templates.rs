//! Replies on channels with a reply window (WhatsApp's 24 hours): free text only while the
//! window is open, otherwise one of the provider's approved templates, filled in and checked
//! when the agent sends it, so that a reply the provider would refuse is refused at once with
//! the reason.

use switchboard_model::reply_window::window_open;
use switchboard_model::{
    Channel, ChannelTemplate, ChannelTemplates, Conversation, Id, NewConversation, NewReply,
    TemplateUse,
};

use crate::{Fault, FaultKind, ServiceResult, Services};

/// The channel's reply window and approved templates (none for most channels).
pub async fn channel_templates(
    state: &Services,
    channel: &Channel,
) -> ServiceResult<ChannelTemplates> {
    let Some(name) = &channel.plugin else {
        return Ok(ChannelTemplates {
            reply_window_hours: None,
            templates: Vec::new(),
        });
    };
    let plugin = state
        .plugins
        .active(state.store.as_ref(), channel.workspace_id, name)
        .await?;
    let reply_window_hours = plugin.manifest.reply_window_hours;
    let context = crate::plugins::call_context(state, channel).await?;
    let runtime = state.plugins.runtime.clone();
    let listed = runtime
        .threads()
        .spawn_blocking(move || runtime.templates(&plugin, context))
        .await
        .map_err(|error| Fault::internal(error.to_string()))?
        .map_err(|error| {
            Fault::new(
                FaultKind::Provider,
                "templates_unavailable",
                format!("the channel's templates could not be read: {error}"),
            )
        })?;
    Ok(ChannelTemplates {
        reply_window_hours,
        templates: listed
            .into_iter()
            .map(|template| ChannelTemplate {
                name: template.name,
                language: template.language,
                text: template.text,
                variables: template.variables,
            })
            .collect(),
    })
}

/// Checks a reply against its channel's window, and fills in the text of a template reply.
pub async fn prepare_reply(
    state: &Services,
    conversation: &Conversation,
    reply: &mut NewReply,
) -> ServiceResult<()> {
    if reply.private {
        reply.template = None;
        return Ok(());
    }
    let channel = state
        .store
        .channel(conversation.workspace_id, conversation.channel_id)
        .await?;
    prepare(
        state,
        &channel,
        conversation.last_inbound_at,
        &mut reply.text,
        reply.template.as_ref(),
    )
    .await
}

/// Checks the first message of a conversation an agent starts as [`prepare_reply`] checks a
/// reply: on a channel with a window, only a template starts one.
pub async fn prepare_start(
    state: &Services,
    workspace_id: Id,
    new: &mut NewConversation,
) -> ServiceResult<()> {
    let channel = state.store.channel(workspace_id, new.channel_id).await?;
    prepare(state, &channel, None, &mut new.text, new.template.as_ref()).await
}

async fn prepare(
    state: &Services,
    channel: &Channel,
    last_inbound_at: Option<switchboard_model::Millis>,
    text: &mut String,
    chosen: Option<&TemplateUse>,
) -> ServiceResult<()> {
    let Some(chosen) = chosen else {
        let Some(hours) = window_hours(state, channel).await? else {
            return Ok(());
        };
        return window_open(last_inbound_at, hours, switchboard_model::now_millis())
            .map_err(|reason| Fault::new(FaultKind::Conflict, "outside_reply_window", reason));
    };
    let offered = channel_templates(state, channel).await?;
    let template = offered
        .templates
        .iter()
        .find(|template| template.name == chosen.name && template.language == chosen.language)
        .ok_or_else(|| {
            Fault::new(
                FaultKind::Invalid,
                "unknown_template",
                format!(
                    "the channel has no approved template {} in {}",
                    chosen.name, chosen.language
                ),
            )
        })?;
    *text = template
        .fill(&chosen.values)
        .map_err(|reason| Fault::new(FaultKind::Invalid, "invalid_template", reason))?;
    Ok(())
}

/// The reply window of the channel's plugin, if it has one.
async fn window_hours(state: &Services, channel: &Channel) -> ServiceResult<Option<u32>> {
    let Some(name) = &channel.plugin else {
        return Ok(None);
    };
    match state
        .plugins
        .active(state.store.as_ref(), channel.workspace_id, name)
        .await
    {
        Ok(plugin) => Ok(plugin.manifest.reply_window_hours),
        // A plugin switched off or gone: the outbox says so when it tries.
        Err(error) if matches!(error.kind, FaultKind::NotFound | FaultKind::Busy) => Ok(None),
        Err(error) => Err(error),
    }
}
