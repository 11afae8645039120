//! The event journal: the JSON of every event, one per line, appended to segment files beside
//! the sled tree (`events/00000001.jsonl`, ...). sled keeps, per workspace and group, one small
//! index record saying where each event's line is, so the tree holds no large write-once values
//! (those were what slowed sled down most; see docs/performance.md).
//!
//! Crash safety: a group's lines are also in its record in the write-ahead log ([`crate::engine::wal`]),
//! which is what makes them durable; opening the store writes them back where they belong
//! ([`restore`]). Each group's tree writes record the journal's end. Lines past that end belong
//! to a group that was never answered; reopening cuts the journal back to the recorded end, so
//! lines without an index never come back.

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use switchboard_model::{EventId, Id};

use crate::keys::{self, key};
use crate::{EventFrame, StoreError, StoreResult};

/// A segment is closed and the next one started once it is this large.
const SEGMENT_BYTES: u64 = 256 * 1024 * 1024;
/// One event's place in the index: its id, offset and length.
const ENTRY_BYTES: usize = 8 + 8 + 4;

/// Where the journal ends: the segment being written and its length.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct End {
    pub segment: u32,
    pub len: u64,
}

impl End {
    pub fn encode(self) -> Vec<u8> {
        let mut bytes = self.segment.to_be_bytes().to_vec();
        bytes.extend_from_slice(&self.len.to_be_bytes());
        bytes
    }

    pub fn decode(bytes: &[u8]) -> StoreResult<End> {
        if bytes.len() != 12 {
            return Err(StoreError::Backend(
                "corrupt record: the journal's end".into(),
            ));
        }
        Ok(End {
            segment: big_endian(&bytes[..4]) as u32,
            len: big_endian(&bytes[4..]),
        })
    }
}

/// The number in big-endian `bytes` (at most eight of them).
fn big_endian(bytes: &[u8]) -> u64 {
    bytes
        .iter()
        .fold(0, |number, byte| (number << 8) | u64::from(*byte))
}

/// Where one group's lines went, and the index records that point at them.
pub struct Appended {
    pub segment: u32,
    pub offset: u64,
    pub index: Vec<(Vec<u8>, Vec<u8>)>,
}

/// The appending side, owned by the committer.
pub struct Journal {
    file: File,
    end: End,
    /// The lines of the group being written, kept between groups so that its pages are reused.
    lines: Vec<u8>,
    segments: Arc<Segments>,
}

/// The reading side, shared by every reader.
#[derive(Debug)]
pub struct Segments {
    dir: PathBuf,
    open: RwLock<HashMap<u32, Arc<File>>>,
}

fn segment_path(dir: &Path, segment: u32) -> PathBuf {
    dir.join(format!("{segment:08}.jsonl"))
}

pub(super) fn io_error(what: &str, path: &Path, error: std::io::Error) -> StoreError {
    StoreError::io(what, path, &error)
}

/// Makes a new directory entry durable.
pub(super) fn sync_dir(dir: &Path) -> StoreResult<()> {
    File::open(dir)
        .and_then(|handle| handle.sync_all())
        .map_err(|error| io_error("sync", dir, error))
}

/// Writes the lines of records from the write-ahead log back to their segments in `dir`, and
/// syncs them.
pub fn restore(dir: &Path, records: &[crate::engine::wal::Record]) -> StoreResult<()> {
    std::fs::create_dir_all(dir).map_err(|error| io_error("create", dir, error))?;
    let mut files: HashMap<u32, File> = HashMap::new();
    for record in records.iter().filter(|record| !record.lines.is_empty()) {
        let path = segment_path(dir, record.segment);
        let file = match files.entry(record.segment) {
            Entry::Occupied(file) => file.into_mut(),
            Entry::Vacant(slot) => slot.insert(
                OpenOptions::new()
                    .create(true)
                    .truncate(false)
                    .write(true)
                    .open(&path)
                    .map_err(|error| io_error("open the event journal", &path, error))?,
            ),
        };
        file.write_all_at(&record.lines, record.offset)
            .map_err(|error| io_error("restore the event journal", &path, error))?;
    }
    for (segment, file) in &files {
        file.sync_data()
            .map_err(|error| io_error("sync", &segment_path(dir, *segment), error))?;
    }
    sync_dir(dir)
}

