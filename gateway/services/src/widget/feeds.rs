//! Live events for visitors' sockets, routed to the visitors they concern.
//!
//! One task per workspace with visitors online takes the workspace's events from the bus and
//! the agents' typing signals, parses each event once and hands what concerns a conversation
//! only to the sockets of its contact's visitors (their `webchat` identities) on its channel.
//! Which visitors a contact is, and whose a conversation is, the task reads from the store once
//! and then follows from the events (a merge moves identities); a visitor with no contact yet
//! is found by the first event of their first conversation. A socket whose queue is full, or
//! whose workspace task fell behind the bus, is told to catch up from the store.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use switchboard_model::{Contact, Conversation, Event, EventKind, Id};
use switchboard_store::{EventBus, Store, Subscription};
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::{Notify, broadcast, mpsc};

use super::{Presence, Side, SignalKind};
use crate::lock;

/// Events waiting for one socket before it must catch up from the store instead.
const QUEUE: usize = 64;
/// Contacts and conversations a workspace task keeps in mind; past that it starts over.
const KEPT: usize = 10_000;

/// Every workspace's router.
#[derive(Default)]
pub struct VisitorFeeds {
    workspaces: Mutex<HashMap<Id, Arc<Router>>>,
}

/// One channel's sockets, by visitor id.
type ChannelSockets = HashMap<String, Vec<Arc<Subscriber>>>;

/// One workspace's sockets, by channel.
#[derive(Default)]
struct Router {
    sockets: Mutex<HashMap<Id, ChannelSockets>>,
    /// Told when the last socket left: the task ends.
    retired: Notify,
}

/// What a visitor's socket is handed.
#[derive(Clone)]
pub enum Live {
    Event(Arc<Event>),
    /// An agent is typing in the visitor's conversation (by this name, if it is shown).
    Typing(Option<String>),
}

struct Subscriber {
    events: mpsc::Sender<Live>,
    /// Told when an event could not be queued.
    behind: Notify,
}

/// A visitor socket's live events; leaving is dropping it.
pub struct VisitorFeed {
    feeds: Arc<VisitorFeeds>,
    workspace_id: Id,
    channel_id: Id,
    visitor_id: String,
    router: Arc<Router>,
    subscriber: Arc<Subscriber>,
    events: mpsc::Receiver<Live>,
}

impl VisitorFeeds {
    /// Starts the live events of one visitor on one channel; events committed from now on
    /// reach [`VisitorFeed::next`].
    pub fn join(
        self: &Arc<Self>,
        bus: &dyn EventBus,
        presence: &super::PresenceHub,
        store: Arc<dyn Store>,
        workspace_id: Id,
        channel_id: Id,
        visitor_id: &str,
    ) -> VisitorFeed {
        let (sender, events) = mpsc::channel(QUEUE);
        let subscriber = Arc::new(Subscriber {
            events: sender,
            behind: Notify::new(),
        });
        let mut workspaces = lock(&self.workspaces);
        let router = workspaces
            .entry(workspace_id)
            .or_insert_with(|| {
                let router = Arc::<Router>::default();
                // Subscribed before the socket joins, so nothing after joining is missed.
                tokio::spawn(route(
                    router.clone(),
                    Directory::new(store, workspace_id),
                    bus.subscribe(workspace_id),
                    presence.subscribe(workspace_id, Side::Agent),
                ));
                router
            })
            .clone();
        lock(&router.sockets)
            .entry(channel_id)
            .or_default()
            .entry(visitor_id.to_string())
            .or_default()
            .push(subscriber.clone());
        VisitorFeed {
            feeds: self.clone(),
            workspace_id,
            channel_id,
            visitor_id: visitor_id.to_string(),
            router,
            subscriber,
            events,
        }
    }
}

impl VisitorFeed {
    /// The next event or signal of this visitor's conversations; `None` when some could not
    /// be queued, and the socket must read what it missed from the store (later ones still
    /// follow here).
    pub async fn next(&mut self) -> Option<Live> {
        tokio::select! {
            biased;
            () = self.subscriber.behind.notified() => None,
            event = self.events.recv() => event,
        }
    }
}

impl Drop for VisitorFeed {
    fn drop(&mut self) {
        let mut workspaces = lock(&self.feeds.workspaces);
        let mut sockets = lock(&self.router.sockets);
        if let Some(visitors) = sockets.get_mut(&self.channel_id) {
            if let Some(subscribers) = visitors.get_mut(&self.visitor_id) {
                subscribers.retain(|subscriber| !Arc::ptr_eq(subscriber, &self.subscriber));
                if subscribers.is_empty() {
                    visitors.remove(&self.visitor_id);
                }
            }
            if visitors.is_empty() {
                sockets.remove(&self.channel_id);
            }
        }
        if sockets.is_empty() {
            self.router.retired.notify_one();
            workspaces.remove(&self.workspace_id);
        }
    }
}

