-- Media: product images. Objects (originals and thumbnails) live in the object store under
-- content-addressed keys (`<sha256 hex>.<ext>`); these tables hold what points at them.
-- Portable SQL (SQLite and PostgreSQL): TEXT ids, BIGINT sizes and unix-millisecond times.

-- Settings every instance must share, such as the generated upload-signing secret.
CREATE TABLE media_secrets (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

-- A product image. Several assets may reference the same objects (deduplicated uploads, the
-- demo seed), so an object is removed only when no asset references it any more.
CREATE TABLE assets (
    id TEXT PRIMARY KEY,
    product_id TEXT NOT NULL,
    object_key TEXT NOT NULL,
    content_type TEXT NOT NULL,
    byte_size BIGINT NOT NULL,
    width BIGINT NOT NULL,
    height BIGINT NOT NULL,
    small_key TEXT NOT NULL,
    medium_key TEXT NOT NULL,
    alt TEXT NOT NULL,
    position BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX assets_product ON assets (product_id, position);
CREATE INDEX assets_object ON assets (object_key);
CREATE INDEX assets_small ON assets (small_key);
CREATE INDEX assets_medium ON assets (medium_key);

-- A pre-signed upload: created by staff, consumed once by `PUT /uploads/{token}`, which turns
-- it into the asset with the same id. status: pending or done.
CREATE TABLE uploads (
    id TEXT PRIMARY KEY,
    product_id TEXT NOT NULL,
    filename TEXT NOT NULL,
    alt TEXT NOT NULL,
    status TEXT NOT NULL,
    created_by TEXT NOT NULL,
    expires_at BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);

-- Products catalog archived (`product.archived`): their assets are kept but hidden.
CREATE TABLE archived_products (
    product_id TEXT PRIMARY KEY,
    archived_at BIGINT NOT NULL
);
