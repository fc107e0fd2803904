-- Notifications: the people it writes to (a read model fed by accounts' and orders' events),
-- their preferences and livestream reminders, the in-app notifications, and the delivery log
-- that makes sending exactly-once in effect. Portable SQL (SQLite and PostgreSQL); times are
-- Unix milliseconds; flags are 0/1.

-- Users as accounts' events describe them: where to write, and who is staff.
CREATE TABLE recipients (
    user_id TEXT PRIMARY KEY,
    email TEXT,
    name TEXT,
    role TEXT NOT NULL DEFAULT 'customer',
    updated_at BIGINT NOT NULL
);
CREATE INDEX recipients_by_role ON recipients (role);

-- Orders' contacts, for events that name only the order (payment.failed).
CREATE TABLE order_contacts (
    order_id TEXT PRIMARY KEY,
    number TEXT,
    customer_id TEXT,
    email TEXT,
    created_at BIGINT NOT NULL
);

-- Channel switches per user and category; a missing row means the default (on).
CREATE TABLE preferences (
    user_id TEXT NOT NULL,
    category TEXT NOT NULL,
    email BIGINT NOT NULL,
    in_app BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, category)
);

-- Users who asked to be told when a livestream starts.
CREATE TABLE livestream_reminders (
    stream_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (stream_id, user_id)
);

-- In-app notifications, newest first per user by id (UUIDv7).
CREATE TABLE notifications (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    event_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    category TEXT NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    link TEXT,
    created_at BIGINT NOT NULL,
    read_at BIGINT,
    UNIQUE (event_id, user_id)
);
CREATE INDEX notifications_by_user ON notifications (user_id, id);
CREATE INDEX notifications_unread ON notifications (user_id, read_at);

-- One row per message to send: unique per (event, channel, recipient), written before
-- anything is sent, so a redelivered event adds nothing. The worker claims due PENDING rows
-- with a lease, sends, and marks them SENT, or schedules a retry, or FAILED for good.
CREATE TABLE deliveries (
    id TEXT PRIMARY KEY,
    event_id TEXT NOT NULL,
    event_type TEXT NOT NULL,
    channel TEXT NOT NULL,
    recipient TEXT NOT NULL,
    user_id TEXT,
    kind TEXT NOT NULL,
    context TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('PENDING', 'SENT', 'FAILED')),
    attempts BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    claimed_until BIGINT,
    claim_token TEXT,
    last_error TEXT,
    subject TEXT,
    location TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    sent_at BIGINT,
    UNIQUE (event_id, channel, recipient)
);
CREATE INDEX deliveries_due ON deliveries (status, next_attempt_at);
CREATE INDEX deliveries_by_recipient ON deliveries (recipient, id);
