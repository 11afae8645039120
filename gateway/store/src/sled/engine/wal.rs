//! The write-ahead log: every group's writes (its journal lines and its tree writes) in one
//! record, written and synced before the group is answered. That one sync is the group's
//! durability: sled and the journal take the same writes without syncing, and a checkpoint now
//! and then ([`crate::sled::engine::writer`]) makes them durable and empties the log. Opening the store
//! replays what the log holds, so an answered group comes back whatever had reached sled or the
//! journal when the gateway stopped; a record cut short by a crash was never answered and is
//! dropped.
//!
//! Emptying the log does not shorten its file: the next records are written over the old ones,
//! so that syncing a record need not also write the file's new size (a file that grows has it
//! written with its inode, or to the file system's journal, at each sync). The file starts with
//! [`MAGIC`] and the log's generation, which each emptying raises; every record carries the
//! generation it was written in, and the log ends at the first record of another one.
//!
//! A record is its length and CRC-32 (both `u32`, big-endian), then its generation, the journal
//! segment and offset its lines start at, the lines, and each write: key, then the value or a
//! removal.
//!
//! Records are synced one after another, so a crash can only cut the last one short. A record
//! that does not read with whole records of its generation after it is damage, not a crash:
//! those later records were answered, so opening stops and names the file and the offset
//! instead of dropping them. [`salvage`] then keeps every record that still reads, and sets the
//! damaged file aside.

use std::fs::{File, OpenOptions};
use std::io::Read;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use crate::sled::engine::journal::{io_error, sync_dir};
use crate::{StoreError, StoreResult};

/// The log's file in the store's folder.
const FILE: &str = "wal";
/// What the file starts with, before the generation (`u64`, big-endian).
const MAGIC: &[u8; 8] = b"SBWAL 2\n";
const HEADER_LEN: u64 = 16;

/// One group as the log holds it.
#[derive(Debug, PartialEq)]
pub struct Record {
    pub segment: u32,
    pub offset: u64,
    pub lines: Vec<u8>,
    /// `None` removes the key.
    pub writes: Vec<(Vec<u8>, Option<Vec<u8>>)>,
}

/// The writing side, owned by the committer.
pub struct Wal {
    file: File,
    path: PathBuf,
    generation: u64,
    /// The bytes of this generation's records, after the header.
    len: u64,
    /// The record being encoded, kept between groups so that its pages are reused.
    buffer: Vec<u8>,
}

