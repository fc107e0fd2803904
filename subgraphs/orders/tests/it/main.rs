//! The orders subgraph as clients and neighbouring services see it, over HTTP and WebSocket on
//! the embedded backends (or the real PostgreSQL, RabbitMQ and Redis when the test environment
//! names them): the state machine, the consumers of payments' and shipping's events, the
//! payment-timeout sweeper, cancelling and refunding, the read model and its rebuild, who may
//! see an order, subscriptions, the checkout end to end against the real subgraphs it calls,
//! the launcher's demo orders, and the checked-in SDL.
//!
//! One binary for the crate's integration tests; each file is a module here.

mod access;
mod cancel;
mod checkout;
mod common;
mod consumers;
mod projection;
mod schema_drift;
mod seed;
mod state_machine;
mod subscriptions;
mod sweeper;
