-- Which instance holds each room when several palaver processes share one PostgreSQL (cluster
-- mode). An instance claims a room by taking its row and raising the epoch; every write to the
-- room checks the epoch in the same transaction, so an instance that lost the room can no longer
-- write it. A single instance (the SQLite default) never uses this table.
CREATE TABLE claims (
    room TEXT PRIMARY KEY,
    -- The instance id (--instance).
    owner TEXT NOT NULL,
    epoch BIGINT NOT NULL,
    since_ms BIGINT NOT NULL
);

CREATE INDEX claims_by_owner ON claims (owner);
