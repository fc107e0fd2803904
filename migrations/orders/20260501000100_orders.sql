-- Orders: the write side (orders, their lines and status history), the append-only log of
-- every order event, checkout claims (idempotency), the order-number counter, consumer events
-- that were ignored, and the read model the order lists are served from.
-- Portable SQL (SQLite and PostgreSQL): TEXT ids, BIGINT minor units and unix-ms times.

CREATE TABLE orders (
    id TEXT PRIMARY KEY,
    number TEXT NOT NULL UNIQUE,
    status TEXT NOT NULL,
    -- Bumped by every transition; the version of the order's latest event.
    version BIGINT NOT NULL,
    -- One order per cart.
    cart_id TEXT NOT NULL UNIQUE,
    -- SHA-256 of the caller-scoped checkout idempotency key.
    idempotency_key TEXT NOT NULL UNIQUE,
    customer_id TEXT,
    email TEXT NOT NULL,
    currency TEXT NOT NULL,
    subtotal BIGINT NOT NULL,
    discount_total BIGINT NOT NULL,
    shipping_total BIGINT NOT NULL,
    total BIGINT NOT NULL,
    refunded_total BIGINT NOT NULL DEFAULT 0,
    coupon_code TEXT,
    shipping_address TEXT NOT NULL,
    shipping_method_id TEXT NOT NULL,
    payment_id TEXT,
    -- Guest orders: SHA-256 hex of the order token, and the salt it was derived with.
    token_hash TEXT,
    token_salt TEXT,
    shipment_id TEXT,
    carrier TEXT,
    tracking_number TEXT,
    placed_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    payment_deadline BIGINT NOT NULL
);
CREATE INDEX orders_pending_payment ON orders (status, payment_deadline);

CREATE TABLE order_lines (
    id TEXT PRIMARY KEY,
    order_id TEXT NOT NULL REFERENCES orders (id),
    position BIGINT NOT NULL,
    variant_id TEXT NOT NULL,
    product_id TEXT NOT NULL,
    sku TEXT NOT NULL,
    title TEXT NOT NULL,
    quantity BIGINT NOT NULL,
    unit_price BIGINT NOT NULL,
    line_total BIGINT NOT NULL
);
CREATE INDEX order_lines_by_order ON order_lines (order_id, position);

CREATE TABLE order_status_history (
    order_id TEXT NOT NULL REFERENCES orders (id),
    version BIGINT NOT NULL,
    status TEXT NOT NULL,
    previous_status TEXT,
    actor TEXT NOT NULL,
    reason TEXT NOT NULL,
    note TEXT,
    at BIGINT NOT NULL,
    PRIMARY KEY (order_id, version)
);

-- Every order.* event ever emitted, never pruned (the outbox is): the read model is rebuilt
-- from it.
CREATE TABLE order_events (
    order_id TEXT NOT NULL,
    version BIGINT NOT NULL,
    event_id TEXT NOT NULL UNIQUE,
    event_type TEXT NOT NULL,
    payload TEXT NOT NULL,
    recorded_at BIGINT NOT NULL,
    PRIMARY KEY (order_id, version)
);

CREATE TABLE order_counter (
    name TEXT PRIMARY KEY,
    value BIGINT NOT NULL
);
INSERT INTO order_counter (name, value) VALUES ('order_number', 100000);

-- A checkout in progress or done, claimed before any remote side effect: the same key (or
-- another checkout of the same cart) waits for, or answers with, the claim's order.
CREATE TABLE checkouts (
    key_hash TEXT PRIMARY KEY,
    cart_id TEXT NOT NULL UNIQUE,
    order_id TEXT NOT NULL,
    state TEXT NOT NULL,
    lease_until BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);

-- Events a consumer received but its state machine no longer allowed (late or duplicate
-- effects): recorded, acknowledged, never retried.
CREATE TABLE ignored_events (
    consumer TEXT NOT NULL,
    event_id TEXT NOT NULL,
    event_type TEXT NOT NULL,
    order_id TEXT,
    order_status TEXT,
    reason TEXT NOT NULL,
    at BIGINT NOT NULL,
    PRIMARY KEY (consumer, event_id)
);

-- The read side: one row per order, projected from order_events; `document` is the whole
-- order as the lists show it.
CREATE TABLE order_read_model (
    id TEXT PRIMARY KEY,
    number TEXT NOT NULL,
    status TEXT NOT NULL,
    customer_id TEXT,
    email TEXT NOT NULL,
    placed_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    version BIGINT NOT NULL,
    document TEXT NOT NULL
);
CREATE INDEX order_read_model_placed ON order_read_model (placed_at, id);
CREATE INDEX order_read_model_customer ON order_read_model (customer_id, placed_at, id);
