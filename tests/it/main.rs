//! The launcher's end-to-end suite: the real `shop` binary (every subgraph and the router in
//! one process) driven through the router over HTTP, on the embedded defaults or on real
//! PostgreSQL, RabbitMQ and Redis when the test command exports their URLs. One test binary,
//! so the workspace links once for all of these.

#[allow(dead_code)]
mod launcher;

mod audit;
mod buying;
mod checkout;
mod consumers;
mod edge_authz;
mod freshness;
mod livestream;
mod merchandising;
mod otel;
mod steps;
mod storefront;
mod subscribers;
mod supergraph;
mod webhooks;
