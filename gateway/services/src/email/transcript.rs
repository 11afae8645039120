//! "Send the transcript": a conversation's messages (not its private notes) as one email,
//! written by the email adapter like any reply and sent through an email channel's server,
//! with its heading in the reader's language (English, Spanish or Portuguese).

use switchboard_model::{Author, ChannelKind, Id, now_millis};

use crate::language::Language;
use crate::{Fault, FaultKind, ServiceResult, Services};

/// The words of a transcript, per language.
struct Words {
    heading: &'static str,
    subject: &'static str,
    auto_reply: &'static str,
    agent: &'static str,
}

fn words(locale: &str) -> Words {
    match Language::of(locale) {
        Language::Spanish => Words {
            heading: "Transcripción de la conversación",
            subject: "Transcripción",
            auto_reply: "Respuesta automática",
            agent: "Agente",
        },
        Language::Portuguese => Words {
            heading: "Transcrição da conversa",
            subject: "Transcrição",
            auto_reply: "Resposta automática",
            agent: "Agente",
        },
        Language::English => Words {
            heading: "Transcript of the conversation",
            subject: "Transcript",
            auto_reply: "Auto-reply",
            agent: "Agent",
        },
    }
}

/// Emails the transcript of a conversation to `to`; answers the SMTP server's acceptance.
pub async fn send(
    state: &Services,
    workspace_id: Id,
    conversation_id: Id,
    sender_name: &str,
    to: &str,
    locale: &str,
) -> ServiceResult<String> {
    let store = state.store.as_ref();
    let conversation = store.conversation(workspace_id, conversation_id).await?;
    let own = store.channel(workspace_id, conversation.channel_id).await?;
    // The conversation's own mailbox, or else the workspace's first email channel.
    let channel = if own.kind == ChannelKind::EMAIL {
        own
    } else {
        super::first_mailbox(state, workspace_id)
            .await?
            .ok_or_else(|| {
                Fault::new(
                    FaultKind::Conflict,
                    "no_email_channel",
                    "the workspace has no email channel to send the transcript through",
                )
            })?
    };
    let channel = super::sending_channel(state, &channel).await?;
    // A transcript is an email like any other: it counts against the mailbox's day, and one
    // address gets only a few.
    state
        .mail
        .transcripts
        .take(&format!("{workspace_id}:{}", to.to_lowercase()))
        .map_err(|wait| crate::throttle::rate_limited("transcripts to this address", wait))?;
    if let Some((reason, until)) = super::daily_limit_reached(state, &channel).await? {
        let wait = (until - now_millis()).max(1000) / 1000;
        return Err(Fault::new(
            FaultKind::Limited,
            "daily_limit",
            format!("the transcript was not sent: {reason}"),
        )
        .retry_after(wait as u64));
    }
    let contact = store.contact(workspace_id, conversation.contact_id).await?;
    let words = words(locale);
    let mut text = format!(
        "{} #{}: {}\n",
        words.heading, conversation.id, conversation.title
    );
    for message in store
        .all_messages(workspace_id, conversation_id)
        .await?
        .iter()
        .filter(|message| message.direction.seen_by_contact())
    {
        let who = match &message.author {
            Author::Contact { .. } => contact.name.clone(),
            Author::Agent { id } => store
                .agent(workspace_id, *id)
                .await
                .map_or_else(|_| words.agent.to_string(), |agent| agent.name),
            Author::Bot { .. } => words.auto_reply.to_string(),
            Author::System => String::new(),
        };
        let when = chrono::DateTime::from_timestamp_millis(message.created_at)
            .map(|time| time.format("%Y-%m-%d %H:%M UTC").to_string())
            .unwrap_or_default();
        text.push_str(&format!("\n[{when}] {who}:\n{}\n", message.text.trim_end()));
    }
    let reply = super::Written {
        id: format!("transcript-{}", now_millis()),
        sender_name: sender_name.to_string(),
        to: to.to_string(),
        subject: format!("{}: {}", words.subject, conversation.title),
        text,
        conversation_id,
    }
    .reply();
    super::send_written(state, &channel, reply, "transcript")
        .await?
        .map_err(|reason| {
            Fault::new(
                FaultKind::Provider,
                "not_sent",
                format!("the transcript was not sent: {reason}"),
            )
        })
}
