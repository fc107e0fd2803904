-- Shipping: zones, methods with their zones and per-currency rates, the variant weight read
-- model fed by catalog, shipments with their lines and tracking history, and the carrier
-- webhook events already handled. Portable SQL (SQLite and PostgreSQL): TEXT ids, BIGINT money
-- minor units with a TEXT currency, BIGINT flags (0/1) and unix-millisecond times.

-- countries, regions and postal_prefixes are JSON arrays of upper-case strings; a
-- rest_of_world zone lists none and matches every country that no other zone lists.
-- name_key is the lower-cased name, unique so staff (and the idempotent seed) cannot
-- create two zones of the same name.
CREATE TABLE shipping_zones (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    name_key TEXT NOT NULL UNIQUE,
    countries TEXT NOT NULL,
    regions TEXT NOT NULL,
    postal_prefixes TEXT NOT NULL,
    rest_of_world BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE shipping_methods (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    name_key TEXT NOT NULL UNIQUE,
    carrier TEXT NOT NULL,
    active BIGINT NOT NULL,
    days_min BIGINT,
    days_max BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX shipping_methods_active ON shipping_methods (active, id);

-- The zones a method ships to. A zone in use cannot be deleted (no cascade on zone_id).
CREATE TABLE method_zones (
    method_id TEXT NOT NULL REFERENCES shipping_methods (id) ON DELETE CASCADE,
    zone_id TEXT NOT NULL REFERENCES shipping_zones (id),
    PRIMARY KEY (method_id, zone_id)
);
CREATE INDEX method_zones_zone ON method_zones (zone_id);

-- One rate rule per method and currency. kind: FLAT (amount), BY_WEIGHT (amount + per_kg per
-- started kilogram, up to max_weight_grams when set) or FREE_ABOVE (amount, nothing when the
-- subtotal reaches free_above).
CREATE TABLE method_rates (
    method_id TEXT NOT NULL REFERENCES shipping_methods (id) ON DELETE CASCADE,
    currency TEXT NOT NULL,
    kind TEXT NOT NULL,
    amount BIGINT NOT NULL,
    per_kg BIGINT,
    max_weight_grams BIGINT,
    free_above BIGINT,
    PRIMARY KEY (method_id, currency)
);

-- Catalog's variant weights. weight_grams NULL = unknown (quotes use DEFAULT_WEIGHT_GRAMS).
-- changed_at is the time of the event that wrote the row (0 for seeded rows), so an older
-- event arriving late cannot overwrite a newer one.
CREATE TABLE variant_weights (
    variant_id TEXT PRIMARY KEY,
    weight_grams BIGINT,
    changed_at BIGINT NOT NULL
);

-- One shipment per paid order. The address, method and lines are copies from order.paid, so
-- later edits of a method do not change what was bought. customer_id and order_token_hash
-- (SHA-256 hex of a guest order's token) decide who may read it. version increases with every
-- change and guards concurrent transitions; last_carrier_at is the occurredAt of the newest
-- applied carrier event, so older ones arriving late are recognised.
CREATE TABLE shipments (
    id TEXT PRIMARY KEY,
    order_id TEXT NOT NULL UNIQUE,
    customer_id TEXT,
    order_token_hash TEXT,
    status TEXT NOT NULL,
    carrier TEXT,
    tracking_number TEXT UNIQUE,
    method_id TEXT,
    method_name TEXT,
    method_carrier TEXT,
    days_min BIGINT,
    days_max BIGINT,
    address_name TEXT,
    address_line1 TEXT,
    address_line2 TEXT,
    address_city TEXT,
    address_region TEXT,
    address_postal_code TEXT,
    address_country TEXT NOT NULL,
    address_phone TEXT,
    version BIGINT NOT NULL,
    last_carrier_at BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX shipments_status ON shipments (status, id);
CREATE INDEX shipments_customer ON shipments (customer_id);

CREATE TABLE shipment_lines (
    shipment_id TEXT NOT NULL REFERENCES shipments (id) ON DELETE CASCADE,
    position BIGINT NOT NULL,
    line_id TEXT,
    variant_id TEXT NOT NULL,
    product_id TEXT,
    sku TEXT,
    title TEXT,
    quantity BIGINT NOT NULL,
    PRIMARY KEY (shipment_id, position)
);

-- The tracking history: one row per change, seq = the shipment's version it produced (so
-- rows read back in the order they were appended). source: SYSTEM (created), STAFF or CARRIER.
CREATE TABLE tracking_events (
    id TEXT PRIMARY KEY,
    shipment_id TEXT NOT NULL REFERENCES shipments (id) ON DELETE CASCADE,
    seq BIGINT NOT NULL,
    status TEXT NOT NULL,
    occurred_at BIGINT NOT NULL,
    location TEXT,
    description TEXT,
    source TEXT NOT NULL,
    recorded_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX tracking_events_shipment ON tracking_events (shipment_id, seq);

-- Carrier webhook events already handled (applied or ignored), so a replayed or duplicated
-- eventId has one effect.
CREATE TABLE carrier_events (
    event_id TEXT PRIMARY KEY,
    shipment_id TEXT NOT NULL,
    outcome TEXT NOT NULL,
    received_at BIGINT NOT NULL
);
