//! Steps on a conversation (status, assignment, team, labels, snooze and its alarm, the team
//! queue's turn), each recorded in its log.

use switchboard_model::{
    Activity, Author, Conversation, ConversationStatus, Direction, Id, Message, Millis,
};

use super::{StoredConversation, Touch, automatic_assignee, load_stored, save_conversation};
use crate::domain::contacts;
use crate::domain::inbox::Inbox;
use crate::engine::txn::{Read, Txn};
use crate::keys::{self, key};
use crate::{ConversationChange, StoreError, StoreResult};

/// Opens again the snoozed conversation `id` if its time has come by `now` (it may have been
/// opened or snoozed anew since the alarm was read); `None` when it had nothing to do.
pub fn wake(
    txn: &mut Txn,
    workspace_id: Id,
    id: Id,
    now: Millis,
) -> StoreResult<Option<Conversation>> {
    let mut stored = match load_stored(txn, workspace_id, id) {
        Ok(stored) => stored,
        Err(StoreError::NotFound { .. }) => return Ok(None),
        Err(error) => return Err(error),
    };
    let conversation = &mut stored.conversation;
    let due = conversation.status == ConversationStatus::Snoozed
        && conversation.snoozed_until.is_none_or(|until| until <= now);
    if !due {
        return Ok(None);
    }
    let before = conversation.clone();
    conversation.status = ConversationStatus::Open;
    conversation.snoozed_until = None;
    record_step(txn, &mut stored, &before, Author::System)?;
    Ok(Some(stored.conversation))
}

/// What became of a conversation in a team's queue.
pub enum Queued {
    Assigned(Box<Conversation>),
    /// It no longer waits there (taken, closed, gone), or its contact is blocked.
    NotWaiting,
    /// Its team does not assign automatically, or nobody in it can take one now.
    NobodyFree,
}

/// Gives a conversation that waits unassigned in its team's queue to the team's next member
/// in turn, when the team assigns automatically and someone is available; the log says to
/// whom.
pub fn assign_queued(
    txn: &mut Txn,
    inbox: &Inbox,
    workspace_id: Id,
    id: Id,
) -> StoreResult<Queued> {
    let mut stored = match load_stored(txn, workspace_id, id) {
        Ok(stored) => stored,
        Err(StoreError::NotFound { .. }) => return Ok(Queued::NotWaiting),
        Err(error) => return Err(error),
    };
    let conversation = &stored.conversation;
    if conversation.status != ConversationStatus::Open
        || conversation.assignee_id.is_some()
        || conversation.team_id.is_none()
        || contacts::load(txn, workspace_id, conversation.contact_id)?.blocked
    {
        return Ok(Queued::NotWaiting);
    }
    let team_id = conversation.team_id;
    let Some(agent_id) = automatic_assignee(txn, inbox, workspace_id, team_id)? else {
        return Ok(Queued::NobodyFree);
    };
    let before = stored.conversation.clone();
    stored.conversation.assignee_id = Some(agent_id);
    record_step(txn, &mut stored, &before, Author::System)?;
    Ok(Queued::Assigned(Box::new(stored.conversation)))
}

