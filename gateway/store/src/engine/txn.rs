//! One group commit: the writes of many steps, which an engine makes durable together. Each
//! step runs against an overlay; a step that fails leaves no trace in the group. What a step
//! does not find in the group's overlays it reads through [`Below`]: on sled, the tree behind
//! the [`Gate`] (readers see a group all or none) under the groups still on their way to disk,
//! so that the next group can be built while the previous one is applied; on PostgreSQL, the
//! group's SQL transaction.

mod reads;

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::ops::Bound;
use std::sync::{Arc, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

use serde::Serialize;
use switchboard_model::{Event, EventId, EventKind, Id, Millis};

pub use self::reads::{Events, Read, Record, Scan, Value, Walk};
use crate::engine::journal::Segments;
use crate::engine::recent::Recent;
use crate::keys;
use crate::{EventFrame, StoreResult};

/// Pending writes by key; `None` deletes.
pub type Overlay = BTreeMap<Vec<u8>, Option<Arc<Value>>>;

/// What readers see of the tree and the event journal. Readers outside the writer pass the
/// [`Gate`], so that each of their reads waits while a group is being written into the tree;
/// the builder passes none, as it reads the groups not yet written from their overlays.
#[derive(Clone, Copy)]
pub struct View<'a> {
    pub tree: &'a sled::Tree,
    pub segments: &'a Segments,
    pub gate: Option<&'a Gate>,
}

impl View<'_> {
    /// Held for one read: no group is half written meanwhile.
    pub fn reading(&self) -> Option<RwLockReadGuard<'_, ()>> {
        self.gate.map(Gate::reading)
    }
}

impl Read for View<'_> {
    fn read<T>(&self, key: &[u8], read: impl FnOnce(&[u8]) -> T) -> StoreResult<Option<T>> {
        let value = {
            let _reading = self.reading();
            self.tree.get(key)?
        };
        Ok(value.map(|value| read(&value)))
    }
}

impl Scan for View<'_> {
    fn walk_prefix(
        &self,
        prefix: &[u8],
        visit: &mut dyn FnMut(&[u8], &[u8]) -> Walk,
    ) -> StoreResult<()> {
        let _reading = self.reading();
        self.tree.walk_prefix(prefix, visit)
    }
}

/// Events are read only up to the last one on disk, whose group is wholly in the tree.
impl Events for View<'_> {
    fn event_json(&self, workspace_id: Id, id: EventId) -> StoreResult<Option<Vec<u8>>> {
        self.segments.get(self.tree, workspace_id, id)
    }
}

/// Taken by the committer while it writes a group into the tree, and by each read from outside
/// the writer: such a reader sees none of a group or all of it, and once it has seen some of a
/// group, its later reads see all of it.
#[derive(Default)]
pub struct Gate(RwLock<()>);

impl Gate {
    pub fn reading(&self) -> RwLockReadGuard<'_, ()> {
        self.0.read().unwrap_or_else(PoisonError::into_inner)
    }

    pub fn writing(&self) -> RwLockWriteGuard<'_, ()> {
        self.0.write().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A finished group, ready to be written.
pub struct Group {
    pub writes: Arc<Overlay>,
    pub events: Vec<Event>,
    pub frames: Vec<EventFrame>,
}

/// What a transaction reads beneath its own writes: for sled, the tree under the groups still
/// on their way to it; for PostgreSQL, the database transaction the group is written in.
pub trait Below {
    /// The value of `key`; `None` when it is deleted or was never written.
    fn value(&self, key: &[u8]) -> StoreResult<Option<Arc<Value>>>;
    /// Each live entry under `prefix`, in key order, until `visit` answers `false`.
    fn walk(&self, prefix: &[u8], visit: &mut dyn FnMut(&[u8], &[u8]) -> Walk) -> StoreResult<()>;
    fn event_json(&self, workspace_id: Id, id: EventId) -> StoreResult<Option<Vec<u8>>>;
}

