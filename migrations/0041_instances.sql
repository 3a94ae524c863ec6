-- The instances of a cluster that are alive (cluster mode): each writes its row every second.
-- An instance whose row has not been written for a while is dead; the first live instance to
-- delete its row takes over its connections' slots at the server (see src/cluster.rs).
CREATE TABLE instances (
    id TEXT PRIMARY KEY,
    -- How many connections it opened to the server, hence at most how many slots it held.
    links BIGINT NOT NULL,
    seen_ms BIGINT NOT NULL
);
