//! The single writer thread: it takes steps from a queue, runs as many as are waiting as one
//! group, applies the group atomically, flushes it to disk once, publishes its events, and only
//! then answers each step. Many concurrent writers thus share one fsync (group commit), and an
//! answered write is a durable one.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;

use switchboard_model::{EventId, Id, now_millis};
use tokio::sync::oneshot;

use super::txn::Txn;
use crate::{EventBus, StoreError, StoreResult};

/// How many steps one group may hold at most.
const MAX_GROUP: usize = 4096;

type Answer = Box<dyn FnOnce(&StoreResult<()>) + Send>;
type Job = Box<dyn for<'a> FnOnce(&mut Txn<'a>) -> Answer + Send>;

/// The handle that sends steps to the writer thread.
pub struct Writer {
    jobs: mpsc::Sender<Job>,
}

impl Writer {
    /// Starts the writer thread. `durable` is raised to the last event id of each flushed group.
    pub fn start(
        db: sled::Db,
        next_id: Id,
        bus: Arc<dyn EventBus>,
        durable: Arc<AtomicU64>,
    ) -> StoreResult<Writer> {
        let (jobs, queue) = mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name("store-writer".into())
            .spawn(move || write_loop(&db, next_id, &queue, bus.as_ref(), &durable))
            .map_err(|error| StoreError::Backend(format!("cannot start the store writer: {error}")))?;
        Ok(Writer { jobs })
    }

    /// Runs `step` in the next group and answers once that group is on disk.
    pub async fn write<T, F>(&self, step: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: for<'a> FnOnce(&mut Txn<'a>) -> StoreResult<T> + Send + 'static,
    {
        let (answer, answered) = oneshot::channel();
        let job: Job = Box::new(move |txn| {
            let result = txn.run_step(step);
            Box::new(move |commit: &StoreResult<()>| {
                let _ = answer.send(match commit {
                    Ok(()) => result,
                    Err(error) => Err(error.clone()),
                });
            })
        });
        self.jobs.send(job).map_err(|_| StoreError::Backend("the store is shut down".into()))?;
        answered.await.map_err(|_| StoreError::Backend("the store writer stopped".into()))?
    }
}

fn write_loop(
    db: &sled::Db,
    mut next_id: Id,
    queue: &mpsc::Receiver<Job>,
    bus: &dyn EventBus,
    durable: &AtomicU64,
) {
    while let Ok(first) = queue.recv() {
        let mut txn = Txn::new(db, next_id, now_millis());
        let mut answers = vec![first(&mut txn)];
        while answers.len() < MAX_GROUP {
            match queue.try_recv() {
                Ok(job) => answers.push(job(&mut txn)),
                Err(_) => break,
            }
        }
        let outcome = txn.finish().and_then(|(batch, events, group_next_id)| {
            db.apply_batch(batch)?;
            next_id = group_next_id;
            db.flush()?;
            Ok(events)
        });
        let commit = match outcome {
            Ok(events) => {
                if let Some(last) = events.last() {
                    durable.fetch_max(last.id as EventId, Ordering::AcqRel);
                }
                bus.publish(&events);
                Ok(())
            }
            Err(error) => {
                tracing::error!(%error, steps = answers.len(), "a group commit failed; its steps were not stored");
                Err(error)
            }
        };
        for answer in answers {
            answer(&commit);
        }
    }
}
