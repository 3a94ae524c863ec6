-- What a room waits on: registrations an admin has yet to approve (§9.9) and the invitations it
-- sent (§7.8.2), so that an approval or a decline still finds them after a restart.
CREATE TABLE registration_requests (
    room TEXT NOT NULL,
    jid TEXT NOT NULL,
    nick TEXT NOT NULL,
    -- The submitted muc#register form (XML), shown to approvers.
    form TEXT NOT NULL,
    PRIMARY KEY (room, jid)
);

CREATE TABLE invitations (
    room TEXT NOT NULL,
    -- Order of sending: the oldest are forgotten first.
    seq BIGINT NOT NULL,
    invitee TEXT NOT NULL,
    inviter TEXT NOT NULL,
    PRIMARY KEY (room, seq)
);
