//! The router's cache invalidation consumer in the one-process launcher: a fan-out queue (one
//! per launcher, so every router instance sees every event) bound to the events that change
//! cached storefront data, over whichever transport the subgraphs use (the in-process bus, or
//! RabbitMQ with `AMQP_URL`). Each event drops exactly the entries it names
//! (`router::cache::invalidate`) and its lag from the event's time is recorded; the launcher
//! logs the p99 of those lags now and then.

use std::sync::Arc;
use std::time::Duration;

use kit::events::QueueSpec;
use router::cache::{invalidate::BINDINGS, Cache};

pub async fn start(svc: &kit::Service, cache: Arc<Cache>) -> anyhow::Result<()> {
    let consumer = cache.clone();
    svc.consume(QueueSpec::fan_out("router-cache", BINDINGS), move |event| {
        let cache = consumer.clone();
        async move {
            cache
                .invalidate_event(
                    &event.event_type,
                    &event.source,
                    event.subject.as_deref(),
                    &event.data,
                )
                .await;
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_micros() as i64);
            cache.record_lag((now - event.time.timestamp_micros()) as f64 / 1e6);
            Ok(())
        }
    })
    .await?;
    let shutdown = svc.shutdown.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(60));
        let mut last = 0;
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = tick.tick() => {}
            }
            if let Some((p99, n)) = cache.lag_quantile(0.99) {
                if n != last {
                    last = n;
                    tracing::info!(
                        p99_ms = p99 * 1e3,
                        events = n,
                        "router cache invalidation lag"
                    );
                }
            }
        }
    });
    Ok(())
}
