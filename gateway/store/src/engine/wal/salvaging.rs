//! Salvaging a damaged log: every record that still reads goes into a new log, and the damaged
//! file is set aside.

use std::path::{Path, PathBuf};

use super::decode::{decode_all, next_whole_record};
use super::{FILE, HEADER_LEN, MAGIC, Wal};
use crate::engine::journal::io_error;
use crate::{StoreError, StoreResult};

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