/// A workspace's task: each event and typing signal that concerns a conversation to its
/// contact's visitors.
async fn route(
    router: Arc<Router>,
    mut directory: Directory,
    mut feed: Subscription,
    mut presence: broadcast::Receiver<Presence>,
) {
    let mut presence_open = true;
    loop {
        let (conversation, live) = tokio::select! {
            biased;
            () = router.retired.notified() => return,
            frame = feed.recv() => match frame {
                Ok(frame) => {
                    let Ok(event) = serde_json::from_str::<Event>(&frame.json) else {
                        continue;
                    };
                    let Some(conversation) = directory.learn(&event.kind) else {
                        continue;
                    };
                    (conversation, Live::Event(Arc::new(event)))
                }
                Err(RecvError::Lagged(_)) => {
                    router.all_behind();
                    continue;
                }
                Err(RecvError::Closed) => return,
            },
            // A typing signal is a hint: one missed while this task was busy is not sent late.
            signal = presence.recv(), if presence_open => match signal {
                Ok(signal) if signal.kind == SignalKind::Typing => {
                    let Some(conversation) = directory.conversation(signal.conversation_id).await else {
                        continue;
                    };
                    (conversation, Live::Typing(signal.author))
                }
                Ok(_) | Err(RecvError::Lagged(_)) => continue,
                Err(RecvError::Closed) => {
                    presence_open = false;
                    continue;
                }
            },
        };
        let (channel_id, contact_id) = conversation;
        if router.has_channel(channel_id) {
            let visitors = directory.visitors(contact_id).await;
            router.deliver(channel_id, visitors, live);
        }
    }
}

/// Whose a conversation is and which visitors a contact is, as one workspace task knows it.
struct Directory {
    store: Arc<dyn Store>,
    workspace_id: Id,
    /// A conversation's channel and contact.
    conversations: HashMap<Id, (Id, Id)>,
    /// A contact's `webchat` identities.
    contacts: HashMap<Id, Vec<String>>,
}

impl Directory {
    fn new(store: Arc<dyn Store>, workspace_id: Id) -> Directory {
        Directory {
            store,
            workspace_id,
            conversations: HashMap::new(),
            contacts: HashMap::new(),
        }
    }

    /// Takes in what an event tells; the channel and contact of the conversation it concerns.
    fn learn(&mut self, kind: &EventKind) -> Option<(Id, Id)> {
        match kind {
            EventKind::ContactUpdated(contact) => {
                keep(&mut self.contacts, contact.id, webchat_ids(contact));
                None
            }
            EventKind::MessageCreated { conversation, .. }
            | EventKind::ConversationUpdated(conversation) => Some(self.note(conversation)),
            _ => None,
        }
    }

    fn note(&mut self, conversation: &Conversation) -> (Id, Id) {
        let whose = (conversation.channel_id, conversation.contact_id);
        keep(&mut self.conversations, conversation.id, whose);
        whose
    }

    async fn conversation(&mut self, conversation_id: Id) -> Option<(Id, Id)> {
        if let Some(whose) = self.conversations.get(&conversation_id) {
            return Some(*whose);
        }
        let conversation = self
            .store
            .conversation(self.workspace_id, conversation_id)
            .await
            .ok()?;
        Some(self.note(&conversation))
    }

    async fn visitors(&mut self, contact_id: Id) -> &[String] {
        if !self.contacts.contains_key(&contact_id) {
            let ids = match self.store.contact(self.workspace_id, contact_id).await {
                Ok(contact) => webchat_ids(&contact),
                Err(_) => Vec::new(),
            };
            keep(&mut self.contacts, contact_id, ids);
        }
        &self.contacts[&contact_id]
    }
}

/// Remembers `value`, forgetting everything once [`KEPT`] entries are held.
fn keep<V>(map: &mut HashMap<Id, V>, key: Id, value: V) {
    if map.len() >= KEPT && !map.contains_key(&key) {
        map.clear();
    }
    map.insert(key, value);
}

impl Router {
    fn has_channel(&self, channel_id: Id) -> bool {
        lock(&self.sockets).contains_key(&channel_id)
    }

    fn deliver(&self, channel_id: Id, visitors: &[String], live: Live) {
        let sockets = lock(&self.sockets);
        let Some(on_channel) = sockets.get(&channel_id) else {
            return;
        };
        // A signal that cannot wait is dropped; a missed event is read from the store.
        let missed_is_read_later = matches!(live, Live::Event(_));
        for subscriber in visitors
            .iter()
            .filter_map(|visitor| on_channel.get(visitor))
            .flatten()
        {
            if subscriber.events.try_send(live.clone()).is_err() && missed_is_read_later {
                subscriber.behind.notify_one();
            }
        }
    }

    fn all_behind(&self) {
        for subscriber in lock(&self.sockets)
            .values()
            .flat_map(|v| v.values())
            .flatten()
        {
            subscriber.behind.notify_one();
        }
    }
}

fn webchat_ids(contact: &Contact) -> Vec<String> {
    super::visitor_ids(contact).map(str::to_string).collect()
}
