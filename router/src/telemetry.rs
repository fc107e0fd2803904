//! OpenTelemetry tracing at the router: a span per client request (continuing the client's
//! `traceparent`), per plan node and per subgraph fetch, and the W3C `traceparent` of the fetch
//! span sent to the subgraph, which continues the trace (`kit::telemetry`).
//!
//! The spans use the target `otel`, which only the OpenTelemetry layer takes: with no exporter
//! installed they are disabled at their call sites and cost nothing. The router binary installs
//! one when `OTEL_EXPORTER_OTLP_ENDPOINT` is set ([`init`]; OTLP over HTTP with protobuf,
//! `OTEL_SERVICE_NAME` default `router`); in the launcher the kit's subscriber carries them.
//! This mirrors `kit::telemetry`: the router does not depend on the kit.

use std::sync::OnceLock;

use axum::extract::Request;
use axum::http::HeaderMap;
use axum::middleware::Next;
use axum::response::Response as HttpResponse;
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_http::{Bytes, HttpClient, HttpError, Request as OtelRequest, Response};
use opentelemetry_otlp::{WithExportConfig, WithHttpConfig};
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing::Instrument;
use tracing_opentelemetry::OpenTelemetrySpanExt;
use tracing_subscriber::filter::{filter_fn, EnvFilter};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::Layer;

/// The target of spans that belong in the distributed trace.
pub const OTEL: &str = "otel";

static PROVIDER: OnceLock<SdkTracerProvider> = OnceLock::new();

/// The router binary's subscriber: logs filtered by `RUST_LOG` (default `info`), plus the
/// OTLP exporter when configured. Call inside the tokio runtime.
pub fn init() {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info"))
        .add_directive("otel=off".parse().expect("a valid directive"));
    let otel = exporter().map(|provider| {
        let layer = tracing_opentelemetry::layer()
            .with_tracer(provider.tracer("router"))
            .with_filter(filter_fn(|meta| meta.target() == OTEL));
        let _ = PROVIDER.set(provider);
        layer
    });
    let _ = tracing_subscriber::registry()
        .with(tracing_subscriber::fmt::layer().with_filter(filter))
        .with(otel)
        .try_init();
}

/// Sends buffered spans (before the process exits). Blocking.
pub fn flush() {
    if let Some(p) = PROVIDER.get() {
        let _ = p.force_flush();
    }
}

fn exporter() -> Option<SdkTracerProvider> {
    let set = |k: &str| std::env::var(k).is_ok_and(|v| !v.trim().is_empty());
    if !set("OTEL_EXPORTER_OTLP_ENDPOINT") && !set("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") {
        return None;
    }
    let client = OnRuntime {
        http: reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(10))
            .build()
            .ok()?,
        runtime: tokio::runtime::Handle::try_current().ok()?,
    };
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_protocol(opentelemetry_otlp::Protocol::HttpBinary)
        .with_http_client(client)
        .build();
    let exporter = match exporter {
        Ok(e) => e,
        Err(e) => {
            eprintln!("OpenTelemetry export is off: {e}");
            return None;
        }
    };
    let service = std::env::var("OTEL_SERVICE_NAME").unwrap_or_else(|_| "router".into());
    let provider = SdkTracerProvider::builder()
        .with_batch_exporter(exporter)
        .with_resource(
            opentelemetry_sdk::Resource::builder()
                .with_service_name(service)
                .build(),
        )
        .build();
    opentelemetry::global::set_text_map_propagator(
        opentelemetry_sdk::propagation::TraceContextPropagator::new(),
    );
    Some(provider)
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
    let parent = opentelemetry::global::get_text_map_propagator(|p| {
        p.extract(&opentelemetry_http::HeaderExtractor(req.headers()))
    });
    let _ = span.set_parent(parent);
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

/// The exporter's HTTP client: the batch processor exports from its own thread, so each export
/// is handed to the tokio runtime the subscriber was installed on.
#[derive(Debug)]
struct OnRuntime {
    http: reqwest::Client,
    runtime: tokio::runtime::Handle,
}

#[async_trait::async_trait]
impl HttpClient for OnRuntime {
    async fn send_bytes(&self, request: OtelRequest<Bytes>) -> Result<Response<Bytes>, HttpError> {
        let http = self.http.clone();
        let (parts, body) = request.into_parts();
        let send = async move {
            let resp = http
                .request(parts.method, parts.uri.to_string())
                .headers(parts.headers)
                .body(body)
                .send()
                .await?;
            let mut out = Response::builder().status(resp.status());
            if let Some(h) = out.headers_mut() {
                *h = resp.headers().clone();
            }
            Ok::<_, HttpError>(out.body(resp.bytes().await?)?)
        };
        self.runtime.spawn(send).await?
    }
}
