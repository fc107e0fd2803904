//! CSRF prevention. A browser sends a cross-site GET, or a POST whose content type is
//! `text/plain`, `application/x-www-form-urlencoded` or `multipart/form-data` (or absent),
//! without asking the server first (no CORS preflight), so the router could run an operation a
//! hostile page chose with the visitor's cookies. Such requests are refused unless they carry a
//! non-empty header a page cannot add without a preflight (`apollo-require-preflight`,
//! `x-apollo-operation-name` or `graphql-require-preflight` by default). JSON POSTs, which every
//! GraphQL client and GraphiQL send, are preflighted by browsers and pass untouched.

use axum::http::{header, HeaderMap, StatusCode};
use serde::Deserialize;

use crate::response::{GraphQLError, Response};

/// `[csrf]` in the config file; `ROUTER_CSRF`, `ROUTER_CSRF_HEADERS` in the environment.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CsrfConfig {
    /// `ROUTER_CSRF` (`on`/`off`); default on.
    pub enabled: bool,
    /// `ROUTER_CSRF_HEADERS` (comma separated): any one of them, non-empty, lets a simple
    /// request through.
    pub required_headers: Vec<String>,
}

impl Default for CsrfConfig {
    fn default() -> Self {
        CsrfConfig {
            enabled: true,
            required_headers: vec![
                "apollo-require-preflight".into(),
                "x-apollo-operation-name".into(),
                "graphql-require-preflight".into(),
            ],
        }
    }
}

impl CsrfConfig {
    pub fn apply_vars(&mut self, env: &dyn Fn(&str) -> Option<String>) -> anyhow::Result<()> {
        if let Some(v) = env("ROUTER_CSRF") {
            self.enabled = crate::limits::parse_switch("ROUTER_CSRF", &v)?;
        }
        if let Some(v) = env("ROUTER_CSRF_HEADERS") {
            self.required_headers = v
                .split(',')
                .map(|h| h.trim().to_ascii_lowercase())
                .filter(|h| !h.is_empty())
                .collect();
        }
        Ok(())
    }
}

/// Content types a browser sends cross-site without a preflight.
const SIMPLE: [&str; 3] = [
    "text/plain",
    "application/x-www-form-urlencoded",
    "multipart/form-data",
];

/// Could a browser have sent this request without a preflight?
fn is_simple(headers: &HeaderMap) -> bool {
    let Some(ct) = headers.get(header::CONTENT_TYPE) else {
        return true;
    };
    let Ok(ct) = ct.to_str() else { return true };
    let essence = ct
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    SIMPLE.contains(&essence.as_str())
}

/// The 400 response when the request must be refused as a possible CSRF.
pub fn refusal(config: &CsrfConfig, headers: &HeaderMap) -> Option<axum::response::Response> {
    if !config.enabled || !is_simple(headers) {
        return None;
    }
    let preflighted = config.required_headers.iter().any(|h| {
        headers
            .get(h.as_str())
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| !v.trim().is_empty())
    });
    if preflighted {
        return None;
    }
    let names = config.required_headers.join("`, `");
    let error = GraphQLError::new(format!(
        "This operation has been blocked as a potential Cross-Site Request Forgery (CSRF). \
         Send Content-Type: application/json, or a non-empty `{names}` header."
    ))
    .code("CSRF_PREVENTED");
    Some(crate::executors::http::reply(
        headers,
        Response::request_error(vec![error]),
        StatusCode::BAD_REQUEST,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        pairs
            .iter()
            .map(|(k, v)| (header::HeaderName::from_static(k), v.parse().unwrap()))
            .collect()
    }

    #[test]
    fn simple_requests_need_a_preflight_header() {
        let c = CsrfConfig::default();
        assert!(refusal(&c, &headers(&[("content-type", "application/json")])).is_none());
        assert!(refusal(
            &c,
            &headers(&[(
                "content-type",
                "application/graphql-response+json; charset=utf-8"
            )])
        )
        .is_none());
        assert!(refusal(&c, &headers(&[])).is_some());
        assert!(refusal(
            &c,
            &headers(&[("content-type", "text/plain;charset=UTF-8")])
        )
        .is_some());
        assert!(refusal(
            &c,
            &headers(&[("content-type", "Multipart/Form-Data; boundary=x")])
        )
        .is_some());
        assert!(refusal(&c, &headers(&[("apollo-require-preflight", "true")])).is_none());
        assert!(refusal(&c, &headers(&[("x-apollo-operation-name", "")])).is_some());
        let off = CsrfConfig {
            enabled: false,
            ..Default::default()
        };
        assert!(refusal(&off, &headers(&[])).is_none());
    }
}