impl Wal {
    /// Opens the log in the store's folder, with the whole records it holds, oldest first.
    pub fn open(store: &Path) -> StoreResult<(Wal, Vec<Record>)> {
        let path = store.join(FILE);
        let mut file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .read(true)
            .write(true)
            .open(&path)
            .map_err(|error| io_error("open the write-ahead log", &path, error))?;
        // A log created just now must still be there after a power loss.
        sync_dir(store)?;
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes)
            .map_err(|error| io_error("read the write-ahead log", &path, error))?;
        let mut wal = Wal {
            file,
            path,
            generation: 0,
            len: 0,
            buffer: Vec::new(),
        };
        if bytes.is_empty() {
            wal.write_header()?;
            return Ok((wal, Vec::new()));
        }
        let Some(generation) = bytes
            .strip_prefix(MAGIC)
            .and_then(|rest| Some(u64::from_be_bytes(rest.get(..8)?.try_into().ok()?)))
        else {
            return Err(StoreError::Backend(format!(
                "{} is not a write-ahead log this gateway can read: start the gateway that wrote it once, so that it applies the log, or move the file away if that gateway stopped cleanly",
                wal.path.display()
            )));
        };
        wal.generation = generation;
        let log = &bytes[HEADER_LEN as usize..];
        let (records, whole, torn) = decode_all(log, generation);
        if torn && next_whole_record(&log[whole + 1..], generation).is_some() {
            return Err(StoreError::Backend(format!(
                "the write-ahead log {} is damaged at byte {}: the record there does not match its checksum, and answered records follow it. Nothing was changed; to keep every record that can still be read, stop the gateway and run `switchboard salvage-log` with the same configuration",
                wal.path.display(),
                HEADER_LEN as usize + whole
            )));
        }
        if torn {
            tracing::warn!(
                "the write-ahead log ends in a record cut short (a write that a crash interrupted, never answered); it is dropped"
            );
        }
        wal.len = whole as u64;
        Ok((wal, records))
    }

    /// How many bytes the log holds.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Writes one group's record after the last one and syncs it to disk.
    pub fn append<'a>(
        &mut self,
        segment: u32,
        offset: u64,
        lines: &[u8],
        writes: impl IntoIterator<Item = (&'a [u8], Option<&'a [u8]>)>,
    ) -> StoreResult<()> {
        let mut record = std::mem::take(&mut self.buffer);
        record.clear();
        record.extend_from_slice(&[0; 8]);
        record.extend_from_slice(&self.generation.to_be_bytes());
        record.extend_from_slice(&segment.to_be_bytes());
        record.extend_from_slice(&offset.to_be_bytes());
        put_bytes(&mut record, lines);
        for (key, value) in writes {
            put_bytes(&mut record, key);
            match value {
                Some(value) => {
                    record.push(1);
                    put_bytes(&mut record, value);
                }
                None => record.push(0),
            }
        }
        let payload_len = record.len() - 8;
        let crc = crc32fast::hash(&record[8..]);
        record[..4].copy_from_slice(&(payload_len as u32).to_be_bytes());
        record[4..8].copy_from_slice(&crc.to_be_bytes());
        let written = self
            .file
            .write_all_at(&record, HEADER_LEN + self.len)
            .and_then(|()| self.file.sync_data());
        self.len += record.len() as u64;
        self.buffer = record;
        written.map_err(|error| io_error("write the write-ahead log", &self.path, error))
    }

    /// Takes back what was written after the log held `before` bytes (a record whose write or
    /// sync failed), so that no part of it is read at the next start.
    pub fn undo_append(&mut self, before: u64) -> StoreResult<()> {
        self.file
            .set_len(HEADER_LEN + before)
            .and_then(|()| self.file.sync_all())
            .map_err(|error| io_error("cut back the write-ahead log", &self.path, error))?;
        self.len = before;
        Ok(())
    }

    /// Empties the log, once what it holds is durable elsewhere: the next generation starts,
    /// and the records of this one are written over.
    pub fn clear(&mut self) -> StoreResult<()> {
        self.generation += 1;
        self.write_header()?;
        self.len = 0;
        Ok(())
    }

    fn write_header(&self) -> StoreResult<()> {
        let mut header = MAGIC.to_vec();
        header.extend_from_slice(&self.generation.to_be_bytes());
        self.file
            .write_all_at(&header, 0)
            .and_then(|()| self.file.sync_data())
            .map_err(|error| io_error("start the write-ahead log", &self.path, error))
    }
}

fn put_bytes(record: &mut Vec<u8>, bytes: &[u8]) {
    record.extend_from_slice(&(bytes.len() as u32).to_be_bytes());
    record.extend_from_slice(bytes);
}

/// Every whole record of `generation`, up to the first one that is cut short, does not match
/// its CRC or belongs to another generation; how many bytes they take; and whether what comes
/// after them is a record of this generation cut short.
fn decode_all(all: &[u8], generation: u64) -> (Vec<Record>, usize, bool) {
    let (mut records, mut bytes) = (Vec::new(), all);
    loop {
        match decode(bytes, generation) {
            Decoded::Whole(record, rest) => {
                records.push(record);
                bytes = rest;
            }
            Decoded::Torn => return (records, all.len() - bytes.len(), true),
            Decoded::End => return (records, all.len() - bytes.len(), false),
        }
    }
}

