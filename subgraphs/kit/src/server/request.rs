//! Per-request facts put in the GraphQL context: request id, client address and the request's
//! headers (a domain may read its own, e.g. cart's `X-Cart-Token`, or forward the caller's
//! credentials to another subgraph), plus the bearer token parsing shared by HTTP and WebSocket.

use std::net::{IpAddr, SocketAddr};

use axum::http::HeaderMap;

#[derive(Debug, Clone)]
pub struct RequestMeta {
    pub request_id: String,
    pub client_ip: IpAddr,
    pub headers: HeaderMap,
}

impl RequestMeta {
    pub fn from_parts(headers: &HeaderMap, peer: SocketAddr, trust_forwarded_for: bool) -> Self {
        let forwarded = trust_forwarded_for
            .then(|| {
                headers
                    .get("x-forwarded-for")?
                    .to_str()
                    .ok()?
                    .split(',')
                    .next()?
                    .trim()
                    .parse()
                    .ok()
            })
            .flatten();
        RequestMeta {
            request_id: headers
                .get("x-request-id")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_string(),
            client_ip: forwarded.unwrap_or(peer.ip()),
            headers: headers.clone(),
        }
    }

    /// A request header's value, when present and valid text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name)?.to_str().ok()
    }
}

/// The token of an `Authorization: Bearer <token>` value, if that is what it is.
pub fn bearer(value: &str) -> Option<&str> {
    let (scheme, token) = value.trim().split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}
