//! The cart subgraph's black-box tests, one binary: each test starts the real accounts and cart
//! subgraphs on random ports with fresh databases and talks to them over HTTP.

mod cache;
mod common;
mod concurrency;
mod customers;
mod entities_batching;
mod events;
mod guests;
mod lines;
mod merge;
mod schema_drift;
mod seed;
mod sweeper;
mod validation;