/// Where in `bytes` the first whole record of `generation` starts, if one does.
fn next_whole_record(bytes: &[u8], generation: u64) -> Option<usize> {
    let generation = generation.to_be_bytes();
    (0..bytes.len().saturating_sub(16)).find(|&at| {
        bytes[at + 8..at + 16] == generation
            && matches!(
                decode(&bytes[at..], u64::from_be_bytes(generation)),
                Decoded::Whole(..)
            )
    })
}

/// What [`salvage`] kept of a damaged log.
#[derive(Debug, PartialEq, Eq)]
pub struct Salvaged {
    /// Records that read whole, now in a new log.
    pub kept: usize,
    /// Bytes that could not be read as records.
    pub lost_bytes: usize,
    /// Where the damaged file was set aside.
    pub set_aside: PathBuf,
}

/// Keeps every whole record of the store's damaged log, skipping what cannot be read: the file
/// is renamed to `wal.damaged-<unix seconds>` and a new log holds the records, for the next
/// start to replay. `None` when there is no log to salvage.
pub fn salvage(store: &Path) -> StoreResult<Option<Salvaged>> {
    let path = store.join(FILE);
    let bytes = match std::fs::read(&path) {
        Ok(bytes) => bytes,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(error) => return Err(io_error("read the write-ahead log", &path, error)),
    };
    let Some(generation) = bytes
        .strip_prefix(MAGIC)
        .and_then(|rest| Some(u64::from_be_bytes(rest.get(..8)?.try_into().ok()?)))
    else {
        return Err(StoreError::Backend(format!(
            "{} does not start as a write-ahead log does; nothing can be salvaged from it",
            path.display()
        )));
    };
    let mut records = Vec::new();
    let mut lost_bytes = 0;
    let mut rest = &bytes[HEADER_LEN as usize..];
    loop {
        let (mut found, whole, torn) = decode_all(rest, generation);
        records.append(&mut found);
        if !torn {
            break;
        }
        match next_whole_record(&rest[whole + 1..], generation) {
            Some(at) => {
                lost_bytes += at + 1;
                rest = &rest[whole + 1 + at..];
            }
            None => {
                lost_bytes += rest.len() - whole;
                break;
            }
        }
    }
    let seconds = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |since| since.as_secs());
    let set_aside = store.join(format!("{FILE}.damaged-{seconds}"));
    std::fs::rename(&path, &set_aside)
        .map_err(|error| io_error("set the damaged write-ahead log aside", &path, error))?;
    let (mut wal, _) = Wal::open(store)?;
    for record in &records {
        wal.append(
            record.segment,
            record.offset,
            &record.lines,
            record
                .writes
                .iter()
                .map(|(key, value)| (key.as_slice(), value.as_deref())),
        )?;
    }
    Ok(Some(Salvaged {
        kept: records.len(),
        lost_bytes,
        set_aside,
    }))
}

enum Decoded<'a> {
    Whole(Record, &'a [u8]),
    /// A record of this generation, cut short or not matching its CRC.
    Torn,
    /// Nothing more of this generation.
    End,
}

fn decode(bytes: &[u8], generation: u64) -> Decoded<'_> {
    let mut reader = Reader(bytes);
    let (Some(len), Some(crc), Some(written_in)) = (reader.u32(), reader.u32(), reader.u64())
    else {
        return Decoded::End;
    };
    if written_in != generation {
        return Decoded::End;
    }
    let end = 8 + len as usize;
    let record = bytes
        .get(8..end)
        .filter(|payload| crc32fast::hash(payload) == crc)
        .and_then(|payload| parse(payload.get(8..)?));
    match record {
        Some(record) => Decoded::Whole(record, &bytes[end..]),
        None => Decoded::Torn,
    }
}

