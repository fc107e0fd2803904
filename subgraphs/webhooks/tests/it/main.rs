//! Black-box tests of the webhooks subgraph: each test starts the real accounts and webhooks
//! subgraphs on fresh databases, registers endpoints over HTTP as an admin, publishes events
//! through the service's transport as the other subgraphs would, and watches what real HTTP
//! receivers on 127.0.0.1 get — checking signatures with an independent implementation of the
//! Standard Webhooks scheme.

mod admin;
mod common;
mod concurrency;
mod delivery;
mod disable;
mod receiver;
mod retention;
mod retries;
mod rotation;
mod schema_drift;
mod security;
