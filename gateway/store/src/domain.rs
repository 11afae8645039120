//! The store's domain: [`RecordStore`], which implements every area of the store once
//! (`areas/`), with the steps it takes on records (contacts, conversations, delivery…) and the
//! inbox's in-memory index, over either engine (`crate::engine`): sled on local disk, or
//! PostgreSQL shared by several nodes.

mod areas;
mod contacts;
mod conversations;
mod delivery;
mod directory;
mod edits;
mod erasure;
mod files;
mod imports;
mod inbox;
mod integrations;
mod invitations;
mod removal;

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use serde::de::DeserializeOwned;
use switchboard_model::{Event, EventId, Id};

use self::inbox::Inbox;
use crate::engine::blobs::{Blobs, FolderBlobs};
use crate::engine::journal::{End, Journal, Segments};
use crate::engine::known_keys::KnownKeys;
use crate::engine::postgres::{self, Database, DatabaseBlobs, Follower, PgView};
use crate::engine::txn::{Events, Gate, Read, Record, Scan, View, Walk};
use crate::engine::wal::{Salvaged, Wal};
use crate::engine::writer::Writer;
use crate::keys;
use crate::{EventBus, EventFrame, Store, StoreError, StoreResult};

/// Switchboard's store: the domain steps over an engine, sled on disk by default (with event
/// bodies in a journal beside it) or PostgreSQL for several nodes.
pub struct RecordStore {
    engine: Engine,
    writer: Writer,
    inbox: Arc<Inbox>,
    /// Where files' bytes live (see `files`).
    blobs: Arc<dyn Blobs>,
}

/// Where the records are.
enum Engine {
    Sled(SledFiles),
    Postgres(Arc<Database>, Follower),
}

/// The embedded engine's tree and journal.
struct SledFiles {
    db: sled::Db,
    /// Read behind it, so that no read sees a group half written (see [`Gate`]).
    gate: Arc<Gate>,
    segments: Arc<Segments>,
    /// The highest event id known to be on disk; event reads stop there.
    durable_event_id: Arc<AtomicU64>,
}

/// What reads outside the writer see, on either engine.
#[derive(Clone, Copy)]
pub enum StoreView<'a> {
    Sled(View<'a>),
    Postgres(PgView<'a>),
}

impl Read for StoreView<'_> {
    fn read<T>(&self, key: &[u8], read: impl FnOnce(&[u8]) -> T) -> StoreResult<Option<T>> {
        match self {
            StoreView::Sled(view) => view.read(key, read),
            StoreView::Postgres(view) => view.read(key, read),
        }
    }
}

impl Scan for StoreView<'_> {
    fn walk_prefix(
        &self,
        prefix: &[u8],
        visit: &mut dyn FnMut(&[u8], &[u8]) -> Walk,
    ) -> StoreResult<()> {
        match self {
            StoreView::Sled(view) => view.walk_prefix(prefix, visit),
            StoreView::Postgres(view) => view.walk_prefix(prefix, visit),
        }
    }
}

impl Events for StoreView<'_> {
    fn event_json(&self, workspace_id: Id, id: EventId) -> StoreResult<Option<Vec<u8>>> {
        match self {
            StoreView::Sled(view) => view.event_json(workspace_id, id),
            StoreView::Postgres(view) => view.event_json(workspace_id, id),
        }
    }
}

impl StoreView<'_> {
    /// Entries with keys in `[start, before)`, last first, until `visit` stops.
    fn walk_back(
        &self,
        start: &[u8],
        before: &[u8],
        visit: &mut dyn FnMut(&[u8], &[u8]) -> Walk,
    ) -> StoreResult<()> {
        match self {
            StoreView::Sled(view) => {
                let mut entries = view.tree.range(start..before).rev();
                while let Some(entry) = {
                    let _reading = view.reading();
                    entries.next()
                } {
                    let (key, value) = entry?;
                    if !visit(&key, &value)? {
                        break;
                    }
                }
                Ok(())
            }
            StoreView::Postgres(view) => view.walk_back(start, before, visit),
        }
    }
}

impl RecordStore {
    /// Keeps what still reads of the write-ahead log of the store in `path`, which a start
    /// refused as damaged, for the next start to replay; the gateway must be stopped.
    pub fn salvage_log(path: &Path) -> StoreResult<Option<Salvaged>> {
        crate::engine::wal::salvage(path)
    }

    /// Opens (or creates) the store in `path`, with no disk reserve. Committed events are
    /// published to `bus`.
    pub fn open(path: &Path, bus: Arc<dyn EventBus>) -> StoreResult<RecordStore> {
        Self::open_with(path, bus, 0)
    }

    /// [`RecordStore::open`], keeping `min_free_bytes` free on the store's disk: files are
    /// refused under it, every other write under half of it (`StoreError::Full`).
    pub fn open_with(
        path: &Path,
        bus: Arc<dyn EventBus>,
        min_free_bytes: u64,
    ) -> StoreResult<RecordStore> {
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
        let upgrade_from = check_format(&db)?;
        let wal = replay(&db, path)?;
        let blobs = Arc::new(FolderBlobs::new(path.join("files")));
        if let Some(layout) = upgrade_from {
            if layout == 2 {
                delivery::index_dead_letters(&db)?;
            }
            files::move_bytes_to_blobs(&db, &*blobs)?;
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
        let inbox = Arc::new(Inbox::rebuild(&*db)?);
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
            crate::engine::writer::Disk {
                journal,
                wal,
                room: crate::engine::disk_room::DiskRoom::new(path.to_path_buf(), min_free_bytes),
            },
            known,
            next_id,
            committed,
        )?;
        Ok(RecordStore {
            engine: Engine::Sled(SledFiles {
                db,
                gate,
                segments,
                durable_event_id,
            }),
            writer,
            inbox,
            blobs,
        })
    }

