-- Pinned products and live deals. A pin may carry a deal: a variant at a special price for a
-- limited quantity until ends_at; `remaining` is the cap minus live claims, taken by a
-- conditional UPDATE (remaining >= quantity) so the cap holds under any concurrency.
CREATE TABLE livestream_pins (
    id TEXT PRIMARY KEY,
    stream_id TEXT NOT NULL,
    product_id TEXT NOT NULL,
    variant_id TEXT,
    price_minor BIGINT,
    currency TEXT,
    quantity_cap BIGINT,
    remaining BIGINT,
    ends_at BIGINT,
    pinned_at BIGINT NOT NULL,
    unpinned_at BIGINT,
    CHECK (remaining IS NULL OR remaining >= 0)
);
CREATE INDEX livestream_pins_by_stream ON livestream_pins (stream_id, unpinned_at, id);

-- Units a cart took from a deal; one claim per (pin, idempotency key). released_at is set when
-- the cart line goes away and the units return to the deal.
CREATE TABLE live_deal_claims (
    id TEXT PRIMARY KEY,
    pin_id TEXT NOT NULL,
    stream_id TEXT NOT NULL,
    cart_id TEXT NOT NULL,
    quantity BIGINT NOT NULL,
    idempotency_key TEXT NOT NULL,
    released_at BIGINT,
    created_at BIGINT NOT NULL,
    UNIQUE (pin_id, idempotency_key)
);
