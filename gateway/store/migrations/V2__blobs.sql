-- Files' bytes, apart from the records that name them (a `fi` record holds a file's size and
-- the name of its blob). A name is the content's SHA-256 and a random part, written once.
CREATE TABLE blobs (
    workspace_id bigint NOT NULL,
    name text NOT NULL,
    bytes bytea NOT NULL,
    -- Milliseconds since the epoch: the sweep removes old blobs that no record names.
    written_at bigint NOT NULL,
    PRIMARY KEY (workspace_id, name)
);
