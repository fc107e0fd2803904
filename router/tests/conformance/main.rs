//! Conformance tests: fixture subgraphs composed and served through the real router over HTTP.

mod common;
mod fixtures;
mod http;
mod realtime;
mod shop;
