//! The catalog subgraph as a client sees it, over HTTP on the embedded backends (or the real
//! PostgreSQL, RabbitMQ and Redis when the test environment names them), with staff tokens from
//! the real accounts subgraph: products and variants, the category tree and collections, keyset
//! pagination, product search and its in-memory engine kept current, batched `_entities`,
//! events through the outbox, a broker outage, the demo seed and the checked-in SDL.
//!
//! One binary for the crate's integration tests; each former test file is a module here.

mod broker_outage;
mod categories;
mod common;
mod entities_batching;
mod events;
mod pagination;
mod products;
mod schema_drift;
mod search;
mod search_engine;
mod seed;
