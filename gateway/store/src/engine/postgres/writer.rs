//! The PostgreSQL writer: one thread per node that takes every step waiting, runs them in one
//! transaction under the writers' lock (see [`crate::engine::postgres`]), writes what they wrote as
//! rows and commits, then answers each step.

use std::sync::{Arc, mpsc};

use postgres::Transaction;
use switchboard_model::{Id, now_millis};

use super::below::PgBelow;
use super::follower::Follower;
use super::remembered::Remembered;
use super::{Database, WRITERS_LOCK, sql};
use crate::engine::txn::{Below, Overlay, Txn, Value, Walk};
use crate::engine::writer::{Answer, Job, Progress};
use crate::keys;
use crate::{StoreError, StoreResult};

/// How many steps one group may hold at most.
const MAX_GROUP: usize = 1024;

/// Runs the writer until the store is dropped: groups of the steps in `queue`, each committed
/// and its events handed on by `follower` before its steps are answered.
pub fn run_groups(
    database: Arc<Database>,
    queue: mpsc::Receiver<Job>,
    progress: Arc<Progress>,
    follower: Follower,
) {
    let mut client: Option<postgres::Client> = None;
    let mut remembered = Remembered::new();
    while let Ok(first) = queue.recv() {
        let mut jobs = vec![first];
        while jobs.len() < MAX_GROUP {
            match queue.try_recv() {
                Ok(job) => jobs.push(job),
                Err(_) => break,
            }
        }
        if client.as_ref().is_none_or(postgres::Client::is_closed) {
            client = super::connect(&database.url).ok();
        }
        let (answers, outcome) = match client.as_mut() {
            Some(client) => write_group(client, &mut remembered, jobs),
            None => refuse(
                jobs,
                StoreError::Backend("cannot connect to PostgreSQL".into()),
            ),
        };
        match &outcome {
            Ok(()) => {
                *progress.failing() = None;
                if let Some(client) = client.as_mut()
                    && let Err(error) = follower.committed(client)
                {
                    // Committed all the same: the follower's thread hands them on.
                    tracing::warn!(%error, "cannot read back the events just committed");
                    follower.wake();
                }
            }
            Err(error) => {
                tracing::warn!(%error, steps = answers.len(), "a group of writes failed");
                *progress.failing() = Some(error.clone());
            }
        }
        for answer in answers {
            answer(&outcome);
        }
    }
}

type Outcome = StoreResult<()>;

/// Runs `jobs` in one transaction and commits what they wrote.
fn write_group(
    client: &mut postgres::Client,
    remembered: &mut Remembered,
    jobs: Vec<Job>,
) -> (Vec<Answer>, Outcome) {
    let mut txn = match begin(client) {
        Ok(txn) => txn,
        Err(error) => return refuse(jobs, error),
    };
    let next_id = match start_group(&mut txn, remembered) {
        Ok(next_id) => next_id,
        Err(error) => {
            drop(txn);
            return refuse(jobs, error);
        }
    };
    let token = remembered.next_token();
    let (answers, written) = {
        let below = PgBelow::new(txn, remembered);
        let mut steps = Txn::new(&below, next_id, now_millis());
        let answers: Vec<Answer> = jobs.into_iter().map(|job| job(&mut steps)).collect();
        let written = steps.finish().and_then(|(group, _)| {
            let mut txn = below.into_transaction()?;
            write(&mut txn, &group.writes, &token)?;
            txn.commit()?;
            Ok(group.writes)
        });
        (answers, written)
    };
    match written {
        Ok(writes) => {
            remembered.committed(token, &writes);
            (answers, Ok(()))
        }
        Err(error) => {
            remembered.forget();
            (answers, Err(error))
        }
    }
}

/// A transaction that holds the writers' lock.
pub(super) fn begin(client: &mut postgres::Client) -> StoreResult<Transaction<'_>> {
    let mut txn = client.transaction()?;
    txn.execute("SELECT pg_advisory_xact_lock($1)", &[&WRITERS_LOCK])?;
    Ok(txn)
}

