//! The embedded store: one sled tree on local disk, written by a group-commit writer thread
//! and read directly by any task.

mod contacts;
mod conversations;
mod delivery;
mod directory;
mod disk_room;
mod files;
mod inbox;
mod journal;
mod keys;
mod known_keys;
mod recent;
mod txn;
mod wal;

pub use wal::Salvaged;
#[cfg(fuzzing)]
pub(crate) use wal::fuzz as fuzz_write_ahead_log;
mod writer;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use async_trait::async_trait;
use serde::de::DeserializeOwned;
use switchboard_model::{
    Agent, ApiToken, Author, CannedResponse, Channel, ChannelUpdate, Contact, ContactRef,
    ContactUpdate, Conversation, ConversationFilter, DeadLetter, DeliveryStatus, Event, EventId,
    Id, Identity, InboundMessage, InboxCounts, Ingested, Message, Millis, NewApiToken,
    NewCannedResponse, NewChannel, NewContact, NewConversation, NewReply, NewTeam, Page,
    PluginState, PluginVersion, Started, TagChange, Team, TeamUpdate, Workspace, now_millis,
};

use self::inbox::Inbox;
use self::journal::{End, Journal, Segments};
use self::keys::{key, key_str};
use self::known_keys::KnownKeys;
use self::txn::{Gate, Read, Record, Scan, View};
use self::wal::Wal;
use self::writer::Writer;
use crate::{
    AgentChange, ChannelRecord, ConversationChange, DeadLetterLimits, EventBus, EventFrame,
    FilePurpose, KeptLetter, NewAgentRecord, OutboxItem, Session, Store, StoreError, StoreResult,
};

/// Switchboard's default store: sled on disk, with event bodies in a journal beside it.
pub struct SledStore {
    db: sled::Db,
    /// Read behind it, so that no read sees a group half written (see [`Gate`]).
    gate: Arc<Gate>,
    segments: Arc<Segments>,
    writer: Writer,
    /// The highest event id known to be on disk; event reads stop there.
    durable_event_id: Arc<AtomicU64>,
    inbox: Arc<Inbox>,
}

impl SledStore {
    /// Keeps what still reads of the write-ahead log of the store in `path`, which a start
    /// refused as damaged, for the next start to replay; the gateway must be stopped.
    pub fn salvage_log(path: &Path) -> StoreResult<Option<Salvaged>> {
        wal::salvage(path)
    }

    /// Opens (or creates) the store in `path`, with no disk reserve. Committed events are
    /// published to `bus`.
    pub fn open(path: &Path, bus: Arc<dyn EventBus>) -> StoreResult<SledStore> {
        Self::open_with(path, bus, 0)
    }

    /// [`SledStore::open`], keeping `min_free_bytes` free on the store's disk: files are
    /// refused under it, every other write under half of it (`StoreError::Full`).
    pub fn open_with(
        path: &Path,
        bus: Arc<dyn EventBus>,
        min_free_bytes: u64,
    ) -> StoreResult<SledStore> {
        let db = sled::Config::new()
            .path(path)
            .cache_capacity(256 * 1024 * 1024)
            .mode(sled::Mode::HighThroughput)
            // The writer's checkpoints flush sled; a timer of sled's own would only flush
            // again, at moments of its choosing.
            .flush_every_ms(None)
            .open()
            .map_err(|error| {
                StoreError::Backend(format!(
                    "cannot open the store in {}: {error}",
                    path.display()
                ))
            })?;
        let upgrade = check_format(&db)?;
        let wal = replay(&db, path)?;
        if upgrade {
            delivery::index_dead_letters(&db)?;
            set_format(&db)?;
            tracing::info!("upgraded the store to layout {}", keys::FORMAT);
        }
        let end = db
            .get(keys::META_JOURNAL_END)?
            .map(|end| End::decode(&end))
            .transpose()?;
        let journal = Journal::open(&path.join("events"), end)?;
        let segments = journal.segments();
        let next_id: Id = db.get_json(keys::META_NEXT_ID)?.unwrap_or(0);
        let durable_event_id = Arc::new(AtomicU64::new(next_id));
        let inbox = Arc::new(Inbox::rebuild(&db)?);
        let committed = {
            let (durable, inbox) = (durable_event_id.clone(), inbox.clone());
            Box::new(move |events: &[Event], frames: &[EventFrame]| {
                if let Some(last) = events.last() {
                    durable.fetch_max(last.id, Ordering::AcqRel);
                }
                inbox.record(events);
                bus.publish(frames);
            })
        };
        // Every message takes at least two ids (its own and its event's): there are at most
        // half as many message ids as ids given out.
        let known = KnownKeys::load(&db, usize::try_from(next_id / 2).unwrap_or(0))?;
        let gate = Arc::new(Gate::default());
        let writer = Writer::start(
            db.clone(),
            gate.clone(),
            writer::Disk {
                journal,
                wal,
                room: disk_room::DiskRoom::new(path.to_path_buf(), min_free_bytes),
            },
            known,
            next_id,
            committed,
        )?;
        Ok(SledStore {
            db,
            gate,
            segments,
            writer,
            durable_event_id,
            inbox,
        })
    }

