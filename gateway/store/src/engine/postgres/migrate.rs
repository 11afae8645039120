//! `switchboard migrate`: copies a store from sled (one node) into an empty PostgreSQL
//! database (several nodes), with the gateway stopped.
//!
//! The sled store is opened the normal way, so that its write-ahead log is applied; the
//! database's schema is brought up to date as a start does. Then, in one transaction that holds
//! the writers' lock, every record of the sled tree goes into `records` under the same key
//! (the id counter with them, so new ids continue above the copied ones), except what only the
//! sled engine reads ([`sled_only`]), and every event of the journal goes into `events`. A
//! database that already holds records or events is refused: a store in use is never
//! overwritten. Files' bytes go first, blob by blob under the same names, into the database's
//! `blobs` or the folder the nodes will keep them in. Once committed, the rows PostgreSQL holds
//! and the blobs are counted per workspace against those copied ([`MigrationReport`]).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::Path;
use std::sync::Arc;

use postgres::Transaction;
use switchboard_model::{EventId, Id};

use super::{DatabaseBlobs, connect, is_postgres_url, on_own_thread, sql, update_schema, writer};
use crate::engine::blobs::{Blobs, FolderBlobs};
use crate::engine::journal::Segments;
use crate::keys;
use crate::{InProcessBus, RecordStore, StoreError, StoreResult};

/// Rows are inserted this many at a time at most...
const BATCH_ROWS: usize = 1000;
/// ...or once they hold this many bytes.
const BATCH_BYTES: usize = 16 << 20;

/// What was copied: per workspace, records, events and files' blobs as PostgreSQL (and the
/// files' folder) hold them after the commit. Workspace 0 holds the records of no workspace (sign-in addresses, sessions, tokens,
/// queued replies, leases, the id counter).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MigrationReport {
    pub workspaces: BTreeMap<Id, Copied>,
}

/// How many records, events and blobs of one workspace.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Copied {
    pub records: u64,
    pub events: u64,
    pub blobs: u64,
}

impl MigrationReport {
    pub fn total(&self) -> Copied {
        self.workspaces
            .values()
            .fold(Copied::default(), |sum, one| Copied {
                records: sum.records + one.records,
                events: sum.events + one.events,
                blobs: sum.blobs + one.blobs,
            })
    }
}

impl fmt::Display for MigrationReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let line = |f: &mut fmt::Formatter<'_>, name: &str, copied: Copied| {
            writeln!(
                f,
                "{name:<14} {:>10} {:>10} {:>10}",
                copied.records, copied.events, copied.blobs
            )
        };
        writeln!(
            f,
            "{:<14} {:>10} {:>10} {:>10}",
            "workspace", "records", "events", "files"
        )?;
        for (workspace_id, copied) in &self.workspaces {
            let name = match workspace_id {
                0 => "(none)".to_string(),
                id => id.to_string(),
            };
            line(f, &name, *copied)?;
        }
        line(f, "total", self.total())
    }
}

