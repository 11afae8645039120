//! Reads of the PostgreSQL engine: inside a group's transaction ([`PgBelow`]) and outside the
//! writer ([`PgView`]); both see records and events as the embedded store's reads do.

use std::cell::RefCell;
use std::sync::Arc;

use switchboard_model::{EventId, Id};

use super::remembered::Remembered;
use super::{Database, sql};
use crate::engine::journal::EventVisitor;
use crate::engine::txn::{Below, Events, Read, Scan, Value, Walk};
use crate::keys;
use crate::{StoreError, StoreResult};

/// A group's transaction, under the group's own writes, with what the writer remembers.
pub struct PgBelow<'t, 'r> {
    txn: RefCell<postgres::Transaction<'t>>,
    remembered: &'r Remembered,
    /// The first statement that failed: PostgreSQL refuses every later one in the
    /// transaction, and its commit would only roll it back.
    failed: RefCell<Option<StoreError>>,
}

impl<'t, 'r> PgBelow<'t, 'r> {
    pub fn new(txn: postgres::Transaction<'t>, remembered: &'r Remembered) -> Self {
        PgBelow {
            txn: RefCell::new(txn),
            remembered,
            failed: RefCell::new(None),
        }
    }

    /// The transaction, unless one of its statements failed.
    pub fn into_transaction(self) -> StoreResult<postgres::Transaction<'t>> {
        match self.failed.into_inner() {
            Some(error) => Err(error),
            None => Ok(self.txn.into_inner()),
        }
    }

    fn run<T>(
        &self,
        statement: impl FnOnce(&mut postgres::Transaction<'t>) -> StoreResult<T>,
    ) -> StoreResult<T> {
        let result = statement(&mut self.txn.borrow_mut());
        if let Err(error) = &result {
            self.failed
                .borrow_mut()
                .get_or_insert_with(|| error.clone());
        }
        result
    }
}

impl Below for PgBelow<'_, '_> {
    fn value(&self, key: &[u8]) -> StoreResult<Option<Arc<Value>>> {
        if let Some(known) = self.remembered.lookup(key) {
            return Ok(known);
        }
        let bytes = self.run(|txn| sql::value(txn, key))?;
        let value = bytes.map(|bytes| Arc::new(Value::new(bytes)));
        if !key.starts_with(keys::EVENT) {
            self.remembered.remember(key, value.clone());
        }
        Ok(value)
    }

    fn walk(&self, prefix: &[u8], visit: &mut dyn FnMut(&[u8], &[u8]) -> Walk) -> StoreResult<()> {
        walk_prefix_pages(prefix, visit, |after| {
            self.run(|txn| sql::page(txn, prefix, after))
        })
    }

    fn event_json(&self, workspace_id: Id, id: EventId) -> StoreResult<Option<Vec<u8>>> {
        self.run(|txn| sql::event_json(txn, workspace_id, id))
    }
}

/// Visits the entries `fetch` gives page after page (each page goes on from the last key of
/// the one before, `None` for the first) until `visit` stops or a page comes short. No page is
/// borrowed while visiting.
fn walk_pages(
    visit: &mut dyn FnMut(&[u8], &[u8]) -> Walk,
    mut fetch: impl FnMut(Option<&[u8]>) -> StoreResult<Vec<(Vec<u8>, Vec<u8>)>>,
) -> StoreResult<()> {
    let mut last_seen: Option<Vec<u8>> = None;
    loop {
        let page = fetch(last_seen.as_deref())?;
        let full = page.len() as i64 == sql::PAGE;
        for (key, value) in &page {
            if !visit(key, value)? {
                return Ok(());
            }
        }
        match page.into_iter().last() {
            Some((last, _)) if full => last_seen = Some(last),
            _ => return Ok(()),
        }
    }
}