    fn view(&self) -> View<'_> {
        View {
            tree: &self.db,
            segments: &self.segments,
            gate: Some(&self.gate),
        }
    }

    fn scan<T: DeserializeOwned>(&self, prefix: &[u8]) -> StoreResult<Vec<T>> {
        Scan::scan_prefix(&self.view(), prefix)?
            .into_iter()
            .map(|(_, value)| Ok(serde_json::from_slice(&value)?))
            .collect()
    }

    fn get<T: Record>(&self, key: &[u8], what: &'static str, id: Id) -> StoreResult<T> {
        self.view()
            .get_json(key)?
            .ok_or_else(|| StoreError::not_found(what, id))
    }
}

#[async_trait]
impl Store for SledStore {
    async fn create_workspace(&self, name: &str) -> StoreResult<Workspace> {
        let name = name.to_string();
        self.writer
            .write(move |txn| directory::create_workspace(txn, name))
            .await
    }

    async fn workspaces(&self) -> StoreResult<Vec<Workspace>> {
        self.scan(keys::WORKSPACE)
    }

    async fn workspace(&self, id: Id) -> StoreResult<Workspace> {
        self.get(&key(keys::WORKSPACE, &[id]), "workspace", id)
    }

    async fn create_agent(&self, workspace_id: Id, agent: NewAgentRecord) -> StoreResult<Agent> {
        self.writer
            .write(move |txn| directory::create_agent(txn, workspace_id, agent))
            .await
    }

    async fn update_agent(
        &self,
        workspace_id: Id,
        id: Id,
        change: AgentChange,
    ) -> StoreResult<Agent> {
        self.writer
            .write(move |txn| directory::update_agent(txn, workspace_id, id, change))
            .await
    }

    async fn agent(&self, workspace_id: Id, id: Id) -> StoreResult<Agent> {
        self.get(&key(keys::AGENT, &[workspace_id, id]), "agent", id)
    }

    async fn agents(&self, workspace_id: Id) -> StoreResult<Vec<Agent>> {
        self.scan(&key(keys::AGENT, &[workspace_id]))
    }

    async fn credentials(&self, email: &str) -> StoreResult<Option<(Agent, String)>> {
        directory::credentials(&self.view(), email)
    }

    async fn put_session(&self, secret_hash: [u8; 32], session: Session) -> StoreResult<()> {
        self.writer
            .write(move |txn| {
                txn.put_json(
                    key_str(keys::SESSION, &[], &hex::encode(secret_hash)),
                    &session,
                )
            })
            .await
    }

    async fn session(&self, secret_hash: [u8; 32]) -> StoreResult<Option<Session>> {
        self.view()
            .get_json(&key_str(keys::SESSION, &[], &hex::encode(secret_hash)))
    }

    async fn delete_session(&self, secret_hash: [u8; 32]) -> StoreResult<()> {
        self.writer
            .write(move |txn| {
                txn.remove(key_str(keys::SESSION, &[], &hex::encode(secret_hash)));
                Ok(())
            })
            .await
    }

    async fn create_api_token(
        &self,
        workspace_id: Id,
        agent_id: Id,
        new: NewApiToken,
        secret_hash: [u8; 32],
    ) -> StoreResult<ApiToken> {
        self.writer
            .write(move |txn| {
                directory::create_api_token(txn, workspace_id, agent_id, new, secret_hash)
            })
            .await
    }

