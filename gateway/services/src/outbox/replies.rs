//! A reply as the plugin sees it: the message with its files and its agent, and where the
//! conversation's replies go (the contact, the title, the thread's message ids).

use switchboard_model::{Author, Conversation, Direction};
use switchboard_plugins::latest::{
    Attachment, AttachmentContent, Contact, Identity, Reply, ReplyContext, TemplateChoice,
};
use switchboard_store::OutboxItem;

use crate::{ServiceResult, Services};

/// A reply's thread ids come from the conversation's newest this many messages (the email
/// adapter puts the newest 20 in References).
const THREAD_WINDOW: usize = 500;

/// The reply as the plugin sees it (the message, its agent, and the conversation's context),
/// and who wrote it.
pub(super) async fn reply_for(
    state: &Services,
    item: &OutboxItem,
) -> ServiceResult<(Reply, Author)> {
    let store = state.store.as_ref();
    let message = store
        .message(item.workspace_id, item.conversation_id, item.message_id)
        .await?;
    let conversation = store
        .conversation(item.workspace_id, item.conversation_id)
        .await?;
    let agent = match &message.author {
        Author::Agent { id } => store.agent(item.workspace_id, *id).await.ok(),
        _ => None,
    };
    let mut attachments = Vec::with_capacity(message.attachments.len());
    for attachment in &message.attachments {
        attachments.push(Attachment {
            name: attachment.name.clone(),
            media_type: attachment.media_type.clone(),
            content: AttachmentContent::Bytes(
                store.blob(item.workspace_id, &attachment.sha256).await?,
            ),
            inline: false,
        });
    }
    let reply = Reply {
        template: message.template.map(|chosen| TemplateChoice {
            name: chosen.name,
            language: chosen.language,
            values: chosen.values,
        }),
        reply_id: message.id.to_string(),
        text: message.text,
        html: None,
        attachments,
        agent_name: agent
            .as_ref()
            .map(|agent| agent.name.clone())
            .unwrap_or_default(),
        agent_signature: agent
            .map(|agent| agent.signature)
            .filter(|signature| !signature.is_empty()),
        context: reply_context(state, &conversation).await?,
    };
    Ok((reply, message.author))
}

/// Where a conversation's replies go, as its plugin sees it: the contact, the title and the
/// thread's message ids.
pub(crate) async fn reply_context(
    state: &Services,
    conversation: &Conversation,
) -> ServiceResult<ReplyContext> {
    let store = state.store.as_ref();
    let contact = store
        .contact(conversation.workspace_id, conversation.contact_id)
        .await?;
    let thread = store
        .latest_messages(conversation.workspace_id, conversation.id, THREAD_WINDOW)
        .await?
        .iter()
        .filter(|earlier| earlier.direction == Direction::In)
        .filter_map(|earlier| earlier.external_id.clone())
        .collect();
    let identity = contact
        .identities
        .first()
        .map(|identity| Identity {
            kind: identity.kind.clone(),
            value: identity.value.clone(),
        })
        .unwrap_or_else(|| Identity {
            kind: "external".into(),
            value: contact.id.to_string(),
        });
    Ok(ReplyContext {
        conversation_id: conversation.id,
        subject: Some(conversation.title.clone()),
        thread,
        contact: Contact {
            identity,
            display_name: Some(contact.name),
            email: contact.emails.first().cloned(),
            phone: contact.phones.first().cloned(),
            // The contact's custom fields stay with the business.
            fields: Vec::new(),
        },
    })
}
