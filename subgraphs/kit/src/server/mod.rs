//! The HTTP server every subgraph runs: `POST /graphql`, `GET /graphql` (WebSocket
//! subscriptions with graphql-transport-ws, or GraphiQL for a browser), `/health`, `/ready`,
//! `/metrics`, request ids, tracing and graceful shutdown.

pub mod audience;
pub mod graphql;
pub mod probes;
pub mod request;

use std::net::SocketAddr;
use std::sync::Arc;

use async_graphql::Executor;
use axum::http::HeaderName;
use axum::routing::get;
use axum::Router;
use tokio::net::TcpListener;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;
use tracing::Instrument;

use crate::service::Service;

pub use request::RequestMeta;

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The subgraph's full router: the GraphQL endpoint and probes, plus `extra` domain routes.
pub fn app<E: Executor + Clone>(svc: &Service, schema: E, extra: Router) -> Router {
    let state = graphql::GraphqlState {
        schema,
        svc: svc.clone(),
    };
    let probes = probes::routes(svc.clone());
    let service: Arc<str> = Arc::from(svc.config.service.as_str());
    Router::new()
        .route("/graphql", get(graphql::get::<E>).post(graphql::post::<E>))
        .with_state(state)
        .merge(probes)
        .merge(extra)
        .layer(axum::middleware::from_fn(move |req, next| {
            traced(service.clone(), req, next)
        }))
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(TraceLayer::new_for_http().make_span_with(|req: &axum::http::Request<_>| {
            let id = req
                .headers()
                .get(REQUEST_ID)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_string();
            tracing::info_span!("http", method = %req.method(), path = %req.uri().path(), request_id = %id)
        }))
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
}

/// Runs a request inside this subgraph's span of the distributed trace, continuing the
/// caller's `traceparent` (the router sends one with every fetch; see `telemetry`).
async fn traced(
    service: Arc<str>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let span = tracing::info_span!(
        target: "otel",
        "subgraph request",
        otel.kind = "server",
        otel.name = %format!("{service} {} {}", req.method(), req.uri().path()),
        subgraph = %service,
        http.request.method = %req.method(),
        url.path = %req.uri().path(),
    );
    crate::telemetry::continue_trace(&span, req.headers());
    next.run(req).instrument(span).await
}

/// Serves `app` on `listener` until the service's shutdown signal, then drains in-flight
/// requests.
pub async fn serve(listener: TcpListener, app: Router, svc: Service) -> anyhow::Result<()> {
    let shutdown = svc.shutdown.clone();
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(async move { shutdown.cancelled().await })
    .await?;
    // Spans of the last requests would otherwise wait for the next export tick.
    let _ = tokio::task::spawn_blocking(crate::telemetry::flush).await;
    Ok(())
}
