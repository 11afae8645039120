//! The PostgreSQL writer: one thread per node that takes every step waiting, runs them in one
//! transaction under the writers' lock (see [`crate::engine::postgres`]), writes what they wrote as
//! rows and commits, hands the group's events on, then answers each step.

use std::sync::{Arc, mpsc};

use postgres::Transaction;
use switchboard_model::{Id, now_millis};

use super::below::PgBelow;
use super::follower::Follower;
use super::remembered::{GroupMark, Lag, Remembered};
use super::{Database, WRITERS_LOCK, sql};
use crate::engine::txn::{Below, Group, Overlay, Txn, Value, Walk};
use crate::engine::writer::{Answer, Job, Progress};
use crate::keys;
use crate::{StoreError, StoreResult};

/// How many steps one group may hold at most.
const MAX_GROUP: usize = 1024;
/// How many groups' keys `group_writes` keeps (for writers that fell behind), pruned every
/// [`PRUNE_EVERY`] groups.
const KEPT_GROUPS: u64 = 10_000;
const PRUNE_EVERY: u64 = 1_000;
/// A writer whose memory is further behind than this many groups forgets everything.
const CATCH_UP_GROUPS: i64 = 1_000;

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
    // The last group whose events (and every event before them) the follower has handed on.
    let mut handed_through = None;
    while let Ok(first) = queue.recv() {
        let mut jobs = vec![first];
        while jobs.len() < MAX_GROUP {
            match queue.try_recv() {
                Ok(job) => jobs.push(job),
                Err(_) => break,
            }
        }
        let mut attempt = try_group(&mut client, &database.url, &mut remembered, jobs);
        if let Attempt::NotBegun(jobs, _) = attempt {
            // The connection broke since the last group (the database restarted): the steps
            // have not run, so they go once more on a new connection.
            client = None;
            attempt = try_group(&mut client, &database.url, &mut remembered, jobs);
        }
        let (answers, outcome) = match attempt {
            Attempt::Ran(answers, outcome) => (answers, outcome),
            Attempt::NotBegun(jobs, error) => refuse(jobs, error),
        };
        let outcome = match outcome {
            Ok(written) => {
                *progress.failing() = None;
                // When the group before this one was this writer's own and its events were
                // handed on, this group's events are all that is new: no need to read them back.
                let previous = written.mark.number - 1;
                let handed = if written.follows_own && handed_through == Some(previous) {
                    follower.hand_on_own(&written.group.events, &written.group.frames);
                    Ok(())
                } else {
                    match client.as_mut() {
                        Some(client) => follower.committed(client),
                        None => Err(StoreError::Backend("no connection".into())),
                    }
                };
                handed_through = match handed {
                    Ok(()) => Some(written.mark.number),
                    Err(error) => {
                        // Committed all the same: the follower's thread hands them on.
                        tracing::warn!(%error, "cannot read back the events just committed");
                        follower.wake();
                        None
                    }
                };
                Ok(())
            }
            Err(error) => {
                tracing::warn!(%error, steps = answers.len(), "a group of writes failed");
                *progress.failing() = Some(error.clone());
                Err(error)
            }
        };
        for answer in answers {
            answer(&outcome);
        }
    }
}

/// A group committed: its mark, whether the group before it was this writer's own, and what
/// it wrote.
struct Written {
    mark: GroupMark,
    follows_own: bool,
    group: Group,
}

type Outcome = StoreResult<Written>;

/// How an attempt at a group went: run (committed or not), or not begun, its steps untouched.
enum Attempt {
    Ran(Vec<Answer>, Outcome),
    NotBegun(Vec<Job>, StoreError),
}

/// Runs `jobs` as one group on the writer's connection, made again first when there is none
/// or it closed.
fn try_group(
    client: &mut Option<postgres::Client>,
    url: &str,
    remembered: &mut Remembered,
    jobs: Vec<Job>,
) -> Attempt {
    if client.as_ref().is_none_or(postgres::Client::is_closed) {
        match super::connect(url) {
            Ok(connected) => *client = Some(connected),
            Err(error) => return Attempt::NotBegun(jobs, error),
        }
    }
    match client.as_mut() {
        Some(client) => write_group(client, remembered, jobs),
        None => Attempt::NotBegun(jobs, StoreError::Backend("no connection".into())),
    }
}