/// Reads, once the lock is held, the id counter and whose group committed last (keeping what
/// the writer remembers only if it was its own); answers the next free id.
fn start_group(txn: &mut Transaction<'_>, remembered: &mut Remembered) -> StoreResult<Id> {
    let wanted: &[&[u8]] = &[keys::META_NEXT_ID, keys::META_LAST_GROUP];
    let rows = txn.query(
        "SELECT key, value FROM records WHERE key = ANY($1)",
        &[&wanted],
    )?;
    let found = |wanted: &[u8]| {
        rows.iter()
            .find(|row| row.get::<_, &[u8]>(0) == wanted)
            .map(|row| row.get::<_, Vec<u8>>(1))
    };
    remembered.check(found(keys::META_LAST_GROUP).as_deref());
    match found(keys::META_NEXT_ID) {
        Some(bytes) => Ok(serde_json::from_slice(&bytes)?),
        None => Ok(0),
    }
}

/// Writes a group's records and events, and the token it leaves (see [`Remembered`]).
fn write(txn: &mut Transaction<'_>, writes: &Overlay, token: &[u8]) -> StoreResult<()> {
    let mut record_keys = vec![keys::META_LAST_GROUP.to_vec()];
    let mut workspaces = vec![0];
    let mut values = vec![token.to_vec()];
    let mut removed = vec![];
    let (mut event_ids, mut event_workspaces, mut bodies, mut events_removed) =
        (vec![], vec![], vec![], vec![]);
    for (key, value) in writes {
        match (sql::event_of(key), value) {
            (Some((workspace_id, id)), Some(json)) => {
                event_ids.push(sql::bigint(id));
                event_workspaces.push(sql::bigint(workspace_id));
                bodies.push(String::from_utf8_lossy(&json.bytes).into_owned());
            }
            (Some((_, id)), None) => events_removed.push(sql::bigint(id)),
            (None, Some(value)) => {
                record_keys.push(key.clone());
                workspaces.push(sql::workspace_of(key));
                values.push(value.bytes.clone());
            }
            (None, None) => removed.push(key.clone()),
        }
    }
    if !removed.is_empty() {
        txn.execute("DELETE FROM records WHERE key = ANY($1)", &[&removed])?;
    }
    txn.execute(
        "INSERT INTO records (key, workspace_id, value)
             SELECT * FROM unnest($1::bytea[], $2::int8[], $3::bytea[])
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        &[&record_keys, &workspaces, &values],
    )?;
    if !events_removed.is_empty() {
        txn.execute("DELETE FROM events WHERE id = ANY($1)", &[&events_removed])?;
    }
    if !event_ids.is_empty() {
        txn.execute(
            "INSERT INTO events (id, workspace_id, body)
             SELECT id, workspace_id, body::json
             FROM unnest($1::int8[], $2::int8[], $3::text[]) AS e(id, workspace_id, body)
             ON CONFLICT (id) DO UPDATE SET body = excluded.body",
            &[&event_ids, &event_workspaces, &bodies],
        )?;
    }
    Ok(())
}

/// Answers `jobs` with `error`: each runs against a transaction that reads nothing.
fn refuse(jobs: Vec<Job>, error: StoreError) -> (Vec<Answer>, Outcome) {
    let below = Unreachable(error.clone());
    let mut steps = Txn::new(&below, 0, now_millis());
    let answers = jobs.into_iter().map(|job| job(&mut steps)).collect();
    (answers, Err(error))
}

/// What a group reads while the database cannot be reached: the reason, for every read.
struct Unreachable(StoreError);

impl Below for Unreachable {
    fn value(&self, _key: &[u8]) -> StoreResult<Option<Arc<Value>>> {
        Err(self.0.clone())
    }

    fn walk(
        &self,
        _prefix: &[u8],
        _visit: &mut dyn FnMut(&[u8], &[u8]) -> Walk,
    ) -> StoreResult<()> {
        Err(self.0.clone())
    }

    fn event_json(&self, _workspace_id: Id, _id: Id) -> StoreResult<Option<Vec<u8>>> {
        Err(self.0.clone())
    }
}
