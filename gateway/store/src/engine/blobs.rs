//! Where files' bytes live, apart from the records that name them: a [`Blobs`] store. The
//! embedded store keeps them in a folder ([`FolderBlobs`]); PostgreSQL nodes in the database
//! (`postgres::DatabaseBlobs`) or in a folder every node mounts. Anything that can put, get,
//! remove and list named objects can be one (an S3-compatible bucket: the workspace and name
//! make the object's key, its last-modified time its age).
//!
//! A blob's name is its content's SHA-256 followed by a random part, fresh for every write
//! ([`fresh_name`]): a name is written once and removed once, so removing a file's bytes can
//! never take bytes that another upload of the same content is about to name.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use switchboard_model::Id;

use crate::{StoreError, StoreResult};

/// A place for files' bytes, by workspace and name. Every call may block (disk, network).
pub trait Blobs: Send + Sync {
    /// Keeps `bytes` under `name`, durably before it answers.
    fn put(&self, workspace_id: Id, name: &str, bytes: &[u8]) -> StoreResult<()>;
    /// The bytes under `name`, if there are any.
    fn get(&self, workspace_id: Id, name: &str) -> StoreResult<Option<Vec<u8>>>;
    /// Removes what is under `name`; nothing there is no error.
    fn remove(&self, workspace_id: Id, name: &str) -> StoreResult<()>;
    /// Removes every blob of the workspace.
    fn remove_workspace(&self, workspace_id: Id) -> StoreResult<()>;
    /// Every blob written before `before` (milliseconds since the epoch): what the sweep checks
    /// against the records, to remove the bytes that no file names.
    fn written_before(&self, before: i64) -> StoreResult<Vec<(Id, String)>>;
}

/// A name for a new blob of the content whose SHA-256 (hex) is `sha256`.
pub fn fresh_name(sha256: &str) -> String {
    format!("{sha256}.{:016x}", rand::random::<u64>())
}

/// Blobs as files in a folder: `<root>/<workspace>/<first two characters>/<name>`.
pub struct FolderBlobs {
    root: PathBuf,
}

impl FolderBlobs {
    pub fn new(root: PathBuf) -> FolderBlobs {
        FolderBlobs { root }
    }

    fn path(&self, workspace_id: Id, name: &str) -> StoreResult<PathBuf> {
        let plain = !name.is_empty()
            && name
                .bytes()
                .all(|byte| byte.is_ascii_alphanumeric() || byte == b'.');
        if !plain || name.starts_with('.') || name.len() < 2 {
            return Err(StoreError::Invalid(format!(
                "{name:?} is not a blob's name"
            )));
        }
        Ok(self
            .root
            .join(workspace_id.to_string())
            .join(&name[..2])
            .join(name))
    }
}

impl Blobs for FolderBlobs {
    fn put(&self, workspace_id: Id, name: &str, bytes: &[u8]) -> StoreResult<()> {
        let path = self.path(workspace_id, name)?;
        let folder = path.parent().unwrap_or(&self.root);
        let new_folder = !folder.is_dir();
        fs::create_dir_all(folder)
            .map_err(|error| StoreError::io("make a folder for the file", &path, &error))?;
        let written = (|| {
            let mut file = fs::File::create(&path)?;
            file.write_all(bytes)?;
            file.sync_all()?;
            sync_folder(folder)?;
            if new_folder {
                // The new folders' own entries, up to the root.
                for above in folder.ancestors().skip(1) {
                    sync_folder(above)?;
                    if above == self.root {
                        break;
                    }
                }
            }
            Ok(())
        })();
        written.map_err(|error| {
            // What went in before the disk refused the rest would only take room.
            let _ = fs::remove_file(&path);
            StoreError::io("write the file", &path, &error)
        })
    }

    fn get(&self, workspace_id: Id, name: &str) -> StoreResult<Option<Vec<u8>>> {
        let path = self.path(workspace_id, name)?;
        match fs::read(&path) {
            Ok(bytes) => Ok(Some(bytes)),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(error) => Err(StoreError::io("read the file", &path, &error)),
        }
    }

