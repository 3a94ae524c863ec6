-- The service's own state: its secret key (XEP-0421 occupant-ids and XEP-0359 stanza-ids are
-- keyed hashes under it, so it must outlive restarts).
CREATE TABLE service_state (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- Who set the subject, as XEP-0421 names them, and when (XEP-0045 §7.2.15's delay stamp).
ALTER TABLE rooms ADD COLUMN subject_occupant_id TEXT;
ALTER TABLE rooms ADD COLUMN subject_stamp_ms BIGINT;
