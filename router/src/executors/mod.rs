//! Client-facing transports: one file per protocol.

pub mod http;
pub mod multipart;
pub mod sse;
pub mod websocket;
