//! Room on the disk. The store keeps a reserve of free space so that it does not meet a full
//! disk in the middle of a write: files stop going in at the reserve, every other write at half
//! of it, so that customers' messages still go in after uploads no longer do. Free space is read
//! again at most every [`REREAD`], so that a disk that empties lets writes in again by itself.

use std::path::PathBuf;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use crate::{StoreError, StoreResult};

/// How long a reading of the free space is trusted.
const REREAD: Duration = Duration::from_millis(250);

/// What a write needs room for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    /// A file (an upload or an attachment): refused first.
    File,
    /// Anything else.
    Record,
}

/// The free space that must stay on the disk for a write that needs room for `need`.
pub fn floor(reserve: u64, need: Need) -> u64 {
    match need {
        Need::File => reserve,
        Need::Record => reserve / 2,
    }
}

/// The store folder's disk and the reserve kept on it.
pub struct DiskRoom {
    path: PathBuf,
    reserve: u64,
    /// The last reading: when, and the bytes free then.
    read: Mutex<Option<(Instant, u64)>>,
}

impl DiskRoom {
    /// Keeps `reserve` bytes free on the disk that holds `path`; `0` keeps none.
    pub fn new(path: PathBuf, reserve: u64) -> DiskRoom {
        DiskRoom {
            path,
            reserve,
            read: Mutex::new(None),
        }
    }

    /// Refuses a write that needs room for `need` when the disk is under its floor.
    pub fn check(&self, need: Need) -> StoreResult<()> {
        if self.reserve == 0 {
            return Ok(());
        }
        let free = self.free();
        let floor = floor(self.reserve, need);
        if free >= floor {
            return Ok(());
        }
        let what = match need {
            Need::File => "files",
            Need::Record => "any write",
        };
        Err(StoreError::Full(format!(
            "the disk that holds the store has {} MiB free, under the {} MiB kept free before {what} is refused (store.min_free_mib)",
            free >> 20,
            floor >> 20,
        )))
    }

    /// The bytes free on the disk, as last read; a disk whose space cannot be read counts as
    /// having room (the write itself then says whether it had).
    fn free(&self) -> u64 {
        let mut read = self.read.lock().unwrap_or_else(PoisonError::into_inner);
        match *read {
            Some((at, free)) if at.elapsed() < REREAD => free,
            _ => {
                let free = nix::sys::statvfs::statvfs(&self.path)
                    .map(|stats| {
                        stats
                            .blocks_available()
                            .saturating_mul(stats.fragment_size())
                    })
                    .unwrap_or(u64::MAX);
                *read = Some((Instant::now(), free));
                free
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_stop_at_the_reserve_and_records_at_half_of_it() {
        assert_eq!(floor(512 << 20, Need::File), 512 << 20);
        assert_eq!(floor(512 << 20, Need::Record), 256 << 20);
    }

    #[test]
    fn a_reserve_larger_than_the_disk_refuses_files_and_names_the_setting() {
        let dir = tempfile::tempdir().expect("temp dir");
        let room = DiskRoom::new(dir.path().to_path_buf(), u64::MAX / 2);
        let refusal = room.check(Need::File).expect_err("no disk is that large");
        assert!(matches!(refusal, StoreError::Full(_)), "{refusal:?}");
        assert!(
            refusal.to_string().contains("store.min_free_mib"),
            "{refusal}"
        );
        DiskRoom::new(dir.path().to_path_buf(), 0)
            .check(Need::File)
            .expect("no reserve, no refusal");
    }
}
