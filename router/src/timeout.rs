//! The whole-operation timeout (`ROUTER_OPERATION_TIMEOUT_MS`, `operation_timeout_ms` in the
//! config file; default 60 s, 0 = none): an HTTP query or mutation that has not finished in time
//! is answered 504 with a `TIMEOUT` error, and its outstanding subgraph fetches are dropped.

use std::future::Future;
use std::time::Duration;

use crate::pipeline::Outcome;
use crate::response::{GraphQLError, Response};

pub const DEFAULT: Duration = Duration::from_secs(60);

/// Runs `operation`, or answers a `TIMEOUT` error when `limit` passes first.
pub async fn run(
    limit: Duration,
    operation: impl Future<Output = (Response, Outcome)>,
) -> (Response, Outcome) {
    if limit.is_zero() {
        return operation.await;
    }
    match tokio::time::timeout(limit, operation).await {
        Ok(done) => done,
        Err(_) => (
            Response::request_error(vec![GraphQLError::new(format!(
                "The operation did not finish within the router's operation timeout of {} ms.",
                limit.as_millis()
            ))
            .code("TIMEOUT")]),
            Outcome::RequestError,
        ),
    }
}

/// Is this the timeout's answer (HTTP 504)?
pub fn is_timeout(response: &Response) -> bool {
    response.data.is_none()
        && response.errors.first().is_some_and(|e| {
            e.extensions
                .as_ref()
                .and_then(|x| x.get("code"))
                .and_then(|c| c.as_str())
                == Some("TIMEOUT")
        })
}
