-- Webhooks: partner endpoints with their signing secrets, one delivery per (event, endpoint)
-- and every attempt made for it. Portable SQL (SQLite and PostgreSQL): TEXT ids, BIGINT flags
-- (0/1) and unix-millisecond times.

-- event_types is a JSON array of filters ("order.paid", "order.*", "*"). The secret is kept
-- (not hashed) because every delivery is signed with it; previous_secret also signs until
-- previous_secret_until, the overlap window of a rotation. consecutive_failures and
-- failing_since count failed attempts since the last success, for the auto-disable rule.
CREATE TABLE webhook_endpoints (
    id TEXT PRIMARY KEY,
    url TEXT NOT NULL,
    description TEXT,
    event_types TEXT NOT NULL,
    enabled BIGINT NOT NULL,
    disabled_reason TEXT,
    disabled_at BIGINT,
    secret TEXT NOT NULL,
    previous_secret TEXT,
    previous_secret_until BIGINT,
    consecutive_failures BIGINT NOT NULL DEFAULT 0,
    failing_since BIGINT,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- One row per event and endpoint (the unique key makes a redelivered event create nothing
-- twice). payload is the exact body sent on every attempt. status: PENDING (due at
-- next_attempt_at), SUCCEEDED, FAILED (schedule exhausted). round_attempts counts attempts
-- since the last (re)delivery request and picks the next backoff; claim_token/claimed_until
-- are the worker's lease, so a crashed worker's deliveries are picked up again.
CREATE TABLE webhook_deliveries (
    id TEXT PRIMARY KEY,
    endpoint_id TEXT NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    event_id TEXT NOT NULL,
    event_type TEXT NOT NULL,
    payload TEXT NOT NULL,
    status TEXT NOT NULL,
    attempt_count BIGINT NOT NULL DEFAULT 0,
    round_attempts BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT,
    last_attempt_at BIGINT,
    last_response_status BIGINT,
    claim_token TEXT,
    claimed_until BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (event_id, endpoint_id)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (status, next_attempt_at);
CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries (endpoint_id, id);
CREATE INDEX webhook_deliveries_claim ON webhook_deliveries (claim_token);

-- Every HTTP attempt: when, the response status (null when none came), how long it took, the
-- error when it failed, and the start of the response body (capped).
CREATE TABLE webhook_attempts (
    id TEXT PRIMARY KEY,
    delivery_id TEXT NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
    attempted_at BIGINT NOT NULL,
    response_status BIGINT,
    duration_ms BIGINT NOT NULL,
    error TEXT,
    response_body TEXT,
    response_truncated BIGINT NOT NULL
);
CREATE INDEX webhook_attempts_delivery ON webhook_attempts (delivery_id, id);
