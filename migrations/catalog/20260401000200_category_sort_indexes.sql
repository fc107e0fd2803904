-- A category page sorted by price or rating walks an index of that category's products in that
-- order and stops at the page size (newest already has products_by_category).
CREATE INDEX products_by_category_price ON products (category_id, status, price_min, id);
CREATE INDEX products_by_category_rating ON products (category_id, status, rating_rank, id);
