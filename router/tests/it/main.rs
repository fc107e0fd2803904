//! The router's integration tests, one binary. The conformance suite: fixture subgraphs in
//! async-graphql, served on loopback, composed and served through the real router — entities
//! across subgraphs and their batching, federation directives, `@interfaceObject`, the HTTP
//! surface, mutations in order, subscriptions over WebSocket and SSE with their auth and
//! teardown, and the CLI. `browser`: GraphiQL in headless Chromium, driven by
//! `tests/browser/graphiql.mjs` (the npm project stays in `tests/browser/`).

mod auth;
mod authz;
mod batching;
mod breaker;
mod browser;
mod cache_events;
mod common;
mod conformance;
mod csrf;
mod dedup;
mod defer;
mod directives;
mod edge_auth;
mod fixtures;
mod http;
mod http2;
mod interface_object;
mod library;
mod limits;
mod multipart;
mod observe;
mod operations;
mod persisted;
mod rate_limit;
mod realtime;
mod response_cache;
mod shop;
mod stream;
mod subscription_authz;
mod subscription_sharing;
mod teardown;
mod tokens;
