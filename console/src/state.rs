//! What the console knows and how each answer and event changes it: pure rules, no I/O, so
//! that the screens only draw it and the socket and calls only feed it.

use std::collections::{BTreeSet, HashMap};
use std::rc::Rc;

use switchboard_model::{
    Agent, CannedResponse, Channel, ChannelKind, ChannelKindMark, ChannelTemplates, Contact,
    Conversation, ConversationSort, ConversationStatus, Direction, Event, EventKind, Id,
    InboxCounts, Label, Me, Message, Millis, Page, Presence, Side, SignalKind, Team, ViewCounts,
};
use yew::Reducible;

use crate::i18n::Locale;

/// Which conversations the list shows, before the status filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    Mine,
    Unassigned,
    All,
    Team(Id),
}

impl View {
    /// Whether `conversation` belongs in this view for the agent `me`.
    pub fn admits(self, conversation: &Conversation, me: Id) -> bool {
        match self {
            View::Mine => conversation.assignee_id == Some(me),
            View::Unassigned => conversation.assignee_id.is_none(),
            View::All => true,
            View::Team(team) => conversation.team_id == Some(team),
        }
    }

    /// The list's query parameters for this view.
    pub fn query(self, me: Id) -> String {
        match self {
            View::Mine => format!("assignee={me}"),
            View::Unassigned => "assignee=none".into(),
            View::All => String::new(),
            View::Team(team) => format!("team_id={team}"),
        }
    }

    /// This view's counts among the gateway's.
    pub fn counts(self, counts: &InboxCounts) -> ViewCounts {
        match self {
            View::Mine => counts.mine,
            View::Unassigned => counts.unassigned,
            View::All => counts.all,
            View::Team(team) => counts.teams.get(&team).copied().unwrap_or_default(),
        }
    }
}

/// Something the agent should hear about while looking elsewhere: a customer's message in a
/// conversation of theirs (or nobody's), or a note that mentions them.
#[derive(Debug, Clone, PartialEq)]
pub struct Alert {
    /// Counts alerts, so that each one is told once.
    pub number: u64,
    pub conversation_id: Id,
    pub mention: bool,
    pub text: String,
}

/// Whether `message` in `conversation` is one agent `me` should be told about.
pub fn deserves_alert(me: Id, conversation: &Conversation, message: &Message) -> bool {
    match message.direction {
        Direction::In => {
            conversation.status != ConversationStatus::Resolved
                && conversation
                    .assignee_id
                    .is_none_or(|assignee| assignee == me)
        }
        Direction::Note => message.mentions.contains(&me),
        Direction::Out | Direction::System => false,
    }
}

/// The open conversation's messages, oldest first.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Thread {
    pub conversation_id: Id,
    pub messages: Vec<Message>,
    /// Every stored message is in `messages`.
    pub loaded: bool,
}

/// Narrows the list beyond its view and status: one channel, one label.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Filter {
    pub channel: Option<Id>,
    pub label: Option<String>,
}

impl Filter {
    pub fn admits(&self, conversation: &Conversation) -> bool {
        self.channel
            .is_none_or(|channel| conversation.channel_id == channel)
            && self
                .label
                .as_ref()
                .is_none_or(|label| conversation.labels.contains(label))
    }
}

/// A search the list shows instead of its view.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Search {
    pub query: String,
    /// The conversations found, best first; `None` while the gateway is asked.
    pub found: Option<Vec<Id>>,
}

/// What the console learnt of a channel's reply window and approved templates.
#[derive(Debug, Clone, PartialEq)]
pub enum Templates {
    Known(ChannelTemplates),
    /// The gateway could not list them: its reason, if it gave one.
    Unavailable(Option<String>),
}

/// How long a visitor's typing signal shows without a new one.
pub const TYPING_SHOWS_MS: Millis = 6_000;

