//! HTTP client for subgraph fetches: one pooled keep-alive client shared by every request
//! (HTTP/1.1, or HTTP/2 for the subgraphs configured so), a per-subgraph timeout, and header
//! propagation (Authorization by default).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use axum::http::HeaderMap;
use serde::Deserialize;
use serde_json::Value;
use tracing::Instrument;

#[derive(Debug, Default, Deserialize)]
pub struct SubgraphResponse {
    #[serde(default)]
    pub data: Option<Value>,
    #[serde(default)]
    pub errors: Vec<Value>,
}

#[derive(Clone)]
pub struct SubgraphClient {
    http: reqwest::Client,
    timeout: Duration,
    /// Per-subgraph overrides of `timeout`, by subgraph name.
    timeouts: std::sync::Arc<HashMap<String, Duration>>,
    propagate: std::sync::Arc<Vec<String>>,
    /// Identical query fetches in flight, shared (`dedup`); `None` when turned off.
    inflight: Option<std::sync::Arc<crate::dedup::Inflight>>,
    /// Per-subgraph circuit breakers (`breaker`).
    breakers: std::sync::Arc<crate::breaker::Breakers>,
    /// The client for subgraphs spoken to over cleartext HTTP/2, and which those are.
    http2: Option<(reqwest::Client, std::sync::Arc<Http2Subgraphs>)>,
}

/// The subgraphs `ROUTER_SUBGRAPH_HTTP2` names.
enum Http2Subgraphs {
    All,
    Named(std::collections::HashSet<String>),
}

impl SubgraphClient {
    pub fn new(
        timeout: Duration,
        timeouts: HashMap<String, Duration>,
        propagate: Vec<String>,
    ) -> Self {
        let http = reqwest::Client::builder()
            .pool_max_idle_per_host(256)
            .pool_idle_timeout(Duration::from_secs(90))
            .tcp_nodelay(true)
            .build()
            .expect("reqwest client builds with static options");
        SubgraphClient {
            http,
            timeout,
            timeouts: std::sync::Arc::new(timeouts),
            propagate: std::sync::Arc::new(
                propagate
                    .into_iter()
                    .map(|h| h.to_ascii_lowercase())
                    .collect(),
            ),
            inflight: None,
            breakers: Default::default(),
            http2: None,
        }
    }

    /// Speaks HTTP/2 with prior knowledge to the named subgraphs (`*` = all). One connection
    /// then carries every concurrent fetch to a subgraph as separate streams, instead of a
    /// pool of HTTP/1.1 connections each holding one request at a time.
    pub fn with_http2(mut self, names: &[String]) -> Self {
        if names.is_empty() {
            return self;
        }
        let which = if names.iter().any(|n| n == "*") {
            Http2Subgraphs::All
        } else {
            Http2Subgraphs::Named(names.iter().cloned().collect())
        };
        let http = reqwest::Client::builder()
            .http2_prior_knowledge()
            .pool_idle_timeout(Duration::from_secs(90))
            .tcp_nodelay(true)
            // Idle connections are checked so a silently dropped one is not used for a fetch.
            .http2_keep_alive_interval(Duration::from_secs(30))
            .http2_keep_alive_while_idle(true)
            .build()
            .expect("reqwest client builds with static options");
        self.http2 = Some((http, std::sync::Arc::new(which)));
        self
    }

    fn http_for(&self, subgraph: &str) -> &reqwest::Client {
        match &self.http2 {
            Some((http, which))
                if match which.as_ref() {
                    Http2Subgraphs::All => true,
                    Http2Subgraphs::Named(names) => names.contains(subgraph),
                } =>
            {
                http
            }
            _ => &self.http,
        }
    }

    /// Opens a subgraph's circuit after consecutive failures (see `breaker`).
    pub fn with_breakers(mut self, config: &crate::breaker::BreakerConfig) -> Self {
        self.breakers = std::sync::Arc::new(crate::breaker::Breakers::new(config));
        self
    }

