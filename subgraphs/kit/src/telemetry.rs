//! Logging and tracing set-up: JSON lines in production, human-readable in development,
//! filtered by `RUST_LOG` (default `info`); and, when `OTEL_EXPORTER_OTLP_ENDPOINT` is set,
//! OpenTelemetry spans exported over OTLP/HTTP (protobuf) with W3C trace context.
//!
//! Spans meant for the trace use the target [`OTEL`] (`tracing::info_span!(target: "otel", ...)`):
//! the server's request span here, and the router's request, plan-node and subgraph-fetch spans.
//! Only the OpenTelemetry layer takes them, so without an endpoint they are never even built.
//! Incoming requests continue the caller's `traceparent` ([`continue_trace`]); the router puts
//! one on every subgraph fetch, so one client request is one trace across all services.
//! Standard `OTEL_*` variables apply (`OTEL_SERVICE_NAME`, default `shop`;
//! `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`; `OTEL_BSP_SCHEDULE_DELAY`, ...).

use std::sync::OnceLock;

use opentelemetry::trace::TracerProvider as _;
use opentelemetry_http::{Bytes, HttpClient, HttpError, Request, Response};
use opentelemetry_otlp::{WithExportConfig, WithHttpConfig};
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing_opentelemetry::OpenTelemetrySpanExt;
use tracing_subscriber::filter::{filter_fn, EnvFilter};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::Layer;

use crate::config::LogFormat;

/// The target of spans that belong in the distributed trace.
pub const OTEL: &str = "otel";

static PROVIDER: OnceLock<SdkTracerProvider> = OnceLock::new();

/// Installs the global subscriber once; later calls (tests, the launcher) are no-ops.
pub fn init(format: LogFormat) {
    init_service("shop", format);
}

/// [`init`] for a process whose spans are named `service` unless `OTEL_SERVICE_NAME` says
/// otherwise (the standalone router binary).
pub fn init_service(service: &'static str, format: LogFormat) {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,lapin=warn,tower_http=warn"))
        .add_directive("otel=off".parse().expect("a valid directive"));
    let fmt = match format {
        LogFormat::Json => tracing_subscriber::fmt::layer()
            .json()
            .flatten_event(true)
            .boxed(),
        LogFormat::Pretty => tracing_subscriber::fmt::layer().compact().boxed(),
    };
    let otel = exporter(service).map(|provider| {
        let layer = tracing_opentelemetry::layer()
            .with_tracer(provider.tracer(service))
            .with_filter(filter_fn(|meta| meta.target() == OTEL));
        let _ = PROVIDER.set(provider);
        layer
    });
    let _ = tracing_subscriber::registry()
        .with(fmt.with_filter(filter))
        .with(otel)
        .try_init();
}

/// The OTLP exporter's provider, when `OTEL_EXPORTER_OTLP_ENDPOINT` (or the traces endpoint)
/// is set and a tokio runtime is running (the exporter sends on it).
fn exporter(default_service: &str) -> Option<SdkTracerProvider> {
    let set = |k: &str| std::env::var(k).is_ok_and(|v| !v.trim().is_empty());
    if !set("OTEL_EXPORTER_OTLP_ENDPOINT") && !set("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") {
        return None;
    }
    let runtime = tokio::runtime::Handle::try_current().ok()?;
    let client = OnRuntime {
        http: reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(10))
            .build()
            .ok()?,
        runtime,
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
    let service =
        std::env::var("OTEL_SERVICE_NAME").unwrap_or_else(|_| default_service.to_string());
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

/// Sends spans still buffered (on shutdown, and for tests). Blocks: call it off the runtime's
/// worker threads (`spawn_blocking`).
pub fn flush() {
    if let Some(p) = PROVIDER.get() {
        let _ = p.force_flush();
    }
}

/// Makes `span` a child of the trace the request headers carry (`traceparent`), if any.
pub fn continue_trace(span: &tracing::Span, headers: &axum::http::HeaderMap) {
    if span.is_disabled() {
        return;
    }
    let parent = opentelemetry::global::get_text_map_propagator(|p| {
        p.extract(&opentelemetry_http::HeaderExtractor(headers))
    });
    let _ = span.set_parent(parent);
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
    async fn send_bytes(&self, request: Request<Bytes>) -> Result<Response<Bytes>, HttpError> {
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
