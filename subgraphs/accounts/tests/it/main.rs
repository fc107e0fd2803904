//! The accounts subgraph as a client sees it, over HTTP on the embedded backends (or the real
//! PostgreSQL, RabbitMQ and Redis when the test environment names them): sign-up to sign-out
//! sessions, refused tokens, ownership and roles, input validation, login rate limits, batched
//! `_entities`, events through the outbox, email verification and password reset, a broker
//! outage, the probes and the checked-in SDL.
//!
//! One binary for the crate's integration tests; each former test file is a module here.

mod broker_outage;
mod common;
mod entities_batching;
mod events;
mod input_validation;
mod ownership;
mod probes;
mod rate_limits;
mod recovery;
mod schema_drift;
mod service_account;
mod session_flow;
mod token_verification;