#[derive(Debug, Clone, PartialEq)]
pub struct Console {
    pub me: Me,
    pub locale: Locale,
    pub agents: Rc<Vec<Agent>>,
    pub teams: Rc<Vec<Team>>,
    pub channels: Rc<Vec<Channel>>,
    /// The plugin channel kinds' titles and icons, from their manifests.
    pub kinds: Rc<Vec<ChannelKindMark>>,
    pub canned: Rc<Vec<CannedResponse>>,
    /// The workspace's catalogue of labels, for their colours.
    pub labels: Rc<Vec<Label>>,
    /// Each channel's reply window and templates, by channel id, asked for when one of its
    /// conversations first opens.
    pub templates: Rc<HashMap<Id, Templates>>,
    /// Every conversation loaded so far, by id, as the newest answer or event left it.
    pub conversations: Rc<HashMap<Id, Conversation>>,
    /// Counts the changes to `conversations`, for what follows them without comparing them.
    pub revision: u64,
    pub contacts: Rc<HashMap<Id, Contact>>,
    pub view: View,
    pub status: ConversationStatus,
    pub filter: Filter,
    pub sort: ConversationSort,
    /// Each view's open and unread conversations, as the gateway counted them last.
    pub counts: Rc<InboxCounts>,
    /// Conversations ticked in the list for a bulk action.
    pub picked: Rc<BTreeSet<Id>>,
    /// The latest thing to tell the agent about.
    pub alert: Option<Alert>,
    /// Where the current list goes on; `None` once its last page is in.
    pub next_cursor: Option<String>,
    /// Whether the current list's first page came back.
    pub list_loaded: bool,
    pub selected: Option<Id>,
    pub thread: Thread,
    /// Whether the event socket is connected.
    pub online: bool,
    /// Conversations whose contact is typing, until when.
    pub typing: Rc<HashMap<Id, Millis>>,
    pub search: Option<Search>,
}

pub enum Action {
    Directory {
        agents: Vec<Agent>,
        teams: Vec<Team>,
        channels: Vec<Channel>,
        kinds: Vec<ChannelKindMark>,
        canned: Vec<CannedResponse>,
        labels: Vec<Label>,
    },
    /// The canned responses, as the gateway lists them after one changed.
    Canned(Vec<CannedResponse>),
    /// The catalogue of labels, as the gateway lists it after one changed.
    Labels(Vec<Label>),
    /// The people and the teams, as the gateway lists them after one changed.
    People {
        agents: Vec<Agent>,
        teams: Vec<Team>,
    },
    /// A page of the list for `view`, `status`, `filter` and `sort`.
    Page {
        view: View,
        status: ConversationStatus,
        filter: Filter,
        sort: ConversationSort,
        page: Page<Conversation>,
    },
    /// The list narrowed (or widened) to `filter`.
    Filter(Filter),
    Sort(ConversationSort),
    Counts(InboxCounts),
    /// A conversation ticked (`true`) or unticked in the list.
    Pick(Id, bool),
    /// Every tick removed.
    PickNone,
    /// The agent's own profile as the gateway keeps it now.
    Me(Me),
    Show {
        view: View,
        status: ConversationStatus,
    },
    Select(Option<Id>),
    Thread {
        conversation_id: Id,
        messages: Vec<Message>,
    },
    /// A conversation as a call answered it.
    Conversation(Conversation),
    /// A channel as an admin added or changed it.
    Channel(Channel),
    /// A channel's reply window and templates, or why the gateway could not list them.
    Templates {
        channel_id: Id,
        answer: Result<ChannelTemplates, Option<String>>,
    },
    Contact(Contact),
    Contacts(Vec<Contact>),
    /// A message this agent wrote, as the gateway stored it.
    Written(Message),
    Event(Box<Event>),
    Presence(Presence, Millis),
    Online(bool),
    Locale(Locale),
    /// The agent searched for this.
    Search(String),
    /// What the gateway found for a search.
    Found {
        query: String,
        conversations: Vec<Conversation>,
    },
    /// Back to the view.
    EndSearch,
}