    async fn revoke_agent_access(
        &self,
        workspace_id: Id,
        agent_id: Id,
        keep_session: Option<[u8; 32]>,
    ) -> StoreResult<()> {
        self.writer
            .write(move |txn| {
                directory::revoke_agent_access(txn, workspace_id, agent_id, keep_session)
            })
            .await
    }

    async fn api_token(&self, secret_hash: [u8; 32]) -> StoreResult<Option<ApiToken>> {
        self.view()
            .get_json(&key_str(keys::TOKEN, &[], &hex::encode(secret_hash)))
    }

    async fn api_tokens(&self, workspace_id: Id) -> StoreResult<Vec<ApiToken>> {
        let view = self.view();
        let mut tokens = Vec::new();
        for (_, secret_hash) in
            Scan::scan_prefix(&view, &key(keys::TOKEN_BY_WORKSPACE, &[workspace_id]))?
        {
            if let Some(token) =
                view.get_json(&key_str(keys::TOKEN, &[], &hex::encode(secret_hash)))?
            {
                tokens.push(token);
            }
        }
        Ok(tokens)
    }

    async fn revoke_api_token(&self, workspace_id: Id, id: Id) -> StoreResult<()> {
        self.writer
            .write(move |txn| directory::revoke_api_token(txn, workspace_id, id))
            .await
    }

    async fn create_team(&self, workspace_id: Id, team: NewTeam) -> StoreResult<Team> {
        self.writer
            .write(move |txn| directory::create_team(txn, workspace_id, team))
            .await
    }

    async fn update_team(&self, workspace_id: Id, id: Id, change: TeamUpdate) -> StoreResult<Team> {
        self.writer
            .write(move |txn| directory::update_team(txn, workspace_id, id, change))
            .await
    }

    async fn teams(&self, workspace_id: Id) -> StoreResult<Vec<Team>> {
        self.scan(&key(keys::TEAM, &[workspace_id]))
    }

    async fn create_channel(
        &self,
        workspace_id: Id,
        channel: NewChannel,
        webhook_token: Option<String>,
    ) -> StoreResult<Channel> {
        self.writer
            .write(move |txn| directory::create_channel(txn, workspace_id, channel, webhook_token))
            .await
    }

    async fn update_channel(
        &self,
        workspace_id: Id,
        id: Id,
        change: ChannelUpdate,
    ) -> StoreResult<Channel> {
        self.writer
            .write(move |txn| directory::update_channel(txn, workspace_id, id, change))
            .await
    }

    async fn channel(&self, workspace_id: Id, id: Id) -> StoreResult<Channel> {
        self.get(&key(keys::CHANNEL, &[workspace_id, id]), "channel", id)
    }

    async fn channels(&self, workspace_id: Id) -> StoreResult<Vec<Channel>> {
        self.scan(&key(keys::CHANNEL, &[workspace_id]))
    }

    async fn create_canned_response(
        &self,
        workspace_id: Id,
        canned: NewCannedResponse,
    ) -> StoreResult<CannedResponse> {
        self.writer
            .write(move |txn| directory::create_canned_response(txn, workspace_id, canned))
            .await
    }

    async fn canned_responses(&self, workspace_id: Id) -> StoreResult<Vec<CannedResponse>> {
        self.scan(&key(keys::CANNED, &[workspace_id]))
    }

    async fn delete_canned_response(&self, workspace_id: Id, id: Id) -> StoreResult<()> {
        self.writer
            .write(move |txn| directory::delete_canned_response(txn, workspace_id, id))
            .await
    }

    async fn create_contact(&self, workspace_id: Id, contact: NewContact) -> StoreResult<Contact> {
        self.writer
            .write(move |txn| contacts::create_contact(txn, workspace_id, contact))
            .await
    }

    async fn contact_by_identity(
        &self,
        workspace_id: Id,
        identity: &Identity,
    ) -> StoreResult<Option<Contact>> {
        contacts::find(&self.view(), workspace_id, identity)
    }

    async fn introduce_contact(&self, workspace_id: Id, who: ContactRef) -> StoreResult<Contact> {
        self.writer
            .write(move |txn| contacts::find_or_create(txn, workspace_id, &who))
            .await
    }