/// Takes a step on a conversation; `by` took it. A step that changes what agents see (not a
/// read) is recorded in the log as a `system` message with its [`Activity`].
pub fn update(
    txn: &mut Txn,
    workspace_id: Id,
    id: Id,
    change: ConversationChange,
    by: Author,
) -> StoreResult<Conversation> {
    let mut stored = load_stored(txn, workspace_id, id)?;
    let before = stored.conversation.clone();
    let conversation = &mut stored.conversation;
    let open_key = key(
        keys::OPEN,
        &[
            workspace_id,
            conversation.channel_id,
            conversation.contact_id,
        ],
    );
    match change {
        ConversationChange::Assign(Some(agent_id)) => {
            crate::domain::directory::require_active_agent(txn, workspace_id, agent_id)?;
            conversation.assignee_id = Some(agent_id);
        }
        ConversationChange::Assign(None) => conversation.assignee_id = None,
        ConversationChange::Team(Some(team_id)) => {
            crate::domain::directory::require(txn, keys::TEAM, "team", workspace_id, team_id)?;
            conversation.team_id = Some(team_id);
        }
        ConversationChange::Team(None) => conversation.team_id = None,
        ConversationChange::Labels(labels) => conversation.labels = labels,
        ConversationChange::MarkRead => conversation.unread_count = 0,
        ConversationChange::Status(ConversationStatus::Snoozed) => {
            return Err(StoreError::Invalid(
                "a conversation is snoozed until a time: give `snoozed_until`".into(),
            ));
        }
        ConversationChange::Status(status) => {
            if status == ConversationStatus::Resolved {
                if txn.get_json::<Id>(&open_key)? == Some(id) {
                    txn.remove(open_key);
                }
                conversation.waiting_since = None;
            } else if !txn.contains(&open_key)? {
                txn.put_json(open_key, &id)?;
            }
            conversation.status = status;
            conversation.snoozed_until = None;
        }
        ConversationChange::Snooze { until } => {
            if until <= txn.now {
                return Err(StoreError::Invalid(format!(
                    "snoozed_until ({until}) is not in the future"
                )));
            }
            // A snoozed conversation still takes the contact's next message.
            if !txn.contains(&open_key)? {
                txn.put_json(open_key, &id)?;
            }
            conversation.status = ConversationStatus::Snoozed;
            conversation.snoozed_until = Some(until);
        }
    }
    record_step(txn, &mut stored, &before, by)?;
    Ok(stored.conversation)
}

/// Takes conversation `id` off agent `agent_id`, whom an admin deactivates, if it is still
/// theirs and not resolved: it goes back to the queue, unassigned, and its log says why.
pub fn requeue(txn: &mut Txn, workspace_id: Id, id: Id, agent_id: Id) -> StoreResult<()> {
    let mut stored = match load_stored(txn, workspace_id, id) {
        Ok(stored) => stored,
        Err(StoreError::NotFound { .. }) => return Ok(()),
        Err(error) => return Err(error),
    };
    let conversation = &mut stored.conversation;
    if conversation.assignee_id != Some(agent_id)
        || conversation.status == ConversationStatus::Resolved
    {
        return Ok(());
    }
    conversation.assignee_id = None;
    save_step(
        txn,
        &mut stored,
        Some(Activity::Requeued { agent_id }),
        Author::System,
    )
}

/// What a step changed of what agents see, as an activity; `None` for a read, or a step that
/// changed nothing.
fn activity(before: &Conversation, after: &Conversation) -> Option<Activity> {
    if after.assignee_id != before.assignee_id {
        Some(Activity::Assigned {
            agent_id: after.assignee_id,
        })
    } else if after.team_id != before.team_id {
        Some(Activity::Team {
            team_id: after.team_id,
        })
    } else if after.labels != before.labels {
        Some(Activity::Labelled {
            labels: after.labels.clone(),
        })
    } else if after.status != before.status || after.snoozed_until != before.snoozed_until {
        Some(Activity::Status {
            status: after.status,
            until: after.snoozed_until,
        })
    } else {
        None
    }
}

/// Saves a conversation after a step: with a `system` message recording the step in its log
/// when it changed what agents see, else as an update.
fn record_step(
    txn: &mut Txn,
    stored: &mut StoredConversation,
    before: &Conversation,
    by: Author,
) -> StoreResult<()> {
    let activity = activity(before, &stored.conversation);
    save_step(txn, stored, activity, by)
}

/// Saves a conversation after a step: with a `system` message recording `activity` in its log,
/// or as an update without one.
pub(super) fn save_step(
    txn: &mut Txn,
    stored: &mut StoredConversation,
    activity: Option<Activity>,
    by: Author,
) -> StoreResult<()> {
    let Some(activity) = activity else {
        return save_conversation(txn, stored, Touch::Updated);
    };
    let conversation = &mut stored.conversation;
    let message = Message {
        id: txn.next_id(),
        workspace_id: conversation.workspace_id,
        conversation_id: conversation.id,
        direction: Direction::System,
        author: by,
        text: activity.summary(),
        quoted: None,
        html: None,
        attachments: Vec::new(),
        external_id: None,
        delivery: None,
        original: None,
        automatic: false,
        to: Vec::new(),
        cc: Vec::new(),
        left_out: Vec::new(),
        mentions: Vec::new(),
        activity: Some(activity),
        template: None,
        edited_at: None,
        created_at: txn.now,
    };
    conversation.message_count += 1;
    save_conversation(txn, stored, Touch::Message(Box::new(message)))
}
