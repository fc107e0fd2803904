-- Livestream: the streams, the products each features, chat messages and chat mutes.
-- Portable SQL (SQLite and PostgreSQL): TEXT ids, BIGINT numbers and unix-millisecond times.

-- status: SCHEDULED, LIVE, ENDED or CANCELLED (see src/status.rs for the allowed moves).
-- playback_id is public (playback URLs, the RTMP publish name); stream_key is the publisher's
-- secret, shown to staff only. seq numbers the stream's events, so subscribers get them in
-- order: every change that emits an event bumps it under the row's lock.
CREATE TABLE livestreams (
    id TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    status TEXT NOT NULL,
    scheduled_start BIGINT NOT NULL,
    cover_image_url TEXT,
    playback_id TEXT NOT NULL UNIQUE,
    stream_key TEXT NOT NULL UNIQUE,
    seq BIGINT NOT NULL DEFAULT 0,
    started_at BIGINT,
    ended_at BIGINT,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX livestreams_by_status ON livestreams (status, id);

-- The products a stream features, in the host's order; also answers Product.livestreams.
CREATE TABLE livestream_products (
    stream_id TEXT NOT NULL,
    product_id TEXT NOT NULL,
    position BIGINT NOT NULL,
    PRIMARY KEY (stream_id, product_id)
);
CREATE INDEX livestream_products_by_product ON livestream_products (product_id, stream_id);

-- Chat: deleted messages stay (for moderation history) but leave the public history.
CREATE TABLE chat_messages (
    id TEXT PRIMARY KEY,
    stream_id TEXT NOT NULL,
    author_id TEXT NOT NULL,
    text TEXT NOT NULL,
    deleted_at BIGINT,
    deleted_by TEXT,
    created_at BIGINT NOT NULL
);
CREATE INDEX chat_messages_by_stream ON chat_messages (stream_id, deleted_at, id);

-- A user muted in one stream's chat until `until`.
CREATE TABLE chat_mutes (
    stream_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    until BIGINT NOT NULL,
    muted_by TEXT NOT NULL,
    PRIMARY KEY (stream_id, user_id)
);
