-- The livestream a line was bought from (the cart line came from its live deal): carried in
-- order.created / order.paid so livestream can attribute the sale.
ALTER TABLE order_lines ADD COLUMN livestream_id TEXT;
