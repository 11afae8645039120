//! One group commit: the writes of many steps, applied as one atomic sled batch and flushed
//! once. Each step runs against an overlay; a step that fails leaves no trace in the group.

use std::collections::BTreeMap;
use std::ops::Bound;

use serde::Serialize;
use serde::de::DeserializeOwned;
use switchboard_model::{Event, EventId, EventKind, Id, Millis};

use super::keys;
use crate::StoreResult;

type Overlay = BTreeMap<Vec<u8>, Option<Vec<u8>>>;

/// Reads that see the same data inside and outside the writer.
pub trait Read {
    fn get(&self, key: &[u8]) -> StoreResult<Option<Vec<u8>>>;

    fn get_json<T: DeserializeOwned>(&self, key: &[u8]) -> StoreResult<Option<T>> {
        match self.get(key)? {
            Some(bytes) => Ok(Some(serde_json::from_slice(&bytes)?)),
            None => Ok(None),
        }
    }
}

impl Read for sled::Tree {
    fn get(&self, key: &[u8]) -> StoreResult<Option<Vec<u8>>> {
        Ok(sled::Tree::get(self, key)?.map(|value| value.to_vec()))
    }
}

/// The writer's view of the store while it builds a group.
pub struct Txn<'a> {
    tree: &'a sled::Tree,
    group: Overlay,
    step: Overlay,
    group_events: Vec<Event>,
    step_events: Vec<Event>,
    group_next_id: Id,
    next_id: Id,
    /// The time every step of this group is recorded at.
    pub now: Millis,
}

impl<'a> Txn<'a> {
    pub fn new(tree: &'a sled::Tree, next_id: Id, now: Millis) -> Self {
        Txn {
            tree,
            group: Overlay::new(),
            step: Overlay::new(),
            group_events: Vec::new(),
            step_events: Vec::new(),
            group_next_id: next_id,
            next_id,
            now,
        }
    }

    /// Runs one step; its writes join the group only when it succeeds.
    pub fn run_step<T>(&mut self, step: impl FnOnce(&mut Txn<'a>) -> StoreResult<T>) -> StoreResult<T> {
        let result = step(self);
        if result.is_ok() {
            let writes = std::mem::take(&mut self.step);
            self.group.extend(writes);
            self.group_events.append(&mut self.step_events);
            self.group_next_id = self.next_id;
        } else {
            self.step.clear();
            self.step_events.clear();
            self.next_id = self.group_next_id;
        }
        result
    }

    /// A new id, unique across the gateway and larger than every id before it.
    pub fn next_id(&mut self) -> Id {
        self.next_id += 1;
        self.next_id
    }

    pub fn put(&mut self, key: Vec<u8>, value: Vec<u8>) {
        self.step.insert(key, Some(value));
    }

    pub fn put_json(&mut self, key: Vec<u8>, value: &impl Serialize) -> StoreResult<()> {
        self.put(key, serde_json::to_vec(value)?);
        Ok(())
    }

    pub fn remove(&mut self, key: Vec<u8>) {
        self.step.insert(key, None);
    }

    /// Records an event under a fresh id and returns it.
    pub fn emit(&mut self, workspace_id: Id, kind: EventKind) -> StoreResult<EventId> {
        let id = self.next_id();
        self.emit_with_id(id, workspace_id, kind)?;
        Ok(id)
    }

    /// Records an event under an id taken earlier with [`Txn::next_id`].
    pub fn emit_with_id(&mut self, id: EventId, workspace_id: Id, kind: EventKind) -> StoreResult<()> {
        let event = Event { id, workspace_id, at: self.now, kind };
        self.put_json(keys::key(keys::EVENT, &[workspace_id, id]), &event)?;
        self.step_events.push(event);
        Ok(())
    }

    /// Every live entry under `prefix`, in key order, as this group sees it.
    pub fn scan_prefix(&self, prefix: &[u8]) -> StoreResult<Vec<(Vec<u8>, Vec<u8>)>> {
        let mut merged: BTreeMap<Vec<u8>, Option<Vec<u8>>> = BTreeMap::new();
        for entry in self.tree.scan_prefix(prefix) {
            let (key, value) = entry?;
            merged.insert(key.to_vec(), Some(value.to_vec()));
        }
        for overlay in [&self.group, &self.step] {
            let range = overlay.range::<[u8], _>((Bound::Included(prefix), Bound::Unbounded));
            for (key, value) in range.take_while(|(key, _)| key.starts_with(prefix)) {
                merged.insert(key.clone(), value.clone());
            }
        }
        Ok(merged.into_iter().filter_map(|(key, value)| value.map(|value| (key, value))).collect())
    }

    /// The finished group: its batch (with the id counter), its events, and the next free id.
    pub fn finish(self) -> StoreResult<(sled::Batch, Vec<Event>, Id)> {
        let mut batch = sled::Batch::default();
        for (key, value) in self.group {
            match value {
                Some(value) => batch.insert(key, value),
                None => batch.remove(key),
            }
        }
        batch.insert(keys::META_NEXT_ID, serde_json::to_vec(&self.group_next_id)?);
        Ok((batch, self.group_events, self.group_next_id))
    }
}

impl Read for Txn<'_> {
    fn get(&self, key: &[u8]) -> StoreResult<Option<Vec<u8>>> {
        if let Some(value) = self.step.get(key).or_else(|| self.group.get(key)) {
            return Ok(value.clone());
        }
        Read::get(self.tree, key)
    }
}
