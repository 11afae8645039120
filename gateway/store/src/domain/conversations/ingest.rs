//! A contact's message taken in: deduplicated by its external id, joined to the conversation it
//! answers or the contact's open one, or to a new one.

use serde::{Deserialize, Serialize};
use switchboard_model::{
    Activity, Author, Channel, ConversationStatus, Direction, FirstMessage, Id, InboundMessage,
    Ingested, Message, email_ids,
};

use super::steps::save_step;
use super::{
    Route, StoredConversation, Touch, automatic_assignee, create, load_stored, save_conversation,
};
use crate::domain::contacts;
use crate::domain::directory;
use crate::domain::files;
use crate::domain::inbox::Inbox;
use crate::engine::txn::{Read, Scan, Txn};
use crate::keys::{self, key, key_str};
use crate::rules::{self, Grouping, Received};
use crate::{StoreError, StoreResult};

/// What the store keeps of an inbound message under its external id: where it went, and, for
/// an email, the digest of its content (missing for emails stored before digests were kept).
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Deduped {
    #[serde(flatten)]
    ingested: Ingested,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    digest: Option<String>,
}

pub fn ingest(
    txn: &mut Txn,
    inbox: &Inbox,
    workspace_id: Id,
    channel_id: Id,
    inbound: InboundMessage,
) -> StoreResult<Ingested> {
    let channel: Channel = txn
        .get_json(&key(keys::CHANNEL, &[workspace_id, channel_id]))?
        .ok_or_else(|| StoreError::not_found("channel", channel_id))?;
    if !channel.active {
        return Err(StoreError::Invalid(format!(
            "channel {channel_id} ({}) is inactive",
            channel.name
        )));
    }
    // The same id is the same message (a client's retry), except where senders reuse ids:
    // another message under a known id is kept under the id and its digest (the first one
    // still answers threading).
    let digest = rules::dedupe_digest(&channel, &inbound);
    let mut dedupe_key = key_str(
        keys::DEDUPE,
        &[workspace_id, channel_id],
        &inbound.external_id,
    );
    if let Some(first) = txn.get_json::<Deduped>(&dedupe_key)? {
        match (&digest, &first.digest) {
            (Some(digest), Some(known)) if digest != known => {
                dedupe_key.push(0);
                dedupe_key.extend_from_slice(digest.as_bytes());
                if let Some(same) = txn.get_json::<Deduped>(&dedupe_key)? {
                    return Ok(Ingested {
                        duplicate: true,
                        ..same.ingested
                    });
                }
            }
            _ => {
                return Ok(Ingested {
                    duplicate: true,
                    ..first.ingested
                });
            }
        }
    }
    files::attach(
        txn,
        workspace_id,
        inbound.attachments.iter().chain(&inbound.original),
    )?;
    let contact = contacts::find_or_create(txn, workspace_id, &inbound.contact)?;
    let open_key = key(keys::OPEN, &[workspace_id, channel_id, contact.id]);
    let threaded = answered(txn, &channel, contact.id, &inbound.thread)?;
    let open = match Grouping::of(&channel) {
        Grouping::Sender => txn.get_json::<Id>(&open_key)?,
        Grouping::Subject => open_on_subject(txn, &channel, contact.id, inbound.title.as_deref())?,
    };
    let opened = threaded.or(open).is_none();
    let mut stored = match threaded.or(open) {
        Some(id) => load_stored(txn, workspace_id, id)?,
        None => {
            let title = rules::title_of(inbound.title.as_deref(), &inbound.text);
            let route = route(txn, inbox, &channel, &inbound, contact.blocked)?;
            let created = create(txn, &channel, contact.id, title, route)?;
            txn.put_json(open_key, &created.conversation.id)?;
            created
        }
    };
    let conversation = &mut stored.conversation;
    let message = Message {
        id: txn.next_id(),
        workspace_id,
        conversation_id: conversation.id,
        direction: Direction::In,
        author: Author::Contact { id: contact.id },
        text: inbound.text,
        quoted: inbound.quoted,
        html: inbound.html,
        attachments: inbound.attachments,
        external_id: Some(inbound.external_id),
        delivery: None,
        original: inbound.original,
        automatic: inbound.automatic,
        to: inbound.to,
        cc: inbound.cc,
        left_out: inbound.left_out,
        mentions: Vec::new(),
        activity: None,
        template: None,
        edited_at: None,
        created_at: txn.now,
    };
    let ingested = Ingested {
        conversation_id: conversation.id,
        message_id: message.id,
        contact_id: contact.id,
        duplicate: false,
        opened,
    };
    txn.put_json(
        dedupe_key,
        &Deduped {
            ingested: ingested.clone(),
            digest,
        },
    )?;
    // The contact's open conversation on the conversation's own channel (which for a website
    // chat continued by email is not the mailbox the message came through).
    let its_open_key = key(
        keys::OPEN,
        &[workspace_id, conversation.channel_id, contact.id],
    );
    match rules::receive(conversation, contact.blocked, txn.now) {
        Received::Waiting => {}
        Received::Reopened => {
            if txn.get_json::<Id>(&its_open_key)?.is_none() {
                txn.put_json(its_open_key, &conversation.id)?;
            }
        }
        Received::SetAside => {
            if txn.get_json::<Id>(&its_open_key)? == Some(conversation.id) {
                txn.remove(its_open_key);
            }
        }
    }
    save_conversation(txn, &mut stored, Touch::Message(Box::new(message)))?;
    if opened && let Some(agent_id) = stored.conversation.assignee_id {
        let assigned = Activity::Assigned {
            agent_id: Some(agent_id),
        };
        save_step(txn, &mut stored, Some(assigned), Author::System)?;
    }
    Ok(ingested)
}

