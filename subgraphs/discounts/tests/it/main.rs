//! Black-box tests of the discounts subgraph: each test starts the real accounts and discounts
//! subgraphs (and, for applying coupons, the real cart subgraph) on fresh databases and talks
//! to them over HTTP as staff, shoppers, the router and the checkout would.

mod admin;
mod applying;
mod common;
mod holds;
mod pricing;
mod schema_drift;
mod scopes;
mod seed;
