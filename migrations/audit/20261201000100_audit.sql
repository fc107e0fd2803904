-- The audit log: one immutable entry per consumed event, hash-chained in append order.
-- Portable SQL (SQLite and PostgreSQL).

-- `id` is a UUIDv7 stamped with the event's own time, so newest-first listing and time-range
-- filters both ride the primary key. `seq` is the position in the hash chain (append order);
-- `hash` = SHA-256(previous entry's hash || canonical content), hex.
CREATE TABLE audit_entries (
    id TEXT PRIMARY KEY,
    seq BIGINT NOT NULL UNIQUE,
    event_id TEXT NOT NULL,
    event_type TEXT NOT NULL,
    source TEXT NOT NULL,
    subject TEXT,
    actor TEXT,
    occurred_at BIGINT NOT NULL,
    recorded_at BIGINT NOT NULL,
    data TEXT NOT NULL,
    hash TEXT NOT NULL
);
-- Exactly once per event: a redelivered event finds its id taken.
CREATE UNIQUE INDEX audit_entries_event ON audit_entries (event_id);
-- One index per filter, each ending in the listing's sort key.
CREATE INDEX audit_entries_type ON audit_entries (event_type, id);
CREATE INDEX audit_entries_subject ON audit_entries (subject, id);
CREATE INDEX audit_entries_actor ON audit_entries (actor, id);
-- Verification and archival walk the chain by when entries were recorded.
CREATE INDEX audit_entries_recorded ON audit_entries (recorded_at, seq);

-- The chain head, one row: every append locks it, so appends are serialised into one linear
-- chain across consumers and instances. Entries up to `anchor_seq` have been archived and
-- deleted; `anchor_hash` is the last archived entry's hash, where verification restarts.
CREATE TABLE audit_chain (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    last_seq BIGINT NOT NULL,
    last_hash TEXT NOT NULL,
    last_recorded_at BIGINT NOT NULL,
    anchor_seq BIGINT NOT NULL,
    anchor_hash TEXT NOT NULL
);
INSERT INTO audit_chain (id, last_seq, last_hash, last_recorded_at, anchor_seq, anchor_hash)
VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000', 0, 0,
        '0000000000000000000000000000000000000000000000000000000000000000');

-- Every event type seen, so a type-prefix filter becomes an exact `IN` list on the type index
-- (no LIKE, no collation-dependent ranges).
CREATE TABLE audit_types (
    event_type TEXT PRIMARY KEY
);
