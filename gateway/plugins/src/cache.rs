//! The compiled-code cache's housekeeping: its files, and how it stays within its size.

use std::path::PathBuf;

/// The extension of compiled code in the cache folder.
pub const CACHED: &str = "cwasm";

/// Removes the cache's files used least recently (by modification time, which a use renews)
/// until the rest add up to `max_bytes` at most; `newest`, just written, stays.
pub fn evict_least_recently_used(dir: &std::path::Path, max_bytes: u64, newest: &std::path::Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut files: Vec<(std::time::SystemTime, u64, PathBuf)> = entries
        .filter_map(Result::ok)
        .filter(|entry| {
            entry.path().extension().is_some_and(|ext| ext == CACHED) && entry.path() != newest
        })
        .filter_map(|entry| {
            let metadata = entry.metadata().ok()?;
            Some((metadata.modified().ok()?, metadata.len(), entry.path()))
        })
        .collect();
    let newest_size = std::fs::metadata(newest).map_or(0, |metadata| metadata.len());
    let mut total: u64 = newest_size + files.iter().map(|(_, size, _)| size).sum::<u64>();
    files.sort();
    for (_, size, path) in files {
        if total <= max_bytes {
            break;
        }
        match std::fs::remove_file(&path) {
            Ok(()) => {
                total -= size;
                tracing::info!(path = %path.display(), "dropped compiled code used least recently from the cache");
            }
            Err(error) => {
                tracing::warn!(path = %path.display(), %error, "cannot drop cached compiled code")
            }
        }
    }
}