/// A record's contents after its generation.
fn parse(payload: &[u8]) -> Option<Record> {
    let mut reader = Reader(payload);
    let segment = reader.u32()?;
    let offset = reader.u64()?;
    let lines = reader.bytes()?.to_vec();
    let mut writes = Vec::new();
    while !reader.0.is_empty() {
        let key = reader.bytes()?.to_vec();
        let value = match reader.take(1)? {
            [1] => Some(reader.bytes()?.to_vec()),
            _ => None,
        };
        writes.push((key, value));
    }
    Some(Record {
        segment,
        offset,
        lines,
        writes,
    })
}

struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if self.0.len() < n {
            return None;
        }
        let (taken, rest) = self.0.split_at(n);
        self.0 = rest;
        Some(taken)
    }

    fn u32(&mut self) -> Option<u32> {
        Some(u32::from_be_bytes(self.take(4)?.try_into().ok()?))
    }

    fn u64(&mut self) -> Option<u64> {
        Some(u64::from_be_bytes(self.take(8)?.try_into().ok()?))
    }

    fn bytes(&mut self) -> Option<&'a [u8]> {
        let len = self.u32()? as usize;
        self.take(len)
    }
}

/// Reads `bytes` as a store's write-ahead log, as a start does; when the start refuses it as
/// damaged, salvages it, after which a start must take it with every record kept.
#[cfg(fuzzing)]
pub fn fuzz(bytes: &[u8]) {
    let dir = std::env::temp_dir().join(format!("switchboard-fuzz-wal-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a folder for the log");
    std::fs::write(dir.join(FILE), bytes).expect("the log");
    if Wal::open(&dir).is_ok() {
        return;
    }
    if let Ok(Some(salvaged)) = salvage(&dir) {
        let (_, records) = Wal::open(&dir).expect("a salvaged log opens");
        assert_eq!(
            records.len(),
            salvaged.kept,
            "every salvaged record is read back"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn append_group(wal: &mut Wal, n: u8) {
        let key = [b'k', n];
        let value = [n; 3];
        wal.append(
            1,
            u64::from(n) * 10,
            &[b'l', n, b'\n'],
            [
                (&key[..], Some(&value[..])),
                (&b"gone"[..], None),
                (&b"empty"[..], Some(&b""[..])),
            ],
        )
        .expect("append");
    }

    /// A log in `dir` holding groups 0, 1 and 2.
    fn log_of_three(dir: &Path) -> Wal {
        let (mut wal, records) = Wal::open(dir).expect("open");
        assert!(records.is_empty());
        for n in 0..3 {
            append_group(&mut wal, n);
        }
        wal
    }

    fn group(n: u8) -> Record {
        Record {
            segment: 1,
            offset: u64::from(n) * 10,
            lines: vec![b'l', n, b'\n'],
            writes: vec![
                (vec![b'k', n], Some(vec![n; 3])),
                (b"gone".to_vec(), None),
                (b"empty".to_vec(), Some(Vec::new())),
            ],
        }
    }

    #[test]
    fn records_come_back_in_order_until_one_is_cut_short() {
        let dir = tempfile::tempdir().expect("temp dir");
        drop(log_of_three(dir.path()));
        let (_, records) = Wal::open(dir.path()).expect("reopen");
        assert_eq!(records, [group(0), group(1), group(2)]);

        // A crash in the middle of the last record's write.
        let path = dir.path().join(FILE);
        let len = std::fs::metadata(&path).expect("log").len();
        let file = OpenOptions::new().write(true).open(&path).expect("log");
        file.set_len(len - 5).expect("cut");
        let (_, records) = Wal::open(dir.path()).expect("reopen");
        assert_eq!(records, [group(0), group(1)]);
    }

    /// A log in `dir` of groups 0, 1 and 2, with one byte of group `damaged` flipped: its path,
    /// its bytes and the length of one record.
    fn log_of_three_damaged_in(dir: &Path, damaged: u64) -> (PathBuf, Vec<u8>, u64) {
        let wal = log_of_three(dir);
        let record_len = wal.len() / 3;
        drop(wal);
        let path = dir.join(FILE);
        let mut bytes = std::fs::read(&path).expect("log");
        bytes[(HEADER_LEN + damaged * record_len + 20) as usize] ^= 0xff;
        std::fs::write(&path, &bytes).expect("write");
        (path, bytes, record_len)
    }

    #[test]
    fn a_last_record_that_does_not_match_its_crc_ends_the_log() {
        let dir = tempfile::tempdir().expect("temp dir");
        log_of_three_damaged_in(dir.path(), 2);
        let (_, records) = Wal::open(dir.path()).expect("reopen");
        assert_eq!(records, [group(0), group(1)]);
    }

    #[test]
    fn damage_before_answered_records_stops_the_start_and_salvage_keeps_the_rest() {
        let dir = tempfile::tempdir().expect("temp dir");
        let (path, bytes, record_len) = log_of_three_damaged_in(dir.path(), 1);

        let Err(error) = Wal::open(dir.path()) else {
            panic!("a damaged log was opened");
        };
        let message = error.to_string();
        assert!(message.contains(&path.display().to_string()), "{message}");
        assert!(
            message.contains(&format!("at byte {}", HEADER_LEN + record_len)),
            "{message}"
        );
        assert!(message.contains("switchboard salvage-log"), "{message}");
        assert_eq!(
            std::fs::read(&path).expect("log"),
            bytes,
            "the failed start changed the file"
        );

        let salvaged = salvage(dir.path()).expect("salvage").expect("a log");
        assert_eq!(salvaged.kept, 2);
        assert_eq!(salvaged.lost_bytes, record_len as usize);
        assert_eq!(
            std::fs::read(&salvaged.set_aside).expect("set aside"),
            bytes
        );
        let (_, records) = Wal::open(dir.path()).expect("open the salvaged log");
        assert_eq!(records, [group(0), group(2)]);
    }

    #[test]
    fn a_record_too_short_to_hold_its_generation_ends_the_log() {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut bytes = MAGIC.to_vec();
        bytes.extend_from_slice(&0u64.to_be_bytes());
        // A length of 3, and the CRC of those 3 bytes: the first of the generation's 8.
        bytes.extend_from_slice(&3u32.to_be_bytes());
        bytes.extend_from_slice(&crc32fast::hash(&[0; 3]).to_be_bytes());
        bytes.extend_from_slice(&0u64.to_be_bytes());
        std::fs::write(dir.path().join(FILE), &bytes).expect("write");
        let (wal, records) = Wal::open(dir.path()).expect("open");
        assert_eq!(records, []);
        assert_eq!(wal.len(), 0);
    }

    #[test]
    fn a_cleared_log_keeps_none_of_its_records_and_takes_new_ones_over_them() {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut wal = log_of_three(dir.path());
        let file_len = std::fs::metadata(dir.path().join(FILE)).expect("log").len();
        wal.clear().expect("clear");
        assert_eq!(wal.len(), 0);
        drop(wal);
        let (mut wal, records) = Wal::open(dir.path()).expect("reopen");
        assert_eq!(records, []);

        // The new record takes the first one's place; the two after it are of the old
        // generation and stay out.
        append_group(&mut wal, 3);
        drop(wal);
        let (_, records) = Wal::open(dir.path()).expect("reopen");
        assert_eq!(records, [group(3)]);
        assert_eq!(
            std::fs::metadata(dir.path().join(FILE)).expect("log").len(),
            file_len,
            "the file was written over, not grown"
        );
    }

    #[test]
    fn a_file_that_is_not_this_log_is_refused_with_its_path() {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::write(dir.path().join(FILE), b"\0\0\0\x05something else").expect("write");
        let Err(error) = Wal::open(dir.path()) else {
            panic!("an unknown log was opened");
        };
        assert!(
            error.to_string().contains("is not a write-ahead log"),
            "{error}"
        );
        assert!(error.to_string().contains(FILE), "{error}");
    }
}
