//! Prometheus metrics for the router, served as text at `GET /metrics`.
//!
//! One process-wide registry; every stage records through the small functions below so no
//! caller needs to know the metric names or the `prometheus` crate:
//!
//! - `request(operation, outcome, seconds)`: requests by operation name and outcome, latency
//! - `subgraph_fetch(subgraph, seconds, ok)`: subgraph fetch latency and errors by subgraph
//! - `plan_cache(hit)` and `cache(name, event)` (`hit`/`miss`/`evict`): cache effectiveness
//! - `subscription_opened()`: active subscriptions, a guard that decrements on drop
//! - `limit_rejected(kind)`: requests refused by a limit (depth, aliases, rate, ...)
//! - `auth_rejected(reason)`, `unauthorized_fields(n)`: the edge's authn/authz decisions
//!
//! Operation names come from clients, so their label values are capped (`MAX_OPERATION_NAMES`
//! distinct names, then `other`): a client sending random names cannot grow memory unbounded.

use std::collections::HashSet;
use std::sync::LazyLock;

use parking_lot::RwLock;
use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounterVec, IntGauge, Opts, Registry, TextEncoder,
};

/// Distinct operation-name label values kept before further names are counted as `other`.
pub const MAX_OPERATION_NAMES: usize = 1000;

/// Latency buckets in seconds, from sub-millisecond router work to slow subgraphs.
const BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

struct Metrics {
    registry: Registry,
    requests: IntCounterVec,
    request_seconds: HistogramVec,
    subgraph_seconds: HistogramVec,
    subgraph_errors: IntCounterVec,
    plan_cache: IntCounterVec,
    cache: IntCounterVec,
    subscriptions: IntGauge,
    limit_rejections: IntCounterVec,
    auth_rejections: IntCounterVec,
    unauthorized_fields: prometheus::IntCounter,
    operation_names: RwLock<HashSet<String>>,
}

static METRICS: LazyLock<Metrics> = LazyLock::new(Metrics::new);

impl Metrics {
    fn new() -> Self {
        let registry = Registry::new();
        let counter = |name: &str, help: &str, labels: &[&str]| {
            let c = IntCounterVec::new(Opts::new(name, help), labels).expect("valid metric");
            registry.register(Box::new(c.clone())).expect("unique");
            c
        };
        let histogram = |name: &str, help: &str, labels: &[&str]| {
            let h = HistogramVec::new(
                HistogramOpts::new(name, help).buckets(BUCKETS.to_vec()),
                labels,
            )
            .expect("valid metric");
            registry.register(Box::new(h.clone())).expect("unique");
            h
        };
        let requests = counter(
            "router_requests_total",
            "GraphQL requests by operation name and outcome",
            &["operation", "outcome"],
        );
        let request_seconds = histogram(
            "router_request_duration_seconds",
            "Time to answer a GraphQL request",
            &["operation", "outcome"],
        );
        let subgraph_seconds = histogram(
            "router_subgraph_fetch_duration_seconds",
            "Time of one subgraph fetch",
            &["subgraph"],
        );
        let subgraph_errors = counter(
            "router_subgraph_fetch_errors_total",
            "Subgraph fetches that failed (transport, status or decoding)",
            &["subgraph"],
        );
        let plan_cache = counter(
            "router_plan_cache_total",
            "Plan cache lookups by result (hit or miss)",
            &["result"],
        );
        let cache = counter(
            "router_cache_events_total",
            "Router cache events (hit, miss, evict) by cache",
            &["cache", "event"],
        );
        let limit_rejections = counter(
            "router_limit_rejections_total",
            "Requests refused by a limit, by kind",
            &["kind"],
        );
        let auth_rejections = counter(
            "router_auth_rejections_total",
            "Requests refused at the edge for a bad token, by reason",
            &["reason"],
        );
        let subscriptions = IntGauge::new(
            "router_active_subscriptions",
            "Subscriptions currently open (WebSocket, SSE, multipart)",
        )
        .expect("valid metric");
        registry
            .register(Box::new(subscriptions.clone()))
            .expect("unique");
        let unauthorized_fields = prometheus::IntCounter::new(
            "router_unauthorized_fields_total",
            "Fields removed from operations by the authorization directives",
        )
        .expect("valid metric");
        registry
            .register(Box::new(unauthorized_fields.clone()))
            .expect("unique");
        Metrics {
            registry,
            requests,
            request_seconds,
            subgraph_seconds,
            subgraph_errors,
            plan_cache,
            cache,
            subscriptions,
            limit_rejections,
            auth_rejections,
            unauthorized_fields,
            operation_names: RwLock::new(HashSet::new()),
        }
    }

