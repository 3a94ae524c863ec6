-- Each persistent room's message archive (XEP-0313), oldest first by seq; ids are the
-- XEP-0359 stanza-ids clients know the messages by.
CREATE TABLE archive (
    room TEXT NOT NULL,
    seq BIGINT NOT NULL,
    id TEXT NOT NULL,
    stamp_ms BIGINT NOT NULL,
    -- The real bare JID of the sender (the room's own for its own messages).
    publisher TEXT NOT NULL,
    occupant_id TEXT NOT NULL,
    spectator INTEGER NOT NULL,
    retracted INTEGER NOT NULL,
    xml TEXT NOT NULL,
    PRIMARY KEY (room, seq)
);
