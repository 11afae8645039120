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
//!    checkpoint about every [`CHECKPOINT_EVERY`], in a lull between groups, which then empties
//!    the log ([`crate::sled::engine::wal`]).
//!
//! While one group is being written the next one is built, reading the earlier group through
//! its overlay. An answered write is a durable one. A group whose journal lines or log record
//! could not be written (a full disk) is taken back: the files are cut back to where it began,
//! its steps fail, every group built on it is refused, and the builder starts again from what
//! is on disk, so that the store recovers by itself once there is room. A failure that cannot
//! be taken back (the tree, a checkpoint's sync) stops all writes until the gateway restarts,
//! which replays the log.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use switchboard_model::{Event, Id, now_millis};
use tokio::sync::oneshot;

use crate::sled::engine::disk_room::{DiskRoom, Need};
use crate::sled::engine::journal::Journal;
use crate::sled::engine::known_keys::KnownKeys;
use crate::sled::engine::recent::Recent;
use crate::sled::engine::txn::{Gate, Group, Overlay, Txn, View};
use crate::sled::engine::wal::Wal;
use crate::sled::keys;
use crate::{EventFrame, StoreError, StoreResult};

/// How many steps one group may hold at most.
const MAX_GROUP: usize = 4096;
/// How many records the builder remembers (see [`Recent`]).
const REMEMBERED: usize = 100_000;
/// How often sled and the journal are made durable, so that the write-ahead log can be emptied.
/// A due checkpoint waits for a [`LULL`], so that its flush does not take the cores from the
/// fan-out of the group just answered, nor hold up the next one.
const CHECKPOINT_EVERY: Duration = Duration::from_secs(1);
/// How long no group may come before a due checkpoint runs.
const LULL: Duration = Duration::from_millis(10);
/// Under load with no lull, a checkpoint runs after the group that finds it this late.
const CHECKPOINT_LATEST: Duration = Duration::from_secs(3);
/// A log this large is emptied at the next group, however recent the last checkpoint.
const CHECKPOINT_BYTES: u64 = 64 * 1024 * 1024;

type Answer = Box<dyn FnOnce(&StoreResult<()>) + Send>;
type Job = Box<dyn for<'a> FnOnce(&mut Txn<'a>) -> Answer + Send>;

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
struct Progress {
    /// The number of the last group on disk.
    durable_group: AtomicU64,
    /// A write failed that could not be taken back: no more steps until a restart.
    broken: AtomicBool,
    /// The first group the committer writes. [`TAKEN_BACK`] after a group's write was taken
    /// back, until the builder has dropped what it built on that group and set the next.
    accept_from: AtomicU64,
    /// Why the last group failed, while none has been written since.
    failing: Mutex<Option<StoreError>>,
    /// The committer waits for a group: the builder hands on what it has built so far.
    committer_idle: AtomicBool,
}

/// `accept_from` while the builder has yet to drop what it built on a group taken back.
const TAKEN_BACK: u64 = u64::MAX;