impl Journal {
    /// Opens the journal in `dir`, cut back to `end` (what the tree says is indexed); a fresh
    /// store passes `None`.
    pub fn open(dir: &Path, end: Option<End>) -> StoreResult<Journal> {
        std::fs::create_dir_all(dir).map_err(|error| io_error("create", dir, error))?;
        let end = end.unwrap_or(End { segment: 1, len: 0 });
        for entry in std::fs::read_dir(dir).map_err(|error| io_error("list", dir, error))? {
            let path = entry.map_err(|error| io_error("list", dir, error))?.path();
            let later = path
                .file_stem()
                .and_then(|stem| stem.to_str())
                .and_then(|stem| stem.parse::<u32>().ok())
                .is_some_and(|segment| segment > end.segment);
            if later {
                std::fs::remove_file(&path).map_err(|error| io_error("remove", &path, error))?;
            }
        }
        let path = segment_path(dir, end.segment);
        let file = OpenOptions::new()
            .create(end.len == 0)
            .read(true)
            .append(true)
            .open(&path)
            .map_err(|error| io_error("open the event journal", &path, error))?;
        let on_disk = file
            .metadata()
            .map_err(|error| io_error("read", &path, error))?
            .len();
        if on_disk < end.len {
            return Err(StoreError::Backend(format!(
                "the event journal {} is {on_disk} bytes, but the store indexes {} bytes of it",
                path.display(),
                end.len
            )));
        }
        if on_disk > end.len {
            file.set_len(end.len)
                .and_then(|()| file.sync_all())
                .map_err(|error| io_error("cut back", &path, error))?;
        }
        sync_dir(dir)?;
        Ok(Journal {
            file,
            end,
            lines: Vec::new(),
            segments: Arc::new(Segments {
                dir: dir.to_path_buf(),
                open: RwLock::new(HashMap::new()),
            }),
        })
    }

    pub fn segments(&self) -> Arc<Segments> {
        self.segments.clone()
    }

    pub fn end(&self) -> End {
        self.end
    }

    /// Appends the frames' JSON as lines, without syncing them ([`Journal::lines`] are the
    /// lines). Returns where they went and the index records of the group, one per workspace,
    /// keyed as the tree keeps them.
    pub fn append(&mut self, frames: &[EventFrame]) -> StoreResult<Appended> {
        let mut lines = std::mem::take(&mut self.lines);
        lines.clear();
        if !frames.is_empty() && self.end.len >= SEGMENT_BYTES {
            self.start_segment(self.end.segment + 1)?;
        }
        let (segment, start) = (self.end.segment, self.end.len);
        // One (key, value) per workspace: the key names its first event of the group, the
        // value is the segment and then each event's (id, offset, length).
        let mut index: Vec<(Vec<u8>, Vec<u8>)> = Vec::new();
        let mut slots: HashMap<Id, usize> = HashMap::new();
        for frame in frames {
            let offset = self.end.len + lines.len() as u64;
            lines.extend_from_slice(frame.json.as_bytes());
            lines.push(b'\n');
            let slot = *slots.entry(frame.workspace_id).or_insert_with(|| {
                let record_key = key(keys::EVENT_INDEX, &[frame.workspace_id, frame.id]);
                index.push((record_key, self.end.segment.to_be_bytes().to_vec()));
                index.len() - 1
            });
            let value = &mut index[slot].1;
            value.extend_from_slice(&frame.id.to_be_bytes());
            value.extend_from_slice(&offset.to_be_bytes());
            value.extend_from_slice(&(frame.json.len() as u32).to_be_bytes());
        }
        let path = segment_path(&self.segments.dir, self.end.segment);
        let written = self.file.write_all(&lines);
        self.end.len += lines.len() as u64;
        self.lines = lines;
        written.map_err(|error| io_error("write the event journal", &path, error))?;
        Ok(Appended {
            segment,
            offset: start,
            index,
        })
    }

    /// Takes back the lines appended since the journal ended at `before` (a group whose write
    /// failed): they are cut off the file, which then ends where the group began. A segment
    /// started for the group stays, empty.
    pub fn undo_append(&mut self, before: End) -> StoreResult<()> {
        let keep = if before.segment == self.end.segment {
            before.len
        } else {
            0
        };
        let path = segment_path(&self.segments.dir, self.end.segment);
        self.file
            .set_len(keep)
            .and_then(|()| self.file.sync_all())
            .map_err(|error| io_error("cut back", &path, error))?;
        self.end.len = keep;
        Ok(())
    }

