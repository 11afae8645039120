//! The write-ahead log: every group's writes (its journal lines and its sled batch) in one
//! record, appended and synced before the group is answered. That one sync is the group's
//! durability: sled and the journal take the same writes without syncing, and a checkpoint now
//! and then ([`super::writer`]) makes them durable and empties the log. Opening the store
//! replays what the log holds, so an answered group comes back whatever had reached sled or the
//! journal when the gateway stopped; a record cut short by a crash was never answered and is
//! dropped.
//!
//! A record is its length and CRC-32 (both `u32`, big-endian), then the journal segment and
//! offset its lines start at, the lines, and each write: key, then the value or a removal.

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use super::journal::{io_error, sync_dir};
use crate::StoreResult;

/// The log's file in the store's folder.
const FILE: &str = "wal";

/// One group as the log holds it.
#[derive(Debug, PartialEq)]
pub struct Record {
    pub segment: u32,
    pub offset: u64,
    pub lines: Vec<u8>,
    /// `None` removes the key.
    pub writes: Vec<(Vec<u8>, Option<Vec<u8>>)>,
}

/// The appending side, owned by the committer.
pub struct Wal {
    file: File,
    path: PathBuf,
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
            .read(true)
            .append(true)
            .open(&path)
            .map_err(|error| io_error("open the write-ahead log", &path, error))?;
        // A log created just now must still be there after a power loss.
        sync_dir(store)?;
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes)
            .map_err(|error| io_error("read the write-ahead log", &path, error))?;
        let (records, whole) = decode_all(&bytes);
        if whole < bytes.len() {
            tracing::warn!(
                bytes = bytes.len() - whole,
                "the write-ahead log ends in bytes that are not a whole record (a write cut short by a crash, never answered); they are dropped"
            );
        }
        let wal = Wal {
            file,
            path,
            len: bytes.len() as u64,
            buffer: Vec::new(),
        };
        Ok((wal, records))
    }

    /// How many bytes the log holds.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Appends one group's record and syncs it to disk.
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
            .write_all(&record)
            .and_then(|()| self.file.sync_data());
        self.len += record.len() as u64;
        self.buffer = record;
        written.map_err(|error| io_error("write the write-ahead log", &self.path, error))
    }

    /// Empties the log, once what it holds is durable elsewhere.
    pub fn clear(&mut self) -> StoreResult<()> {
        self.file
            .set_len(0)
            .and_then(|()| self.file.sync_all())
            .map_err(|error| io_error("empty the write-ahead log", &self.path, error))?;
        self.len = 0;
        Ok(())
    }
}

fn put_bytes(record: &mut Vec<u8>, bytes: &[u8]) {
    record.extend_from_slice(&(bytes.len() as u32).to_be_bytes());
    record.extend_from_slice(bytes);
}

/// Every whole record, up to the first one that is cut short or does not match its CRC, and
/// how many bytes they take.
fn decode_all(all: &[u8]) -> (Vec<Record>, usize) {
    let (mut records, mut bytes) = (Vec::new(), all);
    while let Some((record, rest)) = decode(bytes) {
        records.push(record);
        bytes = rest;
    }
    (records, all.len() - bytes.len())
}

fn decode(bytes: &[u8]) -> Option<(Record, &[u8])> {
    let mut reader = Reader(bytes);
    let len = reader.u32()? as usize;
    let crc = reader.u32()?;
    let payload = reader.take(len)?;
    let rest = reader.0;
    if crc32fast::hash(payload) != crc {
        return None;
    }
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
    Some((
        Record {
            segment,
            offset,
            lines,
            writes,
        },
        rest,
    ))
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
        let (mut wal, records) = Wal::open(dir.path()).expect("open");
        assert!(records.is_empty());
        for n in 0..3 {
            append_group(&mut wal, n);
        }
        drop(wal);
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

    #[test]
    fn a_record_that_does_not_match_its_crc_ends_the_log() {
        let dir = tempfile::tempdir().expect("temp dir");
        let (mut wal, _) = Wal::open(dir.path()).expect("open");
        for n in 0..3 {
            append_group(&mut wal, n);
        }
        let first_len = std::fs::metadata(dir.path().join(FILE)).expect("log").len() / 3;
        drop(wal);
        let path = dir.path().join(FILE);
        let mut bytes = std::fs::read(&path).expect("log");
        bytes[first_len as usize + 12] ^= 0xff;
        std::fs::write(&path, &bytes).expect("write");
        let (_, records) = Wal::open(dir.path()).expect("reopen");
        assert_eq!(records, [group(0)]);
    }

    #[test]
    fn a_cleared_log_is_empty_and_takes_new_records() {
        let dir = tempfile::tempdir().expect("temp dir");
        let (mut wal, _) = Wal::open(dir.path()).expect("open");
        append_group(&mut wal, 0);
        wal.clear().expect("clear");
        assert_eq!(wal.len(), 0);
        append_group(&mut wal, 1);
        drop(wal);
        let (_, records) = Wal::open(dir.path()).expect("reopen");
        assert_eq!(records, [group(1)]);
    }
}
