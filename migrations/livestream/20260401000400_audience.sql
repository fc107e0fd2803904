-- A router shares one upstream subscription between the clients asking the same thing, so one
-- anonymous subscription here can stand for many viewers: `visits` is how many anonymous
-- client subscriptions the row counts (the router reports them), 1 for a signed-in viewer.
ALTER TABLE livestream_viewers ADD COLUMN visits BIGINT NOT NULL DEFAULT 1;
