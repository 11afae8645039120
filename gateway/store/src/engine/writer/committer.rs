//! The committer thread: it writes each group to the journal, the write-ahead log (synced) and
//! the tree, answers the group's steps, takes back a group whose files could not be written,
//! and runs the checkpoints that make sled and the journal durable and empty the log.

use std::sync::atomic::Ordering;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use super::{Committed, Progress, Sealed, TAKEN_BACK, refused};
use crate::engine::journal::Journal;
use crate::engine::txn::{Gate, Group, Overlay};
use crate::engine::wal::Wal;
use crate::keys;
use crate::{StoreError, StoreResult};

/// How often sled and the journal are made durable, so that the write-ahead log can be emptied.
/// A due checkpoint waits for a [`LULL`], so that its flush does not take the cores from the
/// fan-out of the group just answered, nor hold up the next one.
pub(super) const CHECKPOINT_EVERY: Duration = Duration::from_secs(1);
/// How long no group may come before a due checkpoint runs.
const LULL: Duration = Duration::from_millis(10);
/// Under load with no lull, a checkpoint runs after the group that finds it this late.
const CHECKPOINT_LATEST: Duration = Duration::from_secs(3);
/// A log this large is emptied at the next group, however recent the last checkpoint.
const CHECKPOINT_BYTES: u64 = 64 * 1024 * 1024;

/// How a group's write failed.
enum Failed {
    /// Before anything reached the tree; the files were cut back to where the group began.
    Undone(StoreError),
    /// After, or while cutting back: the log must be replayed by a restart.
    Broken(StoreError),
}

/// What the committer writes besides sled.
pub(super) struct Files {
    pub(super) journal: Journal,
    pub(super) wal: Wal,
    /// When the last checkpoint emptied the log.
    pub(super) checkpointed: Instant,
}

pub(super) fn commit_groups(
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
