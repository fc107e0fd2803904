//! OpenTelemetry tracing at the router: a span per client request (continuing the client's
//! `traceparent`), per plan node and per subgraph fetch, and the W3C `traceparent` of the fetch
//! span sent to the subgraph, which continues the trace (`kit::telemetry`).
//!
//! The spans use the target `otel`, which only the OpenTelemetry layer takes: with no exporter
//! installed they are disabled at their call sites and cost nothing. The subscriber and the
//! OTLP exporter are the kit's ([`init`]: OTLP over HTTP with protobuf when
//! `OTEL_EXPORTER_OTLP_ENDPOINT` is set, `OTEL_SERVICE_NAME` default `router`); in the launcher
//! the kit's subscriber is installed by the launcher itself.

use axum::extract::Request;
use axum::http::HeaderMap;
use axum::middleware::Next;
use axum::response::Response as HttpResponse;
use tracing::Instrument;
use tracing_opentelemetry::OpenTelemetrySpanExt;

pub use kit::telemetry::{flush, OTEL};

/// The router binary's subscriber: logs filtered by `RUST_LOG` (JSON lines unless
/// `LOG_FORMAT=pretty`), plus the OTLP exporter when configured. Call inside the tokio runtime.
pub fn init() {
    let format = match std::env::var("LOG_FORMAT").as_deref() {
        Ok("pretty") => kit::config::LogFormat::Pretty,
        _ => kit::config::LogFormat::Json,
    };
    kit::telemetry::init_service("router", format);
}

/// Middleware on `/graphql`: the request's span, a child of the client's `traceparent`.
pub async fn middleware(req: Request, next: Next) -> HttpResponse {
    let span = tracing::info_span!(
        target: "otel",
        "router request",
        otel.kind = "server",
        otel.name = %format!("router {} /graphql", req.method()),
        http.request.method = %req.method(),
    );
    if span.is_disabled() {
        return next.run(req).await;
    }
    kit::telemetry::continue_trace(&span, req.headers());
    next.run(req).instrument(span).await
}

/// The `traceparent` (and `tracestate`) of the current span, for a subgraph request; empty
/// when tracing is off.
pub fn outgoing() -> HeaderMap {
    let mut headers = HeaderMap::new();
    let span = tracing::Span::current();
    if span.is_disabled() {
        return headers;
    }
    let cx = span.context();
    opentelemetry::global::get_text_map_propagator(|p| {
        p.inject_context(&cx, &mut opentelemetry_http::HeaderInjector(&mut headers))
    });
    headers
}
