//! The reviews subgraph as a client sees it, over HTTP on the embedded backends (or the real
//! PostgreSQL, RabbitMQ and Redis when the test environment names them), with tokens from the
//! real accounts subgraph: a review's lifecycle and who may do what, ratings kept exact under
//! races, keyset pagination, input validation, events through the outbox, consumers of catalog
//! and order events, batched `_entities`, the demo seed and the checked-in SDL.
//!
//! One binary for the crate's integration tests; each former test file is a module here.

mod common;
mod consumers;
mod entities_batching;
mod events;
mod input_validation;
mod lifecycle;
mod pagination;
mod races;
mod schema_drift;
mod seed;
