-- Kit tables every subgraph database has: the transactional outbox and the record of
-- processed event ids that makes consumers idempotent. Portable SQL (SQLite and PostgreSQL).
CREATE TABLE outbox (
    id TEXT PRIMARY KEY,
    event_type TEXT NOT NULL,
    payload TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    published_at BIGINT,
    claim_token TEXT,
    claimed_until BIGINT
);
CREATE INDEX outbox_unpublished ON outbox (id) WHERE published_at IS NULL;
CREATE INDEX outbox_claim ON outbox (claim_token);

CREATE TABLE processed_events (
    consumer TEXT NOT NULL,
    event_id TEXT NOT NULL,
    processed_at BIGINT NOT NULL,
    PRIMARY KEY (consumer, event_id)
);