    async fn contact(&self, workspace_id: Id, id: Id) -> StoreResult<Contact> {
        contacts::load(&self.view(), workspace_id, id)
    }

    async fn update_contact(
        &self,
        workspace_id: Id,
        id: Id,
        change: ContactUpdate,
    ) -> StoreResult<Contact> {
        self.writer
            .write(move |txn| contacts::update_contact(txn, workspace_id, id, change))
            .await
    }

    async fn verify_email(&self, workspace_id: Id, id: Id, email: &str) -> StoreResult<Contact> {
        let email = email.to_string();
        self.writer
            .write(move |txn| contacts::verify_email(txn, workspace_id, id, &email))
            .await
    }

    async fn change_tags(
        &self,
        workspace_id: Id,
        id: Id,
        change: TagChange,
    ) -> StoreResult<Contact> {
        self.writer
            .write(move |txn| contacts::change_tags(txn, workspace_id, id, change))
            .await
    }

    async fn merge_contacts(&self, workspace_id: Id, into: Id, from: Id) -> StoreResult<Contact> {
        self.writer
            .write(move |txn| contacts::merge(txn, workspace_id, into, from))
            .await
    }

    async fn contacts(
        &self,
        workspace_id: Id,
        query: Option<&str>,
        cursor: Option<Id>,
        limit: usize,
    ) -> StoreResult<Page<Contact>> {
        let query = query
            .map(str::to_lowercase)
            .filter(|query| !query.trim().is_empty());
        let start = key(keys::CONTACT, &[workspace_id]);
        let end = key(keys::CONTACT, &[workspace_id, cursor.unwrap_or(Id::MAX)]);
        let mut items = Vec::new();
        let mut entries = self.db.range(start..end).rev();
        while let Some(entry) = {
            let _reading = self.gate.reading();
            entries.next()
        } {
            let contact: Contact = serde_json::from_slice(&entry?.1)?;
            let matches = query.as_ref().is_none_or(|query| {
                contact.name.to_lowercase().contains(query)
                    || contact
                        .emails
                        .iter()
                        .any(|email| email.to_lowercase().contains(query))
                    || contact
                        .phones
                        .iter()
                        .any(|phone| phone.contains(query.as_str()))
            });
            if contact.merged_into.is_none() && matches {
                items.push(contact);
                if items.len() == limit {
                    break;
                }
            }
        }
        let next_cursor = (items.len() == limit)
            .then(|| items.last().map(|c| c.id.to_string()))
            .flatten();
        Ok(Page { items, next_cursor })
    }

    async fn ingest(
        &self,
        workspace_id: Id,
        channel_id: Id,
        message: InboundMessage,
    ) -> StoreResult<Ingested> {
        let inbox = self.inbox.clone();
        self.writer
            .write(move |txn| conversations::ingest(txn, &inbox, workspace_id, channel_id, message))
            .await
    }

    async fn conversations(
        &self,
        workspace_id: Id,
        filter: &ConversationFilter,
    ) -> StoreResult<Page<Conversation>> {
        conversations::list(&self.view(), &self.inbox, workspace_id, filter)
    }

    async fn inbox_counts(&self, workspace_id: Id, agent_id: Id) -> StoreResult<InboxCounts> {
        Ok(self.inbox.counts(workspace_id, agent_id))
    }

    async fn start_conversation(
        &self,
        workspace_id: Id,
        agent_id: Id,
        new: NewConversation,
    ) -> StoreResult<Started> {
        self.writer
            .write(move |txn| conversations::start(txn, workspace_id, agent_id, new))
            .await
    }

    async fn wake_snoozed(&self, now: Millis) -> StoreResult<Vec<Conversation>> {
        let mut woken = Vec::new();
        for (workspace_id, id) in self.inbox.due(now) {
            let conversation = self
                .writer
                .write(move |txn| conversations::wake(txn, workspace_id, id, now))
                .await?;
            woken.extend(conversation);
        }
        Ok(woken)
    }

    async fn conversation(&self, workspace_id: Id, id: Id) -> StoreResult<Conversation> {
        conversations::load(&self.view(), workspace_id, id)
    }

    async fn update_conversation(
        &self,
        workspace_id: Id,
        id: Id,
        change: ConversationChange,
        by: Author,
    ) -> StoreResult<Conversation> {
        self.writer
            .write(move |txn| conversations::update(txn, workspace_id, id, change, by))
            .await
    }