    /// The lines of the last [`Journal::append`].
    pub fn lines(&self) -> &[u8] {
        &self.lines
    }

    /// Makes every appended line durable.
    pub fn sync(&self) -> StoreResult<()> {
        self.file.sync_data().map_err(|error| {
            io_error(
                "sync",
                &segment_path(&self.segments.dir, self.end.segment),
                error,
            )
        })
    }

    fn start_segment(&mut self, segment: u32) -> StoreResult<()> {
        // The closing segment's last lines are synced by no later checkpoint.
        self.sync()?;
        let path = segment_path(&self.segments.dir, segment);
        self.file = OpenOptions::new()
            .create_new(true)
            .read(true)
            .append(true)
            .open(&path)
            .map_err(|error| io_error("create", &path, error))?;
        sync_dir(&self.segments.dir)?;
        self.end = End { segment, len: 0 };
        Ok(())
    }
}

/// What [`Segments::each_event`] calls with each event: its index record's key, id and JSON.
pub type EventVisitor<'a> = dyn FnMut(&[u8], EventId, &[u8]) -> StoreResult<()> + 'a;

/// Where one event's line lies in the journal.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LinePlace {
    pub segment: u32,
    pub offset: u64,
    pub len: usize,
}

/// An index record without the events `doomed` names, or `None` when none is left, and where
/// the lines of those it left out lie.
pub fn without_events(
    value: &[u8],
    doomed: &dyn Fn(EventId) -> bool,
) -> StoreResult<(Option<Vec<u8>>, Vec<LinePlace>)> {
    let record = IndexRecord::decode(value)?;
    let mut kept = value[..4].to_vec();
    let mut places = Vec::new();
    for (entry, (id, offset, len)) in record
        .entries
        .chunks_exact(ENTRY_BYTES)
        .zip(record.entries())
    {
        if doomed(id) {
            places.push(LinePlace {
                segment: record.segment,
                offset,
                len,
            });
        } else {
            kept.extend_from_slice(entry);
        }
    }
    Ok(((kept.len() > 4).then_some(kept), places))
}

/// One index record: the events of one workspace in one group, and where their lines are.
struct IndexRecord<'a> {
    segment: u32,
    entries: &'a [u8],
}

impl<'a> IndexRecord<'a> {
    fn decode(value: &'a [u8]) -> StoreResult<IndexRecord<'a>> {
        let corrupt = || StoreError::Backend("corrupt record: an event index".into());
        let (segment, entries) = value.split_at_checked(4).ok_or_else(corrupt)?;
        if entries.len() % ENTRY_BYTES != 0 {
            return Err(corrupt());
        }
        Ok(IndexRecord {
            segment: big_endian(segment) as u32,
            entries,
        })
    }

    /// (event id, offset, length) of each event, in id order.
    fn entries(&self) -> impl Iterator<Item = (EventId, u64, usize)> + '_ {
        self.entries.chunks_exact(ENTRY_BYTES).map(|entry| {
            (
                big_endian(&entry[..8]),
                big_endian(&entry[8..16]),
                big_endian(&entry[16..]) as usize,
            )
        })
    }
}

impl Segments {
    /// Overwrites the lines of a workspace's events with spaces where they lie, so that the
    /// journal keeps no word of them while every other line stays where its index says, and
    /// syncs them; answers how many lines. Its index records are the caller's to remove.
    pub fn scrub(&self, tree: &sled::Tree, workspace_id: Id) -> StoreResult<u64> {
        let mut places = Vec::new();
        for entry in tree.scan_prefix(key(keys::EVENT_INDEX, &[workspace_id])) {
            let (_, value) = entry?;
            let record = IndexRecord::decode(&value)?;
            places.extend(record.entries().map(|(_, offset, len)| LinePlace {
                segment: record.segment,
                offset,
                len,
            }));
        }
        self.blank(&places)?;
        Ok(places.len() as u64)
    }