/// The sled tree, under the groups not yet written into it (newest first) and the builder's
/// memory of recent values.
pub struct SledBelow<'a> {
    pub view: View<'a>,
    pub in_flight: &'a [Arc<Overlay>],
    pub recent: &'a RefCell<Recent>,
}

impl Below for SledBelow<'_> {
    /// A remembered value (which covers the groups still on their way to disk), else the
    /// tree's.
    fn value(&self, key: &[u8]) -> StoreResult<Option<Arc<Value>>> {
        if let Some(value) = self.recent.borrow().lookup(key) {
            return Ok(value);
        }
        for overlay in self.in_flight {
            if let Some(value) = overlay.get(key) {
                return Ok(value.clone());
            }
        }
        let Some(bytes) = sled::Tree::get(self.view.tree, key)? else {
            return Ok(None);
        };
        let value = Arc::new(Value::new(bytes.to_vec()));
        self.recent.borrow_mut().remember_read(key, value.clone());
        Ok(Some(value))
    }

    fn walk(&self, prefix: &[u8], visit: &mut dyn FnMut(&[u8], &[u8]) -> Walk) -> StoreResult<()> {
        let overlays = self.in_flight.iter().rev().map(Arc::as_ref);
        walk_over(
            overlays,
            prefix,
            |below| self.view.tree.walk_prefix(prefix, below),
            visit,
        )
    }

    fn event_json(&self, workspace_id: Id, id: EventId) -> StoreResult<Option<Vec<u8>>> {
        let event_key = keys::key(keys::EVENT, &[workspace_id, id]);
        for overlay in self.in_flight {
            if let Some(json) = overlay.get(&event_key) {
                return Ok(json.as_ref().map(|json| json.bytes.clone()));
            }
        }
        self.view.event_json(workspace_id, id)
    }
}

/// The writer's view of the store while it builds a group.
pub struct Txn<'a> {
    below: &'a dyn Below,
    group: Overlay,
    step: Overlay,
    group_events: Vec<(Event, EventFrame)>,
    step_events: Vec<(Event, EventFrame)>,
    group_next_id: Id,
    next_id: Id,
    /// The time every step of this group is recorded at.
    pub now: Millis,
}

