//! The media subgraph as a client sees it, over HTTP on the embedded backends (or the real
//! PostgreSQL, RabbitMQ and Redis when the test environment names them), with tokens from the
//! real accounts subgraph: uploads through pre-signed URLs and their tokens, serving with
//! immutable caching, gallery management and permissions, the sweeper, consumers of catalog
//! events, batched `_entities`, the demo seed and the checked-in SDL.
//!
//! One binary for the crate's integration tests; each former test file is a module here.

mod common;
mod consumers;
mod entities_batching;
mod gallery;
mod permissions;
mod schema_drift;
mod seed;
mod serving;
mod sweeper;
mod tokens;
mod uploads;