impl Console {
    pub fn new(me: Me, locale: Locale) -> Console {
        Console {
            me,
            locale,
            agents: Rc::default(),
            teams: Rc::default(),
            channels: Rc::default(),
            kinds: Rc::default(),
            canned: Rc::default(),
            labels: Rc::default(),
            templates: Rc::default(),
            conversations: Rc::default(),
            revision: 0,
            contacts: Rc::default(),
            view: View::Mine,
            status: ConversationStatus::Open,
            filter: Filter::default(),
            sort: ConversationSort::default(),
            counts: Rc::default(),
            picked: Rc::default(),
            alert: None,
            next_cursor: None,
            list_loaded: false,
            selected: None,
            thread: Thread::default(),
            // Said offline only once a connection failed, not while the first one opens.
            online: true,
            typing: Rc::default(),
            search: None,
        }
    }

    /// The list as it shows: the view's conversations with the chosen status, in the chosen
    /// order.
    pub fn visible(&self) -> Vec<&Conversation> {
        if let Some(search) = &self.search {
            return search
                .found
                .iter()
                .flatten()
                .filter_map(|id| self.conversations.get(id))
                .collect();
        }
        let me = self.me.agent.id;
        let mut list: Vec<&Conversation> = self
            .conversations
            .values()
            .filter(|conversation| {
                conversation.status == self.status
                    && self.view.admits(conversation, me)
                    && self.filter.admits(conversation)
            })
            .collect();
        match self.sort {
            ConversationSort::LastActivity => {
                list.sort_by_key(|conversation| std::cmp::Reverse(conversation.last_event_id))
            }
            ConversationSort::Newest => {
                list.sort_by_key(|conversation| std::cmp::Reverse(conversation.id))
            }
            ConversationSort::OldestWaiting => list.sort_by_key(|conversation| {
                (
                    conversation.waiting_since.unwrap_or(Millis::MAX),
                    conversation.id,
                )
            }),
        }
        list
    }

    /// The colour the catalogue gives the label `name`, if it has it.
    pub fn label_colour(&self, name: &str) -> Option<&str> {
        self.labels
            .iter()
            .find(|label| label.name == name)
            .map(|label| label.colour.as_str())
    }

    /// The labels of the conversations loaded, in order, for the label filter.
    pub fn labels_in_use(&self) -> Vec<String> {
        let mut labels: Vec<String> = self
            .conversations
            .values()
            .flat_map(|conversation| conversation.labels.iter().cloned())
            .chain(self.filter.label.clone())
            .collect();
        labels.sort_unstable();
        labels.dedup();
        labels
    }

    /// Open conversations of `view` with messages nobody read, as the gateway counts them.
    pub fn unread_in(&self, view: View) -> u32 {
        view.counts(&self.counts).unread
    }

    pub fn selected_conversation(&self) -> Option<&Conversation> {
        self.conversations.get(&self.selected?)
    }

    pub fn channel_kind(&self, channel_id: Id) -> Option<ChannelKind> {
        self.channels
            .iter()
            .find(|channel| channel.id == channel_id)
            .map(|channel| channel.kind)
    }

    /// The icon a plugin's manifest gives its channel kind, if any.
    pub fn kind_icon(&self, kind: Option<ChannelKind>) -> Option<&str> {
        self.kinds
            .iter()
            .find(|mark| Some(mark.kind) == kind)
            .and_then(|mark| mark.icon.as_deref())
    }

    /// Whether the templates of `channel_id` are yet to be asked for (or failed before).
    pub fn templates_wanted(&self, channel_id: Id) -> bool {
        !matches!(self.templates.get(&channel_id), Some(Templates::Known(_)))
    }

    pub fn agent(&self, agent_id: Id) -> Option<&Agent> {
        self.agents.iter().find(|agent| agent.id == agent_id)
    }

    pub fn agent_name(&self, agent_id: Id) -> Option<&str> {
        self.agent(agent_id).map(|agent| agent.name.as_str())
    }

    /// The contact's name; "Visitor" and the end of their id for a website visitor who gave
    /// none; `#id` until the contact is loaded.
    pub fn contact_name(&self, contact_id: Id) -> String {
        let Some(contact) = self.contacts.get(&contact_id) else {
            return format!("#{contact_id}");
        };
        let visitor = contact
            .identities
            .iter()
            .find(|identity| identity.kind == "webchat" && identity.value == contact.name);
        match visitor {
            Some(identity) => {
                let start = identity.value.len().saturating_sub(4);
                let tail = identity.value.get(start..).unwrap_or_default();
                format!("{} {tail}", crate::i18n::texts(self.locale).visitor)
            }
            None => contact.name.clone(),
        }
    }

