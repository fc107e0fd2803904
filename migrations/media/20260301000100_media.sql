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
-- demo seed), counted in media_objects.
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

-- How many asset references (original or thumbnail) each stored object has. Uploads and deletes
-- change a count under its row lock, so a delete that removes an object's last reference and
-- an upload that adds a new one serialize: the object is removed only while nothing refers to
-- it, and an upload re-stores an object it finds gone.
CREATE TABLE media_objects (
    object_key TEXT PRIMARY KEY,
    refs BIGINT NOT NULL
);

-- The demo seed's picture library as stored (index -> objects), so a rerun reuses it instead of
-- drawing and encoding the pictures again.
CREATE TABLE seed_pictures (
    idx BIGINT PRIMARY KEY,
    object_key TEXT NOT NULL,
    small_key TEXT NOT NULL,
    medium_key TEXT NOT NULL,
    byte_size BIGINT NOT NULL,
    width BIGINT NOT NULL,
    height BIGINT NOT NULL,
    label TEXT NOT NULL
);

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
CREATE INDEX uploads_expiry ON uploads (expires_at);

-- Catalog's status of a product as media last heard it (`product.archived`, `product.updated`):
-- an archived product's assets are kept but hidden. `as_of` is the event's time, so an event
-- delivered late never overrides a newer one. archived: 1 or 0.
CREATE TABLE product_status (
    product_id TEXT PRIMARY KEY,
    archived BIGINT NOT NULL,
    as_of BIGINT NOT NULL
);