    async fn add_reply(
        &self,
        workspace_id: Id,
        conversation_id: Id,
        author: Author,
        reply: NewReply,
    ) -> StoreResult<Message> {
        self.writer
            .write(move |txn| {
                conversations::add_reply(txn, workspace_id, conversation_id, author, reply)
            })
            .await
    }

    async fn message(
        &self,
        workspace_id: Id,
        conversation_id: Id,
        message_id: Id,
    ) -> StoreResult<Message> {
        let stored = conversations::load_stored(&self.view(), workspace_id, conversation_id)?;
        conversations::find_message(&self.view(), &stored, message_id)
    }

    async fn messages(
        &self,
        workspace_id: Id,
        conversation_id: Id,
        cursor: Option<Id>,
        limit: usize,
    ) -> StoreResult<Page<Message>> {
        conversations::messages(self.view(), workspace_id, conversation_id, cursor, limit)
    }

    async fn latest_messages(
        &self,
        workspace_id: Id,
        conversation_id: Id,
        limit: usize,
    ) -> StoreResult<Vec<Message>> {
        conversations::latest_messages(self.view(), workspace_id, conversation_id, limit)
    }

    async fn messages_since(
        &self,
        workspace_id: Id,
        conversation_id: Id,
        after: EventId,
        limit: usize,
    ) -> StoreResult<Vec<(EventId, Message)>> {
        conversations::messages_since(self.view(), workspace_id, conversation_id, after, limit)
    }

    async fn events_after(
        &self,
        workspace_id: Id,
        after: EventId,
        limit: usize,
    ) -> StoreResult<Vec<Event>> {
        let durable = self.durable_event_id.load(Ordering::Acquire);
        self.segments
            .after(&self.db, workspace_id, after, durable, limit)?
            .iter()
            .map(|json| Ok(serde_json::from_slice(json)?))
            .collect()
    }

    async fn claim_outbox(
        &self,
        channel_id: Id,
        holder: &str,
        lease_ms: i64,
        limit: usize,
    ) -> StoreResult<Vec<OutboxItem>> {
        // An idle channel is the common case: look first without writing, so that it costs no
        // commit. Whatever is due is claimed in a step of its own, which looks again.
        if delivery::due_items(&self.view(), channel_id, now_millis(), 1)?.is_empty() {
            return Ok(Vec::new());
        }
        let holder = holder.to_string();
        self.writer
            .write(move |txn| delivery::claim_outbox(txn, channel_id, &holder, lease_ms, limit))
            .await
    }

    async fn record_delivery(
        &self,
        item: &OutboxItem,
        status: DeliveryStatus,
        retry_at: Option<i64>,
    ) -> StoreResult<Message> {
        let item = item.clone();
        self.writer
            .write(move |txn| delivery::record_delivery(txn, &item, status, retry_at))
            .await
    }

    async fn put_dead_letter(
        &self,
        workspace_id: Id,
        channel_id: Id,
        reason: &str,
        payload: Vec<u8>,
        limits: DeadLetterLimits,
    ) -> StoreResult<KeptLetter> {
        let reason = reason.to_string();
        self.writer
            .write(move |txn| {
                delivery::put_dead_letter(txn, workspace_id, channel_id, reason, payload, limits)
            })
            .await
    }

    async fn dead_letters(
        &self,
        workspace_id: Id,
        cursor: Option<Id>,
        limit: usize,
    ) -> StoreResult<Page<DeadLetter>> {
        // Newest first, from just below the cursor, reading only as far as the page needs.
        let prefix = key(keys::DEAD_LETTER, &[workspace_id]);
        let end = match cursor {
            Some(cursor) => key(keys::DEAD_LETTER, &[workspace_id, cursor]),
            None => key(keys::DEAD_LETTER, &[workspace_id.saturating_add(1)]),
        };
        let view = self.view();
        let _reading = view.reading();
        let mut items = Vec::new();
        for entry in view.tree.range(prefix..end).rev() {
            if items.len() == limit {
                break;
            }
            let letter: DeadLetter = serde_json::from_slice(&entry?.1)?;
            if !letter.resolved {
                items.push(letter);
            }
        }
        let next_cursor = (items.len() == limit)
            .then(|| items.last().map(|letter| letter.id.to_string()))
            .flatten();
        Ok(Page { items, next_cursor })
    }

