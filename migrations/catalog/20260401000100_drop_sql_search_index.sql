-- Search runs on each instance's in-memory engine, loaded from products and kept current by
-- product and variant events; the SQL term and typo tables it replaced were no longer read.
DROP TABLE search_vocab;
DROP TABLE search_terms;
