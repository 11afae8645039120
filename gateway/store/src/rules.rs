//! The conversation rules every store backend applies, apart from how it stores anything:
//! which conversation an inbound message may join, what a new conversation is called, how a
//! message changes its conversation's state, and who may be written to. Pure functions on the
//! model's types; a backend calls them inside its own transaction.

use sha2::{Digest, Sha256};
use switchboard_model::{
    Channel, ChannelKind, Contact, Conversation, ConversationStatus, Direction, Id, InboundMessage,
    Millis,
};

/// Longest title taken from a first message's text.
const TITLE_CHARS: usize = 80;

/// A conversation's title: the subject given, else the start of the first message's text.
pub fn title_of(subject: Option<&str>, text: &str) -> String {
    match subject.map(str::trim).filter(|subject| !subject.is_empty()) {
        Some(subject) => subject.to_string(),
        None => text.chars().take(TITLE_CHARS).collect(),
    }
}

/// How a channel groups a sender's messages that answer no thread of ours.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grouping {
    /// One open conversation per sender (the default).
    Sender,
    /// One open conversation per sender and subject: a new subject starts a new conversation
    /// (an email channel's `grouping` setting `subject`, for customers who write about
    /// different orders).
    Subject,
}

impl Grouping {
    pub fn of(channel: &Channel) -> Grouping {
        let subject = channel.kind == ChannelKind::EMAIL
            && channel
                .settings
                .get("grouping")
                .and_then(|value| value.as_str())
                == Some("subject");
        if subject {
            Grouping::Subject
        } else {
            Grouping::Sender
        }
    }
}

/// Whether two subjects are the same once their reply and forward prefixes (in English,
/// Spanish and Portuguese, as mail clients write them), case and spacing are set aside:
/// "RE: Fwd: Pedido  4711" and "pedido 4711" are.
pub fn same_subject(one: &str, other: &str) -> bool {
    bare_subject(one) == bare_subject(other)
}

fn bare_subject(subject: &str) -> String {
    const PREFIXES: [&str; 8] = ["re", "res", "fw", "fwd", "rv", "enc", "aw", "tr"];
    let mut rest = subject.trim();
    while let Some((prefix, after)) = rest.split_once(':') {
        if !PREFIXES.contains(&prefix.trim().to_lowercase().as_str()) {
            break;
        }
        rest = after.trim_start();
    }
    rest.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// Whether a message of `contact_id` that came on `channel` and names one of `conversation`'s
/// messages joins it. Only the same contact's conversations count, so a guessed id cannot put
/// text into someone else's conversation. A conversation of another channel only by email,
/// which is how our Message-IDs travel (a website chat continued by email, a reply sent through
/// another mailbox); a plugin of any other channel that names one gets a conversation of its
/// own channel.
pub fn may_join(conversation: &Conversation, channel: &Channel, contact_id: Id) -> bool {
    conversation.contact_id == contact_id
        && (conversation.channel_id == channel.id || channel.kind == ChannelKind::EMAIL)
}

/// The digest that tells apart two messages under one external id, on channels whose senders
/// reuse ids (broken mailers reuse Message-IDs); none elsewhere, where the same id is the same
/// message (a client's retry).
pub fn dedupe_digest(channel: &Channel, inbound: &InboundMessage) -> Option<String> {
    (channel.kind == ChannelKind::EMAIL).then(|| content_digest(inbound))
}

/// A digest of what a message says and who says it, not of how it travelled: a re-delivery of
/// the same message has the same one, whatever headers the servers on its way added.
fn content_digest(inbound: &InboundMessage) -> String {
    let mut hash = Sha256::new();
    let identity = inbound.contact.identity.normalized();
    for part in [
        identity.kind.as_str(),
        identity.value.as_str(),
        inbound.title.as_deref().unwrap_or_default(),
        inbound.text.as_str(),
        inbound.html.as_deref().unwrap_or_default(),
    ]
    .into_iter()
    .chain(inbound.attachments.iter().map(|file| file.sha256.as_str()))
    {
        hash.update((part.len() as u64).to_be_bytes());
        hash.update(part.as_bytes());
    }
    hex::encode(&hash.finalize()[..16])
}

/// What a contact's message did to the conversation it joined.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Received {
    /// It is open and waits for an answer.
    Waiting,
    /// It was resolved and is open again: it becomes the contact's open conversation on its
    /// channel unless they have another there.
    Reopened,
    /// The contact is blocked: the message is kept, but in a resolved conversation that calls
    /// nobody, which stops being the contact's open one.
    SetAside,
}

/// A contact's message arriving at `now` in `conversation`: the contact writing again opens a
/// conversation set aside (pending, snoozed, resolved), unless they are blocked.
pub fn receive(conversation: &mut Conversation, contact_blocked: bool, now: Millis) -> Received {
    let was = conversation.status;
    conversation.message_count += 1;
    conversation.last_activity_at = now;
    conversation.last_inbound_at = Some(now);
    conversation.snoozed_until = None;
    if contact_blocked {
        conversation.status = ConversationStatus::Resolved;
        conversation.waiting_since = None;
        return Received::SetAside;
    }
    conversation.status = ConversationStatus::Open;
    conversation.unread_count = conversation.unread_count.saturating_add(1);
    conversation.waiting_since.get_or_insert(now);
    if was == ConversationStatus::Resolved {
        Received::Reopened
    } else {
        Received::Waiting
    }
}

