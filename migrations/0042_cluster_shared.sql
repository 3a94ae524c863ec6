-- What the instances of a cluster (several palaver processes, one PostgreSQL) share so that
-- service-wide questions get one answer whichever instance is asked. A single instance (the
-- SQLite default) never writes these tables.

-- Service-wide counters: game record ids are handed out to the instances in blocks from the
-- `records` counter; every ratings update takes the next `ratings` value as its version, so
-- the instances read the ratings changed since they last looked.
CREATE TABLE counters (
    service TEXT NOT NULL,
    name TEXT NOT NULL,
    value BIGINT NOT NULL,
    PRIMARY KEY (service, name)
);

ALTER TABLE ratings ADD COLUMN version BIGINT NOT NULL DEFAULT 0;

CREATE INDEX ratings_by_version ON ratings (service, version);

-- The rooms each instance lists (every room it holds, and persistent rooms nobody holds now,
-- owner ''): the service's disco#items, the ad-hoc room list and the games in progress are
-- answered from the instance's own rooms and these rows of the others.
CREATE TABLE listings (
    room TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    persistent INTEGER NOT NULL,
    -- Public and not locked: shown in disco#items and the games in progress.
    public INTEGER NOT NULL,
    name TEXT NOT NULL,
    occupants BIGINT NOT NULL,
    -- The game's id, if the room has one.
    game TEXT,
    playing INTEGER NOT NULL,
    -- The game in progress as the running-games listing shows it.
    status TEXT
);

CREATE INDEX listings_by_owner ON listings (owner);

-- Connection slots handed to an instance: a live instance that took over a dead one's slots
-- closes those spare connections when that instance (or a new one) comes, and adds their count
-- here; the newcomer opens as many new connections, which take the freed slots (ejabberd gives a
-- freed slot only to a connection made after it was freed).
ALTER TABLE instances ADD COLUMN freed BIGINT NOT NULL DEFAULT 0;
