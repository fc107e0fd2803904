//! The inventory subgraph as a client sees it, over HTTP and WebSocket on the embedded backends
//! (or the real PostgreSQL, RabbitMQ and Redis when the test environment names them), with
//! tokens from the real accounts subgraph: reservations and their lifecycle, the no-oversell
//! race, staff adjustments and the ledger, consumers of other subgraphs' events, stock
//! subscriptions, input validation, batched `_entities`, a broker outage and the checked-in SDL.
//!
//! One binary for the crate's integration tests; each former test file is a module here.

mod adjustments;
mod broker_outage;
mod common;
mod consumers;
mod entities_batching;
mod input_validation;
mod oversell_race;
mod reservations;
mod schema_drift;
mod subscriptions;
