//! The writer: every step goes through it, so that steps never race and many of them share one
//! disk flush (group commit). It is a two-stage pipeline:
//!
//! 1. the *builder* thread takes every step that is waiting, runs each against an overlay, and
//!    hands the finished group on; it also hands on what it has so far as soon as the committer
//!    waits, so that the writers split into groups that the two threads work on side by side
//!    (otherwise they all end up in one group that each thread in turn waits for);
//! 2. the *committer* thread appends the group's events to the journal, writes the group (its
//!    lines and its tree writes) to the write-ahead log and syncs that, writes them (with the
//!    events' index) into the tree behind the [`Gate`], passes its events on, and only then
//!    answers each step. One sync a group: sled and the journal are made durable by a
//!    checkpoint about every [`CHECKPOINT_EVERY`](committer::CHECKPOINT_EVERY), in a lull
//!    between groups, which then empties the log ([`crate::engine::wal`]).
//!
//! While one group is being written the next one is built, reading the earlier group through
//! its overlay. An answered write is a durable one. A group whose journal lines or log record
//! could not be written (a full disk) is taken back: the files are cut back to where it began,
//! its steps fail, every group built on it is refused, and the builder starts again from what
//! is on disk, so that the store recovers by itself once there is room. A failure that cannot
//! be taken back (the tree, a checkpoint's sync) stops all writes until the gateway restarts,
//! which replays the log.

mod builder;
mod committer;

use std::cell::RefCell;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use switchboard_model::{Event, Id};
use tokio::sync::oneshot;

use self::builder::build_groups;
pub use self::committer::write_tree;
use self::committer::{Files, commit_groups};
use crate::engine::disk_room::{DiskRoom, Need};
use crate::engine::journal::Journal;
use crate::engine::known_keys::KnownKeys;
use crate::engine::recent::Recent;
use crate::engine::txn::{Gate, Group, Txn, View};
use crate::engine::wal::Wal;
use crate::{EventFrame, StoreError, StoreResult};

/// How many records the builder remembers (see [`Recent`]).
const REMEMBERED: usize = 100_000;

pub type Answer = Box<dyn FnOnce(&StoreResult<()>) + Send>;
pub type Job = Box<dyn for<'a> FnOnce(&mut Txn<'a>) -> Answer + Send>;

/// What the committer is told about each group it made durable.
pub type Committed = Box<dyn Fn(&[Event], &[EventFrame]) + Send>;

/// The handle that sends steps to the writer.
pub struct Writer {
    jobs: mpsc::Sender<Job>,
    progress: Arc<Progress>,
    room: DiskRoom,
}

/// What the writer writes to besides sled, and the room it keeps on the disk.
pub struct Disk {
    pub journal: Journal,
    pub wal: Wal,
    pub room: DiskRoom,
}

/// A group on its way from the builder to the committer.
struct Sealed {
    number: u64,
    group: Group,
    answers: Vec<Answer>,
}

/// What both threads share.
#[derive(Default)]
pub struct Progress {
    /// The number of the last group on disk.
    durable_group: AtomicU64,
    /// A write failed that could not be taken back: no more steps until a restart.
    broken: AtomicBool,
    /// The first group the committer writes. [`TAKEN_BACK`] after a group's write was taken
    /// back, until the builder has dropped what it built on that group and set the next.
    accept_from: AtomicU64,
    /// Why the last group failed, while none has been written since.
    pub failing: Mutex<Option<StoreError>>,
    /// The committer waits for a group: the builder hands on what it has built so far.
    committer_idle: AtomicBool,
}

/// `accept_from` while the builder has yet to drop what it built on a group taken back.
const TAKEN_BACK: u64 = u64::MAX;

