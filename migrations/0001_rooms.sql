-- palaver's persistent rooms. The same SQL runs on SQLite and PostgreSQL.
CREATE TABLE rooms (
    jid TEXT PRIMARY KEY,
    config TEXT NOT NULL,
    subject TEXT,
    subject_by TEXT,
    game TEXT
);

CREATE TABLE affiliations (
    room TEXT NOT NULL,
    jid TEXT NOT NULL,
    affiliation TEXT NOT NULL,
    nick TEXT,
    reason TEXT,
    PRIMARY KEY (room, jid)
);

CREATE TABLE history (
    room TEXT NOT NULL,
    seq BIGINT NOT NULL,
    stamp_ms BIGINT NOT NULL,
    spectator INTEGER NOT NULL,
    xml TEXT NOT NULL,
    PRIMARY KEY (room, seq)
);
