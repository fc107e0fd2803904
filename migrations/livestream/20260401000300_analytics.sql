-- Viewer and sales analytics. Each instance writes, per stream it serves, how many live
-- subscriptions it holds (a heartbeat row, rewritten every few seconds); current viewers are
-- the sum of fresh rows, so the count is right across instances and an instance that dies
-- drops out once its rows go stale. peak_viewers keeps the highest sum seen.
ALTER TABLE livestreams ADD COLUMN peak_viewers BIGINT NOT NULL DEFAULT 0;

CREATE TABLE livestream_heartbeats (
    stream_id TEXT NOT NULL,
    instance_id TEXT NOT NULL,
    viewers BIGINT NOT NULL,
    seen_at BIGINT NOT NULL,
    PRIMARY KEY (stream_id, instance_id)
);

-- Who watched: a user id for signed-in subscribers, `anon:<subscription>` otherwise.
CREATE TABLE livestream_viewers (
    stream_id TEXT NOT NULL,
    viewer TEXT NOT NULL,
    first_seen BIGINT NOT NULL,
    PRIMARY KEY (stream_id, viewer)
);

-- Paid orders attributed to a stream (lines that came from it), one row per order and stream.
CREATE TABLE livestream_sales (
    order_id TEXT NOT NULL,
    stream_id TEXT NOT NULL,
    units BIGINT NOT NULL,
    revenue_minor BIGINT NOT NULL,
    currency TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (order_id, stream_id)
);