    /// Whether the contact of `conversation_id` is typing at `now`.
    pub fn typing_in(&self, conversation_id: Id, now: Millis) -> bool {
        self.typing
            .get(&conversation_id)
            .is_some_and(|until| *until > now)
    }

    /// Keeps `conversation` unless a newer state of it is already known.
    fn keep(&mut self, conversation: Conversation) {
        let conversations = Rc::make_mut(&mut self.conversations);
        match conversations.get(&conversation.id) {
            Some(known) if known.last_event_id > conversation.last_event_id => {}
            _ => {
                conversations.insert(conversation.id, conversation);
                self.revision += 1;
            }
        }
    }

    /// Adds `message` to the open thread if it belongs there and is not in it yet.
    fn add_to_thread(&mut self, message: Message) {
        if self.thread.conversation_id != message.conversation_id {
            return;
        }
        let messages = &mut self.thread.messages;
        match messages.binary_search_by_key(&message.id, |known| known.id) {
            Ok(known) => messages[known] = message,
            Err(place) => messages.insert(place, message),
        }
    }

    fn apply(&mut self, event: Event) {
        match event.kind {
            EventKind::ConversationCreated(conversation)
            | EventKind::ConversationUpdated(conversation) => self.keep(conversation),
            EventKind::MessageCreated {
                conversation,
                message,
            } => {
                if message.direction == Direction::In {
                    Rc::make_mut(&mut self.typing).remove(&conversation.id);
                }
                if deserves_alert(self.me.agent.id, &conversation, &message) {
                    self.alert = Some(Alert {
                        number: self.alert.as_ref().map_or(1, |alert| alert.number + 1),
                        conversation_id: conversation.id,
                        mention: message.direction == Direction::Note,
                        text: message.text.chars().take(140).collect(),
                    });
                }
                self.keep(conversation);
                self.add_to_thread(*message);
            }
            EventKind::DeliveryUpdated {
                conversation_id,
                message_id,
                status,
            } => {
                if self.thread.conversation_id == conversation_id
                    && let Some(message) = self
                        .thread
                        .messages
                        .iter_mut()
                        .find(|message| message.id == message_id)
                {
                    message.delivery = Some(status);
                }
            }
            EventKind::MessageEdited {
                conversation_id,
                message,
            } => {
                if self.thread.conversation_id == conversation_id {
                    self.add_to_thread(*message);
                }
            }
            EventKind::ContactUpdated(contact) => {
                Rc::make_mut(&mut self.contacts).insert(contact.id, contact);
            }
            EventKind::ContactErased(erased) => {
                let contacts = Rc::make_mut(&mut self.contacts);
                erased.contact_ids.iter().for_each(|id| {
                    contacts.remove(id);
                });
                let conversations = Rc::make_mut(&mut self.conversations);
                erased.conversation_ids.iter().for_each(|id| {
                    conversations.remove(id);
                });
                if erased
                    .conversation_ids
                    .contains(&self.thread.conversation_id)
                {
                    self.thread.messages.clear();
                }
                self.revision += 1;
            }
            EventKind::AgentUpdated(agent) => self.learn_agent(agent),
        }
    }

    /// Keeps an agent's new profile, the agent's own included.
    fn learn_agent(&mut self, agent: Agent) {
        if agent.id == self.me.agent.id {
            self.me.agent = agent.clone();
        }
        let agents = Rc::make_mut(&mut self.agents);
        match agents.iter_mut().find(|known| known.id == agent.id) {
            Some(known) => *known = agent,
            None => agents.push(agent),
        }
    }

    /// The list starts again from its first page.
    fn restart_list(&mut self) {
        self.next_cursor = None;
        self.list_loaded = false;
        self.picked = Rc::default();
    }
}

