//! The livestream subgraph as a client and a media server see it, over HTTP on the embedded
//! backends (or the real PostgreSQL, RabbitMQ and Redis when the test environment names them),
//! with tokens from the real accounts subgraph: a stream's lifecycle and who may do what, the
//! media-server callbacks (and a real nginx-rtmp with ffmpeg publishing), chat with its limits
//! and moderation, the `livestreamEvents` subscription over WebSocket, and the checked-in SDL.
//!
//! One binary for the crate's integration tests; each concern is a module here.

mod analytics;
mod chat;
mod common;
mod ingest;
mod lifecycle;
mod pins;
mod rtmp;
mod schema_drift;
mod subscriptions;
