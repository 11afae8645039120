//! The write-ahead log: every group's writes (its journal lines and its tree writes) in one
//! record, written and synced before the group is answered. That one sync is the group's
//! durability: sled and the journal take the same writes without syncing, and a checkpoint now
//! and then ([`crate::engine::writer`]) makes them durable and empties the log. Opening the store
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

mod decode;
mod salvaging;
#[cfg(test)]
mod tests;

use std::fs::{File, OpenOptions};
use std::io::Read;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use self::decode::{decode_all, next_whole_record};
pub use self::salvaging::{Salvaged, salvage};
use crate::engine::journal::{io_error, sync_dir};
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
