-- Finished games and players' ratings (palaver's game rooms), service-wide. Keyed by the
-- service's domain as well, so that deployments sharing a PostgreSQL keep theirs apart. The
-- same SQL runs on SQLite and PostgreSQL.
CREATE TABLE game_records (
    service TEXT NOT NULL,
    id BIGINT NOT NULL,
    room TEXT NOT NULL,
    game TEXT NOT NULL,
    started_ms BIGINT NOT NULL,
    ended_ms BIGINT NOT NULL,
    rated INTEGER NOT NULL,
    record TEXT NOT NULL,
    PRIMARY KEY (service, id)
);

-- Who played each recorded game, to find a player's games without reading the records.
CREATE TABLE game_record_players (
    service TEXT NOT NULL,
    record BIGINT NOT NULL,
    seat INTEGER NOT NULL,
    jid TEXT,
    nick TEXT NOT NULL,
    PRIMARY KEY (service, record, seat)
);

CREATE INDEX game_record_players_by_jid ON game_record_players (service, jid);

CREATE TABLE ratings (
    service TEXT NOT NULL,
    game TEXT NOT NULL,
    jid TEXT NOT NULL,
    name TEXT NOT NULL,
    rating DOUBLE PRECISION NOT NULL,
    deviation DOUBLE PRECISION NOT NULL,
    volatility DOUBLE PRECISION NOT NULL,
    games BIGINT NOT NULL,
    last_ms BIGINT NOT NULL,
    PRIMARY KEY (service, game, jid)
);
