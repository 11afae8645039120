-- Switchboard's store on PostgreSQL: the same records under the same keys as the embedded
-- store (see gateway/store/src/keys.rs), and the event log in a table of its own.

-- Every record, under its key. `workspace_id` is the workspace the key starts with (0 for
-- records of no workspace: sign-in addresses, sessions, tokens, leases, queued replies).
CREATE TABLE records (
    key bytea PRIMARY KEY,
    workspace_id bigint NOT NULL,
    value bytea NOT NULL
);
CREATE INDEX records_by_workspace ON records (workspace_id);

-- Every event, as the JSON clients get. Ids are given out under the writers' lock, so they
-- commit in id order: a reader that has seen an id has seen every smaller one.
CREATE TABLE events (
    id bigint PRIMARY KEY,
    workspace_id bigint NOT NULL,
    body json NOT NULL
);
CREATE INDEX events_by_workspace ON events (workspace_id, id);
