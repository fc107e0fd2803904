-- Inventory: warehouses, stock per variant per warehouse, reservations with their lines, and
-- the ledger of staff adjustments. Portable SQL (SQLite and PostgreSQL): TEXT ids, BIGINT
-- quantities and unix-millisecond times.
CREATE TABLE warehouses (
    id TEXT PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

-- One row per variant per warehouse. available = on_hand - reserved, never negative.
CREATE TABLE stock_levels (
    variant_id TEXT NOT NULL,
    warehouse_id TEXT NOT NULL REFERENCES warehouses (id),
    on_hand BIGINT NOT NULL,
    reserved BIGINT NOT NULL DEFAULT 0,
    low_threshold BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (variant_id, warehouse_id),
    CHECK (reserved >= 0),
    CHECK (on_hand >= reserved)
);

-- status: HELD, COMMITTED, RELEASED or EXPIRED.
CREATE TABLE reservations (
    id TEXT PRIMARY KEY,
    reference TEXT NOT NULL,
    status TEXT NOT NULL,
    owner_id TEXT NOT NULL,
    idempotency_key TEXT,
    expires_at BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX reservations_idempotency ON reservations (owner_id, idempotency_key);
CREATE INDEX reservations_reference ON reservations (reference, status);
CREATE INDEX reservations_expiry ON reservations (status, expires_at);

CREATE TABLE reservation_lines (
    reservation_id TEXT NOT NULL REFERENCES reservations (id),
    variant_id TEXT NOT NULL,
    warehouse_id TEXT NOT NULL,
    quantity BIGINT NOT NULL,
    PRIMARY KEY (reservation_id, variant_id, warehouse_id)
);

-- The ledger: every staff adjustment, who made it, when and why.
CREATE TABLE stock_adjustments (
    id TEXT PRIMARY KEY,
    variant_id TEXT NOT NULL,
    warehouse_id TEXT NOT NULL,
    delta BIGINT NOT NULL,
    on_hand_after BIGINT NOT NULL,
    reason TEXT NOT NULL,
    actor_id TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX stock_adjustments_variant ON stock_adjustments (variant_id, id);
