//! Conformance tests: fixture subgraphs composed and served through the real router over HTTP.

mod auth;
mod batching;
mod common;
mod directives;
mod fixtures;
mod http;
mod interface_object;
mod library;
mod operations;
mod realtime;
mod shop;
mod teardown;