/// Where a contact's new conversation goes: the team and labels of the workspace's first
/// routing rule that matches its first message (the channel's default team otherwise), and the
/// team's next agent in turn when it assigns automatically (nobody, for a blocked contact).
fn route(
    txn: &mut Txn,
    inbox: &Inbox,
    channel: &Channel,
    inbound: &InboundMessage,
    blocked: bool,
) -> StoreResult<Route> {
    let workspace_id = channel.workspace_id;
    let routing = directory::routing(txn, workspace_id)?;
    let first = FirstMessage {
        channel_id: channel.id,
        sender: &inbound.contact.identity,
        subject: inbound.title.as_deref(),
        text: &inbound.text,
    };
    let rule = routing.route(&first);
    let rule_team = rule.and_then(|rule| rule.team_id).filter(|team_id| {
        txn.contains(&key(keys::TEAM, &[workspace_id, *team_id]))
            .unwrap_or(false)
    });
    let team_id = rule_team.or(channel.default_team_id);
    let assignee_id = if blocked {
        None
    } else {
        automatic_assignee(txn, inbox, workspace_id, team_id)?
    };
    Ok(Route {
        team_id,
        labels: rule.map(|rule| rule.labels.clone()).unwrap_or_default(),
        assignee_id,
    })
}

/// The conversation an inbound message answers, from the ids it names (newest first): an
/// earlier inbound message of this channel, or one of our replies, whose Message-ID carries its
/// conversation (`<sb-{message}.c{conversation}@…>`), if the message may join it
/// ([`rules::may_join`]).
fn answered(
    txn: &mut Txn,
    channel: &Channel,
    contact_id: Id,
    thread: &[String],
) -> StoreResult<Option<Id>> {
    let workspace_id = channel.workspace_id;
    for id in thread {
        let earlier = key_str(keys::DEDUPE, &[workspace_id, channel.id], id);
        let conversation_id = match txn.get_json::<Ingested>(&earlier)? {
            Some(earlier) => earlier.conversation_id,
            None => match email_ids::parse(id) {
                Some(ours) => ours.conversation,
                None => continue,
            },
        };
        let Some(stored) = txn.get_json::<StoredConversation>(&key(
            keys::CONVERSATION,
            &[workspace_id, conversation_id],
        ))?
        else {
            continue;
        };
        if rules::may_join(&stored.conversation, channel, contact_id) {
            return Ok(Some(conversation_id));
        }
    }
    Ok(None)
}

/// The contact's open conversation on the channel about `subject`, if there is one.
fn open_on_subject(
    txn: &mut Txn,
    channel: &Channel,
    contact_id: Id,
    subject: Option<&str>,
) -> StoreResult<Option<Id>> {
    let wanted = subject.unwrap_or_default();
    let workspace_id = channel.workspace_id;
    for (index_key, _) in
        Scan::scan_prefix(txn, &key(keys::BY_CONTACT, &[workspace_id, contact_id]))?
    {
        let Some(conversation_id) = keys::last_id(&index_key) else {
            continue;
        };
        let conversation = load_stored(txn, workspace_id, conversation_id)?.conversation;
        if conversation.channel_id == channel.id
            && conversation.status != ConversationStatus::Resolved
            && rules::same_subject(&conversation.title, wanted)
        {
            return Ok(Some(conversation_id));
        }
    }
    Ok(None)
}
