//! Client-facing transports: one file per protocol.

pub mod http;
pub mod sse;
pub mod websocket;