/// [`walk_pages`] over the entries under `prefix`, in key order.
fn walk_prefix_pages(
    prefix: &[u8],
    visit: &mut dyn FnMut(&[u8], &[u8]) -> Walk,
    fetch: impl FnMut(Option<&[u8]>) -> StoreResult<Vec<(Vec<u8>, Vec<u8>)>>,
) -> StoreResult<()> {
    let mut under_prefix = |key: &[u8], value: &[u8]| {
        debug_assert!(key.starts_with(prefix));
        visit(key, value)
    };
    walk_pages(&mut under_prefix, fetch)
}

/// Reads outside the writer, each one a statement on a reading thread (and the few statements
/// that need no lock: a removed workspace's events).
#[derive(Clone, Copy)]
pub struct PgView<'a> {
    pub database: &'a Database,
}

impl PgView<'_> {
    fn run<T: Send + 'static>(
        &self,
        read: impl Fn(&mut postgres::Client) -> StoreResult<T> + Send + 'static,
    ) -> StoreResult<T> {
        self.database.pool.run(read)
    }

    /// Entries with keys in `[start, before)`, last first, until `visit` stops.
    pub fn walk_back(
        &self,
        start: &[u8],
        before: &[u8],
        visit: &mut dyn FnMut(&[u8], &[u8]) -> Walk,
    ) -> StoreResult<()> {
        walk_pages(visit, |last_seen| {
            let (from, until) = (start.to_vec(), last_seen.unwrap_or(before).to_vec());
            self.run(move |client| sql::page_back(client, &from, &until))
        })
    }

    /// The JSON of a workspace's events after `after`, oldest first, at most `limit`.
    pub fn events_after(
        &self,
        workspace_id: Id,
        after: EventId,
        limit: usize,
    ) -> StoreResult<Vec<Vec<u8>>> {
        let found =
            self.run(move |client| sql::events_after(client, workspace_id, after, limit))?;
        Ok(found
            .into_iter()
            .map(|(_, json)| json.into_bytes())
            .collect())
    }

    /// The highest event id committed.
    pub fn last_event_id(&self) -> StoreResult<EventId> {
        self.run(sql::last_event_id)
    }

    /// Calls `visit` with each event of a workspace up to `up_to`: the key it is kept under,
    /// its id and its JSON.
    pub fn each_event(
        &self,
        workspace_id: Id,
        up_to: EventId,
        visit: &mut EventVisitor<'_>,
    ) -> StoreResult<()> {
        let page = sql::PAGE as usize;
        let mut after = 0;
        loop {
            let found =
                self.run(move |client| sql::events_after(client, workspace_id, after, page))?;
            for (id, json) in &found {
                if *id > up_to {
                    return Ok(());
                }
                visit(
                    &keys::key(keys::EVENT, &[workspace_id, *id]),
                    *id,
                    json.as_bytes(),
                )?;
            }
            match found.last() {
                Some((last, _)) if found.len() == page => after = *last,
                _ => return Ok(()),
            }
        }
    }

    /// Removes a workspace's events; answers how many.
    pub fn remove_events(&self, workspace_id: Id) -> StoreResult<u64> {
        self.run(move |client| sql::remove_events(client, workspace_id))
    }
}

impl Read for PgView<'_> {
    fn read<T>(&self, key: &[u8], read: impl FnOnce(&[u8]) -> T) -> StoreResult<Option<T>> {
        let key = key.to_vec();
        let bytes = self.run(move |client| sql::value(client, &key))?;
        Ok(bytes.map(|bytes| read(&bytes)))
    }
}

impl Scan for PgView<'_> {
    fn walk_prefix(
        &self,
        prefix: &[u8],
        visit: &mut dyn FnMut(&[u8], &[u8]) -> Walk,
    ) -> StoreResult<()> {
        walk_prefix_pages(prefix, visit, |after| {
            let (prefix, after) = (prefix.to_vec(), after.map(<[u8]>::to_vec));
            self.run(move |client| sql::page(client, &prefix, after.as_deref()))
        })
    }
}

impl Events for PgView<'_> {
    fn event_json(&self, workspace_id: Id, id: EventId) -> StoreResult<Option<Vec<u8>>> {
        self.run(move |client| sql::event_json(client, workspace_id, id))
    }
}
