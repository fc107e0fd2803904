-- Lines added from a livestream's live deal: the stream they came from (kept for the order's
-- attribution), the claim on the deal's units (cleared once released) and when the deal ends;
-- until then the line is charged its price_when_added (the deal price).
ALTER TABLE cart_lines ADD COLUMN livestream_id TEXT;
ALTER TABLE cart_lines ADD COLUMN live_claim_id TEXT;
ALTER TABLE cart_lines ADD COLUMN live_ends_at BIGINT;
