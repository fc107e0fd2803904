-- Sort-by-rating support. The reviews subgraph owns Product.rating; catalog keeps only a rank
-- derived from it (average in hundredths, then review count), fed by review.* events, so that
-- lists and search can order by it. rating_at is the time of the event the rank came from, so a
-- late, older event cannot overwrite a newer rank.
ALTER TABLE products ADD COLUMN rating_rank BIGINT NOT NULL DEFAULT 0;
ALTER TABLE products ADD COLUMN rating_at BIGINT NOT NULL DEFAULT 0;
CREATE INDEX products_by_status_rating ON products (status, rating_rank, id);
