//! Files' bytes in the shared database (table `blobs`), so that every node reads what any node
//! stored with nothing more to run or mount. They go through connections of their own, so that
//! large files never hold up the node's reads.

use switchboard_model::Id;

use super::Pool;
use super::sql::bigint;
use crate::StoreResult;
use crate::engine::blobs::Blobs;

/// How many files' bytes go to or from the database at once, per node.
const CONNECTIONS: usize = 2;

pub struct DatabaseBlobs {
    pool: Pool,
}

impl DatabaseBlobs {
    /// Connects to the database at `url`, whose schema is up to date.
    pub fn open(url: &str) -> StoreResult<DatabaseBlobs> {
        Ok(DatabaseBlobs {
            pool: Pool::start(url, CONNECTIONS)?,
        })
    }
}

impl Blobs for DatabaseBlobs {
    fn put(&self, workspace_id: Id, name: &str, bytes: &[u8]) -> StoreResult<()> {
        let (name, bytes) = (name.to_string(), bytes.to_vec());
        self.pool.run(move |client| {
            client.execute(
                "INSERT INTO blobs (workspace_id, name, bytes, written_at) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT DO NOTHING",
                &[
                    &bigint(workspace_id),
                    &name,
                    &bytes,
                    &switchboard_model::now_millis(),
                ],
            )?;
            Ok(())
        })
    }

    fn get(&self, workspace_id: Id, name: &str) -> StoreResult<Option<Vec<u8>>> {
        let name = name.to_string();
        self.pool.run(move |client| {
            let row = client.query_opt(
                "SELECT bytes FROM blobs WHERE workspace_id = $1 AND name = $2",
                &[&bigint(workspace_id), &name],
            )?;
            Ok(row.map(|row| row.get(0)))
        })
    }

    fn remove(&self, workspace_id: Id, name: &str) -> StoreResult<()> {
        let name = name.to_string();
        self.pool.run(move |client| {
            client.execute(
                "DELETE FROM blobs WHERE workspace_id = $1 AND name = $2",
                &[&bigint(workspace_id), &name],
            )?;
            Ok(())
        })
    }

    fn remove_workspace(&self, workspace_id: Id) -> StoreResult<()> {
        self.pool.run(move |client| {
            client.execute(
                "DELETE FROM blobs WHERE workspace_id = $1",
                &[&bigint(workspace_id)],
            )?;
            Ok(())
        })
    }

    fn written_before(&self, before: i64) -> StoreResult<Vec<(Id, String)>> {
        self.pool.run(move |client| {
            let rows = client.query(
                "SELECT workspace_id, name FROM blobs WHERE written_at < $1",
                &[&before],
            )?;
            Ok(rows
                .iter()
                .map(|row| (row.get::<_, i64>(0) as Id, row.get(1)))
                .collect())
        })
    }
}