    async fn send_again(
        &self,
        workspace_id: Id,
        conversation_id: Id,
        message_id: Id,
    ) -> StoreResult<Message> {
        self.writer
            .write(move |txn| delivery::send_again(txn, workspace_id, conversation_id, message_id))
            .await
    }

    async fn fail_our_email(
        &self,
        workspace_id: Id,
        our_message_id: &str,
        reason: String,
    ) -> StoreResult<Message> {
        let our_message_id = our_message_id.to_string();
        self.writer
            .write(move |txn| delivery::fail_our_email(txn, workspace_id, &our_message_id, reason))
            .await
    }

    async fn expire_dead_letters(&self, before: i64) -> StoreResult<u64> {
        self.writer
            .write(move |txn| delivery::expire_dead_letters(txn, before))
            .await
    }

    async fn dead_letter(&self, workspace_id: Id, id: Id) -> StoreResult<(DeadLetter, Vec<u8>)> {
        delivery::dead_letter(&self.view(), workspace_id, id)
    }

    async fn record_replay(
        &self,
        workspace_id: Id,
        id: Id,
        resolved: bool,
        reason: Option<String>,
    ) -> StoreResult<DeadLetter> {
        self.writer
            .write(move |txn| delivery::record_replay(txn, workspace_id, id, resolved, reason))
            .await
    }

    async fn install_plugin(
        &self,
        workspace_id: Id,
        name: &str,
        version: PluginVersion,
    ) -> StoreResult<PluginState> {
        let name = name.to_string();
        self.writer
            .write(move |txn| directory::install_plugin(txn, workspace_id, &name, version))
            .await
    }

    async fn plugins(&self, workspace_id: Id) -> StoreResult<Vec<PluginState>> {
        self.scan(&key(keys::PLUGIN, &[workspace_id]))
    }

    async fn plugin(&self, workspace_id: Id, name: &str) -> StoreResult<PluginState> {
        self.view()
            .get_json(&key_str(keys::PLUGIN, &[workspace_id], name))?
            .ok_or_else(|| StoreError::not_found("plugin", name))
    }

    async fn update_plugin(
        &self,
        workspace_id: Id,
        name: &str,
        active_version: Option<String>,
        enabled: Option<bool>,
    ) -> StoreResult<PluginState> {
        let name = name.to_string();
        self.writer
            .write(move |txn| {
                directory::update_plugin(txn, workspace_id, &name, active_version, enabled)
            })
            .await
    }

    async fn put_channel_record(
        &self,
        workspace_id: Id,
        channel_id: Id,
        record: ChannelRecord,
        bytes: Vec<u8>,
    ) -> StoreResult<()> {
        self.writer
            .write(move |txn| {
                directory::require(txn, keys::CHANNEL, "channel", workspace_id, channel_id)?;
                txn.put(channel_record_key(workspace_id, channel_id, record), bytes);
                Ok(())
            })
            .await
    }

    async fn channel_record(
        &self,
        workspace_id: Id,
        channel_id: Id,
        record: ChannelRecord,
    ) -> StoreResult<Option<Vec<u8>>> {
        Read::get(
            &self.view(),
            &channel_record_key(workspace_id, channel_id, record),
        )
    }

    async fn plugin_kv(
        &self,
        workspace_id: Id,
        channel_id: Id,
    ) -> StoreResult<BTreeMap<String, Vec<u8>>> {
        let prefix = key(keys::PLUGIN_KV, &[workspace_id, channel_id]);
        Ok(Scan::scan_prefix(&self.view(), &prefix)?
            .into_iter()
            .map(|(name, value)| {
                (
                    String::from_utf8_lossy(&name[prefix.len()..]).into_owned(),
                    value,
                )
            })
            .collect())
    }

