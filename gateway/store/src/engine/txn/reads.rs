//! Reads that see the same data inside the writer, through the overlays of the groups not yet
//! on disk, and outside it, through the tree: the traits every domain step reads with, and the
//! values the builder keeps parsed.

use std::any::Any;
use std::sync::OnceLock;

use serde::de::DeserializeOwned;
use switchboard_model::{Event, EventId, Id};

use crate::StoreResult;

/// What the builder knows of one key's value: its bytes and, once it has been written or read
/// as JSON, the record itself, so that the builder reads a hot record (a conversation, its
/// contact, the channel) back without parsing it again.
#[derive(Debug)]
pub struct Value {
    pub bytes: Vec<u8>,
    record: OnceLock<Box<dyn Any + Send + Sync>>,
}

/// What a record type needs to be kept parsed.
pub trait Record: DeserializeOwned + Clone + Send + Sync + 'static {}
impl<T: DeserializeOwned + Clone + Send + Sync + 'static> Record for T {}

impl Value {
    pub fn new(bytes: Vec<u8>) -> Value {
        Value {
            bytes,
            record: OnceLock::new(),
        }
    }

    pub(super) fn with_record<T: Record>(bytes: Vec<u8>, record: T) -> Value {
        Value {
            bytes,
            record: OnceLock::from(Box::new(record) as Box<dyn Any + Send + Sync>),
        }
    }

    /// The value as a `T`: the record kept with it, or else parsed (and then kept).
    pub fn record<T: Record>(&self) -> StoreResult<T> {
        if let Some(record) = self
            .record
            .get()
            .and_then(|record| record.downcast_ref::<T>())
        {
            return Ok(record.clone());
        }
        let record: T = serde_json::from_slice(&self.bytes)?;
        let _ = self.record.set(Box::new(record.clone()));
        Ok(record)
    }
}

/// Reads that see the same data inside and outside the writer, without copying values.
pub trait Read {
    /// Calls `read` with the stored bytes, if there are any.
    fn read<T>(&self, key: &[u8], read: impl FnOnce(&[u8]) -> T) -> StoreResult<Option<T>>;

    fn get(&self, key: &[u8]) -> StoreResult<Option<Vec<u8>>> {
        self.read(key, <[u8]>::to_vec)
    }

    fn contains(&self, key: &[u8]) -> StoreResult<bool> {
        Ok(self.read(key, |_| ())?.is_some())
    }

    fn get_json<T: Record>(&self, key: &[u8]) -> StoreResult<Option<T>> {
        Ok(self
            .read(key, |bytes| serde_json::from_slice::<T>(bytes))?
            .transpose()?)
    }
}

impl Read for sled::Tree {
    fn read<T>(&self, key: &[u8], read: impl FnOnce(&[u8]) -> T) -> StoreResult<Option<T>> {
        Ok(sled::Tree::get(self, key)?.map(|value| read(&value)))
    }
}

/// What a walk's visitor answers: go on to the next entry, or stop here.
pub type Walk = StoreResult<bool>;

/// Prefix scans that see the same data inside and outside the writer.
pub trait Scan {
    /// Calls `visit` with each live entry under `prefix`, in key order, until it answers
    /// `false`: entries after that are not read.
    fn walk_prefix(
        &self,
        prefix: &[u8],
        visit: &mut dyn FnMut(&[u8], &[u8]) -> Walk,
    ) -> StoreResult<()>;

    /// Every live entry under `prefix`, in key order.
    fn scan_prefix(&self, prefix: &[u8]) -> StoreResult<Vec<(Vec<u8>, Vec<u8>)>> {
        let mut entries = Vec::new();
        self.walk_prefix(prefix, &mut |key, value| {
            entries.push((key.to_vec(), value.to_vec()));
            Ok(true)
        })?;
        Ok(entries)
    }
}

impl Scan for sled::Tree {
    fn walk_prefix(
        &self,
        prefix: &[u8],
        visit: &mut dyn FnMut(&[u8], &[u8]) -> Walk,
    ) -> StoreResult<()> {
        for entry in sled::Tree::scan_prefix(self, prefix) {
            let (key, value) = entry?;
            if !visit(&key, &value)? {
                break;
            }
        }
        Ok(())
    }
}

/// Reads of stored events, wherever they are now: a group on its way to disk, or the journal.
pub trait Events {
    fn event_json(&self, workspace_id: Id, id: EventId) -> StoreResult<Option<Vec<u8>>>;

    fn event(&self, workspace_id: Id, id: EventId) -> StoreResult<Option<Event>> {
        match self.event_json(workspace_id, id)? {
            Some(json) => Ok(Some(serde_json::from_slice(&json)?)),
            None => Ok(None),
        }
    }
}
