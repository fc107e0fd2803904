//! Black-box tests of the shipping subgraph: each test starts the real accounts and shipping
//! subgraphs on fresh databases and talks to them over HTTP as staff, shoppers, the checkout,
//! the router (`_entities`) and carriers (the signed webhook) would, feeding events through
//! the service's transport as orders and catalog would.

mod admin;
mod common;
mod quotes;
mod schema_drift;
mod seed;
mod shipments;
mod webhook;