    /// Connects to the PostgreSQL database at `url` (bringing its schema up to date), for one
    /// of several gateway nodes that share it. Committed events, this node's and the others',
    /// are published to `bus` in id order. Files' bytes are kept in the database too (see
    /// [`RecordStore::keep_files_in`]).
    pub fn open_postgres(url: &str, bus: Arc<dyn EventBus>) -> StoreResult<RecordStore> {
        let database = Database::open(url)?;
        let view = PgView {
            database: &database,
        };
        // Read before the inbox: the follower hands on again what the inbox already holds,
        // which it ignores, rather than miss what commits in between.
        let from = view.last_event_id()?;
        let inbox = Arc::new(Inbox::rebuild(&view)?);
        let deliver = {
            let inbox = inbox.clone();
            Box::new(move |events: &[Event], frames: &[EventFrame]| {
                inbox.record(events);
                bus.publish(frames);
            })
        };
        let follower = Follower::start(database.clone(), from, deliver)?;
        let writer = {
            let (database, follower) = (database.clone(), follower.clone());
            Writer::start_engine(
                "store-writer",
                crate::engine::disk_room::DiskRoom::new(std::path::PathBuf::new(), 0),
                move |queue, progress| postgres::run_groups(database, queue, progress, follower),
            )?
        };
        Ok(RecordStore {
            engine: Engine::Postgres(database, follower),
            writer,
            inbox,
            blobs: Arc::new(DatabaseBlobs::open(url)?),
        })
    }

    /// On PostgreSQL, keeps files' bytes in `folder` rather than in the database: a volume that
    /// every node mounts (the embedded store keeps them in its own folder, `files`).
    pub fn keep_files_in(mut self, folder: &Path) -> StoreResult<RecordStore> {
        if let Engine::Sled(_) = self.engine {
            return Err(StoreError::Invalid(
                "the embedded store keeps its files in its own folder".into(),
            ));
        }
        self.blobs = Arc::new(FolderBlobs::new(folder.to_path_buf()));
        Ok(self)
    }

    fn view(&self) -> StoreView<'_> {
        match &self.engine {
            Engine::Sled(files) => StoreView::Sled(View {
                tree: &files.db,
                segments: &files.segments,
                gate: Some(&files.gate),
            }),
            Engine::Postgres(database, _) => StoreView::Postgres(PgView { database }),
        }
    }

    /// On sled, the tree and the event journal beside it (what `switchboard migrate` copies).
    pub(crate) fn sled_files(&self) -> Option<(&sled::Db, &Segments)> {
        match &self.engine {
            Engine::Sled(files) => Some((&files.db, &files.segments)),
            Engine::Postgres(..) => None,
        }
    }

    /// Where the store keeps files' bytes (what `switchboard migrate` copies with the records).
    pub(crate) fn blobs(&self) -> &dyn Blobs {
        &*self.blobs
    }

    /// On PostgreSQL, the last event id this node committed, as it changes: what a bus tells
    /// the other nodes. `None` on sled, which has one node.
    pub fn commits(&self) -> Option<tokio::sync::watch::Receiver<EventId>> {
        match &self.engine {
            Engine::Sled(_) => None,
            Engine::Postgres(_, follower) => Some(follower.commits()),
        }
    }

    /// Brings the inbox index up to date before a read of it: on PostgreSQL, with every event
    /// any node committed (one query, which finds nothing new most of the time); on sled it
    /// is always up to date. While the database cannot be read, the index answers as it is.
    fn index_up_to_date(&self) {
        if let Engine::Postgres(database, follower) = &self.engine {
            let follower = follower.clone();
            let caught_up = database
                .pool
                .run(move |client| follower.catch_up_with(client));
            if let Err(error) = caught_up {
                tracing::debug!(%error, "the inbox answers from what this node has read");
            }
        }
    }

    /// Tells the store that another node committed: on PostgreSQL, this node reads and hands
    /// on the new events now rather than at its next look.
    pub fn wake_follower(&self) {
        if let Engine::Postgres(_, follower) = &self.engine {
            follower.wake();
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

impl Store for RecordStore {
    fn write_health(&self) -> Result<(), String> {
        self.writer.health()?;
        match &self.engine {
            Engine::Sled(_) => Ok(()),
            Engine::Postgres(_, follower) => follower.health(),
        }
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
    crate::engine::journal::restore(&path.join("events"), &records)?;
    for record in &records {
        let writes = record
            .writes
            .iter()
            .map(|(key, value)| (key.as_slice(), value.as_deref()));
        crate::engine::writer::write_tree(db, writes)?;
    }
    db.flush()?;
    wal.clear()?;
    tracing::info!(groups = records.len(), "replayed the write-ahead log");
    Ok(wal)
}

/// A fresh tree gets the current layout; one of layout 2 or 3 is upgraded once the write-ahead
/// log has been applied (2 indexes its dead letters; both move files' bytes to blobs); a tree
/// of another layout is refused with the reason. Answers the layout to upgrade from, if any.
fn check_format(db: &sled::Db) -> StoreResult<Option<u64>> {
    match db.get_json::<u64>(keys::META_FORMAT)? {
        Some(keys::FORMAT) => Ok(None),
        Some(layout @ (2 | 3)) => Ok(Some(layout)),
        None if db.is_empty() => {
            set_format(db)?;
            Ok(None)
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
