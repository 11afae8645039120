//! The statements the engine reads with, for a plain connection or a transaction alike.

use postgres::GenericClient;
use switchboard_model::{EventId, Id};

use crate::StoreResult;
use crate::keys;

/// How many rows a walk fetches at a time.
pub const PAGE: i64 = 256;

/// An id as PostgreSQL's `bigint` holds it (ids stay far below `i64::MAX`).
pub fn bigint(id: Id) -> i64 {
    i64::try_from(id).unwrap_or(i64::MAX)
}

/// The workspace a key belongs to: the first id of a workspace-keyed tag, else 0.
pub fn workspace_of(key: &[u8]) -> i64 {
    let by_workspace = keys::BY_WORKSPACE
        .iter()
        .any(|tag| key.get(..2) == Some(&tag[..]));
    match key.get(2..10) {
        Some(id) if by_workspace => i64::from_be_bytes(id.try_into().unwrap_or_default()),
        _ => 0,
    }
}

/// The event an `EVENT` key names: (workspace, id).
pub fn event_of(key: &[u8]) -> Option<(Id, EventId)> {
    if key.get(..2) != Some(&keys::EVENT[..]) || key.len() != 18 {
        return None;
    }
    let id = |at: usize| Id::from_be_bytes(key[at..at + 8].try_into().unwrap_or_default());
    Some((id(2), id(10)))
}

/// The stored bytes of `key` (an event's JSON for an `EVENT` key).
pub fn value(client: &mut impl GenericClient, key: &[u8]) -> StoreResult<Option<Vec<u8>>> {
    if let Some((workspace_id, id)) = event_of(key) {
        return event_json(client, workspace_id, id);
    }
    let row = client.query_opt("SELECT value FROM records WHERE key = $1", &[&key])?;
    Ok(row.map(|row| row.get(0)))
}

/// The smallest key above every key that starts with `prefix`, if there is one.
fn prefix_end(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last < u8::MAX {
            end.push(last + 1);
            return Some(end);
        }
    }
    None
}

/// Up to [`PAGE`] entries under `prefix` after the key `after` (from the first when `None`),
/// in key order.
pub fn page(
    client: &mut impl GenericClient,
    prefix: &[u8],
    after: Option<&[u8]>,
) -> StoreResult<Vec<(Vec<u8>, Vec<u8>)>> {
    let from = after.unwrap_or(prefix);
    let inclusive = after.is_none();
    let end = prefix_end(prefix);
    let rows = client.query(
        "SELECT key, value FROM records
         WHERE (key > $1 OR ($2 AND key = $1)) AND ($3::bytea IS NULL OR key < $3)
         ORDER BY key LIMIT $4",
        &[&from, &inclusive, &end, &PAGE],
    )?;
    Ok(rows
        .into_iter()
        .map(|row| (row.get(0), row.get(1)))
        .collect())
}

/// Up to [`PAGE`] entries with keys in `[start, before)`, last first.
pub fn page_back(
    client: &mut impl GenericClient,
    start: &[u8],
    before: &[u8],
) -> StoreResult<Vec<(Vec<u8>, Vec<u8>)>> {
    let rows = client.query(
        "SELECT key, value FROM records WHERE key >= $1 AND key < $2
         ORDER BY key DESC LIMIT $3",
        &[&start, &before, &PAGE],
    )?;
    Ok(rows
        .into_iter()
        .map(|row| (row.get(0), row.get(1)))
        .collect())
}

pub fn event_json(
    client: &mut impl GenericClient,
    workspace_id: Id,
    id: EventId,
) -> StoreResult<Option<Vec<u8>>> {
    let row = client.query_opt(
        "SELECT body::text FROM events WHERE workspace_id = $1 AND id = $2",
        &[&bigint(workspace_id), &bigint(id)],
    )?;
    Ok(row.map(|row| row.get::<_, String>(0).into_bytes()))
}

/// A workspace's events after `after`, oldest first, at most `limit`: (id, JSON).
pub fn events_after(
    client: &mut impl GenericClient,
    workspace_id: Id,
    after: EventId,
    limit: usize,
) -> StoreResult<Vec<(EventId, String)>> {
    let rows = client.query(
        "SELECT id, body::text FROM events WHERE workspace_id = $1 AND id > $2
         ORDER BY id LIMIT $3",
        &[
            &bigint(workspace_id),
            &bigint(after),
            &i64::try_from(limit).unwrap_or(i64::MAX),
        ],
    )?;
    Ok(rows
        .into_iter()
        .map(|row| (row.get::<_, i64>(0) as EventId, row.get(1)))
        .collect())
}

/// Removes a workspace's events; answers how many.
pub fn remove_events(client: &mut impl GenericClient, workspace_id: Id) -> StoreResult<u64> {
    Ok(client.execute(
        "DELETE FROM events WHERE workspace_id = $1",
        &[&bigint(workspace_id)],
    )?)
}

/// Every workspace's events after `after`, oldest first, at most `limit`: (id, workspace, JSON).
pub fn all_events_after(
    client: &mut impl GenericClient,
    after: EventId,
    limit: i64,
) -> StoreResult<Vec<(EventId, Id, String)>> {
    let rows = client.query(
        "SELECT id, workspace_id, body::text FROM events WHERE id > $1 ORDER BY id LIMIT $2",
        &[&bigint(after), &limit],
    )?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let (id, workspace_id): (i64, i64) = (row.get(0), row.get(1));
            (id as EventId, workspace_id as Id, row.get(2))
        })
        .collect())
}

/// The highest event id committed, 0 when there is none.
pub fn last_event_id(client: &mut impl GenericClient) -> StoreResult<EventId> {
    let row = client.query_one("SELECT coalesce(max(id), 0) FROM events", &[])?;
    Ok(row.get::<_, i64>(0) as EventId)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_prefix_ends_at_the_next_key_that_does_not_start_with_it() {
        assert_eq!(prefix_end(b"ab"), Some(b"ac".to_vec()));
        assert_eq!(prefix_end(&[1, 0xff]), Some(vec![2]));
        assert_eq!(prefix_end(&[0xff, 0xff]), None);
    }

    #[test]
    fn a_key_names_its_workspace_when_its_tag_is_kept_by_workspace() {
        let channel = keys::key(keys::CHANNEL, &[7, 9]);
        assert_eq!(workspace_of(&channel), 7);
        assert_eq!(workspace_of(&keys::key(keys::OUTBOX, &[7, 9])), 0);
        assert_eq!(workspace_of(keys::META_NEXT_ID), 0);
        assert_eq!(event_of(&keys::key(keys::EVENT, &[3, 41])), Some((3, 41)));
        assert_eq!(event_of(&channel), None);
    }
}
