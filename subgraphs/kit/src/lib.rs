//! The subgraph kit: the shared mechanisms every subgraph runs on, written once —
//! configuration, database, events with the transactional outbox, cache, auth, the HTTP/GraphQL
//! server, errors, pagination and telemetry. A domain crate implements [`Subgraph`] and
//! holds only its domain.

pub mod auth;
pub mod authz_directives;
pub mod cache;
pub mod cache_control;
pub mod config;
pub mod db;
pub mod error;
pub mod events;
pub mod ids;
pub mod listing;
pub mod money;
pub mod pagination;
pub mod periodic;
pub mod remote;
pub mod schema;
pub mod server;
pub mod service;
mod shutdown;
pub mod subgraph;
pub mod telemetry;
#[cfg(feature = "testing")]
pub mod testing;
pub mod validate;

pub use config::Config;
pub use db::{Db, Tx};
pub use error::{AppError, AppResult};
pub use service::{Backends, Service};
pub use shutdown::shutdown_signal;
pub use subgraph::Subgraph;

// Re-exported so domain crates use the exact versions the kit is built against.
pub use async_graphql;
pub use axum;
pub use sqlx;