impl<'a> Txn<'a> {
    pub fn new(below: &'a dyn Below, next_id: Id, now: Millis) -> Self {
        Txn {
            below,
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
    pub fn run_step<T>(
        &mut self,
        step: impl FnOnce(&mut Txn<'a>) -> StoreResult<T>,
    ) -> StoreResult<T> {
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
        self.step.insert(key, Some(Arc::new(Value::new(value))));
    }

    /// Writes a record as JSON, keeping the record for the builder's later reads.
    pub fn put_json<T: Record + Serialize>(&mut self, key: Vec<u8>, record: &T) -> StoreResult<()> {
        let bytes = serde_json::to_vec(record)?;
        self.step.insert(
            key,
            Some(Arc::new(Value::with_record(bytes, record.clone()))),
        );
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

    /// Records an event under an id taken earlier with [`Txn::next_id`]. Its JSON is made once,
    /// for the journal and for every subscriber; until its group is on disk the writer reads it
    /// back from the overlays.
    pub fn emit_with_id(
        &mut self,
        id: EventId,
        workspace_id: Id,
        kind: EventKind,
    ) -> StoreResult<()> {
        let event = Event {
            id,
            workspace_id,
            at: self.now,
            kind,
        };
        let json = serde_json::to_string(&event)?;
        self.put(
            keys::key(keys::EVENT, &[workspace_id, id]),
            json.clone().into_bytes(),
        );
        let frame = EventFrame {
            id,
            workspace_id,
            json: json.into(),
        };
        self.step_events.push((event, frame));
        Ok(())
    }

    /// The finished group (with the id counter among its writes) and the next free id.
    pub fn finish(mut self) -> StoreResult<(Group, Id)> {
        self.group.insert(
            keys::META_NEXT_ID.to_vec(),
            Some(Arc::new(Value::new(serde_json::to_vec(
                &self.group_next_id,
            )?))),
        );
        let (events, frames) = self.group_events.into_iter().unzip();
        Ok((
            Group {
                writes: Arc::new(self.group),
                events,
                frames,
            },
            self.group_next_id,
        ))
    }
}

/// This group's and this step's writes over what lies below.
impl Scan for Txn<'_> {
    fn walk_prefix(
        &self,
        prefix: &[u8],
        visit: &mut dyn FnMut(&[u8], &[u8]) -> Walk,
    ) -> StoreResult<()> {
        walk_over(
            [&self.group, &self.step].into_iter(),
            prefix,
            |below| self.below.walk(prefix, below),
            visit,
        )
    }
}

/// Walks `below`'s entries under `prefix` with the `overlays`' writes (oldest first) over them,
/// lazily: the overlays are small, `below` is walked only as far as asked.
pub fn walk_over<'o>(
    overlays: impl Iterator<Item = &'o Overlay>,
    prefix: &[u8],
    below: impl FnOnce(&mut dyn FnMut(&[u8], &[u8]) -> Walk) -> StoreResult<()>,
    visit: &mut dyn FnMut(&[u8], &[u8]) -> Walk,
) -> StoreResult<()> {
    // The newest write of each key under `prefix`; `None` where it was removed.
    let mut written: BTreeMap<&[u8], Option<&[u8]>> = BTreeMap::new();
    for overlay in overlays {
        let range = overlay.range::<[u8], _>((Bound::Included(prefix), Bound::Unbounded));
        for (key, value) in range.take_while(|(key, _)| key.starts_with(prefix)) {
            written.insert(key, value.as_deref().map(|value| value.bytes.as_slice()));
        }
    }
    let mut written = written.into_iter().peekable();
    let mut stopped = false;
    below(&mut |key, value| {
        // The overlays' keys that sort before this one (new keys) come first.
        while let Some((earlier, value)) = written.next_if(|(other, _)| *other < key) {
            if let Some(value) = value
                && !visit(earlier, value)?
            {
                stopped = true;
                return Ok(false);
            }
        }
        let value = match written.next_if(|(other, _)| *other == key) {
            Some((_, written)) => written,
            None => Some(value),
        };
        if let Some(value) = value
            && !visit(key, value)?
        {
            stopped = true;
            return Ok(false);
        }
        Ok(true)
    })?;
    if !stopped {
        for (key, value) in written {
            if let Some(value) = value
                && !visit(key, value)?
            {
                break;
            }
        }
    }
    Ok(())
}

impl Txn<'_> {
    /// The value of `key` as the writer sees it: this step's, this group's, else what lies
    /// below.
    fn value(&self, key: &[u8]) -> StoreResult<Option<Arc<Value>>> {
        for overlay in [&self.step, &self.group] {
            if let Some(value) = overlay.get(key) {
                return Ok(value.clone());
            }
        }
        self.below.value(key)
    }
}

impl Read for Txn<'_> {
    fn read<T>(&self, key: &[u8], read: impl FnOnce(&[u8]) -> T) -> StoreResult<Option<T>> {
        Ok(self.value(key)?.map(|value| read(&value.bytes)))
    }

    fn get_json<T: Record>(&self, key: &[u8]) -> StoreResult<Option<T>> {
        self.value(key)?.map(|value| value.record()).transpose()
    }
}