    async fn put_plugin_kv(
        &self,
        workspace_id: Id,
        channel_id: Id,
        writes: BTreeMap<String, Vec<u8>>,
        max_bytes: u64,
    ) -> StoreResult<()> {
        self.writer
            .write(move |txn| {
                let prefix = key(keys::PLUGIN_KV, &[workspace_id, channel_id]);
                let mut entries: BTreeMap<Vec<u8>, usize> = Scan::scan_prefix(txn, &prefix)?
                    .into_iter()
                    .map(|(name, value)| (name[prefix.len()..].to_vec(), value.len()))
                    .collect();
                for (name, value) in &writes {
                    entries.insert(name.as_bytes().to_vec(), value.len());
                }
                let size: u64 = entries
                    .iter()
                    .map(|(name, value)| (name.len() + value) as u64)
                    .sum();
                if size > max_bytes {
                    return Err(StoreError::TooLarge {
                        what: "the channel's plugin key-value store",
                        size,
                        limit: max_bytes,
                    });
                }
                for (name, value) in writes {
                    txn.put(
                        key_str(keys::PLUGIN_KV, &[workspace_id, channel_id], &name),
                        value,
                    );
                }
                Ok(())
            })
            .await
    }

    async fn put_blob(
        &self,
        workspace_id: Id,
        bytes: Vec<u8>,
        limit: u64,
        purpose: FilePurpose,
    ) -> StoreResult<String> {
        self.writer
            .write_file(move |txn| files::put_file(txn, workspace_id, bytes, limit, &purpose))
            .await
    }

    async fn blob(&self, workspace_id: Id, sha256: &str) -> StoreResult<Vec<u8>> {
        files::file(&self.view(), workspace_id, sha256)
    }

    async fn sweep_unattached_files(&self, before: i64) -> StoreResult<(u64, u64)> {
        self.writer
            .write(move |txn| files::sweep_unattached(txn, before))
            .await
    }

    fn write_health(&self) -> Result<(), String> {
        self.writer.health()
    }

    async fn acquire_lease(&self, name: &str, holder: &str, ttl_ms: i64) -> StoreResult<bool> {
        let (name, holder) = (name.to_string(), holder.to_string());
        self.writer
            .write(move |txn| delivery::acquire_lease(txn, &name, &holder, ttl_ms))
            .await
    }
}

/// Opens the write-ahead log and applies what it holds: the groups answered since the last
/// checkpoint, some of which may not have reached sled or the journal. Applying a group again
/// writes the same bytes, so replaying what had reached them changes nothing.
fn replay(db: &sled::Db, path: &Path) -> StoreResult<Wal> {
    let (mut wal, records) = Wal::open(path)?;
    if wal.len() == 0 {
        return Ok(wal);
    }
    journal::restore(&path.join("events"), &records)?;
    for record in &records {
        let writes = record
            .writes
            .iter()
            .map(|(key, value)| (key.as_slice(), value.as_deref()));
        writer::write_tree(db, writes)?;
    }
    db.flush()?;
    wal.clear()?;
    tracing::info!(groups = records.len(), "replayed the write-ahead log");
    Ok(wal)
}

/// A fresh tree gets the current layout, and so does one of layout 2 (its dead letters are
/// indexed, once the write-ahead log has been applied); a tree of another layout is refused
/// with the reason. Answers whether the tree is of layout 2.
fn check_format(db: &sled::Db) -> StoreResult<bool> {
    match db.get_json::<u64>(keys::META_FORMAT)? {
        Some(keys::FORMAT) => Ok(false),
        Some(2) => Ok(true),
        None if db.is_empty() => {
            set_format(db)?;
            Ok(false)
        }
        found => Err(StoreError::Backend(format!(
            "the store was written in layout {} and this gateway reads layout {}: start it on a new data folder",
            found.unwrap_or(1),
            keys::FORMAT
        ))),
    }
}

fn set_format(db: &sled::Db) -> StoreResult<()> {
    db.insert(keys::META_FORMAT, serde_json::to_vec(&keys::FORMAT)?)?;
    db.flush()?;
    Ok(())
}

fn channel_record_key(workspace_id: Id, channel_id: Id, record: ChannelRecord) -> Vec<u8> {
    let tag = match record {
        ChannelRecord::Secrets => keys::CHANNEL_SECRETS,
        ChannelRecord::TransportCursor => keys::TRANSPORT_CURSOR,
        ChannelRecord::AutoReplies => keys::AUTO_REPLIES,
        ChannelRecord::SentToday => keys::SENT_TODAY,
        ChannelRecord::OAuthAccess => keys::OAUTH_ACCESS,
    };
    key(tag, &[workspace_id, channel_id])
}
