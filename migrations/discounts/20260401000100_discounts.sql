-- Discounts: coupons and their uses, automatic promotions, the coupon applied to each cart, and
-- the local read models of catalog's scope data (product -> category, the category tree,
-- collection membership). Portable SQL (SQLite and PostgreSQL): TEXT ids, BIGINT money minor
-- units with a TEXT currency, BIGINT flags (0/1) and unix-millisecond times.

-- kind: PERCENTAGE (percent_off), FIXED_AMOUNT (amount_off + amount_currency) or FREE_SHIPPING.
-- scope: ALL, PRODUCTS, VARIANTS, CATEGORIES or COLLECTIONS with scope_ids a JSON array.
-- uses = held + redeemed uses; the hold's conditional UPDATE keeps it <= usage_limit.
CREATE TABLE coupons (
    id TEXT PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    description TEXT NOT NULL,
    kind TEXT NOT NULL,
    percent_off BIGINT,
    amount_off BIGINT,
    amount_currency TEXT,
    minimum_subtotal BIGINT,
    minimum_currency TEXT,
    starts_at BIGINT,
    ends_at BIGINT,
    scope TEXT NOT NULL,
    scope_ids TEXT NOT NULL,
    usage_limit BIGINT,
    per_customer_limit BIGINT,
    uses BIGINT NOT NULL DEFAULT 0,
    active BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    CHECK (uses >= 0)
);
CREATE INDEX coupons_active ON coupons (active, id);

-- One use of a coupon by one order: HELD when the order is placed, REDEEMED when it is paid,
-- RELEASED when it is cancelled (the use is given back).
CREATE TABLE coupon_uses (
    id TEXT PRIMARY KEY,
    coupon_id TEXT NOT NULL REFERENCES coupons (id),
    order_id TEXT NOT NULL UNIQUE,
    idempotency_key TEXT NOT NULL UNIQUE,
    customer_id TEXT,
    email TEXT,
    status TEXT NOT NULL,
    discount BIGINT NOT NULL,
    currency TEXT NOT NULL,
    free_shipping BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX coupon_uses_customer ON coupon_uses (coupon_id, customer_id, status);
CREATE INDEX coupon_uses_email ON coupon_uses (coupon_id, email, status);

-- kind: PERCENT_OFF (percent_off), ORDER_AMOUNT_OFF (amount_off, minimum_subtotal) or
-- BUY_X_GET_Y (buy_quantity, get_quantity). Lower priority applies first.
CREATE TABLE promotions (
    id TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    kind TEXT NOT NULL,
    percent_off BIGINT,
    amount_off BIGINT,
    amount_currency TEXT,
    minimum_subtotal BIGINT,
    minimum_currency TEXT,
    buy_quantity BIGINT,
    get_quantity BIGINT,
    priority BIGINT NOT NULL,
    combinable BIGINT NOT NULL,
    scope TEXT NOT NULL,
    scope_ids TEXT NOT NULL,
    starts_at BIGINT,
    ends_at BIGINT,
    active BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX promotions_active ON promotions (active, priority, id);

-- The coupon a cart has applied (at most one).
CREATE TABLE cart_coupons (
    cart_id TEXT PRIMARY KEY,
    coupon_id TEXT NOT NULL REFERENCES coupons (id),
    applied_at BIGINT NOT NULL
);

-- Catalog's products as far as scopes care. changed_at is the time of the event that wrote the
-- row (0 for seeded rows), so an older event arriving late cannot overwrite a newer one.
CREATE TABLE scope_products (
    id TEXT PRIMARY KEY,
    category_id TEXT,
    status TEXT NOT NULL,
    changed_at BIGINT NOT NULL
);

-- Catalog's category tree: a CATEGORIES scope matches a category and all its descendants.
CREATE TABLE scope_categories (
    id TEXT PRIMARY KEY,
    parent_id TEXT,
    name TEXT,
    changed_at BIGINT NOT NULL
);

-- Collection membership; changed_at orders additions and removals of the same pair.
CREATE TABLE collection_products (
    collection_id TEXT NOT NULL,
    product_id TEXT NOT NULL,
    member BIGINT NOT NULL,
    changed_at BIGINT NOT NULL,
    PRIMARY KEY (collection_id, product_id)
);
CREATE INDEX collection_products_product ON collection_products (product_id, member);