impl Events for Txn<'_> {
    fn event_json(&self, workspace_id: Id, id: EventId) -> StoreResult<Option<Vec<u8>>> {
        let event_key = keys::key(keys::EVENT, &[workspace_id, id]);
        for overlay in [&self.step, &self.group] {
            if let Some(json) = overlay.get(&event_key) {
                return Ok(json.as_ref().map(|json| json.bytes.clone()));
            }
        }
        self.below.event_json(workspace_id, id)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::mpsc;
    use std::time::Duration;

    use super::*;
    use crate::engine::journal::Journal;
    use crate::engine::writer::write_tree;

    /// An empty tree and event journal in `folder`.
    fn tree_and_journal(folder: &std::path::Path) -> (sled::Db, Arc<Segments>) {
        let db = sled::Config::new()
            .path(folder.join("tree"))
            .open()
            .expect("tree");
        let segments = Journal::open(&folder.join("events"), None)
            .expect("journal")
            .segments();
        (db, segments)
    }

    #[test]
    fn a_read_from_outside_the_writer_waits_until_the_group_is_written_whole() {
        let dir = tempfile::tempdir().expect("temp dir");
        let (db, segments) = tree_and_journal(dir.path());
        let gate = Gate::default();
        let (outside, builder) = (
            View {
                tree: &db,
                segments: &segments,
                gate: Some(&gate),
            },
            View {
                tree: &db,
                segments: &segments,
                gate: None,
            },
        );
        std::thread::scope(|scope| {
            let writing = gate.writing();
            write_tree(&db, [(&b"a"[..], Some(&b"1"[..]))]).expect("write");
            let (read, got) = mpsc::channel();
            scope.spawn(move || {
                let seen = (outside.get(b"a"), outside.get(b"b"));
                read.send(seen).expect("send");
            });
            assert!(
                got.recv_timeout(Duration::from_millis(100)).is_err(),
                "the read waits while the group is half written"
            );
            assert_eq!(
                builder.get(b"a").expect("read"),
                Some(b"1".to_vec()),
                "the builder does not wait"
            );
            write_tree(&db, [(&b"b"[..], Some(&b"2"[..]))]).expect("write");
            drop(writing);
            let (a, b) = got.recv_timeout(Duration::from_secs(5)).expect("read");
            assert_eq!(
                (a.expect("read"), b.expect("read")),
                (Some(b"1".to_vec()), Some(b"2".to_vec()))
            );
        });
    }

    /// A walk sees the tree with the groups in flight and the step over it, in key order, and
    /// stops where its visitor says.
    #[test]
    fn a_walk_merges_the_overlays_over_the_tree_and_stops_when_told() {
        let dir = tempfile::tempdir().expect("temp dir");
        let (db, segments) = tree_and_journal(dir.path());
        let tree_writes = [
            (&b"k1"[..], Some(&b"tree"[..])),
            (b"k3", Some(b"tree")),
            (b"k5", Some(b"tree")),
            (b"z", Some(b"other")),
        ];
        write_tree(&db, tree_writes).expect("write");
        let mut in_flight = Overlay::new();
        in_flight.insert(b"k3".to_vec(), None);
        in_flight.insert(
            b"k4".to_vec(),
            Some(Arc::new(Value::new(b"flight".to_vec()))),
        );
        let in_flight = [Arc::new(in_flight)];
        let known = crate::engine::known_keys::KnownKeys::load(&db, 16).expect("known keys");
        let recent = RefCell::new(Recent::new(16, known));
        let view = View {
            tree: &db,
            segments: &segments,
            gate: None,
        };
        let below = SledBelow {
            view,
            in_flight: &in_flight,
            recent: &recent,
        };
        let mut txn = Txn::new(&below, 0, 0);
        txn.put(b"k0".to_vec(), b"step".to_vec());
        txn.put(b"k5".to_vec(), b"step".to_vec());
        txn.put(b"k6".to_vec(), b"step".to_vec());

        let seen = |stop_after: usize| {
            let mut seen = Vec::new();
            txn.walk_prefix(b"k", &mut |key, value| {
                seen.push(format!(
                    "{}={}",
                    String::from_utf8_lossy(key),
                    String::from_utf8_lossy(value)
                ));
                Ok(seen.len() < stop_after)
            })
            .expect("walk");
            seen
        };
        assert_eq!(
            seen(usize::MAX),
            ["k0=step", "k1=tree", "k4=flight", "k5=step", "k6=step"]
        );
        assert_eq!(seen(2), ["k0=step", "k1=tree"]);
    }
}