impl Progress {
    fn failing(&self) -> std::sync::MutexGuard<'_, Option<StoreError>> {
        self.failing.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// How a group's write failed.
enum Failed {
    /// Before anything reached the tree; the files were cut back to where the group began.
    Undone(StoreError),
    /// After, or while cutting back: the log must be replayed by a restart.
    Broken(StoreError),
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

fn build_groups(
    view: View,
    recent: &RefCell<Recent>,
    mut next_id: Id,
    queue: &mpsc::Receiver<Job>,
    sealed: &mpsc::SyncSender<Sealed>,
    progress: &Progress,
) {
    // Groups handed on and not yet on disk, with the next id after each.
    let mut in_flight: VecDeque<(u64, Arc<Overlay>, Id)> = VecDeque::new();
    let mut durable_next_id = next_id;
    let mut number = 0;
    while let Ok(first) = queue.recv() {
        let durable = progress.durable_group.load(Ordering::Acquire);
        while in_flight
            .front()
            .is_some_and(|(group, ..)| *group <= durable)
        {
            if let Some((_, _, after)) = in_flight.pop_front() {
                durable_next_id = after;
            }
        }
        let rebuild = progress.accept_from.compare_exchange(
            TAKEN_BACK,
            number + 1,
            Ordering::AcqRel,
            Ordering::Acquire,
        );
        if rebuild.is_ok() {
            // The committer refuses every group built on the one it took back: build on what
            // is on disk again; it takes the groups from the next one on.
            in_flight.clear();
            recent.borrow_mut().forget_all();
            next_id = durable_next_id;
        }
        recent.borrow_mut().evict(durable);
        let overlays: Vec<Arc<Overlay>> = in_flight
            .iter()
            .rev()
            .map(|(_, overlay, _)| overlay.clone())
            .collect();
        let mut txn = Txn::new(view, &overlays, recent, next_id, now_millis());
        let mut answers = vec![first(&mut txn)];
        while answers.len() < MAX_GROUP && !progress.committer_idle.load(Ordering::Acquire) {
            match queue.try_recv() {
                Ok(job) => answers.push(job(&mut txn)),
                Err(_) => break,
            }
        }
        if progress.broken.load(Ordering::Acquire) {
            answers
                .into_iter()
                .for_each(|answer| answer(&Err(refused())));
            continue;
        }
        match txn.finish() {
            Ok((group, group_next_id)) => {
                next_id = group_next_id;
                number += 1;
                in_flight.push_back((number, group.writes.clone(), next_id));
                recent.borrow_mut().remember_group(&group.writes, number);
                let handed_on = sealed.send(Sealed {
                    number,
                    group,
                    answers,
                });
                progress.committer_idle.store(false, Ordering::Release);
                if let Err(mpsc::SendError(lost)) = handed_on {
                    lost.answers
                        .into_iter()
                        .for_each(|answer| answer(&Err(refused())));
                }
            }
            Err(error) => answers
                .into_iter()
                .for_each(|answer| answer(&Err(error.clone()))),
        }
    }
}

/// What the committer writes besides sled.
struct Files {
    journal: Journal,
    wal: Wal,
    /// When the last checkpoint emptied the log.
    checkpointed: Instant,
}

fn commit_groups(
    db: &sled::Db,
    gate: &Gate,
    files: &mut Files,
    to_commit: &mpsc::Receiver<Sealed>,
    committed: &Committed,
    progress: &Progress,
) {
    loop {
        // A log with records waits for a group until its checkpoint is due, then for a lull.
        let checkpoint_in =
            (files.wal.len() > 0 && !progress.broken.load(Ordering::Acquire)).then(|| {
                CHECKPOINT_EVERY
                    .saturating_sub(files.checkpointed.elapsed())
                    .max(LULL)
            });
        let Sealed {
            number,
            group,
            answers,
        } = match next_group(to_commit, progress, checkpoint_in) {
            Ok(sealed) => sealed,
            Err(mpsc::RecvTimeoutError::Timeout) => {
                checkpoint(db, files, progress);
                continue;
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
        };
        let outcome = if progress.broken.load(Ordering::Acquire) {
            Err(refused())
        } else if number < progress.accept_from.load(Ordering::Acquire) {
            // Built on a group that was taken back.
            Err(progress.failing().clone().unwrap_or_else(refused))
        } else {
            match write_group(db, gate, files, &group) {
                Ok(()) => {
                    progress.durable_group.store(number, Ordering::Release);
                    *progress.failing() = None;
                    committed(&group.events, &group.frames);
                    Ok(())
                }
                Err(Failed::Undone(error)) => {
                    progress.accept_from.store(TAKEN_BACK, Ordering::Release);
                    *progress.failing() = Some(error.clone());
                    tracing::warn!(%error, steps = answers.len(), "a group could not be written and was taken back; its steps were not stored");
                    Err(error)
                }
                Err(Failed::Broken(error)) => {
                    progress.broken.store(true, Ordering::Release);
                    *progress.failing() = Some(error.clone());
                    tracing::error!(%error, steps = answers.len(), "a group commit failed; the store takes no more writes until the gateway restarts");
                    Err(error)
                }
            }
        };
        for answer in answers {
            answer(&outcome);
        }
        if outcome.is_ok()
            && (files.checkpointed.elapsed() >= CHECKPOINT_LATEST
                || files.wal.len() >= CHECKPOINT_BYTES)
        {
            checkpoint(db, files, progress);
        }
    }
    // Stopping: leave nothing for the next start to replay.
    if !progress.broken.load(Ordering::Acquire) {
        checkpoint(db, files, progress);
    }
}

/// The next group, waiting for it at most `patience` when one is given; the builder is told
/// while the committer waits.
fn next_group(
    to_commit: &mpsc::Receiver<Sealed>,
    progress: &Progress,
    patience: Option<Duration>,
) -> Result<Sealed, mpsc::RecvTimeoutError> {
    if let Ok(sealed) = to_commit.try_recv() {
        return Ok(sealed);
    }
    progress.committer_idle.store(true, Ordering::Release);
    let sealed = match patience {
        Some(patience) => to_commit.recv_timeout(patience),
        None => to_commit
            .recv()
            .map_err(|_| mpsc::RecvTimeoutError::Disconnected),
    };
    progress.committer_idle.store(false, Ordering::Release);
    sealed
}

/// Makes sled and the journal durable, then empties the log that covered them. A failure
/// stops the writer: after a failed sync, what the files hold is not known, and only the log
/// (replayed at the next start) is sure.
fn checkpoint(db: &sled::Db, files: &mut Files, progress: &Progress) {
    let made = files
        .journal
        .sync()
        .and_then(|()| Ok(db.flush().map(|_| ())?))
        .and_then(|()| files.wal.clear());
    files.checkpointed = Instant::now();
    if let Err(error) = made {
        progress.broken.store(true, Ordering::Release);
        *progress.failing() = Some(error.clone());
        tracing::error!(%error, "a checkpoint failed; the store takes no more writes until the gateway restarts");
    }
}

/// The journal's lines, then the log, then the tree: the group is durable before sled or a
/// reader sees it, and an index never points past what the journal holds. A failure before the
/// tree is taken back.
fn write_group(db: &sled::Db, gate: &Gate, files: &mut Files, group: &Group) -> Result<(), Failed> {
    let (journal_end, wal_len) = (files.journal.end(), files.wal.len());
    let take_back = |files: &mut Files, error: StoreError| {
        let undone = files
            .journal
            .undo_append(journal_end)
            .and_then(|()| files.wal.undo_append(wal_len));
        match undone {
            Ok(()) => Failed::Undone(error),
            Err(_) => Failed::Broken(error),
        }
    };
    let appended = match files.journal.append(&group.frames) {
        Ok(appended) => appended,
        Err(error) => return Err(take_back(files, error)),
    };
    let end = files.journal.end().encode();
    let overlay: &Overlay = &group.writes;
    let writes: Vec<(&[u8], Option<&[u8]>)> = appended
        .index
        .iter()
        .map(|(key, value)| (key.as_slice(), Some(value.as_slice())))
        .chain([(keys::META_JOURNAL_END, Some(end.as_slice()))])
        .chain(
            overlay
                .iter()
                .filter(|(key, _)| !key.starts_with(keys::EVENT))
                .map(|(key, value)| {
                    (
                        key.as_slice(),
                        value.as_ref().map(|value| value.bytes.as_slice()),
                    )
                }),
        )
        .collect();
    let logged = files.wal.append(
        appended.segment,
        appended.offset,
        files.journal.lines(),
        writes.iter().copied(),
    );
    if let Err(error) = logged {
        return Err(take_back(files, error));
    }
    let _writing = gate.writing();
    write_tree(db, writes).map_err(Failed::Broken)
}

/// Writes into the tree one key at a time. A group is whole again after a crash because the
/// log holds it (a sled batch would make it so too, but sled then writes out its buffer twice
/// for every batch, waking each of its I/O threads every time); readers see it whole because
/// the committer holds the [`Gate`] meanwhile.
pub fn write_tree<'a>(
    db: &sled::Db,
    writes: impl IntoIterator<Item = (&'a [u8], Option<&'a [u8]>)>,
) -> StoreResult<()> {
    for (key, value) in writes {
        match value {
            Some(value) => db.insert(key, value)?,
            None => db.remove(key)?,
        };
    }
    Ok(())
}
