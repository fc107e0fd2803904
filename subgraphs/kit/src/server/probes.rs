//! Operational endpoints: `/health` (the process is alive), `/ready` (database, broker and
//! cache reachable; 503 otherwise, so orchestrators stop routing here) and `/metrics`
//! (Prometheus text).

use std::sync::atomic::Ordering;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};

use crate::service::Service;

pub fn routes(svc: Service) -> Router {
    Router::new()
        .route("/health", get(|| async { "ok" }))
        .route("/ready", get(ready))
        .route("/metrics", get(metrics))
        .with_state(svc)
}

async fn ready(State(svc): State<Service>) -> impl IntoResponse {
    let (database, broker, cache) =
        tokio::join!(svc.db.ping(), svc.transport.ready(), svc.cache.ready());
    let status = if database && broker && cache {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let word = |ok: bool| if ok { "ok" } else { "unavailable" };
    let body = serde_json::json!({
        "service": svc.config.service,
        "database": word(database),
        "broker": { "backend": svc.transport.name(), "status": word(broker) },
        "cache": { "backend": svc.cache.backend(), "status": word(cache) },
    });
    (status, Json(body))
}

async fn metrics(State(svc): State<Service>) -> impl IntoResponse {
    let pending = crate::events::outbox::pending(&svc.db).await.unwrap_or(-1);
    let name = &svc.config.service;
    let e = &svc.event_stats;
    let h = &svc.http_stats;
    let lines = [
        (
            "http_requests_total",
            h.requests.load(Ordering::Relaxed) as i64,
        ),
        (
            "graphql_errors_total",
            h.graphql_errors.load(Ordering::Relaxed) as i64,
        ),
        ("db_statements_total", svc.db.statements() as i64),
        (
            "events_published_total",
            e.published.load(Ordering::Relaxed) as i64,
        ),
        (
            "events_consumed_total",
            e.consumed.load(Ordering::Relaxed) as i64,
        ),
        (
            "events_failed_attempts_total",
            e.failed_attempts.load(Ordering::Relaxed) as i64,
        ),
        (
            "events_dead_lettered_total",
            e.dead_lettered.load(Ordering::Relaxed) as i64,
        ),
        ("outbox_pending", pending),
    ];
    let mut out = String::new();
    for (metric, value) in lines {
        out.push_str(&format!("shop_{metric}{{service=\"{name}\"}} {value}\n"));
    }
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; version=0.0.4",
        )],
        out,
    )
}