    /// Shares identical in-flight query fetches between requests (see `dedup`).
    pub fn with_dedup(mut self, on: bool) -> Self {
        self.inflight = on.then(Default::default);
        self
    }

    /// `fetch`, joined with an identical query fetch in flight when de-duplication is on.
    /// Mutations always send their own.
    pub async fn fetch_shared(
        &self,
        subgraph: &str,
        url: &str,
        body: Vec<u8>,
        headers: &[(String, String)],
        mutation: bool,
    ) -> Result<Arc<SubgraphResponse>, String> {
        match &self.inflight {
            Some(inflight) if !mutation => inflight.fetch(self, subgraph, url, body, headers).await,
            _ => self.fetch(subgraph, url, body, headers).await.map(Arc::new),
        }
    }

    /// Headers from the client request that are forwarded to subgraphs.
    pub fn forwarded(&self, incoming: &HeaderMap) -> Vec<(String, String)> {
        self.propagate
            .iter()
            .filter_map(|name| {
                incoming
                    .get(name.as_str())
                    .and_then(|v| v.to_str().ok())
                    .map(|v| (name.clone(), v.to_string()))
            })
            .collect()
    }

    /// Sends one GraphQL request; any transport, status or decoding failure becomes `Err`.
    pub async fn fetch(
        &self,
        subgraph: &str,
        url: &str,
        body: Vec<u8>,
        headers: &[(String, String)],
    ) -> Result<SubgraphResponse, String> {
        self.breakers.admit(subgraph)?;
        // Dropped before an outcome (cancelled): a half-open probe must not stay in flight.
        let pending = scopeguard(|| self.breakers.abandon(subgraph));
        let started = std::time::Instant::now();
        let span = tracing::info_span!(
            target: "otel",
            "subgraph fetch",
            otel.kind = "client",
            otel.name = %format!("fetch {subgraph}"),
            subgraph = %subgraph,
            otel.status_code = tracing::field::Empty,
        );
        let result = self
            .send(subgraph, url, body, headers)
            .instrument(span.clone())
            .await;
        if result.is_err() {
            span.record("otel.status_code", "ERROR");
        }
        pending.defuse();
        self.breakers.record(subgraph, result.is_ok());
        crate::metrics::subgraph_fetch(subgraph, started.elapsed().as_secs_f64(), result.is_ok());
        result
    }

    async fn send(
        &self,
        subgraph: &str,
        url: &str,
        body: Vec<u8>,
        headers: &[(String, String)],
    ) -> Result<SubgraphResponse, String> {
        let mut req = self
            .http_for(subgraph)
            .post(url)
            .timeout(self.timeouts.get(subgraph).copied().unwrap_or(self.timeout))
            .header("content-type", "application/json")
            .header(
                "accept",
                "application/graphql-response+json, application/json",
            )
            .body(body);
        for (k, v) in headers {
            req = req.header(k.as_str(), v.as_str());
        }
        // The subgraph continues this fetch's trace (W3C `traceparent`).
        req = req.headers(crate::telemetry::outgoing());
        let resp = req.send().await.map_err(|e| {
            if e.is_timeout() {
                "request timed out".to_string()
            } else {
                "connection failed".to_string()
            }
        })?;
        let status = resp.status();
        let bytes = resp
            .bytes()
            .await
            .map_err(|_| "failed to read body".to_string())?;
        match sonic_rs::from_slice::<SubgraphResponse>(&bytes) {
            Ok(r) if r.data.is_some() || !r.errors.is_empty() => Ok(r),
            _ => Err(format!("invalid response (HTTP {})", status.as_u16())),
        }
    }
}

/// Runs its closure when dropped, unless defused.
struct Guard<F: FnOnce()>(Option<F>);

fn scopeguard<F: FnOnce()>(f: F) -> Guard<F> {
    Guard(Some(f))
}

impl<F: FnOnce()> Guard<F> {
    fn defuse(mut self) {
        self.0 = None;
    }
}

impl<F: FnOnce()> Drop for Guard<F> {
    fn drop(&mut self) {
        if let Some(f) = self.0.take() {
            f();
        }
    }
}
