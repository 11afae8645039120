-- The keys each recent group of writes changed, by the group's number (the last group's number
-- and writer are under the record `mt/last_group`): a node whose writer finds that other nodes
-- wrote since its own last group forgets only those records of what it remembers. Groups
-- older than the last 10,000 are pruned.
CREATE TABLE group_writes (
    number bigint PRIMARY KEY,
    keys bytea[] NOT NULL
);
