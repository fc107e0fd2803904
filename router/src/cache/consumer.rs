//! The cache's event consumer, shared by the standalone `router` binary and the one-process
//! launcher: a fan-out queue bound to the events that change cached data (`invalidate`), over
//! any kit transport (RabbitMQ, or the launcher's in-process bus). Each event drops exactly the
//! entries it names; its lag from the event's time is recorded and the p99 logged now and then.
//!
//! The queue is per process (kit's fan-out mode: a generated name, exclusive and auto-deleted
//! on RabbitMQ), because every router instance keeps its own in-memory entries and must see
//! every event; a stopped instance leaves no queue behind.

use std::sync::Arc;
use std::time::Duration;

use kit::events::{amqp::AmqpTransport, handler, EventStats, QueueSpec, Transport};
use tokio_util::sync::CancellationToken;

use super::{invalidate::BINDINGS, Cache};

/// The queue name's stem (the transport appends a per-instance id).
pub const QUEUE: &str = "router-cache";

/// Where the standalone router reads events from: `ROUTER_AMQP_URL`, else `AMQP_URL`; the
/// exchange is `EVENTS_EXCHANGE` (default `shop.events`, as the subgraphs' kit).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventSource {
    pub amqp_url: String,
    pub exchange: String,
}

impl EventSource {
    /// `None` when no broker is configured (empty values count as unset).
    pub fn from_env(env: &dyn Fn(&str) -> Option<String>) -> Option<EventSource> {
        let set = |k: &str| {
            env(k)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        let amqp_url = set("ROUTER_AMQP_URL").or_else(|| set("AMQP_URL"))?;
        Some(EventSource {
            amqp_url,
            exchange: set("EVENTS_EXCHANGE").unwrap_or_else(|| "shop.events".into()),
        })
    }

    /// A RabbitMQ transport for consuming only (no database needed); stops with `shutdown`.
    pub fn transport(&self, shutdown: CancellationToken) -> Arc<dyn Transport> {
        Arc::new(AmqpTransport::new(
            "router",
            &self.amqp_url,
            &self.exchange,
            "",
            // Invalidating cannot fail, so there is nothing to retry.
            1,
            Arc::new(EventStats::default()),
            shutdown,
        ))
    }
}

/// Subscribes `cache` to the events that make its entries stale, until `shutdown`.
pub async fn start(
    transport: &dyn Transport,
    cache: Arc<Cache>,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    let consumer = cache.clone();
    let on_event = handler(move |event: kit::events::Event| {
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
    });
    transport
        .consume(QueueSpec::fan_out(QUEUE, BINDINGS), on_event)
        .await?;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_source_from_env() {
        let env = |vars: &'static [(&'static str, &'static str)]| {
            move |k: &str| {
                vars.iter()
                    .find(|(n, _)| *n == k)
                    .map(|(_, v)| v.to_string())
            }
        };
        assert_eq!(EventSource::from_env(&env(&[])), None);
        assert_eq!(EventSource::from_env(&env(&[("AMQP_URL", " ")])), None);
        assert_eq!(
            EventSource::from_env(&env(&[
                ("AMQP_URL", "amqp://a"),
                ("ROUTER_AMQP_URL", "amqp://r")
            ])),
            Some(EventSource {
                amqp_url: "amqp://r".into(),
                exchange: "shop.events".into()
            })
        );
        assert_eq!(
            EventSource::from_env(&env(&[("AMQP_URL", "amqp://a"), ("EVENTS_EXCHANGE", "x")])),
            Some(EventSource {
                amqp_url: "amqp://a".into(),
                exchange: "x".into()
            })
        );
    }
}
