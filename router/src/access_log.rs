//! Access logging and request metrics: a middleware around `/graphql` that times each request
//! and writes one JSON line per request (operation name, client name/version headers, status,
//! duration, error codes) and records `metrics::request`.
//!
//! The handler tells the middleware what happened by putting a [`Summary`] in the response's
//! extensions; the middleware never reads bodies or headers other than the client name and
//! version, so tokens, cookies and variables cannot reach the log.
//!
//! Setting: `ROUTER_ACCESS_LOG` / `access_log` = `stdout` (default), `off`, or a file path
//! (appended to).

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Instant, SystemTime};

use axum::extract::{Request, State};
use axum::http::HeaderMap;
use axum::middleware::Next;
use axum::response::Response;
use parking_lot::Mutex;
use serde_json::json;

use crate::response::GraphQLError;

/// Where access log lines go.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Target {
    #[default]
    Stdout,
    Off,
    File(PathBuf),
}

impl Target {
    pub fn parse(v: &str) -> Target {
        match v.trim() {
            "" | "stdout" | "on" => Target::Stdout,
            "off" | "none" | "false" => Target::Off,
            path => Target::File(PathBuf::from(path)),
        }
    }
}

/// What the GraphQL handler reports about a request.
#[derive(Debug, Clone)]
pub struct Summary {
    pub operation: Option<String>,
    /// `ok`, `errors` (executed with errors), `request_error`, `unauthenticated`, ...
    pub outcome: &'static str,
    /// Distinct `extensions.code` values of the response's errors.
    pub codes: Vec<String>,
}

impl Summary {
    pub fn new(
        operation: Option<&str>,
        query: Option<&str>,
        outcome: &'static str,
        errors: &[GraphQLError],
    ) -> Summary {
        let mut codes: Vec<String> = Vec::new();
        for e in errors {
            let code = e
                .extensions
                .as_ref()
                .and_then(|x| x.get("code"))
                .and_then(|c| c.as_str())
                .unwrap_or("UNCODED");
            if !codes.iter().any(|c| c == code) {
                codes.push(code.to_string());
            }
        }
        let outcome = if outcome == "ok" && !errors.is_empty() {
            "errors"
        } else {
            outcome
        };
        Summary {
            operation: operation
                .map(str::to_string)
                .or_else(|| query.and_then(operation_name_in)),
            outcome,
            codes,
        }
    }
}

/// The name of the first operation in a document, without parsing it (for logs only).
fn operation_name_in(query: &str) -> Option<String> {
    let is_name = |c: char| c.is_alphanumeric() || c == '_';
    let mut rest = query;
    loop {
        rest = rest.trim_start_matches(|c: char| !is_name(c));
        if rest.is_empty() {
            return None;
        }
        let end = rest.find(|c: char| !is_name(c)).unwrap_or(rest.len());
        let (word, after) = rest.split_at(end);
        rest = after;
        if matches!(word, "query" | "mutation" | "subscription") {
            let after = rest.trim_start();
            let end = after.find(|c: char| !is_name(c)).unwrap_or(after.len());
            return (end > 0).then(|| after[..end].to_string());
        }
        if word == "fragment" {
            // Skip `Name on Type { ... }` up to the fragment's closing brace.
            let mut depth = 0usize;
            let mut close = rest.len();
            for (i, c) in rest.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 1 => {
                        close = i + 1;
                        break;
                    }
                    '}' => depth = depth.saturating_sub(1),
                    _ => {}
                }
            }
            rest = &rest[close..];
        }
    }
}

/// Writes lines to the configured target; one shared writer per router.
pub struct AccessLog {
    target: Target,
    file: Option<Mutex<std::fs::File>>,
}

impl AccessLog {
    pub fn new(target: Target) -> AccessLog {
        let file = match &target {
            Target::File(path) => match std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
            {
                Ok(f) => Some(Mutex::new(f)),
                Err(e) => {
                    tracing::warn!(path = %path.display(), error = %e, "cannot open access log");
                    None
                }
            },
            _ => None,
        };
        AccessLog { target, file }
    }

    fn write(&self, line: &[u8]) {
        match (&self.target, &self.file) {
            (Target::Off, _) => {}
            (Target::Stdout, _) => {
                let mut out = std::io::stdout().lock();
                let _ = out.write_all(line);
            }
            (Target::File(_), Some(f)) => {
                let _ = f.lock().write_all(line);
            }
            (Target::File(_), None) => {}
        }
    }
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// The middleware: times the request, records metrics, writes the log line.
pub async fn middleware(State(log): State<Arc<AccessLog>>, req: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = req.method().to_string();
    let path = req.uri().path().to_string();
    let client_name = header(req.headers(), "apollographql-client-name").map(str::to_string);
    let client_version = header(req.headers(), "apollographql-client-version").map(str::to_string);
    let response = next.run(req).await;
    let seconds = started.elapsed().as_secs_f64();
    let summary = response.extensions().get::<Summary>();
    if let Some(s) = summary {
        crate::metrics::request(s.operation.as_deref(), s.outcome, seconds);
    }
    if log.target == Target::Off {
        return response;
    }
    let time = epoch_seconds();
    let line = json!({
        "time": time,
        "kind": "access",
        "method": method,
        "path": path,
        "status": response.status().as_u16(),
        "duration_ms": (seconds * 1e6).round() / 1e3,
        "operation": summary.and_then(|s| s.operation.as_deref()),
        "outcome": summary.map(|s| s.outcome),
        "error_codes": summary.map(|s| s.codes.as_slice()).unwrap_or(&[]),
        "client_name": client_name,
        "client_version": client_version,
    });
    let mut bytes = serde_json::to_vec(&line).unwrap_or_default();
    bytes.push(b'\n');
    log.write(&bytes);
    response
}

/// Seconds since the Unix epoch with millisecond precision (RFC 3339 needs a date library the
/// router does not otherwise use; log shippers read epoch seconds).
fn epoch_seconds() -> f64 {
    let d = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or_default();
    (d.as_millis() as f64) / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operation_names_are_found_without_parsing() {
        assert_eq!(
            operation_name_in("query Me { me { id } }").as_deref(),
            Some("Me")
        );
        assert_eq!(operation_name_in("{ me { id } }"), None);
        assert_eq!(
            operation_name_in("fragment F on User { id } mutation Buy($x: ID) { a }").as_deref(),
            Some("Buy")
        );
        assert_eq!(operation_name_in("query { a }"), None);
    }
}
