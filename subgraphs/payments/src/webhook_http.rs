//! `POST /webhooks/{stripe|paystack|flutterwave|sepay}`: the raw body is read (bounded) and
//! verified by the provider's scheme **before** anything is parsed; an unverifiable request
//! gets 400 and changes nothing. A verified event is applied once (see [`crate::webhooks`]);
//! a replay answers 200 with `duplicate: true` so the provider stops retrying. Errors use the
//! platform's `{errors:[{message, extensions:{code}}]}` shape.

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use kit::error::Code;
use kit::server::graphql::error_response;
use serde_json::json;

use crate::state::PaymentsState;
use crate::webhooks::{self, Applied};

/// Providers that send webhooks (the embedded test provider does not).
pub const ROUTED: [&str; 4] = ["stripe", "paystack", "flutterwave", "sepay"];

pub async fn receive(
    State(state): State<PaymentsState>,
    Path(provider): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    if !ROUTED.contains(&provider.as_str()) {
        return error_response(StatusCode::NOT_FOUND, Code::NotFound, "no such webhook");
    }
    let Some(handler) = state.providers.get(&provider) else {
        return error_response(StatusCode::NOT_FOUND, Code::NotFound, "no such webhook");
    };
    let max = state.svc.config.max_body_bytes;
    let Ok(bytes) = axum::body::to_bytes(body, max).await else {
        return error_response(
            StatusCode::PAYLOAD_TOO_LARGE,
            Code::BadUserInput,
            &format!("body exceeds {max} bytes"),
        );
    };
    let now = chrono::Utc::now().timestamp();
    let event = match handler.verify_webhook(&headers, &bytes, now) {
        Ok(event) => event,
        Err(err) => {
            // Only the reason, never the body or headers (they may carry secrets).
            tracing::warn!(provider = %provider, reason = %err.message(), "webhook refused");
            return error_response(StatusCode::BAD_REQUEST, Code::BadUserInput, &err.message());
        }
    };
    match webhooks::apply(&state.svc, &provider, &event).await {
        Ok(applied) => {
            let (duplicate, outcome) = match applied {
                Applied::Done(outcome) => (false, outcome),
                Applied::Duplicate => (true, "DUPLICATE"),
            };
            // Sepay expects `success: true`; the others only look at the status.
            (
                StatusCode::OK,
                Json(json!({ "success": true, "duplicate": duplicate, "outcome": outcome })),
            )
                .into_response()
        }
        Err(err) => {
            tracing::error!(provider = %provider, error = ?err, "webhook could not be applied");
            // 5xx: the provider retries later.
            error_response(
                StatusCode::INTERNAL_SERVER_ERROR,
                Code::Internal,
                "internal error",
            )
        }
    }
}
