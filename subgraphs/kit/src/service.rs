//! The resources one running subgraph shares with its resolvers and workers: configuration,
//! database, event transport, cache, token verifier, counters and the shutdown signal.
//! `Backends` lets the one-process launcher hand the same in-process bus and in-memory cache
//! to every subgraph it runs.

use std::sync::atomic::AtomicU64;
use std::sync::Arc;

use tokio_util::sync::CancellationToken;

use crate::auth::jwks::JwksKeys;
use crate::auth::Verifier;
use crate::cache::memory::MemoryStore;
use crate::cache::redis::RedisStore;
use crate::cache::{Cache, Store};
use crate::config::Config;
use crate::db::Db;
use crate::events::amqp::AmqpTransport;
use crate::events::memory::MemoryBus;
use crate::events::{handler, Event, EventStats, Handler, QueueSpec, Transport};

/// Embedded backends shared by all subgraphs in one process (used only when the matching URL
/// is unset).
#[derive(Clone)]
pub struct Backends {
    pub bus: Arc<MemoryBus>,
    pub store: Arc<MemoryStore>,
    pub event_stats: Arc<EventStats>,
    pub shutdown: CancellationToken,
}

impl Backends {
    pub fn new(shutdown: CancellationToken) -> Self {
        let event_stats = Arc::new(EventStats::default());
        // The bus is shared by every subgraph, so it takes the process-wide setting.
        let max_attempts = crate::config::Env::new("")
            .parse("EVENT_MAX_ATTEMPTS", 5)
            .unwrap_or(5);
        Backends {
            bus: Arc::new(MemoryBus::new(
                max_attempts,
                event_stats.clone(),
                shutdown.clone(),
            )),
            store: Arc::new(MemoryStore::default()),
            event_stats,
            shutdown,
        }
    }
}

#[derive(Default, Debug)]
pub struct HttpStats {
    pub requests: AtomicU64,
    pub graphql_errors: AtomicU64,
}

#[derive(Clone)]
pub struct Service {
    pub config: Arc<Config>,
    pub db: Db,
    pub transport: Arc<dyn Transport>,
    pub cache: Cache,
    pub verifier: Verifier,
    pub event_stats: Arc<EventStats>,
    pub http_stats: Arc<HttpStats>,
    pub shutdown: CancellationToken,
}

impl Service {
    /// Connects every backend the configuration names (or the embedded ones) and applies the
    /// kit's and the subgraph's migrations.
    pub async fn connect(
        config: Config,
        backends: &Backends,
        migrator: &sqlx::migrate::Migrator,
    ) -> anyhow::Result<Service> {
        let db = Db::connect(
            &config.database_url,
            &config.database_schema,
            config.database_max_connections,
        )
        .await?;
        db.migrate(&sqlx::migrate!("../../migrations/kit")).await?;
        db.migrate(migrator).await?;

        let shutdown = backends.shutdown.child_token();
        let (transport, event_stats): (Arc<dyn Transport>, _) = match &config.amqp_url {
            Some(url) => {
                let stats = Arc::new(EventStats::default());
                let amqp = AmqpTransport::new(
                    &config.service,
                    url,
                    &config.events_exchange,
                    &config.queue_prefix,
                    config.event_max_attempts,
                    stats.clone(),
                    shutdown.clone(),
                );
                (Arc::new(amqp), stats)
            }
            None => (backends.bus.clone(), backends.event_stats.clone()),
        };
        let store: Arc<dyn Store> = match &config.redis_url {
            Some(url) => Arc::new(RedisStore::connect(url).await?),
            None => backends.store.clone(),
        };
        let cache = Cache::new(store, config.cache_prefix.clone()).scoped(&config.service);
        let verifier = Verifier::new(
            Arc::new(JwksKeys::new(&config.jwks_url)),
            &config.jwt_issuer,
            &config.jwt_audience,
            config.jwt_leeway_secs,
        );
        Ok(Service {
            config: Arc::new(config),
            db,
            transport,
            cache,
            verifier,
            event_stats,
            http_stats: Arc::default(),
            shutdown,
        })
    }

    /// A new event from this service.
    pub fn event(
        &self,
        event_type: &str,
        subject: Option<String>,
        data: serde_json::Value,
    ) -> Event {
        Event::new(&self.config.service, event_type, subject, data)
    }

    /// Subscribes `handler` to events matching `spec`'s bindings.
    pub async fn consume<F, Fut>(&self, spec: QueueSpec, f: F) -> anyhow::Result<()>
    where
        F: Fn(Event) -> Fut + Send + Sync + 'static,
        Fut: std::future::Future<Output = anyhow::Result<()>> + Send + 'static,
    {
        let h: Handler = handler(f);
        self.transport.consume(spec, h).await
    }
}