/// Copies the sled store in `sled_path` into the empty PostgreSQL database at `url` (files'
/// bytes into the database, or into `files_in` when the nodes keep them in a folder), and
/// answers what PostgreSQL holds once the copy is committed and checked.
pub fn copy_sled_into_postgres(
    sled_path: &Path,
    url: &str,
    files_in: Option<&Path>,
) -> StoreResult<MigrationReport> {
    if !is_postgres_url(url) {
        return Err(StoreError::Invalid(
            "the target must be a PostgreSQL URL (postgres://user:password@host:5432/database)"
                .into(),
        ));
    }
    if !sled_path.join("db").is_file() {
        return Err(StoreError::Invalid(format!(
            "{} holds no sled store (store.path names the folder to copy)",
            sled_path.display()
        )));
    }
    let store =
        RecordStore::open(sled_path, Arc::new(InProcessBus::new(16))).map_err(
            |error| match error {
                StoreError::Backend(reason) if reason.contains("could not acquire lock") => {
                    StoreError::Conflict(format!(
                        "a gateway still holds the sled store in {}: stop it first ({reason})",
                        sled_path.display()
                    ))
                }
                error => error,
            },
        )?;
    let (tree, segments) = store
        .sled_files()
        .ok_or_else(|| StoreError::Backend("the store did not open on sled".into()))?;
    if tree.get(keys::META_NEXT_ID)?.is_none() {
        return Err(StoreError::Invalid(format!(
            "the sled store in {} is empty: nothing to copy",
            sled_path.display()
        )));
    }
    on_own_thread(|| {
        let mut client = connect(url)?;
        update_schema(&mut client)?;
        refuse_unless_empty(&mut client.transaction()?, true)
    })?;
    let target: Box<dyn Blobs> = match files_in {
        Some(folder) => Box::new(FolderBlobs::new(folder.to_path_buf())),
        None => Box::new(DatabaseBlobs::open(url)?),
    };
    if let Some(folder) = files_in
        && !target.written_before(i64::MAX)?.is_empty()
    {
        return Err(StoreError::Conflict(format!(
            "{} already holds files: migrate copies files only into an empty folder",
            folder.display()
        )));
    }
    let mut copied = BTreeMap::new();
    copy_blobs(store.blobs(), &*target, &mut copied)?;
    on_own_thread(|| {
        let mut client = connect(url)?;
        let mut txn = writer::begin(&mut client)?;
        refuse_unless_empty(&mut txn, false)?;
        copy_records(&mut txn, tree, &mut copied)?;
        copy_events(&mut txn, tree, segments, &mut copied)?;
        txn.commit()?;
        let mut held = held(&mut client)?;
        for (workspace_id, _) in target.written_before(i64::MAX)? {
            held.entry(workspace_id).or_default().blobs += 1;
        }
        check(&copied, &held)?;
        Ok(MigrationReport { workspaces: held })
    })
}

/// Every blob of the sled store, under the same name (a blob already there stays: a name is
/// written once, with the same bytes).
fn copy_blobs(
    from: &dyn Blobs,
    to: &dyn Blobs,
    copied: &mut BTreeMap<Id, Copied>,
) -> StoreResult<()> {
    for (workspace_id, name) in from.written_before(i64::MAX)? {
        let Some(bytes) = from.get(workspace_id, &name)? else {
            continue;
        };
        to.put(workspace_id, &name, &bytes)?;
        copied.entry(workspace_id).or_default().blobs += 1;
    }
    Ok(())
}

/// Records only the sled engine reads: its layout, where its journal ends, the journal's index
/// (PostgreSQL keeps events in a table instead), and events, which the tree never holds.
fn sled_only(key: &[u8]) -> bool {
    key == keys::META_FORMAT
        || key == keys::META_JOURNAL_END
        || key.starts_with(keys::EVENT_INDEX)
        || key.starts_with(keys::EVENT)
}

/// Refuses a database that holds records or events, or (`files_too`, before any file is copied)
/// files: a store in use is never written over.
fn refuse_unless_empty(txn: &mut Transaction<'_>, files_too: bool) -> StoreResult<()> {
    let row = txn.query_one(
        "SELECT (SELECT count(*) FROM records), (SELECT count(*) FROM events),
                (SELECT count(*) FROM blobs WHERE $1)",
        &[&files_too],
    )?;
    let (records, events, files): (i64, i64, i64) = (row.get(0), row.get(1), row.get(2));
    if records > 0 || events > 0 || files > 0 {
        return Err(StoreError::Conflict(format!(
            "the PostgreSQL database already holds {records} records, {events} events and \
             {files} files: migrate copies only into an empty database and never overwrites a \
             store in use"
        )));
    }
    Ok(())
}

/// Every record of the tree but the sled engine's own, in batches.
fn copy_records(
    txn: &mut Transaction<'_>,
    tree: &sled::Db,
    copied: &mut BTreeMap<Id, Copied>,
) -> StoreResult<()> {
    let mut batch = Batch::default();
    for entry in tree.iter() {
        let (key, value) = entry?;
        if sled_only(&key) {
            continue;
        }
        let workspace_id = sql::workspace_of(&key);
        copied.entry(workspace_id as Id).or_default().records += 1;
        batch.push(
            key.to_vec(),
            workspace_id,
            value.to_vec(),
            key.len() + value.len(),
        );
        if batch.full() {
            insert_records(txn, &mut batch)?;
        }
    }
    insert_records(txn, &mut batch)
}

