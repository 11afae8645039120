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
//!    the log ([`super::wal`]).
//!
//! While one group is being written the next one is built, reading the earlier group through
//! its overlay. An answered write is a durable one. After a failed write the writer refuses
//! all further steps: the disk is in trouble and the gateway must be restarted.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use switchboard_model::{Event, Id, now_millis};
use tokio::sync::oneshot;

use super::journal::Journal;
use super::keys;
use super::known_keys::KnownKeys;
use super::recent::Recent;
use super::txn::{Gate, Group, Overlay, Txn, View};
use super::wal::Wal;
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
    failed: AtomicBool,
    /// The committer waits for a group: the builder hands on what it has built so far.
    committer_idle: AtomicBool,
}

impl Writer {
    /// Starts the writer. `committed` sees each group's events once they are on disk, before
    /// any step of the group is answered.
    pub fn start(
        db: sled::Db,
        gate: Arc<Gate>,
        journal: Journal,
        wal: Wal,
        known: KnownKeys,
        next_id: Id,
        committed: Committed,
    ) -> StoreResult<Writer> {
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
            .spawn(move || {
                let mut files = Files {
                    journal,
                    wal,
                    checkpointed: Instant::now(),
                };
                commit_groups(&db, &gate, &mut files, &to_commit, &committed, &progress);
            })
            .map_err(spawn_error)?;
        Ok(Writer { jobs })
    }

    /// Runs `step` in the next group and answers once that group is on disk.
    pub async fn write<T, F>(&self, step: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: for<'a> FnOnce(&mut Txn<'a>) -> StoreResult<T> + Send + 'static,
    {
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
    let mut in_flight: VecDeque<(u64, Arc<Overlay>)> = VecDeque::new();
    let mut number = 0;
    while let Ok(first) = queue.recv() {
        let durable = progress.durable_group.load(Ordering::Acquire);
        in_flight.retain(|(group, _)| *group > durable);
        recent.borrow_mut().evict(durable);
        let overlays: Vec<Arc<Overlay>> = in_flight
            .iter()
            .rev()
            .map(|(_, overlay)| overlay.clone())
            .collect();
        let mut txn = Txn::new(view, &overlays, recent, next_id, now_millis());
        let mut answers = vec![first(&mut txn)];
        while answers.len() < MAX_GROUP && !progress.committer_idle.load(Ordering::Acquire) {
            match queue.try_recv() {
                Ok(job) => answers.push(job(&mut txn)),
                Err(_) => break,
            }
        }
        if progress.failed.load(Ordering::Acquire) {
            answers
                .into_iter()
                .for_each(|answer| answer(&Err(refused())));
            continue;
        }
        match txn.finish() {
            Ok((group, group_next_id)) => {
                next_id = group_next_id;
                number += 1;
                in_flight.push_back((number, group.writes.clone()));
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
            (files.wal.len() > 0 && !progress.failed.load(Ordering::Acquire)).then(|| {
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
        let outcome = if progress.failed.load(Ordering::Acquire) {
            Err(refused())
        } else {
            write_group(db, gate, files, &group)
        };
        match &outcome {
            Ok(()) => {
                progress.durable_group.store(number, Ordering::Release);
                committed(&group.events, &group.frames);
            }
            Err(error) => {
                progress.failed.store(true, Ordering::Release);
                tracing::error!(%error, steps = answers.len(), "a group commit failed; its steps were not stored");
            }
        }
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
    if !progress.failed.load(Ordering::Acquire) {
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
/// stops the writer as a failed commit does.
fn checkpoint(db: &sled::Db, files: &mut Files, progress: &Progress) {
    let made = files
        .journal
        .sync()
        .and_then(|()| Ok(db.flush().map(|_| ())?))
        .and_then(|()| files.wal.clear());
    files.checkpointed = Instant::now();
    if let Err(error) = made {
        progress.failed.store(true, Ordering::Release);
        tracing::error!(%error, "a checkpoint failed; the store takes no more writes");
    }
}

/// The journal's lines, then the log, then the tree: the group is durable before sled or a
/// reader sees it, and an index never points past what the journal holds.
fn write_group(db: &sled::Db, gate: &Gate, files: &mut Files, group: &Group) -> StoreResult<()> {
    let appended = files.journal.append(&group.frames)?;
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
    files.wal.append(
        appended.segment,
        appended.offset,
        files.journal.lines(),
        writes.iter().copied(),
    )?;
    let _writing = gate.writing();
    write_tree(db, writes)
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
