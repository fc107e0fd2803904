-- Accounts: proven email addresses and the single-use tokens that prove them (email
-- verification) or let a user choose a new password (password reset). Only the SHA-256 of a
-- token is stored; the raw token travels once, in the event the notifications service mails.
ALTER TABLE users ADD COLUMN email_verified_at BIGINT;

CREATE TABLE one_time_tokens (
    token_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose TEXT NOT NULL CHECK (purpose IN ('verify_email', 'reset_password')),
    -- The address the token was sent to: a verification proves that address only.
    email TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT
);
CREATE INDEX one_time_tokens_by_user ON one_time_tokens (user_id, purpose);
