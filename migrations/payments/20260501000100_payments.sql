-- Payments: an order's payments, every attempt at them, refunds, and the provider webhook
-- events already applied. Portable SQL (SQLite and PostgreSQL): TEXT ids, BIGINT minor units
-- with a TEXT currency, unix-millisecond times. No card number, CVC or secret is ever stored:
-- a card is its brand, last four digits and expiry.

-- status: see src/status.rs for the transition table.
-- live_order_id = order_id while the payment can still take or hold money (not FAILED or
-- VOIDED), NULL after: its uniqueness allows one live payment per order.
-- captured / refunded / refund_pending are minor units; refunds reserve refund_pending first,
-- and the conditional UPDATE plus the CHECK keep refunded + refund_pending <= captured.
-- received sums bank transfers (Sepay) matched to the payment, partial and over payments too.
-- next_action: what a REQUIRES_ACTION payment waits for (CONFIRMATION_CODE, BANK_TRANSFER,
-- AWAIT_PROVIDER or "REDIRECT <url>").
-- processing_attempt / processing_until: the attempt currently talking to the provider (a
-- lease, so a crashed attempt does not block the payment forever).
CREATE TABLE payments (
    id TEXT PRIMARY KEY,
    order_id TEXT NOT NULL,
    live_order_id TEXT UNIQUE,
    idempotency_key TEXT NOT NULL UNIQUE,
    customer_id TEXT,
    email TEXT NOT NULL,
    order_token_hash TEXT,
    amount BIGINT NOT NULL,
    currency TEXT NOT NULL,
    status TEXT NOT NULL,
    provider TEXT,
    provider_reference TEXT,
    reference TEXT NOT NULL UNIQUE,
    captured BIGINT NOT NULL DEFAULT 0,
    refunded BIGINT NOT NULL DEFAULT 0,
    refund_pending BIGINT NOT NULL DEFAULT 0,
    received BIGINT NOT NULL DEFAULT 0,
    card_brand TEXT,
    card_last4 TEXT,
    card_exp_month BIGINT,
    card_exp_year BIGINT,
    decline_code TEXT,
    failure_reason TEXT,
    next_action TEXT,
    processing_attempt TEXT,
    processing_until BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    CHECK (amount > 0),
    CHECK (refunded >= 0 AND refund_pending >= 0),
    CHECK (refunded + refund_pending <= captured)
);
CREATE INDEX payments_order ON payments (order_id, id);
CREATE INDEX payments_customer ON payments (customer_id, id);
CREATE INDEX payments_status ON payments (status, id);
CREATE INDEX payments_provider_reference ON payments (provider, provider_reference);

-- Every attempt to move a payment: authorizations, confirmations, captures, voids and the
-- provider events that moved it. outcome: PENDING while the provider is being asked, then
-- SUCCEEDED, AUTHORIZED, REQUIRES_ACTION, DECLINED, FAILED, PARTIAL, OVERPAID, MISMATCH, ...
-- The (payment_id, idempotency_key) pair makes payOrder idempotent.
CREATE TABLE payment_attempts (
    id TEXT PRIMARY KEY,
    payment_id TEXT NOT NULL REFERENCES payments (id),
    kind TEXT NOT NULL,
    provider TEXT NOT NULL,
    provider_reference TEXT,
    outcome TEXT NOT NULL,
    decline_code TEXT,
    amount BIGINT,
    idempotency_key TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (payment_id, idempotency_key)
);
CREATE INDEX payment_attempts_payment ON payment_attempts (payment_id, created_at);

-- status: PENDING (counted in payments.refund_pending), SUCCEEDED or FAILED.
CREATE TABLE refunds (
    id TEXT PRIMARY KEY,
    payment_id TEXT NOT NULL REFERENCES payments (id),
    amount BIGINT NOT NULL,
    currency TEXT NOT NULL,
    status TEXT NOT NULL,
    reason TEXT,
    idempotency_key TEXT NOT NULL,
    provider_reference TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    CHECK (amount > 0),
    UNIQUE (payment_id, idempotency_key)
);
CREATE INDEX refunds_payment ON refunds (payment_id, id);

-- Provider webhook events already applied: a replayed event finds its row and changes nothing.
CREATE TABLE webhook_events (
    provider TEXT NOT NULL,
    event_id TEXT NOT NULL,
    event_type TEXT NOT NULL,
    payment_id TEXT,
    outcome TEXT NOT NULL,
    received_at BIGINT NOT NULL,
    PRIMARY KEY (provider, event_id)
);