    /// The label value for an operation name, bounded in cardinality.
    fn operation_label<'a>(&self, name: Option<&'a str>) -> &'a str {
        let Some(name) = name.filter(|n| !n.is_empty()) else {
            return "anonymous";
        };
        if self.operation_names.read().contains(name) {
            return name;
        }
        let mut names = self.operation_names.write();
        if names.len() < MAX_OPERATION_NAMES {
            names.insert(name.to_string());
            name
        } else if names.contains(name) {
            name
        } else {
            "other"
        }
    }
}

/// One answered GraphQL request. `outcome` is e.g. `ok`, `errors`, `request_error`,
/// `unauthenticated`, `rejected`.
pub fn request(operation: Option<&str>, outcome: &str, seconds: f64) {
    let m = &*METRICS;
    let op = m.operation_label(operation);
    m.requests.with_label_values(&[op, outcome]).inc();
    m.request_seconds
        .with_label_values(&[op, outcome])
        .observe(seconds);
}

/// One subgraph fetch; `ok` is false when it failed (transport, status or decoding).
pub fn subgraph_fetch(subgraph: &str, seconds: f64, ok: bool) {
    let m = &*METRICS;
    m.subgraph_seconds
        .with_label_values(&[subgraph])
        .observe(seconds);
    if !ok {
        m.subgraph_errors.with_label_values(&[subgraph]).inc();
    }
}

/// A plan cache lookup.
pub fn plan_cache(hit: bool) {
    METRICS
        .plan_cache
        .with_label_values(&[if hit { "hit" } else { "miss" }])
        .inc();
}

/// An event (`hit`, `miss`, `evict`, ...) of a named router cache (e.g. `response`, `apq`).
pub fn cache(name: &str, event: &str) {
    METRICS.cache.with_label_values(&[name, event]).inc();
}

/// A request refused by a limit; `kind` names it (`depth`, `aliases`, `cost`, `rate`, ...).
pub fn limit_rejected(kind: &str) {
    METRICS.limit_rejections.with_label_values(&[kind]).inc();
}

/// A request refused at the edge for its token (`invalid`, `expired`, `unknown_kid`, ...).
pub fn auth_rejected(reason: &str) {
    METRICS.auth_rejections.with_label_values(&[reason]).inc();
}

/// Fields answered `null` by the authorization directives.
pub fn unauthorized_fields(n: usize) {
    METRICS.unauthorized_fields.inc_by(n as u64);
}

/// Counts one open subscription until the returned guard is dropped.
#[must_use = "the subscription counts as active only while the guard lives"]
pub fn subscription_opened() -> SubscriptionGuard {
    METRICS.subscriptions.inc();
    SubscriptionGuard(())
}

pub struct SubscriptionGuard(());

impl Drop for SubscriptionGuard {
    fn drop(&mut self) {
        METRICS.subscriptions.dec();
    }
}

/// Every metric in the Prometheus text exposition format.
pub fn render() -> String {
    let mut out = Vec::new();
    if let Err(e) = TextEncoder::new().encode(&METRICS.registry.gather(), &mut out) {
        tracing::warn!(error = %e, "cannot encode metrics");
    }
    String::from_utf8(out).unwrap_or_default()
}

/// `GET /metrics`.
pub async fn handler() -> impl axum::response::IntoResponse {
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        render(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operation_names_are_capped() {
        let m = Metrics::new();
        for i in 0..MAX_OPERATION_NAMES {
            assert_eq!(m.operation_label(Some(&format!("op{i}"))), format!("op{i}"));
        }
        assert_eq!(m.operation_label(Some("one_too_many")), "other");
        assert_eq!(m.operation_label(Some("op3")), "op3");
        assert_eq!(m.operation_label(None), "anonymous");
    }
}
