//! Black-box tests of the payments subgraph: each test starts the real accounts and payments
//! subgraphs on fresh databases and talks to them over HTTP as the checkout (staff/service),
//! shoppers (customers and guests), staff, the router (`_entities`) and payment providers
//! (signed webhooks; a local HTTP server standing in for Stripe's API) would.

mod access;
mod adapters;
mod cancellation;
mod cards;
mod common;
mod idempotency;
mod refunds;
mod schema_drift;
mod secrecy;
mod stripe_http;
mod webhooks;
