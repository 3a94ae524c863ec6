-- Who is in each persistent room, one row per session, so that after a crash the service can
-- check who is still there (and restore them) or tell them they were removed.
CREATE TABLE occupants (
    room TEXT NOT NULL,
    -- The session's real full JID.
    jid TEXT NOT NULL,
    nick TEXT NOT NULL,
    role TEXT NOT NULL,
    PRIMARY KEY (room, jid)
);
