-- Catalog: products and their variants, the category tree, collections, and the search index.
-- Portable SQL (SQLite and PostgreSQL); ids are UUIDv7 text, times Unix milliseconds, money
-- integer minor units with an ISO 4217 code.
CREATE TABLE categories (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    slug TEXT NOT NULL UNIQUE,
    parent_id TEXT REFERENCES categories (id),
    -- Ids from the root down to this category, each followed by '/': "/root/child/".
    path TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX categories_by_parent ON categories (parent_id, id);
CREATE INDEX categories_by_path ON categories (path);

CREATE TABLE products (
    id TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    slug TEXT NOT NULL UNIQUE,
    description TEXT NOT NULL,
    brand TEXT,
    status TEXT NOT NULL CHECK (status IN ('DRAFT', 'PUBLISHED', 'ARCHIVED')),
    category_id TEXT REFERENCES categories (id),
    -- JSON array of {"name","value"} (the read copy; product_attributes is the queryable one).
    attributes TEXT NOT NULL,
    -- Lowest variant price (minor units), its currency, and its whole major units (for price
    -- buckets across currencies). 0 / NULL until the product has a variant.
    price_min BIGINT NOT NULL DEFAULT 0,
    price_major BIGINT NOT NULL DEFAULT 0,
    currency TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    published_at BIGINT
);
CREATE INDEX products_by_status_created ON products (status, created_at, id);
CREATE INDEX products_by_status_price ON products (status, price_min, id);
CREATE INDEX products_by_category ON products (category_id, status, created_at, id);
CREATE INDEX products_by_brand ON products (brand, status);

CREATE TABLE product_attributes (
    product_id TEXT NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (product_id, name, value)
);
CREATE INDEX product_attributes_by_value ON product_attributes (name, value, product_id);

CREATE TABLE variants (
    id TEXT PRIMARY KEY,
    product_id TEXT NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    sku TEXT NOT NULL UNIQUE,
    title TEXT NOT NULL,
    -- JSON array of {"name","value"}, e.g. size and colour.
    options TEXT NOT NULL,
    price_amount BIGINT NOT NULL,
    currency TEXT NOT NULL,
    compare_at_amount BIGINT,
    weight_grams BIGINT,
    length_mm BIGINT,
    width_mm BIGINT,
    height_mm BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX variants_by_product ON variants (product_id, id);

CREATE TABLE collections (
    id TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    slug TEXT NOT NULL UNIQUE,
    description TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE collection_products (
    collection_id TEXT NOT NULL REFERENCES collections (id) ON DELETE CASCADE,
    product_id TEXT NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    position BIGINT NOT NULL,
    PRIMARY KEY (collection_id, product_id)
);
CREATE INDEX collection_products_by_position ON collection_products (collection_id, position, product_id);
CREATE INDEX collection_products_by_product ON collection_products (product_id);

-- Search index: one row per (stemmed term, product) with the summed field weight
-- (title 3, brand 2, description 1), rewritten in the transaction that changes the product.
CREATE TABLE search_terms (
    term TEXT NOT NULL,
    product_id TEXT NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    field_weight BIGINT NOT NULL,
    PRIMARY KEY (term, product_id)
);
CREATE INDEX search_terms_by_product ON search_terms (product_id);

-- Typo tolerance ("symmetric delete"): every indexed term under itself and under each
-- single-character deletion of it, so terms within one edit of a query word are found by one
-- indexed lookup.
CREATE TABLE search_vocab (
    variant TEXT NOT NULL,
    term TEXT NOT NULL,
    PRIMARY KEY (variant, term)
);