impl Reducible for Console {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        let mut console = Rc::unwrap_or_clone(self);
        match action {
            Action::Directory {
                agents,
                teams,
                channels,
                kinds,
                canned,
                labels,
            } => {
                console.agents = Rc::new(agents);
                console.teams = Rc::new(teams);
                console.channels = Rc::new(channels);
                console.kinds = Rc::new(kinds);
                console.canned = Rc::new(canned);
                console.labels = Rc::new(labels);
            }
            Action::Canned(canned) => console.canned = Rc::new(canned),
            Action::Labels(labels) => console.labels = Rc::new(labels),
            Action::People { agents, teams } => {
                console.agents = Rc::new(agents);
                console.teams = Rc::new(teams);
            }
            Action::Page {
                view,
                status,
                filter,
                sort,
                page,
            } => {
                for conversation in page.items {
                    console.keep(conversation);
                }
                if view == console.view
                    && status == console.status
                    && filter == console.filter
                    && sort == console.sort
                {
                    console.list_loaded = true;
                    console.next_cursor = page.next_cursor;
                }
            }
            Action::Show { view, status } => {
                console.view = view;
                console.status = status;
                console.restart_list();
            }
            Action::Filter(filter) => {
                console.filter = filter;
                console.restart_list();
            }
            Action::Sort(sort) => {
                console.sort = sort;
                console.restart_list();
            }
            Action::Counts(counts) => console.counts = Rc::new(counts),
            Action::Pick(id, true) => {
                Rc::make_mut(&mut console.picked).insert(id);
            }
            Action::Pick(id, false) => {
                Rc::make_mut(&mut console.picked).remove(&id);
            }
            Action::PickNone => console.picked = Rc::default(),
            Action::Me(me) => {
                console.learn_agent(me.agent.clone());
                console.me = me;
            }
            Action::Select(selected) => {
                console.selected = selected;
                if let Some(id) = selected
                    && console.thread.conversation_id != id
                {
                    console.thread = Thread {
                        conversation_id: id,
                        messages: Vec::new(),
                        loaded: false,
                    };
                }
            }
            Action::Thread {
                conversation_id,
                messages,
            } => {
                if console.thread.conversation_id == conversation_id {
                    for message in messages {
                        console.add_to_thread(message);
                    }
                    console.thread.loaded = true;
                }
            }
            Action::Conversation(conversation) => console.keep(conversation),
            Action::Channel(channel) => {
                let channels = Rc::make_mut(&mut console.channels);
                match channels.iter_mut().find(|known| known.id == channel.id) {
                    Some(known) => *known = channel,
                    None => channels.push(channel),
                }
            }
            Action::Templates { channel_id, answer } => {
                let learnt = match answer {
                    Ok(known) => Some(Templates::Known(known)),
                    // What was known stays, rather than a passing failure.
                    Err(why) => console
                        .templates_wanted(channel_id)
                        .then_some(Templates::Unavailable(why)),
                };
                if let Some(learnt) = learnt {
                    Rc::make_mut(&mut console.templates).insert(channel_id, learnt);
                }
            }
            Action::Contact(contact) => {
                Rc::make_mut(&mut console.contacts).insert(contact.id, contact);
            }
            Action::Contacts(contacts) => {
                let known = Rc::make_mut(&mut console.contacts);
                for contact in contacts {
                    known.insert(contact.id, contact);
                }
            }
            Action::Written(message) => console.add_to_thread(message),
            Action::Event(event) => console.apply(*event),
            Action::Presence(presence, now) => {
                if presence.from == Side::Visitor && presence.kind == SignalKind::Typing {
                    Rc::make_mut(&mut console.typing)
                        .insert(presence.conversation_id, now + TYPING_SHOWS_MS);
                }
            }
            Action::Online(online) => console.online = online,
            Action::Locale(locale) => console.locale = locale,
            Action::Search(query) => {
                console.search = Some(Search { query, found: None });
            }
            Action::Found {
                query,
                conversations,
            } => {
                let ids = conversations.iter().map(|found| found.id).collect();
                for conversation in conversations {
                    console.keep(conversation);
                }
                if let Some(search) = &mut console.search
                    && search.query == query
                {
                    search.found = Some(ids);
                }
            }
            Action::EndSearch => console.search = None,
        }
        Rc::new(console)
    }
}