    fn remove(&self, workspace_id: Id, name: &str) -> StoreResult<()> {
        let path = self.path(workspace_id, name)?;
        match fs::remove_file(&path) {
            Err(error) if error.kind() != std::io::ErrorKind::NotFound => {
                Err(StoreError::io("remove the file", &path, &error))
            }
            _ => Ok(()),
        }
    }

    fn remove_workspace(&self, workspace_id: Id) -> StoreResult<()> {
        let folder = self.root.join(workspace_id.to_string());
        match fs::remove_dir_all(&folder) {
            Err(error) if error.kind() != std::io::ErrorKind::NotFound => {
                Err(StoreError::io("remove the folder", &folder, &error))
            }
            _ => Ok(()),
        }
    }

    fn written_before(&self, before: i64) -> StoreResult<Vec<(Id, String)>> {
        let before = UNIX_EPOCH
            .checked_add(Duration::from_millis(u64::try_from(before).unwrap_or(0)))
            .unwrap_or(SystemTime::now() + Duration::from_secs(86_400));
        let mut found = Vec::new();
        for workspace in entries(&self.root)? {
            let Some(workspace_id) = file_name(&workspace).and_then(|name| name.parse().ok())
            else {
                continue;
            };
            for shard in entries(&workspace)? {
                for blob in entries(&shard)? {
                    let modified = fs::metadata(&blob)
                        .and_then(|meta| meta.modified())
                        .unwrap_or(SystemTime::now());
                    if let Some(name) = file_name(&blob)
                        && modified < before
                    {
                        found.push((workspace_id, name.to_string()));
                    }
                }
            }
        }
        Ok(found)
    }
}

/// The entries of `folder` (none when it does not exist).
fn entries(folder: &Path) -> StoreResult<Vec<PathBuf>> {
    match fs::read_dir(folder) {
        Ok(entries) => entries
            .map(|entry| Ok(entry?.path()))
            .collect::<std::io::Result<_>>()
            .map_err(|error| StoreError::io("list the folder", folder, &error)),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(error) => Err(StoreError::io("list the folder", folder, &error)),
    }
}

fn file_name(path: &Path) -> Option<&str> {
    path.file_name().and_then(|name| name.to_str())
}

fn sync_folder(folder: &Path) -> std::io::Result<()> {
    fs::File::open(folder)?.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_folder_keeps_blobs_by_workspace_and_name_and_lists_the_old_ones() {
        let dir = tempfile::tempdir().expect("temp dir");
        let blobs = FolderBlobs::new(dir.path().join("files"));
        let name = fresh_name(&"ab".repeat(32));
        assert_ne!(name, fresh_name(&"ab".repeat(32)), "every write a new name");
        blobs.put(7, &name, b"%PDF-1.7").expect("put");
        assert_eq!(
            blobs.get(7, &name).expect("get").as_deref(),
            Some(&b"%PDF-1.7"[..])
        );
        assert_eq!(
            blobs.get(8, &name).expect("get"),
            None,
            "another workspace's"
        );
        assert!(blobs.written_before(0).expect("list").is_empty());
        let later = switchboard_model::now_millis() + 60_000;
        assert_eq!(
            blobs.written_before(later).expect("list"),
            [(7, name.clone())]
        );
        blobs.remove(7, &name).expect("remove");
        blobs
            .remove(7, &name)
            .expect("removing it again is no error");
        assert_eq!(blobs.get(7, &name).expect("get"), None);
        blobs.put(7, &name, b"x").expect("put");
        blobs.remove_workspace(7).expect("remove the workspace's");
        assert!(blobs.written_before(later).expect("list").is_empty());
        for bad in ["../../etc/passwd", "", ".hidden", "a/b"] {
            assert!(blobs.put(7, bad, b"x").is_err(), "{bad:?} is refused");
        }
    }
}
