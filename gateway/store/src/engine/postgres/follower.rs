//! The follower: every node reads the events all nodes commit, in id order, and hands them on
//! (to its inbox index and its live clients). The writers' lock makes ids commit in order, so
//! reading "after the last id seen" never skips one. The node's own writer catches up right
//! after each commit, before it answers the group's steps (as the embedded writer publishes
//! before it answers), or hands its group's events on itself when no other node committed
//! since its last group; the follower's thread catches up with the other nodes' commits when
//! woken, or every [`POLL`].

use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use switchboard_model::{Event, EventId};
use tokio::sync::watch;

use super::{Database, sql};
use crate::{EventFrame, StoreError, StoreResult};

/// How often the follower looks for events when nothing woke it.
const POLL: Duration = Duration::from_millis(200);

/// How many events it reads at a time.
const BATCH: i64 = 1000;

/// What the follower hands events to.
pub type Deliver = Box<dyn Fn(&[Event], &[EventFrame]) + Send>;

/// The last event handed on, and where events go.
struct Handed {
    cursor: EventId,
    deliver: Deliver,
}

impl Handed {
    /// Hands on `events` (in id order) past the cursor: those another catch-up handed on
    /// meanwhile are not handed on twice.
    fn hand_on(&mut self, events: &[Event], frames: &[EventFrame]) {
        let new = events.partition_point(|event| event.id <= self.cursor);
        if let Some(last) = events[new..].last() {
            (self.deliver)(&events[new..], &frames[new..]);
            self.cursor = last.id;
        }
    }
}

/// The handle that catches up and wakes the follower.
#[derive(Clone)]
pub struct Follower {
    wake: mpsc::Sender<()>,
    handed: Arc<Mutex<Handed>>,
    /// The last event this node's writer committed, for a bus to tell the other nodes.
    committed: Arc<watch::Sender<EventId>>,
    /// Why the follower's last look at the database failed, while it fails.
    failing: Arc<Mutex<Option<String>>>,
}

impl Follower {
    /// Starts following the events committed after `from`.
    pub fn start(
        database: Arc<Database>,
        from: EventId,
        deliver: Deliver,
    ) -> StoreResult<Follower> {
        let (wake, woken) = mpsc::channel();
        let handed = Arc::new(Mutex::new(Handed {
            cursor: from,
            deliver,
        }));
        let (own, failing) = (handed.clone(), Arc::new(Mutex::new(None)));
        let told = failing.clone();
        std::thread::Builder::new()
            .name("store-follower".into())
            .spawn(move || follow(&database, &woken, &own, &told))
            .map_err(|error| StoreError::Backend(format!("cannot start the follower: {error}")))?;
        Ok(Follower {
            wake,
            handed,
            committed: Arc::new(watch::Sender::new(from)),
            failing,
        })
    }

    /// `Err` with the reason while the database cannot be read (the follower looks every
    /// [`POLL`] at least).
    pub fn health(&self) -> Result<(), String> {
        match &*self.failing.lock().unwrap_or_else(PoisonError::into_inner) {
            None => Ok(()),
            Some(reason) => Err(reason.clone()),
        }
    }

    /// Wakes the follower's thread: another node committed.
    pub fn wake(&self) {
        let _ = self.wake.send(());
    }

    /// The last event id this node's writer committed, as it changes.
    pub fn commits(&self) -> watch::Receiver<EventId> {
        self.committed.subscribe()
    }

    /// Hands on what this node's writer just committed (with anything before it), reading with
    /// `client`, and announces it.
    pub fn committed(&self, client: &mut postgres::Client) -> StoreResult<()> {
        let last = catch_up(client, &self.handed)?;
        self.committed.send_replace(last);
        Ok(())
    }

    /// Hands on whatever any node committed that was not handed on yet, reading with `client`:
    /// what a read of the node's index does first, so that it sees every write acknowledged
    /// before it began, on any node.
    pub fn catch_up_with(&self, client: &mut postgres::Client) -> StoreResult<()> {
        catch_up(client, &self.handed).map(drop)
    }

    /// Hands on `events`, which this node's writer just committed right after a group whose
    /// events were handed on already (nothing else committed in between), and announces them:
    /// what [`Follower::committed`] would read back. Those the follower's thread met first are
    /// not handed on twice.
    pub fn hand_on_own(&self, events: &[Event], frames: &[EventFrame]) {
        let mut handed = self.handed.lock().unwrap_or_else(PoisonError::into_inner);
        handed.hand_on(events, frames);
        let last = handed.cursor;
        drop(handed);
        self.committed.send_replace(last);
    }
}

fn follow(
    database: &Database,
    woken: &mpsc::Receiver<()>,
    handed: &Mutex<Handed>,
    failing: &Mutex<Option<String>>,
) {
    let mut client: Option<postgres::Client> = None;
    loop {
        match woken.recv_timeout(POLL) {
            Err(RecvTimeoutError::Disconnected) => return,
            Ok(()) => while woken.try_recv().is_ok() {},
            Err(RecvTimeoutError::Timeout) => {}
        }
        if client.as_ref().is_none_or(postgres::Client::is_closed) {
            client = super::connect(&database.url)
                .map_err(|error| note(failing, Some(error.to_string())))
                .ok();
        }
        let Some(connected) = client.as_mut() else {
            continue;
        };
        match catch_up(connected, handed) {
            Ok(_) => note(failing, None),
            Err(error) => note(failing, Some(error.to_string())),
        }
    }
}

/// Keeps why the database cannot be read (`None`: it can), logging each change once.
fn note(failing: &Mutex<Option<String>>, now: Option<String>) {
    let mut failing = failing.lock().unwrap_or_else(PoisonError::into_inner);
    if *failing != now {
        match &now {
            Some(reason) => tracing::warn!(%reason, "cannot read the events committed"),
            None => tracing::info!("reading the events committed again"),
        }
        *failing = now;
    }
}

/// Hands on every event after the last one handed on, batch after batch; answers the last.
/// The database is read without holding the lock, so that a slow read holds up neither the
/// writer's hand-over nor other readers; what another catch-up handed on meanwhile is skipped.
fn catch_up(client: &mut postgres::Client, handed: &Mutex<Handed>) -> StoreResult<EventId> {
    let lock = || handed.lock().unwrap_or_else(PoisonError::into_inner);
    loop {
        let from = lock().cursor;
        let batch = sql::all_events_after(client, from, BATCH)?;
        let mut events = Vec::with_capacity(batch.len());
        let mut frames = Vec::with_capacity(batch.len());
        for (id, workspace_id, json) in &batch {
            events.push(serde_json::from_str::<Event>(json)?);
            frames.push(EventFrame {
                id: *id,
                workspace_id: *workspace_id,
                json: json.as_str().into(),
            });
        }
        let mut handed = lock();
        handed.hand_on(&events, &frames);
        if (batch.len() as i64) < BATCH {
            return Ok(handed.cursor);
        }
    }
}
