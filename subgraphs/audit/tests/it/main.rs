//! The audit subgraph as a client sees it, over HTTP on the embedded backends (or the real
//! PostgreSQL, RabbitMQ and Redis when the test environment names them), with tokens from the
//! real accounts subgraph: real accounts events consumed exactly once, the hash chain under
//! concurrent appenders and two instances, tamper detection, filters and pagination, who may
//! read what, retention with archival, and the checked-in SDL.
//!
//! One binary for the crate's integration tests; each area is a module here.

mod authz;
mod chain;
mod common;
mod consumption;
mod listing;
mod retention;
mod schema_drift;
