//! The HTTP caching headers of a response: `Cache-Control` for the whole operation (the most
//! restrictive rule of the subgraph fetches it made: `private` when any part is private,
//! `no-store` when any part is not cacheable or the response has errors) and an `ETag` of the
//! body; a request whose `If-None-Match` names that tag gets `304 Not Modified`.
//!
//! The fetches of one request report their rule to a task-local collector that the HTTP
//! executor opens around execution (`collect`); requests outside one (WebSocket, SSE) are not
//! tracked.

use std::cell::RefCell;
use std::future::Future;

use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response as HttpResponse};

use super::policy::Rule;
use crate::response::Response;

/// What the fetches of one request allow.
#[derive(Debug, Clone, Copy, Default)]
pub struct Verdict {
    /// The combined rule of every fetch so far (`None`: no fetch yet).
    rule: Option<Rule>,
    uncacheable: bool,
}

tokio::task_local! {
    static VERDICT: RefCell<Verdict>;
}

/// Runs `fut` (one request's execution) with a collector; returns its output and the verdict.
pub async fn collect<F: Future>(fut: F) -> (F::Output, Verdict) {
    VERDICT
        .scope(RefCell::new(Verdict::default()), async move {
            let out = fut.await;
            (out, VERDICT.with(|v| *v.borrow()))
        })
        .await
}

/// A fetch of this request may be cached under `rule`.
pub fn report(rule: Rule) {
    let _ = VERDICT.try_with(|v| {
        let mut v = v.borrow_mut();
        v.rule = Some(v.rule.map_or(rule, |r| r.and(rule)));
    });
}

/// A fetch of this request may not be cached.
pub fn report_uncacheable() {
    let _ = VERDICT.try_with(|v| v.borrow_mut().uncacheable = true);
}

impl Verdict {
    /// The `Cache-Control` value for a response with (`has_errors`) or without errors.
    pub fn cache_control(&self, has_errors: bool) -> String {
        match self.rule {
            Some(rule) if !self.uncacheable && !has_errors => format!(
                "{}, max-age={}",
                if rule.private { "private" } else { "public" },
                rule.max_age_secs
            ),
            _ => "no-store".into(),
        }
    }
}

/// The caching headers decided for one response, before it is serialized.
pub struct Decision {
    control: HeaderValue,
    etag: Option<HeaderValue>,
    not_modified: bool,
}

/// Decides `Cache-Control` and `ETag` for `response` (hashed for the tag, only when it may be
/// cached) and whether the request's `If-None-Match` already has it.
pub fn decide(request: &HeaderMap, verdict: Verdict, response: &Response) -> Decision {
    let control = verdict.cache_control(!response.errors.is_empty());
    let mut decision = Decision {
        control: HeaderValue::from_str(&control).unwrap_or(HeaderValue::from_static("no-store")),
        etag: None,
        not_modified: false,
    };
    if control == "no-store" {
        return decision;
    }
    let mut hasher = xxhash_rust::xxh3::Xxh3::new();
    if serde_json::to_writer(HashWriter(&mut hasher), response).is_err() {
        return decision;
    }
    let etag = format!("\"{:032x}\"", hasher.digest128());
    decision.not_modified = request
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|t| {
            let t = t.trim();
            t == "*" || t.trim_start_matches("W/") == etag
        });
    decision.etag = HeaderValue::from_str(&etag).ok();
    decision
}

impl Decision {
    /// Puts the headers on a 200 response, or turns it into a 304.
    pub fn apply(self, mut resp: HttpResponse) -> HttpResponse {
        if resp.status() != StatusCode::OK {
            return resp;
        }
        if self.not_modified {
            let mut not_modified = StatusCode::NOT_MODIFIED.into_response();
            // Keep what the access log reads from the original.
            *not_modified.extensions_mut() = std::mem::take(resp.extensions_mut());
            resp = not_modified;
        }
        let headers = resp.headers_mut();
        headers.insert(header::CACHE_CONTROL, self.control);
        if let Some(tag) = self.etag {
            headers.insert(header::ETAG, tag);
        }
        resp
    }
}

struct HashWriter<'a>(&'a mut xxhash_rust::xxh3::Xxh3);

impl std::io::Write for HashWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.update(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
