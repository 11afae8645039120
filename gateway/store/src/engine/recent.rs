//! The builder's memory of recently read and written records.
//!
//! sled rebuilds a page from its pending deltas on every read, and the records the builder reads
//! most (conversations, contacts, identities) are exactly the ones it keeps changing. Every
//! write goes through the builder, so it can remember values itself: reads of remembered keys
//! skip sled and stay correct. Only keys whose group is already on disk are ever forgotten.
//! The values are shared with the groups' overlays, records and all (see [`Value`]). Keys it
//! does not hold may still be known never to have been written (see [`KnownKeys`]).

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use crate::engine::known_keys::KnownKeys;
use crate::engine::txn::{Overlay, Value};
use crate::keys;

/// A remembered value: `None` for a deleted key.
pub type Remembered = Option<Arc<Value>>;

#[derive(Debug)]
pub struct Recent {
    entries: HashMap<Vec<u8>, (Remembered, u64)>,
    /// Keys in the order they were remembered, with the group that wrote them (0: read).
    order: VecDeque<(Vec<u8>, u64)>,
    capacity: usize,
    known: KnownKeys,
}

impl Recent {
    pub fn new(capacity: usize, known: KnownKeys) -> Recent {
        Recent {
            entries: HashMap::new(),
            order: VecDeque::new(),
            capacity,
            known,
        }
    }

    /// The remembered value of `key`, `Some(None)` if it is deleted or surely never written,
    /// `None` if only the tree can tell.
    pub fn lookup(&self, key: &[u8]) -> Option<Remembered> {
        match self.entries.get(key) {
            Some((value, _)) => Some(value.clone()),
            None => self.known.never_written(key).then_some(None),
        }
    }

    /// Remembers a value read from disk.
    pub fn remember_read(&mut self, key: &[u8], value: Arc<Value>) {
        self.entries.insert(key.to_vec(), (Some(value), 0));
        self.order.push_back((key.to_vec(), 0));
    }

    /// Remembers a sealed group's writes, except events, which the builder never reads back.
    pub fn remember_group(&mut self, writes: &Overlay, group: u64) {
        for (key, value) in writes
            .iter()
            .filter(|(key, _)| !key.starts_with(keys::EVENT))
        {
            self.known.add(key);
            self.entries.insert(key.clone(), (value.clone(), group));
            self.order.push_back((key.clone(), group));
        }
    }

    /// Forgets everything: groups it remembered were taken back (a failed write).
    pub fn forget_all(&mut self) {
        self.entries.clear();
        self.order.clear();
    }

    /// Forgets the oldest entries beyond the capacity, but never one not yet on disk.
    pub fn evict(&mut self, durable_group: u64) {
        while self.entries.len() > self.capacity {
            let Some((key, group)) = self.order.front() else {
                return;
            };
            if *group > durable_group {
                return;
            }
            if self
                .entries
                .get(key)
                .is_some_and(|(_, current)| current == group)
            {
                self.entries.remove(key);
            }
            self.order.pop_front();
        }
        // Stale positions of keys remembered again later pile up in `order`; drop them too.
        while self.order.len() > 2 * self.capacity.max(1) {
            match self.order.front() {
                Some((key, group))
                    if *group <= durable_group
                        && self
                            .entries
                            .get(key)
                            .is_none_or(|(_, current)| current != group) =>
                {
                    self.order.pop_front();
                }
                _ => return,
            }
        }
    }
}
