//! The store against its contract, on both engines: idempotent ingest, threading of
//! conversations, the event log, workspace isolation, merging, the outbox; on sled also
//! durability across a reopen, its write-ahead log and its journal.

use std::panic::AssertUnwindSafe;
use std::path::Path;
use std::sync::Arc;

use futures_util::FutureExt;

use switchboard_model::{
    Attachment, Author, ChannelKind, ContactRef, ConversationFilter, ConversationStatus,
    DeliveryStatus, EventKind, Id, Identity, InboundMessage, NewChannel, NewContact, NewReply,
    Role,
};
use switchboard_store::prelude::*;
use switchboard_store::{
    ConversationChange, EventBus, FilePurpose, InProcessBus, NewAgentRecord, OutboxItem,
    RecordStore, StoreError, UploadQuota,
};

/// The engine a scenario's store runs on.
enum Engine {
    Sled,
    /// A schema of its own in a private PostgreSQL: the URL that selects it.
    Postgres(String),
}

impl Engine {
    /// A fresh schema in `server` for scenario number `n`.
    fn postgres(server: &switchboard_e2e::scale_rig::Postgres, n: usize) -> Engine {
        server
            .psql("switchboard", &format!("CREATE SCHEMA scenario_{n}"))
            .expect("create a schema");
        Engine::Postgres(format!(
            "{}?options=-csearch_path%3Dscenario_{n}",
            server.url
        ))
    }

    /// A store on this engine (sled in `dir`).
    fn open(&self, dir: &Path, bus: Arc<dyn EventBus>) -> RecordStore {
        match self {
            Engine::Sled => RecordStore::open(dir, bus).expect("open store"),
            Engine::Postgres(url) => RecordStore::open_postgres(url, bus).expect("open store"),
        }
    }
}

/// The contract's scenarios: on sled each is a test of its own; on PostgreSQL they run one
/// after another against one private server, each in a schema of its own, and every one that
/// fails is named.
macro_rules! on_both_engines {
    ($($scenario:ident),* $(,)?) => {
        mod on_sled {
            $(
                #[tokio::test]
                async fn $scenario() {
                    super::$scenario(super::Engine::Sled).await;
                }
            )*
        }

        #[tokio::test(flavor = "multi_thread")]
        async fn the_contract_holds_on_postgresql() {
            let server = switchboard_e2e::scale_rig::Postgres::start().expect("start PostgreSQL");
            let mut failed = Vec::new();
            let mut n = 0;
            $(
                n += 1;
                let engine = Engine::postgres(&server, n);
                if AssertUnwindSafe($scenario(engine)).catch_unwind().await.is_err() {
                    failed.push(stringify!($scenario));
                }
            )*
            assert!(failed.is_empty(), "failed on PostgreSQL: {failed:?}");
        }
    };
}

on_both_engines![
    a_reused_message_id_with_other_content_is_another_email_but_the_same_api_message,
    a_mailbox_grouped_by_subject_gives_each_subject_its_own_conversation,
    ingest_is_idempotent_by_external_id,
    same_sender_appends_until_the_conversation_is_resolved,
    the_newest_messages_a_page_after_a_cursor_and_an_old_message_come_from_any_chunk,
    events_come_in_order_and_only_to_their_workspace,
    another_workspace_sees_nothing,
    concurrent_writers_share_commits_and_lose_nothing,
    merging_moves_identities_and_conversations,
    replies_wait_in_the_outbox_until_delivered,
    delivery_status_reaches_the_message,
    a_lease_belongs_to_one_holder_until_it_expires,
    a_node_that_stops_hands_its_leases_and_claims_over_at_once,
    blobs_are_content_addressed_and_limited,
    visitors_uploads_count_against_daily_quotas_and_files_no_message_names_are_swept,
    events_are_found_across_many_groups_and_pages,
    a_visitor_gets_the_name_and_email_they_give_but_never_someone_elses_contact,
    a_channels_plugin_store_keeps_writes_only_within_its_quota,
    a_channel_keeps_its_newest_dead_letters_within_its_room_and_age,
    status_reports_find_a_reply_by_its_provider_id_and_only_move_it_forward,
    a_reply_to_a_contact_unreachable_on_the_channel_is_refused_with_the_reason,
    custom_fields_a_channel_tells_are_kept_on_the_contact_and_bounded,
    an_answer_naming_our_reply_joins_its_conversation_on_another_channel_only_for_its_contact,
];

/// Two nodes on one PostgreSQL, four writers on each, ingesting side by side while a client
/// of the first node keeps catching up by event id: it meets every event once and in order
/// (none commits late under an id it already passed), and each node's live feed carries both
/// nodes' events, once each, in the same order.
#[tokio::test(flavor = "multi_thread")]
async fn two_nodes_on_postgresql_give_every_event_once_in_id_order() {
    let server = switchboard_e2e::scale_rig::Postgres::start().expect("start PostgreSQL");
    let engine = Engine::postgres(&server, 0);
    let dir = tempfile::tempdir().expect("temp dir");
    let (bus_a, bus_b) = (
        Arc::new(InProcessBus::new(100_000)),
        Arc::new(InProcessBus::new(100_000)),
    );
    let a = Arc::new(engine.open(dir.path(), bus_a.clone()));
    let b = Arc::new(engine.open(dir.path(), bus_b.clone()));
    let (workspace, channel, _) = seed(&a, "Acme").await;
    let (mut live_a, mut live_b) = (bus_a.subscribe(workspace), bus_b.subscribe(workspace));
    let mut writers = Vec::new();
    for writer in 0..8 {
        let node = if writer % 2 == 0 {
            a.clone()
        } else {
            b.clone()
        };
        writers.push(tokio::spawn(async move {
            for n in 0..60 {
                let from = format!("c{}@example.com", n % 6);
                let message = inbound(&from, &format!("w{writer}-{n}"), "hola");
                node.ingest(workspace, channel, message)
                    .await
                    .expect("ingest");
            }
        }));
    }
    let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let client = {
        let (a, done) = (a.clone(), done.clone());
        tokio::spawn(async move {
            let mut seen = Vec::new();
            loop {
                let finished = done.load(std::sync::atomic::Ordering::Acquire);
                let after = seen.last().copied().unwrap_or(0);
                let page = a.events_after(workspace, after, 50).await.expect("events");
                seen.extend(page.iter().map(|event| event.id));
                if page.is_empty() && finished {
                    return seen;
                }
            }
        })
    };
    for writer in writers {
        writer.await.expect("writer");
    }
    done.store(true, std::sync::atomic::Ordering::Release);
    let seen = client.await.expect("client");
    let mut all = Vec::new();
    loop {
        let after = all.last().copied().unwrap_or(0);
        let page = b.events_after(workspace, after, 500).await.expect("events");
        if page.is_empty() {
            break;
        }
        all.extend(page.iter().map(|event| event.id));
    }
    assert!(
        all.len() >= 480,
        "every message has its event: {}",
        all.len()
    );
    assert_eq!(
        seen, all,
        "the catching-up client met every event, in order"
    );
    for (node, feed) in [("first", &mut live_a), ("second", &mut live_b)] {
        let mut live = Vec::new();
        while live.len() < all.len() {
            let frame = tokio::time::timeout(std::time::Duration::from_secs(10), feed.recv())
                .await
                .unwrap_or_else(|_| panic!("the {node} node's feed stops"))
                .expect("a frame");
            live.push(frame.id);
        }
        assert_eq!(
            live, all,
            "the {node} node's live feed, every event once in id order"
        );
    }
    // Both nodes wrote to the same six conversations: neither lost the other's messages
    // (a writer that kept what it read before the other node wrote would overwrite them).
    for node in [&a, &b] {
        let filter = ConversationFilter {
            limit: Some(100),
            ..Default::default()
        };
        let page = node.conversations(workspace, &filter).await.expect("list");
        assert_eq!(page.items.len(), 6);
        let count: u64 = page.items.iter().map(|c| c.message_count).sum();
        assert_eq!(count, 480, "every message counted in its conversation");
        for conversation in &page.items {
            let messages = node
                .all_messages(workspace, conversation.id)
                .await
                .expect("messages");
            assert_eq!(messages.len() as u64, conversation.message_count);
        }
    }
}

struct Fixture {
    _dir: tempfile::TempDir,
    store: RecordStore,
    bus: Arc<InProcessBus>,
    workspace: Id,
    channel: Id,
    agent: Id,
}

async fn fixture(engine: &Engine) -> Fixture {
    let dir = tempfile::tempdir().expect("temp dir");
    let bus = Arc::new(InProcessBus::new(1024));
    let store = engine.open(dir.path(), bus.clone());
    let (workspace, channel, agent) = seed(&store, "Acme").await;
    Fixture {
        _dir: dir,
        store,
        bus,
        workspace,
        channel,
        agent,
    }
}

impl Fixture {
    /// Ingests an email-like inbound message into the fixture's workspace and channel.
    async fn ingest(
        &self,
        from: &str,
        external_id: &str,
        text: &str,
    ) -> switchboard_model::Ingested {
        self.ingest_from(sender(from), external_id, text).await
    }

    /// Ingests a message from `who` into the fixture's workspace and channel.
    async fn ingest_from(
        &self,
        who: ContactRef,
        external_id: &str,
        text: &str,
    ) -> switchboard_model::Ingested {
        self.store
            .ingest(
                self.workspace,
                self.channel,
                InboundMessage::text(who, external_id, text),
            )
            .await
            .expect("ingest")
    }

    async fn contact(&self, id: Id) -> switchboard_model::Contact {
        self.store
            .contact(self.workspace, id)
            .await
            .expect("contact")
    }
}

async fn seed(store: &RecordStore, name: &str) -> (Id, Id, Id) {
    let workspace = store.create_workspace(name).await.expect("workspace").id;
    let channel = NewChannel::new(ChannelKind::API, "API");
    let channel = store
        .create_channel(workspace, channel, None)
        .await
        .expect("channel")
        .id;
    let agent = NewAgentRecord {
        name: "Bea".into(),
        email: format!("bea@{}.test", name.to_lowercase()),
        role: Role::Agent,
        password_hash: "x".into(),
        must_choose_password: false,
    };
    let agent = store
        .create_agent(workspace, agent)
        .await
        .expect("agent")
        .id;
    (workspace, channel, agent)
}

/// An agent's reply to the contact, as typed.
fn agent_reply(text: &str) -> NewReply {
    NewReply {
        template: None,
        mentions: Vec::new(),
        text: text.into(),
        attachments: Vec::new(),
        private: false,
    }
}

/// An agent's private note.
fn private_note(text: &str) -> NewReply {
    NewReply {
        private: true,
        ..agent_reply(text)
    }
}

/// Someone who writes by email.
fn sender(from: &str) -> ContactRef {
    ContactRef {
        identity: Identity::new("email", from),
        name: Some(from.into()),
        email: None,
        phone: None,
        custom_fields: Default::default(),
    }
}

fn inbound(from: &str, external_id: &str, text: &str) -> InboundMessage {
    InboundMessage::text(sender(from), external_id, text)
}

async fn a_reused_message_id_with_other_content_is_another_email_but_the_same_api_message(
    engine: Engine,
) {
    let f = fixture(&engine).await;
    let mailbox = f
        .store
        .create_channel(
            f.workspace,
            NewChannel::new(ChannelKind::EMAIL, "Ventas"),
            None,
        )
        .await
        .expect("email channel")
        .id;
    let email = async |text: &str| {
        f.store
            .ingest(
                f.workspace,
                mailbox,
                inbound("ana@example.com", "<CAF-1@mail.test>", text),
            )
            .await
            .expect("ingest")
    };
    let first = email("Hola").await;
    let again = email("Hola").await;
    assert!(again.duplicate && again.message_id == first.message_id);
    // A broken mailer gives another email the same Message-ID: it is kept, once.
    let other = email("Otro pedido").await;
    assert!(
        !other.duplicate,
        "a different email under a known id is stored"
    );
    assert_ne!(other.message_id, first.message_id);
    let other_again = email("Otro pedido").await;
    assert!(other_again.duplicate && other_again.message_id == other.message_id);
    let texts: Vec<String> = f
        .store
        .messages(f.workspace, first.conversation_id, None, 50)
        .await
        .expect("messages")
        .items
        .into_iter()
        .map(|message| message.text)
        .collect();
    assert_eq!(texts, ["Hola", "Otro pedido"]);

    // Through the API, the same id is the same message whatever it says: a client's retry.
    let posted = f.ingest("ana@example.com", "m-1", "Hola").await;
    let retried = f.ingest("ana@example.com", "m-1", "Hola otra vez").await;
    assert!(retried.duplicate && retried.message_id == posted.message_id);
}