/// Why a reply to `contact` on `channel_id` cannot be written, if it cannot: a blocked contact,
/// or one the channel's provider said it cannot reach. (Private notes are not replies: they
/// always can.)
pub fn reply_refusal(contact: &Contact, channel_id: Id) -> Option<String> {
    if contact.blocked {
        return Some(format!(
            "contact {} is blocked: unblock them to write to them",
            contact.id
        ));
    }
    contact.unreachable_on(channel_id).map(|reason| {
        format!(
            "replies on this channel cannot reach {}: {reason}",
            contact.name
        )
    })
}

/// A reply or note written at `now` in `conversation`. An agent who answers has read the
/// conversation and ends the contact's wait; a bot's answer (an auto-reply) and a note change
/// neither.
pub fn write(conversation: &mut Conversation, direction: Direction, by_agent: bool, now: Millis) {
    if direction == Direction::Out && by_agent {
        conversation.unread_count = 0;
        conversation.waiting_since = None;
    }
    conversation.message_count += 1;
    conversation.last_activity_at = now;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conversation(status: ConversationStatus) -> Conversation {
        Conversation {
            id: 7,
            workspace_id: 1,
            channel_id: 2,
            contact_id: 3,
            title: "Pedido 4711".into(),
            status,
            assignee_id: None,
            team_id: None,
            labels: Vec::new(),
            unread_count: 0,
            message_count: 1,
            last_activity_at: 10,
            waiting_since: None,
            last_inbound_at: None,
            snoozed_until: Some(99),
            last_event_id: 0,
            created_at: 10,
        }
    }

    fn channel(id: Id, kind: ChannelKind) -> Channel {
        Channel {
            id,
            workspace_id: 1,
            kind,
            name: "Ventas".into(),
            active: true,
            default_team_id: None,
            settings: serde_json::json!({}),
            plugin: None,
            webhook_token: None,
            webhook_url: None,
            widget_id: None,
            snippet: None,
            created_at: 0,
            deleted_at: None,
        }
    }

    #[test]
    fn a_title_is_the_subject_or_the_start_of_the_text() {
        assert_eq!(title_of(Some("  Pedido 4711 "), "hola"), "Pedido 4711");
        assert_eq!(title_of(Some(" "), "¿Tienen envío?"), "¿Tienen envío?");
        assert_eq!(title_of(None, &"ñ".repeat(100)).chars().count(), 80);
    }

    #[test]
    fn subjects_match_without_reply_prefixes_case_or_spacing() {
        assert!(same_subject("RE: Fwd: Pedido  4711", "pedido 4711"));
        assert!(same_subject("RES: ENC: Orçamento", "orçamento"));
        assert!(same_subject("RV: Cotización", "cotización"));
        assert!(!same_subject("Pedido 4711", "Pedido 4712"));
        assert!(
            !same_subject("Nota: pedido", "pedido"),
            "only reply prefixes go"
        );
    }

    #[test]
    fn only_the_same_contact_joins_and_only_email_crosses_channels() {
        let on_email = conversation(ConversationStatus::Open);
        let mailbox = channel(2, ChannelKind::EMAIL);
        let other_mailbox = channel(5, ChannelKind::EMAIL);
        let telegram = channel(6, ChannelKind::parse("telegram").expect("a kind"));
        assert!(may_join(&on_email, &mailbox, 3));
        assert!(!may_join(&on_email, &mailbox, 4), "another contact");
        assert!(may_join(&on_email, &other_mailbox, 3), "email crosses");
        assert!(
            !may_join(&on_email, &telegram, 3),
            "a plugin channel does not"
        );
    }

    #[test]
    fn the_contact_writing_opens_a_conversation_again_unless_blocked() {
        let mut snoozed = conversation(ConversationStatus::Snoozed);
        assert_eq!(receive(&mut snoozed, false, 50), Received::Waiting);
        assert_eq!(snoozed.status, ConversationStatus::Open);
        assert_eq!(snoozed.snoozed_until, None);
        assert_eq!((snoozed.unread_count, snoozed.waiting_since), (1, Some(50)));
        assert_eq!(receive(&mut snoozed, false, 60), Received::Waiting);
        assert_eq!(snoozed.waiting_since, Some(50), "waiting since the first");

        let mut resolved = conversation(ConversationStatus::Resolved);
        assert_eq!(receive(&mut resolved, false, 50), Received::Reopened);
        assert_eq!(resolved.status, ConversationStatus::Open);

        let mut blocked = conversation(ConversationStatus::Open);
        assert_eq!(receive(&mut blocked, true, 50), Received::SetAside);
        assert_eq!(blocked.status, ConversationStatus::Resolved);
        assert_eq!((blocked.unread_count, blocked.waiting_since), (0, None));
        assert_eq!(blocked.message_count, 2, "kept all the same");
    }

    #[test]
    fn an_agents_answer_ends_the_wait_and_a_bots_does_not() {
        let mut waiting = conversation(ConversationStatus::Open);
        receive(&mut waiting, false, 50);
        write(&mut waiting, Direction::Out, false, 51);
        assert_eq!(waiting.waiting_since, Some(50), "an auto-reply");
        write(&mut waiting, Direction::Note, true, 52);
        assert_eq!(waiting.unread_count, 1, "a note");
        write(&mut waiting, Direction::Out, true, 53);
        assert_eq!((waiting.unread_count, waiting.waiting_since), (0, None));
        assert_eq!(waiting.last_activity_at, 53);
    }
}
