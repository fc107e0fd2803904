//! Fan-out benchmark: how many events per second the webhooks subgraph delivers to 10
//! endpoints. Starts the real accounts and webhooks subgraphs (backends from
//! `TEST_DATABASE_URL` / `TEST_AMQP_URL`, as the tests do; see `bench/webhooks/run.sh`), ten
//! receivers on 127.0.0.1 answering 200 at once, registers one endpoint per receiver for every
//! event type, publishes `BENCH_EVENTS` events through the transport and measures until every
//! receiver has every event and every delivery row is SUCCEEDED.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use axum::routing::post;
use axum::Router;
use kit::events::Event;
use kit::testing;
use serde_json::json;

const ENDPOINTS: usize = 10;

#[tokio::main]
async fn main() {
    let events: usize = std::env::var("BENCH_EVENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000);
    let in_flight = std::env::var("BENCH_PER_ENDPOINT").unwrap_or_else(|_| "8".into());

    let (config, email) = testing::accounts_with_admin();
    let accounts = testing::spawn::<accounts::Accounts>(config).await;
    let admin = accounts.login(&email, testing::PASSWORD).await;
    let config = testing::config_trusting(
        "webhooks",
        &accounts,
        &[
            ("ALLOW_LOOPBACK_TARGETS", "true"),
            ("MAX_IN_FLIGHT_PER_ENDPOINT", &in_flight),
            ("MAX_IN_FLIGHT", "64"),
            ("WORKER_POLL_MS", "100"),
        ],
    );
    let mut config = config;
    config.database_max_connections = 20;
    let app = testing::spawn::<webhooks::Webhooks>(config).await;

    let received = Arc::new(AtomicU64::new(0));
    for _ in 0..ENDPOINTS {
        let counter = received.clone();
        let router = Router::new().route(
            "/hook",
            post(move || {
                let counter = counter.clone();
                async move {
                    counter.fetch_add(1, Ordering::Relaxed);
                    "ok"
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, router).await });
        let body = app
            .gql(
                "mutation($u:String!){ createWebhookEndpoint(input:{url:$u, eventTypes:[\"*\"]}){ secret } }",
                json!({ "u": url }),
                Some(&admin),
            )
            .await;
        assert!(body["errors"].is_null(), "{body}");
    }

    let batch: Vec<Event> = (0..events)
        .map(|i| {
            Event::new(
                "orders",
                "order.paid",
                Some(format!("order-{i}")),
                json!({ "orderId": format!("order-{i}"), "total": { "amount": "54.98", "currencyCode": "USD" } }),
            )
        })
        .collect();
    let expected = (events * ENDPOINTS) as u64;
    let started = Instant::now();
    for chunk in batch.chunks(100) {
        app.svc().transport.publish_batch(chunk).await.unwrap();
    }
    let published = started.elapsed();
    while received.load(Ordering::Relaxed) < expected {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let all_received = started.elapsed();
    loop {
        let done: i64 = kit::sqlx::query_scalar(
            "SELECT COUNT(*) FROM webhook_deliveries WHERE status = 'SUCCEEDED'",
        )
        .fetch_one(app.svc().db.pool())
        .await
        .unwrap();
        if done as u64 >= expected {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let all_recorded = started.elapsed();
    let requests = received.load(Ordering::Relaxed);
    println!(
        "backend: {} + {}",
        if app.svc().db.backend() == kit::db::Backend::Postgres {
            "PostgreSQL"
        } else {
            "SQLite"
        },
        app.svc().transport.name()
    );
    println!("events: {events}, endpoints: {ENDPOINTS}, deliveries: {expected}, requests seen: {requests}");
    println!("published in {:.2} s", published.as_secs_f64());
    println!(
        "all received in {:.2} s: {:.0} events/s fanned out, {:.0} deliveries/s",
        all_received.as_secs_f64(),
        events as f64 / all_received.as_secs_f64(),
        expected as f64 / all_received.as_secs_f64()
    );
    println!(
        "all recorded SUCCEEDED in {:.2} s: {:.0} events/s, {:.0} deliveries/s",
        all_recorded.as_secs_f64(),
        events as f64 / all_recorded.as_secs_f64(),
        expected as f64 / all_recorded.as_secs_f64()
    );
    app.stop().await;
    accounts.stop().await;
}