async fn a_mailbox_grouped_by_subject_gives_each_subject_its_own_conversation(engine: Engine) {
    let f = fixture(&engine).await;
    let mailbox = |settings: serde_json::Value| {
        let mut channel = NewChannel::new(ChannelKind::EMAIL, "Pedidos");
        channel.settings = settings;
        f.store.create_channel(f.workspace, channel, None)
    };
    let by_subject = mailbox(serde_json::json!({ "grouping": "subject" }))
        .await
        .expect("channel")
        .id;
    let by_sender = mailbox(serde_json::json!({})).await.expect("channel").id;
    let email = async |channel: Id, id: &str, subject: &str| {
        let mut message = inbound("ana@example.com", id, "Hola");
        message.title = Some(subject.into());
        f.store
            .ingest(f.workspace, channel, message)
            .await
            .expect("ingest")
            .conversation_id
    };
    let first_order = email(by_subject, "<1@mail.test>", "Pedido 4711").await;
    let second_order = email(by_subject, "<2@mail.test>", "Pedido 4712").await;
    assert_ne!(
        first_order, second_order,
        "a new subject starts a new conversation"
    );
    let follow_up = email(by_subject, "<3@mail.test>", "RE: Fwd:  pedido 4711").await;
    assert_eq!(
        follow_up, first_order,
        "the same subject, replied to, joins its conversation"
    );
    // A reply names its thread: it joins that conversation whatever its subject says.
    let mut answer = inbound("ana@example.com", "<6@mail.test>", "Una pregunta más");
    answer.title = Some("Otra cosa".into());
    answer.thread = vec!["<2@mail.test>".into()];
    let answered = f
        .store
        .ingest(f.workspace, by_subject, answer)
        .await
        .expect("ingest")
        .conversation_id;
    assert_eq!(answered, second_order, "a reply joins its own thread");

    // The seeds' rule stays the default: one open conversation per sender.
    let one = email(by_sender, "<4@mail.test>", "Pedido 4711").await;
    let same = email(by_sender, "<5@mail.test>", "Pedido 4712").await;
    assert_eq!(one, same);
}

async fn ingest_is_idempotent_by_external_id(engine: Engine) {
    let f = fixture(&engine).await;
    let first = f.ingest("ana@example.com", "m-1", "Hola").await;
    let again = f
        .store
        .ingest(
            f.workspace,
            f.channel,
            inbound("ana@example.com", "m-1", "Hola"),
        )
        .await
        .expect("ingest again");
    assert!(!first.duplicate);
    assert!(again.duplicate);
    assert_eq!(first.message_id, again.message_id);
    let messages = f
        .store
        .messages(f.workspace, first.conversation_id, None, 50)
        .await
        .expect("messages");
    assert_eq!(messages.items.len(), 1);
}

async fn same_sender_appends_until_the_conversation_is_resolved(engine: Engine) {
    let f = fixture(&engine).await;
    let one = f.ingest("Ana@Example.com", "m-1", "Hola").await;
    let two = f.ingest("ana@example.com ", "m-2", "¿Hay alguien?").await;
    assert_eq!(
        one.conversation_id, two.conversation_id,
        "the identity is matched case-insensitively"
    );
    assert_eq!(one.contact_id, two.contact_id);
    let conversation = f
        .store
        .conversation(f.workspace, one.conversation_id)
        .await
        .expect("conversation");
    assert_eq!(conversation.unread_count, 2);
    assert_eq!(conversation.title, "Hola");

    f.store
        .update_conversation(
            f.workspace,
            one.conversation_id,
            ConversationChange::Status(ConversationStatus::Resolved),
            Author::System,
        )
        .await
        .expect("resolve");
    let three = f.ingest("ana@example.com", "m-3", "Otra cosa").await;
    assert_ne!(
        three.conversation_id, one.conversation_id,
        "a resolved conversation is not reopened by new mail"
    );
    assert_eq!(three.contact_id, one.contact_id);
}

async fn the_newest_messages_a_page_after_a_cursor_and_an_old_message_come_from_any_chunk(
    engine: Engine,
) {
    let f = fixture(&engine).await;
    // 100 messages: three full chunks of references and four recent ones.
    let mut conversation = 0;
    for n in 0..100 {
        conversation = f
            .ingest(
                "ana@example.com",
                &format!("m-{n}"),
                &format!("mensaje {n}"),
            )
            .await
            .conversation_id;
    }
    let texts = |messages: Vec<switchboard_model::Message>| -> Vec<String> {
        messages.into_iter().map(|message| message.text).collect()
    };
    let expected = |range: std::ops::Range<usize>| -> Vec<String> {
        range.map(|n| format!("mensaje {n}")).collect()
    };
    for (limit, newest) in [(3, 97..100), (4, 96..100), (40, 60..100), (500, 0..100)] {
        let messages = f
            .store
            .latest_messages(f.workspace, conversation, limit)
            .await
            .expect("latest");
        assert_eq!(texts(messages), expected(newest), "the newest {limit}");
    }
    // Since an event: what came after it, bounded by the limit, with the events' ids.
    let all_with_events = f
        .store
        .messages_since(f.workspace, conversation, 0, 500)
        .await
        .expect("since the start");
    assert_eq!(all_with_events.len(), 100);
    for (from, limit, newest) in [
        (90, 500, 91..100),
        (10, 500, 11..100),
        (10, 5, 95..100),
        (99, 500, 100..100),
    ] {
        let after = all_with_events[from].0;
        let since = f
            .store
            .messages_since(f.workspace, conversation, after, limit)
            .await
            .expect("since");
        assert!(since.iter().all(|(event_id, _)| *event_id > after));
        let messages = since.into_iter().map(|(_, message)| message).collect();
        assert_eq!(
            texts(messages),
            expected(newest),
            "after message {from}, at most {limit}"
        );
    }
    // Page after page (a binary search finds each page's first chunk), and one old message.
    let everything = f
        .store
        .all_messages(f.workspace, conversation)
        .await
        .expect("all");
    let mut paged = Vec::new();
    let mut cursor = None;
    loop {
        let page = f
            .store
            .messages(f.workspace, conversation, cursor, 7)
            .await
            .expect("page");
        cursor = page.items.last().map(|message| message.id);
        let last_page = page.next_cursor.is_none();
        paged.extend(page.items);
        if last_page {
            break;
        }
    }
    assert_eq!(texts(paged), expected(0..100));
    let fifth = &everything[4];
    let found = f
        .store
        .message(f.workspace, conversation, fifth.id)
        .await
        .expect("an old message");
    assert_eq!(found.text, "mensaje 4");
    assert_eq!(texts(everything), expected(0..100));
}