/// Every event of every workspace the journal indexes, in batches.
fn copy_events(
    txn: &mut Transaction<'_>,
    tree: &sled::Db,
    segments: &Segments,
    copied: &mut BTreeMap<Id, Copied>,
) -> StoreResult<()> {
    // An index record's key is its tag, its workspace, then the first event of its group.
    let mut workspaces = BTreeSet::new();
    for key in tree.scan_prefix(keys::EVENT_INDEX).keys() {
        workspaces.extend(key?.get(..10).and_then(keys::last_id));
    }
    let mut batch = Batch::default();
    for workspace_id in workspaces {
        segments.each_event(tree, workspace_id, EventId::MAX, &mut |_, id, json| {
            copied.entry(workspace_id).or_default().events += 1;
            let body = String::from_utf8_lossy(json).into_owned();
            batch.push(sql::bigint(id), sql::bigint(workspace_id), body, json.len());
            if batch.full() {
                insert_events(txn, &mut batch)?;
            }
            Ok(())
        })?;
    }
    insert_events(txn, &mut batch)
}

/// Rows waiting to be inserted together: key (or id), workspace, value (or body).
struct Batch<K, V> {
    keys: Vec<K>,
    workspaces: Vec<i64>,
    values: Vec<V>,
    bytes: usize,
}

impl<K, V> Default for Batch<K, V> {
    fn default() -> Self {
        Batch {
            keys: Vec::new(),
            workspaces: Vec::new(),
            values: Vec::new(),
            bytes: 0,
        }
    }
}

impl<K, V> Batch<K, V> {
    fn push(&mut self, key: K, workspace_id: i64, value: V, bytes: usize) {
        self.keys.push(key);
        self.workspaces.push(workspace_id);
        self.values.push(value);
        self.bytes += bytes;
    }

    fn full(&self) -> bool {
        self.keys.len() >= BATCH_ROWS || self.bytes >= BATCH_BYTES
    }
}

fn insert_records(
    txn: &mut Transaction<'_>,
    batch: &mut Batch<Vec<u8>, Vec<u8>>,
) -> StoreResult<()> {
    if !batch.keys.is_empty() {
        txn.execute(
            "INSERT INTO records (key, workspace_id, value)
             SELECT * FROM unnest($1::bytea[], $2::int8[], $3::bytea[])",
            &[&batch.keys, &batch.workspaces, &batch.values],
        )?;
    }
    *batch = Batch::default();
    Ok(())
}

fn insert_events(txn: &mut Transaction<'_>, batch: &mut Batch<i64, String>) -> StoreResult<()> {
    if !batch.keys.is_empty() {
        txn.execute(
            "INSERT INTO events (id, workspace_id, body)
             SELECT id, workspace_id, body::json
             FROM unnest($1::int8[], $2::int8[], $3::text[]) AS e(id, workspace_id, body)",
            &[&batch.keys, &batch.workspaces, &batch.values],
        )?;
    }
    *batch = Batch::default();
    Ok(())
}

/// Records and events per workspace, as the database holds them.
fn held(client: &mut postgres::Client) -> StoreResult<BTreeMap<Id, Copied>> {
    let mut held: BTreeMap<Id, Copied> = BTreeMap::new();
    for row in client.query(
        "SELECT workspace_id, count(*) FROM records GROUP BY workspace_id",
        &[],
    )? {
        held.entry(row.get::<_, i64>(0) as Id).or_default().records = row.get::<_, i64>(1) as u64;
    }
    for row in client.query(
        "SELECT workspace_id, count(*) FROM events GROUP BY workspace_id",
        &[],
    )? {
        held.entry(row.get::<_, i64>(0) as Id).or_default().events = row.get::<_, i64>(1) as u64;
    }
    Ok(held)
}

/// Fails naming every workspace whose counts in PostgreSQL differ from those copied.
fn check(copied: &BTreeMap<Id, Copied>, held: &BTreeMap<Id, Copied>) -> StoreResult<()> {
    let differences: Vec<String> = copied
        .keys()
        .chain(held.keys())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .filter_map(|id| {
            let (copied, held) = (copied.get(id).copied(), held.get(id).copied());
            (copied != held).then(|| {
                let (copied, held) = (copied.unwrap_or_default(), held.unwrap_or_default());
                format!(
                    "workspace {id}: copied {} records, {} events and {} files, the target holds {}, {} and {}",
                    copied.records,
                    copied.events,
                    copied.blobs,
                    held.records,
                    held.events,
                    held.blobs
                )
            })
        })
        .collect();
    if differences.is_empty() {
        return Ok(());
    }
    Err(StoreError::Backend(format!(
        "the copy was committed but does not check out ({}): empty the database before trying \
         again",
        differences.join("; ")
    )))
}