impl Progress {
    pub fn failing(&self) -> std::sync::MutexGuard<'_, Option<StoreError>> {
        self.failing.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Writer {
    /// Starts the writer on the store's `disk`. `committed` sees each group's events once they
    /// are on disk, before any step of the group is answered.
    pub fn start(
        db: sled::Db,
        gate: Arc<Gate>,
        disk: Disk,
        known: KnownKeys,
        next_id: Id,
        committed: Committed,
    ) -> StoreResult<Writer> {
        let Disk { journal, wal, room } = disk;
        let (jobs, queue) = mpsc::channel::<Job>();
        // One group waits while another is written: the builder never runs far ahead.
        let (sealed, to_commit) = mpsc::sync_channel::<Sealed>(1);
        let progress = Arc::new(Progress::default());
        let spawn_error = |error: std::io::Error| {
            StoreError::Backend(format!("cannot start the store writer: {error}"))
        };
        {
            let (db, segments, progress) = (db.clone(), journal.segments(), progress.clone());
            std::thread::Builder::new()
                .name("store-builder".into())
                .spawn(move || {
                    let view = View {
                        tree: &db,
                        segments: &segments,
                        gate: None,
                    };
                    let recent = RefCell::new(Recent::new(REMEMBERED, known));
                    build_groups(view, &recent, next_id, &queue, &sealed, &progress);
                })
                .map_err(spawn_error)?;
        }
        std::thread::Builder::new()
            .name("store-committer".into())
            .spawn({
                let progress = progress.clone();
                move || {
                    let mut files = Files {
                        journal,
                        wal,
                        checkpointed: Instant::now(),
                    };
                    commit_groups(&db, &gate, &mut files, &to_commit, &committed, &progress);
                }
            })
            .map_err(spawn_error)?;
        Ok(Writer {
            jobs,
            progress,
            room,
        })
    }

    /// Starts a writer whose groups `run` builds and commits on a thread of its own, from the
    /// jobs it is sent (another engine's writer: see [`crate::engine::postgres`]).
    pub fn start_engine(
        name: &str,
        room: DiskRoom,
        run: impl FnOnce(mpsc::Receiver<Job>, Arc<Progress>) + Send + 'static,
    ) -> StoreResult<Writer> {
        let (jobs, queue) = mpsc::channel::<Job>();
        let progress = Arc::new(Progress::default());
        let shared = progress.clone();
        std::thread::Builder::new()
            .name(name.into())
            .spawn(move || run(queue, shared))
            .map_err(|error| {
                StoreError::Backend(format!("cannot start the store writer: {error}"))
            })?;
        Ok(Writer {
            jobs,
            progress,
            room,
        })
    }

    /// `Err` with the reason while writes fail: the last group could not be written (and none
    /// has been since), or the writer stopped for good after a failure it could not take back.
    /// A disk under half its reserve counts as failing too.
    pub fn health(&self) -> Result<(), String> {
        self.room
            .check(Need::Record)
            .map_err(|error| error.to_string())?;
        let failing = self.progress.failing().clone();
        match failing {
            None => Ok(()),
            Some(error) if self.progress.broken.load(Ordering::Acquire) => Err(format!(
                "{error}; the store takes no more writes until the gateway restarts"
            )),
            Some(error) => Err(error.to_string()),
        }
    }

    /// Refuses a write that needs room for `need` while the disk is under its floor (for a
    /// file's bytes, written before the step that records them).
    pub fn check_room(&self, need: Need) -> StoreResult<()> {
        self.room.check(need)
    }

    /// Tells the writer that the disk refused a file's bytes for want of room: its health says
    /// so until the next group is written, as after a group the disk refused.
    pub fn note_no_room(&self, error: &StoreError) {
        if let StoreError::Full(_) = error {
            *self.progress.failing() = Some(error.clone());
        }
    }

    /// Runs `step` in the next group and answers once that group is on disk; refused while
    /// the disk is under half its reserve.
    pub async fn write<T, F>(&self, step: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: for<'a> FnOnce(&mut Txn<'a>) -> StoreResult<T> + Send + 'static,
    {
        self.write_needing(Need::Record, step).await
    }

    /// [`Writer::write`] for a step that stores a file: refused while the disk is under its
    /// reserve.
    pub async fn write_file<T, F>(&self, step: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: for<'a> FnOnce(&mut Txn<'a>) -> StoreResult<T> + Send + 'static,
    {
        self.write_needing(Need::File, step).await
    }

    async fn write_needing<T, F>(&self, need: Need, step: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: for<'a> FnOnce(&mut Txn<'a>) -> StoreResult<T> + Send + 'static,
    {
        self.room.check(need)?;
        let (answer, answered) = oneshot::channel();
        let job: Job = Box::new(move |txn| {
            let result = txn.run_step(step);
            Box::new(move |commit: &StoreResult<()>| {
                let _ = answer.send(match commit {
                    Ok(()) => result,
                    Err(error) => Err(error.clone()),
                });
            })
        });
        self.jobs
            .send(job)
            .map_err(|_| StoreError::Backend("the store is shut down".into()))?;
        answered
            .await
            .map_err(|_| StoreError::Backend("the store writer stopped".into()))?
    }
}

fn refused() -> StoreError {
    StoreError::Backend("an earlier write to disk failed; the store takes no more writes until the gateway restarts".into())
}
