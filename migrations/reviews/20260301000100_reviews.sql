-- Reviews: the reviews themselves, helpful votes, the incrementally maintained rating per
-- product, and two local copies fed by other subgraphs' events (which products may be
-- reviewed, who bought what). Portable SQL (SQLite and PostgreSQL): TEXT ids, BIGINT numbers
-- and unix-millisecond times.

-- Catalog's products as far as reviews cares: status DRAFT, PUBLISHED or ARCHIVED.
-- changed_at is the time of the event that set the status, so an older event arriving late
-- cannot overwrite a newer one.
CREATE TABLE products (
    id TEXT PRIMARY KEY,
    status TEXT NOT NULL,
    changed_at BIGINT NOT NULL
);

-- status: PUBLISHED or HIDDEN (by staff, with hidden_reason).
CREATE TABLE reviews (
    id TEXT PRIMARY KEY,
    product_id TEXT NOT NULL,
    author_id TEXT NOT NULL,
    rating BIGINT NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    verified_purchase BIGINT NOT NULL DEFAULT 0,
    helpful_count BIGINT NOT NULL DEFAULT 0,
    status TEXT NOT NULL,
    hidden_reason TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    CHECK (rating BETWEEN 1 AND 5),
    CHECK (helpful_count >= 0)
);
-- One review per product per user; also serves lookups by product.
CREATE UNIQUE INDEX reviews_one_per_author ON reviews (product_id, author_id);
-- Keyset orders of Product.reviews (published only) and User.reviews.
CREATE INDEX reviews_by_newest ON reviews (product_id, status, created_at, id);
CREATE INDEX reviews_by_helpful ON reviews (product_id, status, helpful_count, id);
CREATE INDEX reviews_by_rating ON reviews (product_id, status, rating, id);
CREATE INDEX reviews_by_author ON reviews (author_id, created_at, id);

-- One helpful vote per user per review.
CREATE TABLE review_votes (
    review_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (review_id, user_id)
);

-- Published reviews of a product, summed: changed by each create/update/delete/hide/unhide in
-- the same transaction, never recomputed by scanning.
CREATE TABLE product_ratings (
    product_id TEXT PRIMARY KEY,
    review_count BIGINT NOT NULL DEFAULT 0,
    rating_sum BIGINT NOT NULL DEFAULT 0,
    stars_1 BIGINT NOT NULL DEFAULT 0,
    stars_2 BIGINT NOT NULL DEFAULT 0,
    stars_3 BIGINT NOT NULL DEFAULT 0,
    stars_4 BIGINT NOT NULL DEFAULT 0,
    stars_5 BIGINT NOT NULL DEFAULT 0
);

-- Who bought what (from order.paid), with the earliest payment time.
CREATE TABLE purchases (
    user_id TEXT NOT NULL,
    product_id TEXT NOT NULL,
    order_id TEXT NOT NULL,
    purchased_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, product_id)
);