    /// Calls `visit` with each event of a workspace that the tree indexes, up to `up_to`: the
    /// key of its index record, its id and its JSON.
    pub fn each_event(
        &self,
        tree: &sled::Tree,
        workspace_id: Id,
        up_to: EventId,
        visit: &mut EventVisitor<'_>,
    ) -> StoreResult<()> {
        for entry in tree.scan_prefix(key(keys::EVENT_INDEX, &[workspace_id])) {
            let (record_key, value) = entry?;
            let record = IndexRecord::decode(&value)?;
            let entries: Vec<_> = record.entries().filter(|(id, _, _)| *id <= up_to).collect();
            let (Some(&(_, from, _)), Some(&(_, last, last_len))) =
                (entries.first(), entries.last())
            else {
                continue;
            };
            let mut span = vec![0; (last + last_len as u64 - from) as usize];
            self.file(record.segment)?
                .read_exact_at(&mut span, from)
                .map_err(|error| {
                    io_error("read", &segment_path(&self.dir, record.segment), error)
                })?;
            for (id, offset, len) in entries {
                let at = (offset - from) as usize;
                visit(&record_key, id, &span[at..at + len])?;
            }
        }
        Ok(())
    }

    /// Overwrites lines with spaces where they lie (the places [`without_events`] answered)
    /// and syncs them; their index entries must be gone first, so that no reader looks there.
    pub fn blank(&self, places: &[LinePlace]) -> StoreResult<()> {
        let mut files: HashMap<u32, File> = HashMap::new();
        for place in places {
            let path = segment_path(&self.dir, place.segment);
            let file = match files.entry(place.segment) {
                Entry::Occupied(file) => file.into_mut(),
                Entry::Vacant(slot) => slot.insert(
                    OpenOptions::new()
                        .write(true)
                        .open(&path)
                        .map_err(|error| io_error("open the event journal", &path, error))?,
                ),
            };
            file.write_all_at(&vec![b' '; place.len], place.offset)
                .map_err(|error| io_error("blank the event journal", &path, error))?;
        }
        for (segment, file) in &files {
            file.sync_data()
                .map_err(|error| io_error("sync", &segment_path(&self.dir, *segment), error))?;
        }
        Ok(())
    }

    fn file(&self, segment: u32) -> StoreResult<Arc<File>> {
        if let Some(file) = self
            .open
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .get(&segment)
        {
            return Ok(file.clone());
        }
        let path = segment_path(&self.dir, segment);
        let file = Arc::new(
            File::open(&path).map_err(|error| io_error("open the event journal", &path, error))?,
        );
        self.open
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .insert(segment, file.clone());
        Ok(file)
    }

    /// The JSON of a workspace's events with ids in `(after, up_to]`, oldest first, at most
    /// `limit` of them.
    pub fn after(
        &self,
        tree: &sled::Tree,
        workspace_id: Id,
        after: EventId,
        up_to: EventId,
        limit: usize,
    ) -> StoreResult<Vec<Vec<u8>>> {
        let mut found = Vec::new();
        if after >= up_to || limit == 0 {
            return Ok(found);
        }
        let first = after.saturating_add(1);
        let lowest = key(keys::EVENT_INDEX, &[workspace_id]);
        let start = key(keys::EVENT_INDEX, &[workspace_id, first]);
        let end = key(keys::EVENT_INDEX, &[workspace_id, up_to.saturating_add(1)]);
        // The record holding `first` may begin before it.
        let earlier = tree.range(lowest..start.clone()).next_back().transpose()?;
        let later = tree.range(start..end);
        for entry in earlier.into_iter().map(Ok).chain(later) {
            let (_, value) = entry?;
            let record = IndexRecord::decode(&value)?;
            let wanted: Vec<(u64, usize)> = record
                .entries()
                .filter(|(id, _, _)| *id > after && *id <= up_to)
                .take(limit - found.len())
                .map(|(_, offset, len)| (offset, len))
                .collect();
            let (Some(&(from, _)), Some(&(last, last_len))) = (wanted.first(), wanted.last())
            else {
                continue;
            };
            let mut span = vec![0; (last + last_len as u64 - from) as usize];
            let file = self.file(record.segment)?;
            file.read_exact_at(&mut span, from).map_err(|error| {
                io_error("read", &segment_path(&self.dir, record.segment), error)
            })?;
            for (offset, len) in wanted {
                let at = (offset - from) as usize;
                found.push(span[at..at + len].to_vec());
            }
            if found.len() == limit {
                break;
            }
        }
        Ok(found)
    }

    /// The JSON of one event.
    pub fn get(
        &self,
        tree: &sled::Tree,
        workspace_id: Id,
        id: EventId,
    ) -> StoreResult<Option<Vec<u8>>> {
        let mut found = self.after(tree, workspace_id, id.saturating_sub(1), id, 1)?;
        Ok(found.pop())
    }
}
