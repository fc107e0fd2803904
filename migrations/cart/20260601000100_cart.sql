-- Cart: carts and their lines, plus the local read models fed by catalog and inventory events
-- (variant prices, product status, available stock), so reading or changing a cart needs no
-- call to another subgraph. Portable SQL (SQLite and PostgreSQL): TEXT ids, BIGINT quantities,
-- minor units and unix-millisecond times.

-- status: ACTIVE, MERGED or ABANDONED. customer_id is NULL for a guest cart, whose access is
-- the SHA-256 (base64url) of its secret token.
CREATE TABLE carts (
    id TEXT PRIMARY KEY,
    status TEXT NOT NULL,
    customer_id TEXT,
    token_hash TEXT,
    currency TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
-- One active cart per customer (a partial unique index: SQLite and PostgreSQL both have them).
CREATE UNIQUE INDEX carts_active_customer ON carts (customer_id) WHERE status = 'ACTIVE';
-- The sweeper's scan for idle guest carts.
CREATE INDEX carts_guest_idle ON carts (status, updated_at) WHERE customer_id IS NULL;

-- One line per variant per cart; price_when_added is the unit price snapshotted on add.
CREATE TABLE cart_lines (
    id TEXT PRIMARY KEY,
    cart_id TEXT NOT NULL REFERENCES carts (id),
    variant_id TEXT NOT NULL,
    product_id TEXT NOT NULL,
    quantity BIGINT NOT NULL,
    price_when_added BIGINT NOT NULL,
    currency TEXT NOT NULL,
    added_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (cart_id, variant_id),
    CHECK (quantity > 0)
);
-- Which carts show a variant (cache invalidation on price changes).
CREATE INDEX cart_lines_variant ON cart_lines (variant_id);

-- Read models. changed_at is the event time of the last applied event (0 for seeded rows), so
-- a row only moves forward in event time.
CREATE TABLE variants (
    variant_id TEXT PRIMARY KEY,
    product_id TEXT NOT NULL,
    price_minor BIGINT NOT NULL,
    currency TEXT NOT NULL,
    changed_at BIGINT NOT NULL
);

-- status: DRAFT, PUBLISHED or ARCHIVED.
CREATE TABLE products (
    id TEXT PRIMARY KEY,
    status TEXT NOT NULL,
    changed_at BIGINT NOT NULL
);

-- Units available to buy over all warehouses; no row means none.
CREATE TABLE stock (
    variant_id TEXT PRIMARY KEY,
    available BIGINT NOT NULL,
    changed_at BIGINT NOT NULL
);
