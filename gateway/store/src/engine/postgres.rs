//! The store's engine on PostgreSQL, for gateway nodes that share one database.
//!
//! The domain steps are the embedded store's: each runs against the same [`Txn`], which reads
//! through [`PgBelow`] and whose writes go in as rows. Records keep their keys (table
//! `records`), events go in a table of their own (`events`); the schema is made by migrations
//! run at start (`gateway/store/migrations`).
//!
//! **Event order.** A reader that has seen event `n` must never later meet a smaller id: a
//! client catching up from `n` would skip it. In PostgreSQL, concurrent transactions commit in
//! any order, whatever order they took their ids in. So every group of steps, on any node,
//! takes one transaction-scoped advisory lock before it reads, takes its ids from the counter
//! record under that lock, and holds it until its commit is visible: groups commit one after
//! another, in id order, and the first id a group takes is above every id already committed.
//! Each node still puts many steps in one transaction (group commit), as the embedded writer
//! does; the lock also makes every read-then-write in a step safe across nodes (a message's
//! external id, an outbox claim, a lease).
//!
//! Reads outside the writer go through a few threads of their own, each with its connection
//! ([`Pool`]), so that no async task blocks on the network inside the runtime; files' bytes
//! (table `blobs`) through a pool of their own.
//!
//! [`Txn`]: crate::engine::txn::Txn

mod below;
mod blobs;
mod follower;
pub mod migrate;
mod pool;
mod remembered;
mod sql;
mod writer;

use std::sync::Arc;

pub use self::below::PgView;
pub use self::blobs::DatabaseBlobs;
pub use self::follower::Follower;
pub use self::pool::Pool;
pub use self::writer::run_groups;
use crate::{StoreError, StoreResult};

/// The advisory lock every group of steps holds while it is written ("SWBD").
const WRITERS_LOCK: i64 = 0x5357_4244;
/// The advisory lock a node holds while it brings the schema up to date ("SWBM").
const MIGRATIONS_LOCK: i64 = 0x5357_424D;

mod embedded {
    refinery::embed_migrations!("migrations");
}

/// One PostgreSQL database that gateway nodes share.
pub struct Database {
    pub url: String,
    pub pool: Pool,
}

impl Database {
    /// Connects to the database at `url` and brings its schema up to date.
    pub fn open(url: &str) -> StoreResult<Arc<Database>> {
        on_own_thread(|| update_schema(&mut connect(url)?))?;
        Ok(Arc::new(Database {
            url: url.to_string(),
            pool: Pool::start(url, 4)?,
        }))
    }
}

/// Brings the schema of the database `client` is connected to up to date (the migrations in
/// `gateway/store/migrations`), one node at a time: nodes that start together wait for the
/// first, then find nothing left to do.
fn update_schema(client: &mut postgres::Client) -> StoreResult<()> {
    client.execute("SELECT pg_advisory_lock($1)", &[&MIGRATIONS_LOCK])?;
    let updated = embedded::migrations::runner().run(client).map_err(|error| {
        StoreError::Backend(format!(
            "cannot bring the PostgreSQL schema up to date: {error}"
        ))
    });
    client.execute("SELECT pg_advisory_unlock($1)", &[&MIGRATIONS_LOCK])?;
    updated.map(|_| ())
}

/// Whether `url` names a PostgreSQL database (`postgres://…` or `postgresql://…`).
pub fn is_postgres_url(url: &str) -> bool {
    let scheme = url.split_once("://").map(|(scheme, _)| scheme);
    matches!(scheme, Some("postgres" | "postgresql"))
}

/// Runs `work` on a thread of its own: the synchronous client runs (and drops) a runtime of its
/// own, which tokio refuses inside another's.
pub fn on_own_thread<T: Send>(work: impl FnOnce() -> StoreResult<T> + Send) -> StoreResult<T> {
    std::thread::scope(|scope| {
        scope
            .spawn(work)
            .join()
            .unwrap_or_else(|_| Err(StoreError::Backend("a PostgreSQL call panicked".into())))
    })
}

/// A new connection to `url`; made, used and dropped on one plain thread (see
/// [`on_own_thread`]).
pub fn connect(url: &str) -> StoreResult<postgres::Client> {
    postgres::Client::connect(url, postgres::NoTls)
        .map_err(|error| StoreError::Backend(format!("cannot connect to PostgreSQL: {error}")))
}

impl From<postgres::Error> for StoreError {
    fn from(error: postgres::Error) -> Self {
        StoreError::Backend(format!("PostgreSQL: {error}"))
    }
}
