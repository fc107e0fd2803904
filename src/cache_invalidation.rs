//! The router's cache invalidation in the one-process launcher: the router's own consumer
//! (`router::cache::consumer`, the same one the standalone `router` binary runs) over the
//! launcher's transport (the in-process bus, or RabbitMQ with `AMQP_URL`).

use std::sync::Arc;

use router::cache::Cache;

pub async fn start(svc: &kit::Service, cache: Arc<Cache>) -> anyhow::Result<()> {
    router::cache::consumer::start(svc.transport.as_ref(), cache, svc.shutdown.clone()).await
}
