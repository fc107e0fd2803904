-- SMS and push: two more channel switches per category (on by default, like the others,
-- though nothing is sent until the user registers a phone or a push subscription), the
-- user's phone number, and their push subscriptions.
ALTER TABLE preferences ADD COLUMN sms BIGINT NOT NULL DEFAULT 1;
ALTER TABLE preferences ADD COLUMN push BIGINT NOT NULL DEFAULT 1;

-- One phone number per user, in E.164 form.
CREATE TABLE phones (
    user_id TEXT PRIMARY KEY,
    phone TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- Where a user's push messages go: one row per device (for ntfy, a topic).
CREATE TABLE push_subscriptions (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    target TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (user_id, target)
);