/// Runs `jobs` in one transaction and commits what they wrote.
fn write_group(
    client: &mut postgres::Client,
    remembered: &mut Remembered,
    jobs: Vec<Job>,
) -> Attempt {
    let mut txn = match begin(client) {
        Ok(txn) => txn,
        Err(error) => return Attempt::NotBegun(jobs, error),
    };
    let next_id = match start_group(&mut txn, remembered) {
        Ok(next_id) => next_id,
        Err(error) => {
            drop(txn);
            remembered.forget();
            let (answers, refused) = refuse(jobs, error);
            return Attempt::Ran(answers, refused);
        }
    };
    let mark = remembered.next_group();
    let (answers, written) = {
        let below = PgBelow::new(txn, remembered);
        let mut steps = Txn::new(&below, next_id, now_millis());
        let answers: Vec<Answer> = jobs.into_iter().map(|job| job(&mut steps)).collect();
        let written = steps.finish().and_then(|(group, _)| {
            let mut txn = below.into_transaction()?;
            write(&mut txn, &group.writes, mark)?;
            txn.commit()?;
            Ok(group)
        });
        (answers, written)
    };
    match written {
        Ok(group) => {
            let follows_own = remembered.follows_own();
            remembered.committed(mark, &group.writes);
            Attempt::Ran(
                answers,
                Ok(Written {
                    mark,
                    follows_own,
                    group,
                }),
            )
        }
        Err(error) => {
            remembered.forget();
            Attempt::Ran(answers, Err(error))
        }
    }
}

/// A transaction that holds the writers' lock.
pub(super) fn begin(client: &mut postgres::Client) -> StoreResult<Transaction<'_>> {
    let mut txn = client.transaction()?;
    txn.execute("SELECT pg_advisory_xact_lock($1)", &[&WRITERS_LOCK])?;
    Ok(txn)
}

/// Reads, once the lock is held, the id counter and the last group committed, and brings what
/// the writer remembers up to date with the groups other nodes committed since its last one
/// (their keys come in the same round trip); answers the next free id.
fn start_group(txn: &mut Transaction<'_>, remembered: &mut Remembered) -> StoreResult<Id> {
    let wanted: &[&[u8]] = &[keys::META_NEXT_ID, keys::META_LAST_GROUP];
    // A memory that saw nothing, or too many groups ago, starts over rather than read them.
    let seen = remembered
        .seen()
        .map_or(i64::MAX - CATCH_UP_GROUPS, sql::bigint);
    let rows = txn.query(
        "SELECT key, value, NULL::int8, NULL::bytea[] FROM records WHERE key = ANY($1)
         UNION ALL
         SELECT NULL, NULL, number, keys FROM group_writes WHERE number > $2 AND number <= $3
         UNION ALL
         SELECT NULL, NULL, coalesce(max(number), 0), NULL FROM group_writes",
        &[&wanted, &seen, &(seen + CATCH_UP_GROUPS)],
    )?;
    let mut next_id = 0;
    let mut last = None;
    let mut highest = 0;
    let mut written = Vec::new();
    for row in &rows {
        let number = || row.get::<_, i64>(2) as u64;
        match (row.get::<_, Option<&[u8]>>(0), row.get(3)) {
            (Some(key), _) if key == keys::META_NEXT_ID => {
                next_id = serde_json::from_slice(row.get::<_, &[u8]>(1))?;
            }
            (Some(_), _) => last = GroupMark::parse(row.get::<_, &[u8]>(1)),
            (None, Some(keys)) => written.push((number(), keys)),
            (None, None) => highest = number(),
        }
    }
    if let Lag::Groups { seen, last } = remembered.lag(last, highest) {
        written.sort_unstable_by_key(|(number, _)| *number);
        remembered.forget_written(seen, last, &written);
    }
    Ok(next_id)
}

/// Writes a group's records and events, its mark, and the keys it wrote for the other nodes'
/// writers (see [`Remembered`]).
fn write(txn: &mut Transaction<'_>, writes: &Overlay, mark: GroupMark) -> StoreResult<()> {
    let mut record_keys = vec![keys::META_LAST_GROUP.to_vec()];
    let mut workspaces = vec![0];
    let mut values = vec![mark.to_bytes()];
    let mut removed = vec![];
    let mut written_keys = vec![];
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
                written_keys.push(key.as_slice());
            }
            (None, None) => {
                removed.push(key.clone());
                written_keys.push(key.as_slice());
            }
        }
    }
    if !removed.is_empty() {
        txn.execute("DELETE FROM records WHERE key = ANY($1)", &[&removed])?;
    }
    let number = i64::try_from(mark.number).unwrap_or(i64::MAX);
    txn.execute(
        "WITH logged AS (INSERT INTO group_writes (number, keys) VALUES ($4, $5))
         INSERT INTO records (key, workspace_id, value)
             SELECT * FROM unnest($1::bytea[], $2::int8[], $3::bytea[])
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        &[&record_keys, &workspaces, &values, &number, &written_keys],
    )?;
    if mark.number.is_multiple_of(PRUNE_EVERY) {
        let before = i64::try_from(mark.number.saturating_sub(KEPT_GROUPS)).unwrap_or(0);
        txn.execute("DELETE FROM group_writes WHERE number <= $1", &[&before])?;
    }
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
fn refuse<T>(jobs: Vec<Job>, error: StoreError) -> (Vec<Answer>, StoreResult<T>) {
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