async fn events_come_in_order_and_only_to_their_workspace(engine: Engine) {
    let f = fixture(&engine).await;
    let (other_workspace, other_channel, _) = seed(&f.store, "Other").await;
    let mut live = f.bus.subscribe(f.workspace);
    f.ingest("ana@example.com", "m-1", "uno").await;
    f.store
        .ingest(
            other_workspace,
            other_channel,
            inbound("ana@example.com", "m-1", "secret"),
        )
        .await
        .expect("ingest");
    f.ingest("ana@example.com", "m-2", "dos").await;

    let events = f
        .store
        .events_after(f.workspace, 0, 100)
        .await
        .expect("events");
    assert!(events.windows(2).all(|pair| pair[0].id < pair[1].id));
    assert!(events.iter().all(|event| event.workspace_id == f.workspace));
    let texts: Vec<&str> = events
        .iter()
        .filter_map(|event| match &event.kind {
            EventKind::MessageCreated { message, .. } => Some(message.text.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(texts, ["uno", "dos"]);

    let mut live_ids = Vec::new();
    while let Ok(frame) = live.try_recv() {
        assert!(!frame.json.contains("secret"));
        live_ids.push(frame.id);
    }
    assert_eq!(
        live_ids,
        events.iter().map(|event| event.id).collect::<Vec<_>>()
    );

    let after = events[1].id;
    let rest = f
        .store
        .events_after(f.workspace, after, 100)
        .await
        .expect("events");
    assert_eq!(
        rest.first().map(|event| event.id),
        events.get(2).map(|event| event.id)
    );
}

async fn another_workspace_sees_nothing(engine: Engine) {
    let f = fixture(&engine).await;
    let (other_workspace, _, _) = seed(&f.store, "Other").await;
    let ingested = f.ingest("ana@example.com", "m-1", "Hola").await;
    let not_found = f
        .store
        .conversation(other_workspace, ingested.conversation_id)
        .await;
    assert!(
        matches!(not_found, Err(StoreError::NotFound { .. })),
        "{not_found:?}"
    );
    assert!(matches!(
        f.store.contact(other_workspace, ingested.contact_id).await,
        Err(StoreError::NotFound { .. })
    ));
    assert!(
        f.store
            .conversations(other_workspace, &ConversationFilter::default())
            .await
            .expect("list")
            .items
            .is_empty()
    );
    let reply = agent_reply("hi");
    assert!(
        f.store
            .add_reply(
                other_workspace,
                ingested.conversation_id,
                Author::Agent { id: f.agent },
                reply
            )
            .await
            .is_err()
    );
    assert!(
        f.store
            .ingest(
                other_workspace,
                f.channel,
                inbound("x@example.com", "m-9", "x")
            )
            .await
            .is_err()
    );
}

async fn concurrent_writers_share_commits_and_lose_nothing(engine: Engine) {
    let f = fixture(&engine).await;
    let store = Arc::new(f.store);
    let mut tasks = Vec::new();
    for writer in 0..8 {
        let store = store.clone();
        let (workspace, channel) = (f.workspace, f.channel);
        tasks.push(tokio::spawn(async move {
            let mut ids = Vec::new();
            for n in 0..250 {
                let from = format!("c{}@example.com", n % 10);
                let message = inbound(&from, &format!("w{writer}-{n}"), "hola");
                ids.push(
                    store
                        .ingest(workspace, channel, message)
                        .await
                        .expect("ingest")
                        .message_id,
                );
            }
            ids
        }));
    }
    let mut all = Vec::new();
    for task in tasks {
        all.extend(task.await.expect("writer"));
    }
    let count = all.len();
    all.sort_unstable();
    all.dedup();
    assert_eq!(all.len(), count, "every message got its own id");
    assert_eq!(count, 2000);
    let page = store
        .conversations(
            f.workspace,
            &ConversationFilter {
                limit: Some(200),
                ..Default::default()
            },
        )
        .await
        .expect("list");
    assert_eq!(page.items.len(), 10, "one conversation per sender");
    assert_eq!(
        page.items.iter().map(|c| c.message_count).sum::<u64>(),
        2000
    );
}

/// Ana's email `external_id` with `text`, into `workspace` and `channel`.
async fn ingest_as_ana(
    store: &RecordStore,
    workspace: Id,
    channel: Id,
    external_id: &str,
    text: &str,
) -> switchboard_model::Ingested {
    store
        .ingest(
            workspace,
            channel,
            inbound("ana@example.com", external_id, text),
        )
        .await
        .expect("ingest")
}

/// The texts of a conversation's first 50 messages.
async fn texts(store: &RecordStore, workspace: Id, conversation: Id) -> Vec<String> {
    let page = store
        .messages(workspace, conversation, None, 50)
        .await
        .expect("messages");
    page.items.into_iter().map(|message| message.text).collect()
}

/// Opens the store in `dir` again once the previous one has let go of it (its writer thread
/// may hold the database for a moment after the store is dropped).
/// The store's sled tree itself, once the store that had it open let go of it.
async fn raw_tree(dir: &std::path::Path) -> sled::Db {
    let mut attempts = 0;
    loop {
        match sled::open(dir) {
            Ok(tree) => return tree,
            Err(error) if attempts == 500 => panic!("the tree stays locked: {error}"),
            Err(_) => attempts += 1,
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

async fn reopen(dir: &std::path::Path) -> RecordStore {
    loop {
        match RecordStore::open(dir, Arc::new(InProcessBus::new(16))) {
            Ok(store) => return store,
            Err(_) => tokio::time::sleep(std::time::Duration::from_millis(20)).await,
        }
    }
}

fn new_webhook(url: &str) -> switchboard_model::NewWebhook {
    switchboard_model::NewWebhook {
        url: url.into(),
        events: vec![switchboard_model::WebhookEvent::MessageCreated],
        active: true,
    }
}

/// A webhook's queued delivery and its workspace's cursor outlive the store; events are told
/// once, a node that moves a cursor it read before another did is refused, and a claimed
/// delivery is another node's only once its lease ran out.
#[tokio::test]
async fn webhook_deliveries_wait_in_the_queue_across_a_reopen() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (workspace, _, ingested) = first_run(dir.path()).await;
    let store = reopen(dir.path()).await;
    let webhook = store
        .create_webhook(
            workspace,
            new_webhook("https://crm.example/hook"),
            vec![1, 2, 3],
        )
        .await
        .expect("a webhook");
    let cursor = store
        .webhook_cursor(workspace)
        .await
        .expect("read")
        .expect("set");
    assert!(cursor > ingested.message_id, "the past is not told");
    let told = switchboard_store::QueuedEvent {
        webhook_id: webhook.id,
        event: switchboard_model::WebhookEvent::MessageCreated,
        event_id: cursor + 5,
    };
    store
        .queue_webhook_events(workspace, cursor, cursor + 5, vec![told])
        .await
        .expect("queued");
    let again = store
        .queue_webhook_events(workspace, cursor, cursor + 5, vec![told])
        .await;
    assert!(matches!(again, Err(StoreError::Conflict(_))), "{again:?}");
    drop(store);

    let store = reopen(dir.path()).await;
    assert_eq!(
        store.webhook_cursor(workspace).await.expect("read"),
        Some(cursor + 5)
    );
    assert_eq!(
        store.webhook(workspace, webhook.id).await.expect("kept").1,
        [1, 2, 3]
    );
    let claimed = store
        .claim_webhook_deliveries(workspace, 60_000, 10)
        .await
        .expect("claimed");
    assert_eq!(claimed.len(), 1);
    assert_eq!(claimed[0].event_id, Some(cursor + 5));
    let leased = store
        .claim_webhook_deliveries(workspace, 60_000, 10)
        .await
        .expect("none due");
    assert!(leased.is_empty(), "leased: {leased:?}");
    let failed = switchboard_model::WebhookAttempt {
        at: 1,
        duration_ms: 5,
        status: Some(503),
        error: None,
        response: None,
    };
    store
        .record_webhook_attempt(workspace, &claimed[0], failed, Some(0))
        .await
        .expect("to retry");
    drop(store);

    let store = reopen(dir.path()).await;
    let retried = store
        .claim_webhook_deliveries(workspace, 60_000, 10)
        .await
        .expect("due again");
    assert_eq!(retried.len(), 1);
    assert_eq!(retried[0].attempts.len(), 1, "{retried:?}");
    let log = store
        .webhook_deliveries(workspace, webhook.id, 10)
        .await
        .expect("the log");
    assert_eq!(
        log[0].state,
        switchboard_model::WebhookDeliveryState::Queued
    );
}

/// A store's first life in `dir`: seeded, with Ana's "Hola" (`m-1`) ingested, then closed.
async fn first_run(dir: &std::path::Path) -> (Id, Id, switchboard_model::Ingested) {
    let store = RecordStore::open(dir, Arc::new(InProcessBus::new(16))).expect("open");
    let (workspace, channel, _) = seed(&store, "Acme").await;
    let ingested = ingest_as_ana(&store, workspace, channel, "m-1", "Hola").await;
    (workspace, channel, ingested)
}

#[tokio::test]
async fn a_reopened_store_keeps_everything_and_continues_ids() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (workspace, channel, ingested) = first_run(dir.path()).await;
    let store = reopen(dir.path()).await;
    let again = ingest_as_ana(&store, workspace, channel, "m-1", "Hola").await;
    assert!(again.duplicate);
    let next = ingest_as_ana(&store, workspace, channel, "m-2", "Sigo aquí").await;
    assert!(
        next.message_id > ingested.message_id,
        "ids keep growing after a restart"
    );
    assert_eq!(
        next.contact_id, ingested.contact_id,
        "the contact is known by its address after a restart"
    );
    assert_eq!(next.conversation_id, ingested.conversation_id);
}

/// A copy of the store's folder, as a crash would leave it.
fn copy_folder(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).expect("create");
    for entry in std::fs::read_dir(from).expect("list") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("type").is_dir() {
            copy_folder(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

#[tokio::test]
async fn an_answered_write_that_reached_only_the_write_ahead_log_comes_back_on_open() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (workspace, channel, first) = first_run(dir.path()).await;
    // Once the first run has let go of the folder, and before the next write.
    let store = reopen(dir.path()).await;
    let before = tempfile::tempdir().expect("temp dir");
    copy_folder(dir.path(), before.path());

    // The next write is answered once its record is in the log; nothing else of the store
    // has to be on disk by then.
    let second = ingest_as_ana(&store, workspace, channel, "m-2", "¿Sigue ahí?").await;
    let log = std::fs::read(dir.path().join("wal")).expect("the write-ahead log");
    assert!(!log.is_empty(), "the answered write is in the log");
    drop(store);

    // The store as it was before that write, with the log as it was once the write was
    // answered: sled and the journal never got it.
    std::fs::write(before.path().join("wal"), &log).expect("write the log");
    let store = reopen(before.path()).await;
    assert_eq!(
        texts(&store, workspace, first.conversation_id).await,
        ["Hola", "¿Sigue ahí?"]
    );
    let events = store.events_after(workspace, 0, 100).await.expect("events");
    assert!(
        events.iter().any(|event| event.id > second.message_id),
        "the write's events are back"
    );
    assert!(events.windows(2).all(|pair| pair[0].id < pair[1].id));
    let again = ingest_as_ana(&store, workspace, channel, "m-2", "¿Sigue ahí?").await;
    assert!(again.duplicate, "the replayed write still deduplicates");
    let third = ingest_as_ana(&store, workspace, channel, "m-3", "Hola?").await;
    assert!(
        third.message_id > second.message_id,
        "ids continue after the replay"
    );
}

#[tokio::test]
async fn a_store_left_alone_after_a_write_has_it_in_sled_and_the_journal_without_the_log() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (workspace, channel, first) = first_run(dir.path()).await;
    let store = reopen(dir.path()).await;
    ingest_as_ana(&store, workspace, channel, "m-2", "¿Sigue ahí?").await;

    // No other write comes: the checkpoint runs on its own once it is due.
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    let crashed = tempfile::tempdir().expect("temp dir");
    copy_folder(dir.path(), crashed.path());
    drop(store);
    std::fs::remove_file(crashed.path().join("wal")).expect("remove the log");
    let store = reopen(crashed.path()).await;
    assert_eq!(
        texts(&store, workspace, first.conversation_id).await,
        ["Hola", "¿Sigue ahí?"]
    );
}

async fn merging_moves_identities_and_conversations(engine: Engine) {
    let f = fixture(&engine).await;
    let by_mail = f.ingest("ana@example.com", "m-1", "por email").await;
    let phone = NewContact {
        name: "Ana (WhatsApp)".into(),
        phones: vec!["+55 11 99999-0000".into()],
        tags: vec!["VIP".into()],
        ..Default::default()
    };
    let phone_contact = f
        .store
        .create_contact(f.workspace, phone)
        .await
        .expect("contact");
    let merged = f
        .store
        .merge_contacts(f.workspace, phone_contact.id, by_mail.contact_id)
        .await
        .expect("merge");
    assert_eq!(merged.tags, ["vip"]);
    assert!(
        merged
            .identities
            .iter()
            .any(|identity| identity.value == "ana@example.com")
    );
    let conversation = f
        .store
        .conversation(f.workspace, by_mail.conversation_id)
        .await
        .expect("conversation");
    assert_eq!(conversation.contact_id, phone_contact.id);
    let next = f.ingest("ana@example.com", "m-2", "sigo").await;
    assert_eq!(
        next.contact_id, phone_contact.id,
        "the email now finds the surviving contact"
    );
    assert_eq!(next.conversation_id, by_mail.conversation_id);
    let listed = f
        .store
        .contacts(f.workspace, None, None, 50)
        .await
        .expect("contacts");
    assert!(
        listed
            .items
            .iter()
            .all(|contact| contact.id != by_mail.contact_id),
        "the merged contact is not listed"
    );
    let itself = f
        .store
        .merge_contacts(f.workspace, phone_contact.id, phone_contact.id)
        .await;
    assert!(matches!(itself, Err(StoreError::Invalid(_))));
}

async fn replies_wait_in_the_outbox_until_delivered(engine: Engine) {
    let f = fixture(&engine).await;
    let add = async |conversation_id, text: &str| {
        f.store
            .add_reply(
                f.workspace,
                conversation_id,
                Author::Agent { id: f.agent },
                agent_reply(text),
            )
            .await
            .expect("reply")
    };
    let claim = async |node: &str| {
        f.store
            .claim_outbox(f.channel, node, 30_000, 10)
            .await
            .expect("claim")
    };
    let ingested = f.ingest("ana@example.com", "m-1", "Hola").await;
    let message = add(ingested.conversation_id, "¡Hola Ana!").await;
    assert_eq!(
        message.delivery,
        Some(DeliveryStatus::Queued { reason: None })
    );
    let note = private_note("VIP customer");
    f.store
        .add_reply(
            f.workspace,
            ingested.conversation_id,
            Author::Agent { id: f.agent },
            note,
        )
        .await
        .expect("note");

    let claimed = claim("node-a").await;
    assert_eq!(claimed.len(), 1, "the private note is never sent");
    assert!(
        claim("node-b").await.is_empty(),
        "leased items are not handed out twice"
    );

    // A wait by design (here a daily limit) gives its attempt back, as the outbox does.
    let retry_at = switchboard_model::now_millis() + 60_000;
    let waiting = DeliveryStatus::Queued {
        reason: Some("daily limit reached".into()),
    };
    let gave_back = OutboxItem {
        attempts: 0,
        ..claimed[0].clone()
    };
    f.store
        .record_delivery(&gave_back, waiting, Some(retry_at))
        .await
        .expect("requeue");
    assert!(
        claim("node-a").await.is_empty(),
        "not before its retry time"
    );

    // A later reply of the conversation is not held back by one that waits by design (a
    // daily limit, a website chat's reply waiting for the newest, which emails them all)...
    let second = add(ingested.conversation_id, "¿Sigues ahí?").await;
    let claimed = claim("node-a").await;
    assert_eq!(
        claimed
            .iter()
            .map(|item| item.message_id)
            .collect::<Vec<_>>(),
        [second.id],
        "the reply after one waiting by design goes"
    );
    let failed_once = DeliveryStatus::Queued {
        reason: Some("503 Service Unavailable".into()),
    };
    f.store
        .record_delivery(&claimed[0], failed_once, Some(retry_at))
        .await
        .expect("requeue");
    // ...but one waiting out a failure holds back every reply after it.
    add(ingested.conversation_id, "Te escribo de nuevo").await;
    assert!(
        claim("node-a").await.is_empty(),
        "a reply waits while an earlier one of its conversation waits out a failure"
    );

    // Another conversation's replies are not held up: its first goes, its second waits for it.
    let other = f.ingest("bea@example.com", "m-2", "Buenas").await;
    for text in ["Hola Bea", "¿Te ayudo con algo más?"] {
        add(other.conversation_id, text).await;
    }
    let claimed = claim("node-a").await;
    assert_eq!(claimed.len(), 1, "one reply of a conversation at a time");
    assert_eq!(claimed[0].conversation_id, other.conversation_id);
    let retry = DeliveryStatus::Queued {
        reason: Some("421 try again later".into()),
    };
    f.store
        .record_delivery(
            &claimed[0],
            retry,
            Some(switchboard_model::now_millis() - 1),
        )
        .await
        .expect("requeue");
    let again = claim("node-a").await;
    assert_eq!(again.len(), 1, "a due retry is handed out again");
    assert_eq!(
        again[0].message_id, claimed[0].message_id,
        "before the reply after it"
    );
    assert_eq!(again[0].attempts, 2);
    f.store
        .record_delivery(&again[0], DeliveryStatus::Sent { via: None }, None)
        .await
        .expect("sent");
    let next = claim("node-a").await;
    assert_eq!(
        next.len(),
        1,
        "once sent, the next reply of its conversation goes"
    );
    assert_eq!(next[0].conversation_id, other.conversation_id);
    assert!(next[0].message_id > claimed[0].message_id);
}

async fn delivery_status_reaches_the_message(engine: Engine) {
    let f = fixture(&engine).await;
    let ingested = f.ingest("ana@example.com", "m-1", "Hola").await;
    let reply = agent_reply("Hola");
    f.store
        .add_reply(
            f.workspace,
            ingested.conversation_id,
            Author::Agent { id: f.agent },
            reply,
        )
        .await
        .expect("reply");
    let claimed = f
        .store
        .claim_outbox(f.channel, "node-a", 30_000, 10)
        .await
        .expect("claim");
    let failed = DeliveryStatus::Failed {
        reason: "550 mailbox unavailable".into(),
    };
    let message = f
        .store
        .record_delivery(&claimed[0], failed.clone(), None)
        .await
        .expect("record");
    assert_eq!(message.delivery, Some(failed));
    assert!(
        f.store
            .claim_outbox(f.channel, "node-a", 0, 10)
            .await
            .expect("claim")
            .is_empty()
    );
    let events = f
        .store
        .events_after(f.workspace, 0, 100)
        .await
        .expect("events");
    assert!(matches!(
        events.last().map(|event| &event.kind),
        Some(EventKind::DeliveryUpdated { .. })
    ));

    // The agent sends it again: queued, and handed out once more.
    let again = f
        .store
        .send_again(f.workspace, ingested.conversation_id, message.id)
        .await
        .expect("send again");
    assert_eq!(
        again.delivery,
        Some(DeliveryStatus::Queued { reason: None })
    );
    let claimed = f
        .store
        .claim_outbox(f.channel, "node-a", 30_000, 10)
        .await
        .expect("claim");
    assert_eq!(claimed.len(), 1, "back in the outbox");
    assert!(
        matches!(
            f.store
                .send_again(f.workspace, ingested.conversation_id, message.id)
                .await,
            Err(switchboard_store::StoreError::Conflict(_))
        ),
        "only a failed reply is sent again"
    );
}

async fn a_lease_belongs_to_one_holder_until_it_expires(engine: Engine) {
    let f = fixture(&engine).await;
    assert!(
        f.store
            .acquire_lease("imap:channel-7", "node-a", 60_000)
            .await
            .expect("lease")
    );
    assert!(
        !f.store
            .acquire_lease("imap:channel-7", "node-b", 60_000)
            .await
            .expect("lease")
    );
    assert!(
        f.store
            .acquire_lease("imap:channel-7", "node-a", 60_000)
            .await
            .expect("renew")
    );
    assert!(
        f.store
            .acquire_lease("imap:channel-7", "node-a", -1)
            .await
            .expect("let go")
    );
    assert!(
        f.store
            .acquire_lease("imap:channel-7", "node-b", 60_000)
            .await
            .expect("take over")
    );
}

/// A node that stops lets go of its leases and its claims on queued replies: another node
/// takes the work over at once instead of when the leases run out; another holder's are kept.
async fn a_node_that_stops_hands_its_leases_and_claims_over_at_once(engine: Engine) {
    let f = fixture(&engine).await;
    let store = &f.store;
    let ingested = f.ingest("ana@example.com", "m-1", "Hola").await;
    let reply = agent_reply("¡Hola Ana!");
    let author = Author::Agent { id: f.agent };
    let conversation = ingested.conversation_id;
    store
        .add_reply(f.workspace, conversation, author, reply)
        .await
        .expect("reply");
    assert!(
        store
            .acquire_lease("mailbox:7", "node-a", 60_000)
            .await
            .expect("lease")
    );
    assert!(
        store
            .acquire_lease("tick/8", "node-c", 60_000)
            .await
            .expect("lease")
    );
    let claimed = store
        .claim_outbox(f.channel, "node-a", 60_000, 10)
        .await
        .expect("claim");
    assert_eq!(claimed.len(), 1);

    assert_eq!(store.release_leases("node-a").await.expect("release"), 2);
    assert!(
        store
            .acquire_lease("mailbox:7", "node-b", 60_000)
            .await
            .expect("taken over")
    );
    assert!(
        !store
            .acquire_lease("tick/8", "node-b", 60_000)
            .await
            .expect("still node-c's")
    );
    let again = store
        .claim_outbox(f.channel, "node-b", 60_000, 10)
        .await
        .expect("claim");
    assert_eq!(
        again.iter().map(|item| item.message_id).collect::<Vec<_>>(),
        claimed
            .iter()
            .map(|item| item.message_id)
            .collect::<Vec<_>>(),
        "the queued reply is due again at once"
    );
}

async fn blobs_are_content_addressed_and_limited(engine: Engine) {
    let f = fixture(&engine).await;
    let sha = f
        .store
        .put_blob(
            f.workspace,
            b"%PDF-1.7".to_vec(),
            1024,
            FilePurpose::Attachment,
        )
        .await
        .expect("blob");
    assert_eq!(sha.len(), 64);
    assert_eq!(
        f.store.blob(f.workspace, &sha).await.expect("read"),
        b"%PDF-1.7"
    );
    let (other, _, _) = seed(&f.store, "Other").await;
    assert!(
        f.store.blob(other, &sha).await.is_err(),
        "blobs are per workspace"
    );
    let too_big = f
        .store
        .put_blob(f.workspace, vec![0; 2048], 1024, FilePurpose::Attachment)
        .await;
    assert!(matches!(
        too_big,
        Err(StoreError::TooLarge {
            size: 2048,
            limit: 1024,
            ..
        })
    ));
}

async fn visitors_uploads_count_against_daily_quotas_and_files_no_message_names_are_swept(
    engine: Engine,
) {
    let f = fixture(&engine).await;
    const MIB: usize = 1 << 20;
    let upload = |visitor: &str, bytes: Vec<u8>| {
        let quota = UploadQuota {
            visitor: visitor.into(),
            visitor_bytes_per_day: 2 * MIB as u64,
            workspace_bytes_per_day: 3 * MIB as u64,
        };
        f.store.put_blob(
            f.workspace,
            bytes,
            10 * MIB as u64,
            FilePurpose::VisitorUpload(quota),
        )
    };
    let photo = upload("ana", vec![1; 3 * MIB / 2])
        .await
        .expect("ana's photo");
    let refused = upload("ana", vec![2; MIB]).await;
    let Err(StoreError::OverQuota {
        message,
        retry_after_ms,
    }) = refused
    else {
        panic!("ana's second file passes her quota: {refused:?}");
    };
    assert!(
        message.contains("this chat may send at most 2 MiB"),
        "{message}"
    );
    assert!(
        (1..=86_400_000).contains(&retry_after_ms),
        "{retry_after_ms}"
    );
    let receipt = upload("beto", vec![3; 7 * MIB / 5])
        .await
        .expect("beto's receipt");
    let refused = upload("carla", vec![4; MIB / 2]).await;
    assert!(
        matches!(&refused, Err(StoreError::OverQuota { message, .. }) if message.contains("this site's chats may send at most 3 MiB")),
        "{refused:?}"
    );

    // Ana's photo goes with her message; an avatar is kept for its own sake.
    let mut message = inbound("ana@example.com", "m-photo", "Aquí está la foto");
    message.attachments.push(Attachment {
        sha256: photo.clone(),
        name: "foto.jpg".into(),
        media_type: "image/jpeg".into(),
        size: (3 * MIB / 2) as u64,
    });
    f.store
        .ingest(f.workspace, f.channel, message)
        .await
        .expect("a message with the photo");
    let avatar = f
        .store
        .put_blob(f.workspace, b"GIF89a".to_vec(), 1024, FilePurpose::Kept)
        .await
        .expect("avatar");
    // The workspace's count of stored bytes follows its files: the receipt, the photo and
    // the avatar, then without the receipt once it is swept.
    let stored = f.store.stored_bytes(f.workspace).await.expect("count");
    assert_eq!(stored, (7 * MIB / 5 + 3 * MIB / 2 + 6) as u64);

    let (files, bytes) = f
        .store
        .sweep_unattached_files(switchboard_model::now_millis() + 1)
        .await
        .expect("sweep");
    assert_eq!(
        (files, bytes),
        (1, (7 * MIB / 5) as u64),
        "only Beto's receipt went"
    );
    assert_eq!(
        f.store.stored_bytes(f.workspace).await.expect("count"),
        stored - bytes
    );
    assert!(matches!(
        f.store.blob(f.workspace, &receipt).await,
        Err(StoreError::NotFound { .. })
    ));
    assert_eq!(
        f.store
            .blob(f.workspace, &photo)
            .await
            .expect("photo")
            .len(),
        3 * MIB / 2
    );
    assert_eq!(
        f.store.blob(f.workspace, &avatar).await.expect("avatar"),
        b"GIF89a"
    );
}

#[tokio::test]
async fn a_journal_tail_that_was_never_acknowledged_is_cut_on_reopen() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (workspace, channel, first) = first_run(dir.path()).await;
    // A crash between the journal's sync and the tree's flush leaves lines nothing indexes.
    let segment = dir.path().join("events/00000001.jsonl");
    let mut bytes = std::fs::read(&segment).expect("journal segment");
    let acknowledged = bytes.len();
    bytes.extend_from_slice(b"{\"id\":999999,\"half-written");
    std::fs::write(&segment, &bytes).expect("write journal");

    let store = reopen(dir.path()).await;
    assert_eq!(
        std::fs::metadata(&segment).expect("journal").len() as usize,
        acknowledged,
        "the unindexed tail is gone"
    );
    ingest_as_ana(&store, workspace, channel, "m-2", "¿Sigue ahí?").await;
    assert_eq!(
        texts(&store, workspace, first.conversation_id).await,
        ["Hola", "¿Sigue ahí?"]
    );
    let events = store.events_after(workspace, 0, 100).await.expect("events");
    assert!(events.windows(2).all(|pair| pair[0].id < pair[1].id));
    for line in std::fs::read_to_string(&segment).expect("journal").lines() {
        serde_json::from_str::<serde_json::Value>(line).expect("every journal line is an event");
    }
}

async fn events_are_found_across_many_groups_and_pages(engine: Engine) {
    let f = fixture(&engine).await;
    let mut writes = Vec::new();
    for n in 0..300 {
        let store = &f.store;
        let (workspace, channel) = (f.workspace, f.channel);
        writes.push(async move {
            let from = format!("c{}@example.com", n % 7);
            store
                .ingest(
                    workspace,
                    channel,
                    inbound(&from, &format!("m-{n}"), &format!("n={n}")),
                )
                .await
                .expect("ingest")
        });
    }
    futures_util::future::join_all(writes).await;
    let mut seen = Vec::new();
    let mut after = 0;
    loop {
        let events = f
            .store
            .events_after(f.workspace, after, 37)
            .await
            .expect("events");
        let Some(last) = events.last() else { break };
        after = last.id;
        seen.extend(events);
    }
    let texts: std::collections::BTreeSet<String> = seen
        .iter()
        .filter_map(|event| match &event.kind {
            EventKind::MessageCreated { message, .. } => Some(message.text.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(texts.len(), 300, "every message's event, each once");
    assert!(seen.windows(2).all(|pair| pair[0].id < pair[1].id));
}

/// A website chat visitor, as the webchat adapter names them.
fn visitor(id: &str, name: Option<&str>, email: Option<&str>) -> ContactRef {
    ContactRef {
        identity: Identity::new("webchat", id),
        name: name.map(str::to_string),
        email: email.map(str::to_string),
        phone: None,
        custom_fields: Default::default(),
    }
}

async fn a_visitor_gets_the_name_and_email_they_give_but_never_someone_elses_contact(
    engine: Engine,
) {
    let f = fixture(&engine).await;
    // A visitor writes first without a name, then gives one and an email in a form.
    let first = f
        .ingest_from(visitor("a-1", None, None), "w-1", "Hola")
        .await;
    let unnamed = f.contact(first.contact_id).await;
    assert_eq!(unnamed.name, "a-1");
    let told = visitor("a-1", Some("Bruno Alves"), Some("bruno@example.com"));
    f.ingest_from(told, "w-2", "Sou o Bruno").await;
    let named = f.contact(first.contact_id).await;
    assert_eq!(named.name, "Bruno Alves");
    assert_eq!(named.emails, ["bruno@example.com"]);
    let by_mail = f.ingest("bruno@example.com", "m-1", "por email").await;
    assert_eq!(
        by_mail.contact_id, first.contact_id,
        "his email now finds him"
    );

    // Another visitor gives the email an existing contact holds: the message is stored under
    // a contact of their own, which keeps the address without taking it over.
    let ana = f.ingest("ana@example.com", "m-2", "Hola").await;
    let claimant = visitor("a-2", Some("Ana?"), Some("ana@example.com"));
    let claimed = f.ingest_from(claimant, "w-3", "Soy Ana").await;
    assert_ne!(claimed.contact_id, ana.contact_id);
    let claimant = f.contact(claimed.contact_id).await;
    assert!(claimant.emails.is_empty(), "{claimant:?}");
    assert_eq!(claimant.email_to_write(), Some("ana@example.com"));
    let again = f.ingest("ana@example.com", "m-3", "sigo yo").await;
    assert_eq!(
        again.contact_id, ana.contact_id,
        "the address still finds its owner"
    );
}

async fn an_answer_naming_our_reply_joins_its_conversation_on_another_channel_only_for_its_contact(
    engine: Engine,
) {
    let f = fixture(&engine).await;
    let mailbox = f
        .store
        .create_channel(
            f.workspace,
            NewChannel::new(ChannelKind::EMAIL, "Soporte"),
            None,
        )
        .await
        .expect("channel")
        .id;
    let chat = f
        .ingest_from(
            visitor("a-1", Some("Ana"), Some("ana@example.com")),
            "w-1",
            "Hola",
        )
        .await;
    let reply = f
        .store
        .add_reply(
            f.workspace,
            chat.conversation_id,
            Author::Agent { id: f.agent },
            NewReply {
                template: None,
                mentions: Vec::new(),
                text: "¿En qué te ayudo?".into(),
                private: false,
                attachments: Vec::new(),
            },
        )
        .await
        .expect("reply");
    let our_id = format!("<sb-{}.c{}@acme.test>", reply.id, chat.conversation_id);
    let answer = |from: &str, id: &str| {
        let mut message = inbound(from, id, "Respondo por email");
        message.thread = vec![our_id.clone()];
        message
    };
    let by_mail = f
        .store
        .ingest(
            f.workspace,
            mailbox,
            answer("ana@example.com", "<a-1@mail>"),
        )
        .await
        .expect("ingest");
    assert_eq!(by_mail.conversation_id, chat.conversation_id);
    let conversation = f
        .store
        .conversation(f.workspace, chat.conversation_id)
        .await
        .expect("conversation");
    assert_eq!(
        conversation.channel_id, f.channel,
        "it stays the chat's conversation"
    );
    assert_eq!(conversation.message_count, 3);

    let stranger = f
        .store
        .ingest(
            f.workspace,
            mailbox,
            answer("eve@example.com", "<e-1@mail>"),
        )
        .await
        .expect("ingest");
    assert_ne!(
        stranger.conversation_id, chat.conversation_id,
        "a guessed id does not reach someone else's conversation"
    );

    // Our ids travel by email only: another kind of channel (a plugin's) naming one gets a
    // conversation of its own, even for the same person.
    let crm = f
        .store
        .create_channel(f.workspace, NewChannel::new(ChannelKind::API, "CRM"), None)
        .await
        .expect("channel")
        .id;
    let from_plugin = f
        .store
        .ingest(f.workspace, crm, answer("ana@example.com", "crm-1"))
        .await
        .expect("ingest");
    assert_ne!(
        from_plugin.conversation_id, chat.conversation_id,
        "a plugin's message joined a conversation of another channel"
    );
}

async fn a_channels_plugin_store_keeps_writes_only_within_its_quota(engine: Engine) {
    let f = fixture(&engine).await;
    let write = |key: &str, bytes: usize| {
        std::collections::BTreeMap::from([(key.to_string(), vec![1u8; bytes])])
    };
    let quota = 1000;
    f.store
        .put_plugin_kv(f.workspace, f.channel, write("a", 600), quota)
        .await
        .expect("within the quota");
    let refused = f
        .store
        .put_plugin_kv(f.workspace, f.channel, write("b", 600), quota)
        .await;
    assert!(
        matches!(
            refused,
            Err(StoreError::TooLarge {
                size: 1202,
                limit: 1000,
                ..
            })
        ),
        "{refused:?}"
    );
    // Writing a key over counts its new size, not both.
    f.store
        .put_plugin_kv(f.workspace, f.channel, write("a", 990), quota)
        .await
        .expect("a key written over");
    let kept = f.store.plugin_kv(f.workspace, f.channel).await.expect("kv");
    assert_eq!(kept.keys().collect::<Vec<_>>(), ["a"]);
    assert_eq!(kept["a"].len(), 990);
}

async fn a_channel_keeps_its_newest_dead_letters_within_its_room_and_age(engine: Engine) {
    let f = fixture(&engine).await;
    let other = f
        .store
        .create_channel(
            f.workspace,
            NewChannel::new(ChannelKind::API, "Other"),
            None,
        )
        .await
        .expect("channel")
        .id;
    let limits = switchboard_store::DeadLetterLimits {
        max_bytes_per_channel: 1000,
        max_age_ms: 3_600_000,
    };
    let keep = |channel: Id, n: u8| {
        f.store
            .put_dead_letter(f.workspace, channel, "broken", vec![n; 400], limits)
    };
    keep(other, 9).await.expect("another channel's letter");
    assert_eq!(keep(f.channel, 1).await.expect("kept").dropped, 0);
    assert_eq!(keep(f.channel, 2).await.expect("kept").dropped, 0);
    let third = keep(f.channel, 3).await.expect("kept");
    assert_eq!(third.dropped, 1, "the oldest made room");
    let page = f
        .store
        .dead_letters(f.workspace, None, 2)
        .await
        .expect("letters");
    let sizes: Vec<(Id, u64)> = page
        .items
        .iter()
        .map(|letter| (letter.channel_id, letter.size))
        .collect();
    assert_eq!(sizes, [(f.channel, 400), (f.channel, 400)], "newest first");
    let cursor = page.next_cursor.and_then(|cursor| cursor.parse().ok());
    let rest = f
        .store
        .dead_letters(f.workspace, cursor, 2)
        .await
        .expect("letters");
    assert_eq!(rest.items.len(), 1);
    assert_eq!(
        rest.items[0].channel_id, other,
        "another channel's letter stays"
    );
    let (_, payload) = f
        .store
        .dead_letter(f.workspace, page.items[1].id)
        .await
        .expect("letter");
    assert_eq!(
        payload,
        vec![2; 400],
        "the second letter is the oldest kept"
    );

    let expired = f
        .store
        .expire_dead_letters(switchboard_model::now_millis() + 1)
        .await
        .expect("expire");
    assert_eq!(expired, 3);
    let none = f
        .store
        .dead_letters(f.workspace, None, 10)
        .await
        .expect("letters");
    assert!(none.items.is_empty());
}

/// A store written by a gateway of layout 2 had its dead letters unindexed by channel: the
/// next gateway indexes them when it opens the store, so the cap still drops the oldest.
#[tokio::test]
async fn a_store_of_layout_2_is_upgraded_and_its_dead_letters_stay_capped() {
    let dir = tempfile::tempdir().expect("temp dir");
    let limits = switchboard_store::DeadLetterLimits {
        max_bytes_per_channel: 1000,
        max_age_ms: 3_600_000,
    };
    let (workspace, channel) = {
        let store = RecordStore::open(dir.path(), Arc::new(InProcessBus::new(16))).expect("open");
        let (workspace, channel, _) = seed(&store, "Acme").await;
        for n in [1, 2] {
            store
                .put_dead_letter(workspace, channel, "broken", vec![n; 400], limits)
                .await
                .expect("kept");
        }
        (workspace, channel)
    };
    // The same folder as layout 2 left it: no index by channel, no usage.
    let db = loop {
        match sled::open(dir.path()) {
            Ok(db) => break db,
            Err(_) => tokio::time::sleep(std::time::Duration::from_millis(20)).await,
        }
    };
    for tag in [&b"dc"[..], b"du"] {
        for entry in db.scan_prefix(tag) {
            db.remove(entry.expect("entry").0).expect("remove");
        }
    }
    db.insert(b"mt/format", &b"2"[..]).expect("layout");
    db.flush().expect("flush");
    drop(db);

    let store = reopen(dir.path()).await;
    let third = store
        .put_dead_letter(workspace, channel, "broken", vec![3; 400], limits)
        .await
        .expect("kept");
    assert_eq!(third.dropped, 1, "the oldest made room after the upgrade");
    let page = store
        .dead_letters(workspace, None, 10)
        .await
        .expect("letters");
    let kept: Vec<u8> = first_bytes(&store, workspace, &page.items).await;
    assert_eq!(kept, [3, 2], "the letters kept, newest first");
}

/// Every file under `folder` (a store's blobs), with its bytes.
fn blob_files(folder: &Path) -> Vec<(std::path::PathBuf, Vec<u8>)> {
    let mut found = Vec::new();
    let Ok(entries) = std::fs::read_dir(folder) else {
        return found;
    };
    for entry in entries {
        let path = entry.expect("an entry").path();
        if path.is_dir() {
            found.extend(blob_files(&path));
        } else {
            let bytes = std::fs::read(&path).expect("read a blob");
            found.push((path, bytes));
        }
    }
    found.sort();
    found
}

/// On sled, a file's bytes are a file of their own in the store's folder (`files/`), not a
/// record of the tree: an upload writes them there once per content, an upload refused over
/// its quota leaves nothing behind, sweeping the file removes them, and bytes that no record
/// names (an upload cut short by a crash) go at a sweep once they are an hour old.
#[tokio::test]
async fn on_sled_a_files_bytes_live_in_the_store_folder_apart_from_its_records() {
    let dir = tempfile::tempdir().expect("temp dir");
    let files = dir.path().join("files");
    let store = RecordStore::open(dir.path(), Arc::new(InProcessBus::new(16))).expect("open");
    let (workspace, _, _) = seed(&store, "Acme").await;
    let photo = vec![7u8; 300_000];
    let put = |bytes: Vec<u8>, purpose| store.put_blob(workspace, bytes, 1 << 20, purpose);
    let sha = put(photo.clone(), FilePurpose::Attachment)
        .await
        .expect("photo");
    let on_disk = blob_files(&files);
    assert_eq!(on_disk.len(), 1, "{on_disk:?}");
    assert_eq!(on_disk[0].1, photo);
    let name = on_disk[0].0.file_name().expect("a name").to_string_lossy();
    assert!(name.starts_with(&sha), "{name} is named by its content");
    put(photo.clone(), FilePurpose::Attachment)
        .await
        .expect("the same photo again");
    assert_eq!(blob_files(&files).len(), 1, "the same content is kept once");

    let quota = UploadQuota {
        visitor: "ana".into(),
        visitor_bytes_per_day: 1000,
        workspace_bytes_per_day: 1 << 20,
    };
    let refused = put(vec![9; 2000], FilePurpose::VisitorUpload(quota)).await;
    assert!(
        matches!(refused, Err(StoreError::OverQuota { .. })),
        "{refused:?}"
    );
    assert_eq!(
        blob_files(&files).len(),
        1,
        "a refused upload leaves nothing"
    );

    // Bytes no record names, as a crash between writing them and recording them leaves.
    let shard = on_disk[0].0.parent().expect("its folder").to_path_buf();
    let (old, fresh) = (
        shard.join(format!("{sha}.00000000000000aa")),
        shard.join(format!("{sha}.00000000000000bb")),
    );
    for stray in [&old, &fresh] {
        std::fs::write(stray, b"stray").expect("a stray blob");
    }
    let two_hours_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(7200);
    std::fs::File::options()
        .write(true)
        .open(&old)
        .and_then(|file| file.set_modified(two_hours_ago))
        .expect("age the stray blob");

    let swept = store
        .sweep_unattached_files(switchboard_model::now_millis() + 1)
        .await
        .expect("sweep");
    assert_eq!(swept, (1, 300_000), "the photo no message named");
    let left: Vec<_> = blob_files(&files)
        .into_iter()
        .map(|(path, _)| path)
        .collect();
    assert_eq!(
        left,
        [fresh],
        "the photo's bytes and the old stray went; the young stray may still be on its way"
    );
    drop(store);

    let tree = raw_tree(dir.path()).await;
    let largest = tree
        .iter()
        .map(|entry| entry.expect("an entry").1.len())
        .max()
        .unwrap_or(0);
    assert!(largest < 1000, "the tree holds no file's bytes ({largest})");
}

/// A visitor over their quota is refused before anything is written: on a disk with no room
/// left for files they are told of the quota, not of the disk.
#[tokio::test]
async fn a_visitor_over_quota_is_refused_before_anything_is_written() {
    let dir = tempfile::tempdir().expect("temp dir");
    let workspace = {
        let store = RecordStore::open(dir.path(), Arc::new(InProcessBus::new(16))).expect("open");
        seed(&store, "Acme").await.0
    };
    // Every file refused for room from now on: the reserve is larger than any disk.
    let store = loop {
        match RecordStore::open_with(dir.path(), Arc::new(InProcessBus::new(16)), u64::MAX / 4) {
            Ok(store) => break store,
            Err(_) => tokio::time::sleep(std::time::Duration::from_millis(20)).await,
        }
    };
    let quota = UploadQuota {
        visitor: "ana".into(),
        visitor_bytes_per_day: 0,
        workspace_bytes_per_day: 1 << 20,
    };
    let refused = store
        .put_blob(
            workspace,
            b"a photo".to_vec(),
            1024,
            FilePurpose::VisitorUpload(quota),
        )
        .await;
    assert!(
        matches!(&refused, Err(StoreError::OverQuota { message, .. }) if message.contains("this chat may send at most 0 MiB")),
        "{refused:?}"
    );
}

/// A store of layout 3 kept files' bytes in its tree: the next gateway moves them into the
/// store's folder when it opens the store, and they read as before.
#[tokio::test]
async fn a_store_of_layout_3_moves_its_files_bytes_out_of_the_tree() {
    let dir = tempfile::tempdir().expect("temp dir");
    let avatar = b"GIF89a, an avatar".to_vec();
    let (workspace, sha) = {
        let store = RecordStore::open(dir.path(), Arc::new(InProcessBus::new(16))).expect("open");
        let (workspace, _, _) = seed(&store, "Acme").await;
        let sha = store
            .put_blob(workspace, avatar.clone(), 1024, FilePurpose::Kept)
            .await
            .expect("avatar");
        (workspace, sha)
    };
    // The same folder as layout 3 left it: the bytes in a record, no folder of files.
    let tree = raw_tree(dir.path()).await;
    let files: Vec<_> = tree.scan_prefix(b"fi").keys().collect();
    assert_eq!(files.len(), 1);
    for file in files {
        let file = file.expect("a key");
        tree.insert([&b"bl"[..], &file[2..]].concat(), avatar.clone())
            .expect("the old record");
        tree.remove(file).expect("remove");
    }
    tree.insert(b"mt/format", &b"3"[..]).expect("layout");
    tree.flush().expect("flush");
    drop(tree);
    std::fs::remove_dir_all(dir.path().join("files")).expect("no folder of files");

    let store = reopen(dir.path()).await;
    assert_eq!(store.blob(workspace, &sha).await.expect("avatar"), avatar);
    assert_eq!(
        store.stored_bytes(workspace).await.expect("count"),
        avatar.len() as u64
    );
    let moved = blob_files(&dir.path().join("files"));
    assert_eq!(moved.len(), 1);
    assert_eq!(moved[0].1, avatar);
    drop(store);
    let tree = raw_tree(dir.path()).await;
    assert_eq!(
        tree.scan_prefix(b"bl").count(),
        0,
        "no bytes left in the tree"
    );
}

/// What one node acknowledged, another node's inbox lists at once (and counts), without
/// waiting for its follower's next look or a bus.
#[tokio::test(flavor = "multi_thread")]
async fn a_write_acknowledged_on_one_node_is_in_another_nodes_inbox_at_once() {
    let server = switchboard_e2e::scale_rig::Postgres::start().expect("start PostgreSQL");
    let engine = Engine::postgres(&server, 1);
    let dir = tempfile::tempdir().expect("temp dir");
    let a = engine.open(dir.path(), Arc::new(InProcessBus::new(16)));
    let b = engine.open(dir.path(), Arc::new(InProcessBus::new(16)));
    let (workspace, channel, agent) = seed(&a, "Acme").await;
    for n in 0..5 {
        let from = format!("c{n}@example.com");
        a.ingest(
            workspace,
            channel,
            inbound(&from, &format!("m-{n}"), "hola"),
        )
        .await
        .expect("acknowledged on A");
        let listed = b
            .conversations(workspace, &ConversationFilter::default())
            .await
            .expect("listed on B");
        assert_eq!(
            listed.items.len(),
            n + 1,
            "B lists the conversation A just took in"
        );
        let counts = b.inbox_counts(workspace, agent).await.expect("counts on B");
        assert_eq!(counts.all.open, n as u32 + 1, "{counts:?}");
    }
}

/// During a rolling upgrade a node of the older release writes between the new ones, leaving
/// the last group's mark in its older form: the new nodes go on writing (their group numbers
/// never repeat) and forget what the older node may have changed.
#[tokio::test(flavor = "multi_thread")]
async fn writes_go_on_after_a_node_of_an_older_release_wrote() {
    let server = switchboard_e2e::scale_rig::Postgres::start().expect("start PostgreSQL");
    let engine = Engine::postgres(&server, 1);
    let dir = tempfile::tempdir().expect("temp dir");
    let node = engine.open(dir.path(), Arc::new(InProcessBus::new(16)));
    let (workspace, channel, _) = seed(&node, "Acme").await;
    let ana = node
        .ingest(
            workspace,
            channel,
            inbound("ana@example.com", "m-1", "Hola"),
        )
        .await
        .expect("ingest");
    // What an older node leaves: its mark, and a message counted into Ana's conversation.
    let conversation_key = format!("\\x6376{:016x}{:016x}", workspace, ana.conversation_id);
    server
        .psql(
            "switchboard",
            &format!(
                "UPDATE scenario_1.records SET value = convert_to('0123456789abcdef.7', 'UTF8') \
                 WHERE key = convert_to('mt/last_group', 'UTF8'); \
                 UPDATE scenario_1.records SET value = convert_to(replace(convert_from(value, 'UTF8'), \
                 '\"title\":\"', '\"title\":\"Older: '), 'UTF8') WHERE key = '{conversation_key}'"
            ),
        )
        .expect("an older node's writes");
    for n in 2..5 {
        node.ingest(
            workspace,
            channel,
            inbound("ana@example.com", &format!("m-{n}"), "¿Hola?"),
        )
        .await
        .expect("the new node goes on writing");
    }
    let conversation = node
        .conversation(workspace, ana.conversation_id)
        .await
        .expect("Ana's conversation");
    assert_eq!(conversation.message_count, 4);
    assert!(
        conversation.title.starts_with("Older: "),
        "the older node's change is kept, not written over: {}",
        conversation.title
    );
}

/// Nodes that start together on a database whose schema is not up to date (a first start, an
/// upgrade rolled out to every node at once) all start: one brings the schema up to date while
/// the others wait for it.
#[tokio::test(flavor = "multi_thread")]
async fn nodes_starting_together_bring_the_schema_up_to_date_once() {
    let server = switchboard_e2e::scale_rig::Postgres::start().expect("start PostgreSQL");
    let Engine::Postgres(url) = Engine::postgres(&server, 1) else {
        unreachable!()
    };
    let starts: Vec<_> = (0..4)
        .map(|_| {
            let url = url.clone();
            std::thread::spawn(move || {
                RecordStore::open_postgres(&url, Arc::new(InProcessBus::new(16))).map(drop)
            })
        })
        .collect();
    for start in starts {
        start.join().expect("a start").expect("the node started");
    }
    let applied = server
        .psql(
            "switchboard",
            "SELECT count(*) FROM scenario_1.refinery_schema_history",
        )
        .expect("count");
    assert_eq!(applied, "3", "each migration applied once");
}

/// Nodes on PostgreSQL share files: one node stores an attachment and another reads it. The
/// bytes go in the database's `blobs` table, or in a folder every node mounts when they are
/// given one (and then not in the database).
#[tokio::test(flavor = "multi_thread")]
async fn nodes_on_postgresql_share_files_in_the_database_or_a_shared_folder() {
    let server = switchboard_e2e::scale_rig::Postgres::start().expect("start PostgreSQL");
    let dir = tempfile::tempdir().expect("temp dir");
    let shared = tempfile::tempdir().expect("a shared folder");
    for (n, folder) in [(1, None), (2, Some(shared.path()))] {
        let engine = Engine::postgres(&server, n);
        let node = || {
            let store = engine.open(dir.path(), Arc::new(InProcessBus::new(16)));
            match folder {
                Some(folder) => store.keep_files_in(folder).expect("a shared folder"),
                None => store,
            }
        };
        let (a, b) = (node(), node());
        let (workspace, _, _) = seed(&a, "Acme").await;
        let receipt = b"%PDF-1.7 receipt".to_vec();
        let sha = a
            .put_blob(workspace, receipt.clone(), 1024, FilePurpose::Kept)
            .await
            .expect("stored on A");
        assert_eq!(b.blob(workspace, &sha).await.expect("read on B"), receipt);
        let in_database = server
            .psql(
                "switchboard",
                &format!("SELECT count(*) FROM scenario_{n}.blobs"),
            )
            .expect("count");
        let in_folder = folder.map_or(0, |folder| blob_files(folder).len());
        match folder {
            None => assert_eq!((in_database.as_str(), in_folder), ("1", 0)),
            Some(_) => assert_eq!((in_database.as_str(), in_folder), ("0", 1)),
        }
    }
}

/// The first byte of each letter's payload.
async fn first_bytes(
    store: &RecordStore,
    workspace: Id,
    letters: &[switchboard_model::DeadLetter],
) -> Vec<u8> {
    let mut bytes = Vec::new();
    for letter in letters {
        let (_, payload) = store
            .dead_letter(workspace, letter.id)
            .await
            .expect("letter");
        bytes.push(payload[0]);
    }
    bytes
}

/// A provider's status reports find a reply by the id the provider gave it, move it forward
/// only, and name no reply of another channel.
async fn status_reports_find_a_reply_by_its_provider_id_and_only_move_it_forward(engine: Engine) {
    let f = fixture(&engine).await;
    let ingested = f.ingest("ana@example.com", "m-1", "Hola").await;
    let reply = agent_reply("¡Hola Ana!");
    f.store
        .add_reply(
            f.workspace,
            ingested.conversation_id,
            Author::Agent { id: f.agent },
            reply,
        )
        .await
        .expect("reply");
    let claimed = f
        .store
        .claim_outbox(f.channel, "node-a", 30_000, 10)
        .await
        .expect("claim");
    let report = async |provider_id: &str, status: DeliveryStatus| {
        f.store
            .report_delivery(f.workspace, f.channel, provider_id, status)
            .await
    };
    // The provider's "delivered" came before the outbox read its answer to the send.
    let early = report("wamid.1", DeliveryStatus::Delivered)
        .await
        .expect("kept");
    assert!(early.is_none(), "kept until the id is known");
    for unknown in ["wamid.x", "wamid.y", "wamid.z"] {
        assert!(report(unknown, DeliveryStatus::Read).await.is_ok());
    }
    assert!(
        matches!(
            report("wamid.flood", DeliveryStatus::Read).await,
            Err(StoreError::NotFound { .. })
        ),
        "one reply on its way has room for four waiting reports, no more"
    );
    f.store
        .note_provider_ids(&claimed[0], vec!["wamid.1".into(), "wamid.2".into()])
        .await
        .expect("provider ids");
    let sent = f
        .store
        .record_delivery(&claimed[0], DeliveryStatus::Sent { via: None }, None)
        .await
        .expect("sent");
    assert_eq!(
        sent.delivery,
        Some(DeliveryStatus::Delivered),
        "the early report stands; \"sent\" does not undo it"
    );

    let read = report("wamid.2", DeliveryStatus::Read)
        .await
        .expect("read")
        .expect("a reply");
    assert_eq!(read.id, claimed[0].message_id, "either id names the reply");
    assert_eq!(read.delivery, Some(DeliveryStatus::Read));
    let late = report("wamid.1", DeliveryStatus::Delivered)
        .await
        .expect("delivered, late")
        .expect("a reply");
    assert_eq!(late.delivery, Some(DeliveryStatus::Read), "never back");
    assert!(
        matches!(
            report("wamid.9", DeliveryStatus::Delivered).await,
            Err(StoreError::NotFound { .. })
        ),
        "nothing on its way: an id of no reply"
    );
    let elsewhere = f
        .store
        .report_delivery(
            f.workspace,
            f.channel + 1_000,
            "wamid.1",
            DeliveryStatus::Read,
        )
        .await;
    assert!(
        matches!(elsewhere, Err(StoreError::NotFound { .. })),
        "another channel's ids are its own"
    );
}

/// A contact who cannot be reached on a channel (blocked the bot, texted STOP) gets no reply
/// there, with the reason, until they can again.
async fn a_reply_to_a_contact_unreachable_on_the_channel_is_refused_with_the_reason(
    engine: Engine,
) {
    let f = fixture(&engine).await;
    let ingested = f.ingest("ana@example.com", "m-1", "Hola").await;
    let contact = f
        .store
        .set_reachability(
            f.workspace,
            ingested.contact_id,
            f.channel,
            Some("the contact texted STOP".into()),
        )
        .await
        .expect("unreachable");
    assert_eq!(
        contact.unreachable_on(f.channel),
        Some("the contact texted STOP")
    );
    let refused = f
        .store
        .add_reply(
            f.workspace,
            ingested.conversation_id,
            Author::Agent { id: f.agent },
            agent_reply("¿Sigues ahí?"),
        )
        .await;
    assert!(
        matches!(&refused, Err(StoreError::Invalid(reason)) if reason.contains("texted STOP")),
        "{refused:?}"
    );
    f.store
        .set_reachability(f.workspace, ingested.contact_id, f.channel, None)
        .await
        .expect("reachable again");
    f.store
        .add_reply(
            f.workspace,
            ingested.conversation_id,
            Author::Agent { id: f.agent },
            agent_reply("¿Sigues ahí?"),
        )
        .await
        .expect("a reply once they opted back in");
}

/// What a channel tells about a contact (a deep link's payload, a CRM's number) lands in its
/// custom fields: set, replaced by a newer value, and bounded.
async fn custom_fields_a_channel_tells_are_kept_on_the_contact_and_bounded(engine: Engine) {
    let f = fixture(&engine).await;
    let told = |fields: &[(&str, &str)]| {
        let mut who = sender("lucia@example.com");
        who.custom_fields = fields
            .iter()
            .map(|(name, value)| (name.to_string(), value.to_string()))
            .collect();
        who
    };
    let first = f
        .ingest_from(told(&[("telegram_start", "summer-sale")]), "m-1", "/start")
        .await;
    assert_eq!(
        f.contact(first.contact_id).await.custom_fields["telegram_start"],
        "summer-sale",
        "set on a new contact"
    );
    let long_name = "n".repeat(65);
    let second = f
        .ingest_from(
            told(&[("telegram_start", "black-friday"), (&long_name, "x")]),
            "m-2",
            "/start",
        )
        .await;
    let contact = f.contact(second.contact_id).await;
    assert_eq!(second.contact_id, first.contact_id);
    assert_eq!(
        contact.custom_fields["telegram_start"], "black-friday",
        "a newer value replaces the older"
    );
    assert!(
        !contact.custom_fields.contains_key(&long_name),
        "a name over 64 characters is left out"
    );
    let many: Vec<(String, String)> = (0..60).map(|n| (format!("f{n}"), "v".into())).collect();
    let many: Vec<(&str, &str)> = many.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
    let third = f.ingest_from(told(&many), "m-3", "…").await;
    assert_eq!(
        f.contact(third.contact_id).await.custom_fields.len(),
        50,
        "a contact holds at most 50 told fields"
    );
}

/// Removing a workspace leaves nothing of it: no key of the tree names it, its people, its
/// channels or its dead letters, no value, journal line or file of the store's folder holds its
/// words, and the other workspace keeps everything; an active workspace is refused, and a
/// second removal finds nothing more.
#[tokio::test]
async fn a_removed_workspace_leaves_no_key_value_or_journal_line_behind() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = RecordStore::open(dir.path(), Arc::new(InProcessBus::new(1024))).expect("open");
    let (ours, our_channel, _) = seed(&store, "Acme").await;
    let (theirs, their_channel, their_agent) = seed(&store, "Rival").await;
    store
        .ingest(ours, our_channel, inbound("ana@example.com", "a-1", "Hola"))
        .await
        .expect("ours");
    let secret = "rival-secret";
    let ingested = store
        .ingest(
            theirs,
            their_channel,
            inbound(
                &format!("{secret}@rival.test"),
                "r-1",
                &format!("{secret} order"),
            ),
        )
        .await
        .expect("theirs");
    let reply = NewReply {
        template: None,
        mentions: Vec::new(),
        text: format!("{secret} reply"),
        attachments: Vec::new(),
        private: false,
    };
    store
        .add_reply(
            theirs,
            ingested.conversation_id,
            Author::Agent { id: their_agent },
            reply,
        )
        .await
        .expect("a queued reply");
    let limits = switchboard_store::DeadLetterLimits {
        max_bytes_per_channel: 1 << 20,
        max_age_ms: 3_600_000,
    };
    store
        .put_dead_letter(
            theirs,
            their_channel,
            "broken",
            secret.as_bytes().to_vec(),
            limits,
        )
        .await
        .expect("a dead letter");
    store
        .put_blob(
            theirs,
            format!("%PDF {secret}").into_bytes(),
            1 << 20,
            FilePurpose::Kept,
        )
        .await
        .expect("a file");
    store
        .create_label(
            theirs,
            switchboard_model::NewLabel {
                name: format!("{secret} label"),
                colour: "#e5534b".into(),
            },
        )
        .await
        .expect("a label");
    store
        .put_channel_record(
            theirs,
            their_channel,
            switchboard_store::ChannelRecord::Secrets,
            secret.as_bytes().to_vec(),
        )
        .await
        .expect("secrets");
    let session = switchboard_store::Session {
        workspace_id: theirs,
        agent_id: their_agent,
        expires_at: i64::MAX,
    };
    store
        .put_session([7; 32], session)
        .await
        .expect("a session");
    let token = switchboard_model::NewApiToken {
        name: format!("{secret} token"),
        scope: Default::default(),
        expires_at: None,
    };
    store
        .create_api_token(theirs, their_agent, token, [8; 32])
        .await
        .expect("a token");
    let webhook = store
        .create_webhook(
            theirs,
            new_webhook(&format!("https://{secret}.example/hook")),
            secret.as_bytes().to_vec(),
        )
        .await
        .expect("a webhook");
    let cursor = store
        .webhook_cursor(theirs)
        .await
        .expect("read")
        .expect("a cursor");
    let told = switchboard_store::QueuedEvent {
        webhook_id: webhook.id,
        event: switchboard_model::WebhookEvent::MessageCreated,
        event_id: cursor + 1,
    };
    store
        .queue_webhook_events(theirs, cursor, cursor + 1, vec![told])
        .await
        .expect("a queued delivery");
    store
        .record_audit(
            theirs,
            switchboard_model::AuditRecord {
                actor: switchboard_model::AuditActor::Operator,
                action: switchboard_model::AuditAction::TeamCreated,
                record_id: None,
                record_name: Some(format!("{secret} team")),
                changed: Vec::new(),
            },
        )
        .await
        .expect("an audit entry");

    let refused = store.remove_workspace(theirs).await.expect_err("active");
    assert!(matches!(refused, StoreError::Conflict(_)), "{refused:?}");
    store
        .suspend_workspace(theirs, true)
        .await
        .expect("suspend");
    let removed = store.remove_workspace(theirs).await.expect("removed");
    assert!(removed.records > 10, "{removed:?}");
    assert!(removed.event_lines >= 3, "{removed:?}");
    assert!(matches!(
        store.remove_workspace(theirs).await,
        Err(StoreError::NotFound { .. })
    ));
    assert!(
        store
            .credentials("bea@rival.test")
            .await
            .expect("read")
            .is_none()
    );
    assert_eq!(store.workspaces().await.expect("list").len(), 1);
    let our_conversations = store
        .conversations(ours, &ConversationFilter::default())
        .await
        .expect("ours");
    assert_eq!(our_conversations.items.len(), 1, "ours stay");
    drop(store);
    // Once more through the store, which writes back what only its log held, then the tree
    // and the journal as they are on disk.
    drop(reopen(dir.path()).await);
    let named: Vec<[u8; 8]> = [theirs, their_channel, their_agent]
        .iter()
        .map(|id| id.to_be_bytes())
        .collect();
    let tree = raw_tree(dir.path()).await;
    let mut keys = 0;
    for entry in tree.iter() {
        let (key, value) = entry.expect("an entry");
        keys += 1;
        let first_id = key.get(2..10);
        assert!(
            !named.iter().any(|id| first_id == Some(&id[..])),
            "a key names the removed workspace or its records: {:?}",
            String::from_utf8_lossy(&key)
        );
        for bytes in [&key[..], &value[..]] {
            assert!(
                !String::from_utf8_lossy(bytes).contains(secret),
                "{:?} → {:?}",
                String::from_utf8_lossy(&key),
                String::from_utf8_lossy(&value)
            );
        }
    }
    assert!(keys > 5, "the other workspace's records are there");
    for segment in std::fs::read_dir(dir.path().join("events")).expect("the journal") {
        let text = std::fs::read_to_string(segment.expect("a segment").path()).expect("read");
        assert!(!text.contains(secret), "the journal keeps {secret}");
        assert!(text.contains("Hola"), "and the other workspace's events");
    }
    for (path, bytes) in blob_files(&dir.path().join("files")) {
        assert!(
            !String::from_utf8_lossy(&bytes).contains(secret),
            "{} keeps a file of the removed workspace",
            path.display()
        );
    }
}

/// Erasing a contact at their request: once reopened, no key of the tree names the contact,
/// the contact merged into it, their conversation or its messages, no value holds their words,
/// the journal keeps no line of theirs and the store's folder no byte of their file; another
/// contact keeps everything, its file too.
#[tokio::test]
async fn an_erased_contact_leaves_no_key_value_or_journal_line_behind() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = RecordStore::open(dir.path(), Arc::new(InProcessBus::new(1024))).expect("open");
    let (workspace, channel, agent) = seed(&store, "Acme").await;
    let secret = "quindio";
    let ana = store
        .ingest(
            workspace,
            channel,
            inbound("ana@tienda.co", "a-1", &format!("{secret} pedido")),
        )
        .await
        .expect("Ana writes");
    let by_phone = store
        .create_contact(
            workspace,
            NewContact {
                name: format!("Ana {secret}"),
                phones: vec!["+57 300 123 4567".into()],
                ..NewContact::default()
            },
        )
        .await
        .expect("her phone's contact");
    store
        .merge_contacts(workspace, ana.contact_id, by_phone.id)
        .await
        .expect("one person");
    let luis = store
        .ingest(workspace, channel, inbound("luis@tienda.co", "l-1", "Hola"))
        .await
        .expect("Luis writes");
    let file = |text: &str| {
        let bytes = format!("%PDF {text}").into_bytes();
        let sha256 = store.put_blob(workspace, bytes.clone(), 1 << 20, FilePurpose::Attachment);
        (sha256, bytes.len() as u64)
    };
    let (hers, hers_size) = file(secret);
    let (shared, shared_size) = file("catalogo");
    let (hers, shared) = (hers.await.expect("her file"), shared.await.expect("shared"));
    let attachment = |sha256: &str, size| Attachment {
        sha256: sha256.into(),
        name: "f.pdf".into(),
        media_type: "application/pdf".into(),
        size,
    };
    for (conversation, text, attachments) in [
        (
            ana.conversation_id,
            format!("{secret} factura"),
            vec![
                attachment(&hers, hers_size),
                attachment(&shared, shared_size),
            ],
        ),
        (
            luis.conversation_id,
            "catalogo".into(),
            vec![attachment(&shared, shared_size)],
        ),
    ] {
        let reply = NewReply {
            template: None,
            mentions: Vec::new(),
            text,
            attachments,
            private: false,
        };
        store
            .add_reply(workspace, conversation, Author::Agent { id: agent }, reply)
            .await
            .expect("a queued reply");
    }

    let erased = store
        .erase_contact(workspace, ana.contact_id)
        .await
        .expect("erased");
    assert_eq!(erased.contact_ids, [ana.contact_id, by_phone.id]);
    assert_eq!(
        (erased.conversations, erased.messages, erased.files),
        (1, 2, 1),
        "{erased:?}"
    );
    assert!(matches!(
        store.erase_contact(workspace, ana.contact_id).await,
        Err(StoreError::NotFound { .. })
    ));
    let last = store
        .events_after(workspace, 0, 1_000)
        .await
        .expect("events");
    assert!(matches!(
        last.last().map(|e| &e.kind),
        Some(EventKind::ContactErased(_))
    ));
    assert!(
        store.blob(workspace, &shared).await.is_ok(),
        "Luis's message still carries the shared file"
    );
    drop(store);

    let store = reopen(dir.path()).await;
    assert_eq!(
        texts(&store, workspace, luis.conversation_id).await.len(),
        2
    );
    drop(store);
    let named: Vec<[u8; 8]> = [
        ana.contact_id,
        by_phone.id,
        ana.conversation_id,
        ana.message_id,
    ]
    .iter()
    .map(|id| id.to_be_bytes())
    .collect();
    let tree = raw_tree(dir.path()).await;
    for entry in tree.iter() {
        let (key, value) = entry.expect("an entry");
        assert!(
            !named
                .iter()
                .any(|id| key.windows(8).any(|window| window == id)),
            "a key names the erased contact or its records: {:?}",
            String::from_utf8_lossy(&key)
        );
        for bytes in [&key[..], &value[..]] {
            let text = String::from_utf8_lossy(bytes);
            assert!(
                !text.contains(secret) && !text.contains("ana@tienda.co"),
                "{:?} → {:?}",
                String::from_utf8_lossy(&key),
                String::from_utf8_lossy(&value)
            );
        }
    }
    for segment in std::fs::read_dir(dir.path().join("events")).expect("the journal") {
        let text = std::fs::read_to_string(segment.expect("a segment").path()).expect("read");
        assert!(
            !text.contains("ana@tienda.co"),
            "the journal keeps her address"
        );
        assert!(text.contains("luis@tienda.co"), "and keeps Luis's events");
    }
    let files: Vec<_> = blob_files(&dir.path().join("files"))
        .into_iter()
        .map(|(_, bytes)| String::from_utf8_lossy(&bytes).into_owned())
        .collect();
    assert_eq!(
        files,
        ["%PDF catalogo"],
        "her file's bytes went; the file Luis's message carries stayed"
    );
}

/// What a user of `workspaces` sees: each one's conversations, their messages' texts, and the
/// workspace's events.
async fn what_users_see(
    store: &RecordStore,
    workspaces: &[Id],
) -> Vec<(
    Vec<switchboard_model::Conversation>,
    Vec<Vec<String>>,
    Vec<switchboard_model::Event>,
)> {
    let mut seen = Vec::new();
    for &workspace in workspaces {
        let conversations = store
            .conversations(workspace, &ConversationFilter::default())
            .await
            .expect("conversations")
            .items;
        let mut messages = Vec::new();
        for conversation in &conversations {
            messages.push(texts(store, workspace, conversation.id).await);
        }
        let events = store
            .events_after(workspace, 0, 1000)
            .await
            .expect("events");
        seen.push((conversations, messages, events));
    }
    seen
}

/// `switchboard migrate`'s copy, once the store that had the sled tree open let go of it.
async fn migrate(
    dir: &Path,
    url: &str,
    files_to: Option<&Path>,
) -> Result<switchboard_store::MigrationReport, StoreError> {
    for _ in 0..500 {
        let (dir, url) = (dir.to_path_buf(), url.to_string());
        let files_to = files_to.map(Path::to_path_buf);
        let copied = tokio::task::spawn_blocking(move || {
            switchboard_store::copy_sled_into_postgres(&dir, &url, files_to.as_deref())
        })
        .await
        .expect("the copy ran");
        match copied {
            Err(StoreError::Conflict(reason)) if reason.contains("still holds the sled store") => {
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            }
            copied => return copied,
        }
    }
    panic!("the sled store stays locked");
}

/// An operator moves from one node to several: `switchboard migrate` copies a sled store of two
/// workspaces into PostgreSQL, where it reads the same (conversations, messages, a contact,
/// every event), and the ids a node on PostgreSQL gives out continue above the copied ones.
#[tokio::test(flavor = "multi_thread")]
async fn a_sled_store_migrated_to_postgresql_reads_the_same_and_continues_its_ids() {
    let server = switchboard_e2e::scale_rig::Postgres::start().expect("start PostgreSQL");
    let dir = tempfile::tempdir().expect("temp dir");
    let sled = RecordStore::open(dir.path(), Arc::new(InProcessBus::new(1024))).expect("open");
    let (acme, acme_channel, bea) = seed(&sled, "Acme").await;
    let (globex, globex_channel, _) = seed(&sled, "Globex").await;
    let ana = ingest_as_ana(&sled, acme, acme_channel, "m-1", "Olá").await;
    ingest_as_ana(&sled, acme, acme_channel, "m-2", "Alguém aí?").await;
    sled.ingest(acme, acme_channel, inbound("bo@example.com", "m-3", "Hi"))
        .await
        .expect("ingest");
    sled.ingest(
        globex,
        globex_channel,
        inbound("carla@example.com", "g-1", "Hallo"),
    )
    .await
    .expect("ingest");
    let reply = agent_reply("Oi Ana!");
    sled.add_reply(acme, ana.conversation_id, Author::Agent { id: bea }, reply)
        .await
        .expect("reply");
    let dana = NewContact {
        name: "Dana".into(),
        emails: vec!["dana@globex.test".into()],
        ..NewContact::default()
    };
    let dana = sled.create_contact(globex, dana).await.expect("contact");
    let photo = b"\x89PNG a photo".to_vec();
    let photo_sha = sled
        .put_blob(acme, photo.clone(), 1024, FilePurpose::Kept)
        .await
        .expect("a file");
    let before = what_users_see(&sled, &[acme, globex]).await;
    let ana_before = sled.contact(acme, ana.contact_id).await.expect("contact");
    drop(sled);

    let Engine::Postgres(url) = Engine::postgres(&server, 1) else {
        unreachable!()
    };
    let report = migrate(dir.path(), &url, None).await.expect("migrate");
    for (at, workspace) in [acme, globex].into_iter().enumerate() {
        let copied = report.workspaces[&workspace];
        assert_eq!(copied.events, before[at].2.len() as u64, "{report}");
        assert!(copied.records > 0, "{report}");
        assert_eq!(copied.blobs, u64::from(workspace == acme), "{report}");
    }
    let total = report.total();
    assert_eq!(total.events, (before[0].2.len() + before[1].2.len()) as u64);
    assert!(
        report.workspaces.contains_key(&0),
        "the id counter and sign-in addresses: {report}"
    );

    let postgres =
        RecordStore::open_postgres(&url, Arc::new(InProcessBus::new(1024))).expect("open");
    let after = what_users_see(&postgres, &[acme, globex]).await;
    assert_eq!(after, before, "the same conversations, messages and events");
    assert_eq!(after[0].0.len(), 2, "Ana's and Bo's conversations");
    assert_eq!(after[0].1.iter().flatten().count(), 4);
    assert_eq!(
        postgres.contact(acme, ana.contact_id).await.expect("Ana"),
        ana_before
    );
    assert_eq!(
        postgres.contact(globex, dana.id).await.expect("Dana").name,
        "Dana"
    );
    assert_eq!(
        postgres.blob(acme, &photo_sha).await.expect("the photo"),
        photo
    );

    let copied_ids = before
        .iter()
        .flat_map(|(conversations, _, events)| {
            let conversations = conversations.iter().map(|conversation| conversation.id);
            conversations.chain(events.iter().map(|event| event.id))
        })
        .max()
        .expect("ids");
    let new = postgres
        .ingest(
            acme,
            acme_channel,
            inbound("eve@example.com", "m-4", "Hello"),
        )
        .await
        .expect("ingest on PostgreSQL");
    assert!(!new.duplicate);
    assert!(
        new.message_id > copied_ids && new.conversation_id > copied_ids,
        "new ids continue above the copied ones ({} > {copied_ids})",
        new.message_id
    );
    let again = postgres
        .ingest(acme, acme_channel, inbound("ana@example.com", "m-1", "Olá"))
        .await
        .expect("ingest again");
    assert!(again.duplicate, "the copied dedupe records still answer");
    let events = postgres.events_after(acme, 0, 1000).await.expect("events");
    assert!(events.last().expect("an event").id > copied_ids);
}

/// `switchboard migrate` never writes into a database that holds a store already.
#[tokio::test(flavor = "multi_thread")]
async fn migrating_into_a_database_that_holds_records_is_refused() {
    let server = switchboard_e2e::scale_rig::Postgres::start().expect("start PostgreSQL");
    let dir = tempfile::tempdir().expect("temp dir");
    let sled = RecordStore::open(dir.path(), Arc::new(InProcessBus::new(16))).expect("open");
    seed(&sled, "Acme").await;
    drop(sled);
    let engine = Engine::postgres(&server, 1);
    let in_use = engine.open(dir.path(), Arc::new(InProcessBus::new(16)));
    let (workspace, _, _) = seed(&in_use, "Globex").await;
    let Engine::Postgres(url) = engine else {
        unreachable!()
    };

    let refused = migrate(dir.path(), &url, None).await.expect_err("refused");
    assert!(
        matches!(&refused, StoreError::Conflict(reason) if reason.contains("already holds")),
        "{refused}"
    );
    assert_eq!(
        in_use.workspace(workspace).await.expect("kept").name,
        "Globex"
    );
    assert_eq!(in_use.workspaces().await.expect("workspaces").len(), 1);

    let not_postgres = migrate(dir.path(), "mysql://localhost/switchboard", None).await;
    assert!(
        matches!(&not_postgres, Err(StoreError::Invalid(reason)) if reason.contains("PostgreSQL URL")),
        "{not_postgres:?}"
    );
    let empty = tempfile::tempdir().expect("temp dir");
    let no_store = migrate(empty.path(), &url, None).await;
    assert!(
        matches!(&no_store, Err(StoreError::Invalid(reason)) if reason.contains("holds no sled store")),
        "{no_store:?}"
    );

    // Files go only into an empty folder: one that holds files already is refused.
    let Engine::Postgres(empty_database) = Engine::postgres(&server, 2) else {
        unreachable!()
    };
    let shared = tempfile::tempdir().expect("a shared folder");
    let stray = shared.path().join("9").join("ab");
    std::fs::create_dir_all(&stray).expect("a workspace's folder");
    std::fs::write(stray.join(format!("{}.0", "ab".repeat(32))), b"x").expect("a file");
    let refused = migrate(dir.path(), &empty_database, Some(shared.path()))
        .await
        .expect_err("refused");
    assert!(
        matches!(&refused, StoreError::Conflict(reason) if reason.contains("already holds files")),
        "{refused}"
    );
}
