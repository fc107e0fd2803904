//! The cache / ephemeral store: one trait with a Redis implementation for production and an
//! in-memory one for the embedded default. Keys are namespaced per service and deployment.
//! Rate limits (`rate_limit`) are built on it.

pub mod memory;
pub mod rate_limit;
pub mod redis;

use std::sync::Arc;
use std::time::Duration;

#[async_trait::async_trait]
pub trait Store: Send + Sync {
    async fn get(&self, key: &str) -> anyhow::Result<Option<Vec<u8>>>;
    async fn set(&self, key: &str, value: &[u8], ttl: Option<Duration>) -> anyhow::Result<()>;
    async fn delete(&self, key: &str) -> anyhow::Result<()>;
    /// Increments a counter, creating it with `ttl` if absent; returns the new value.
    async fn incr(&self, key: &str, ttl: Duration) -> anyhow::Result<u64>;
    async fn ready(&self) -> bool;
    fn name(&self) -> &'static str;
}

/// A namespaced handle on a [`Store`].
#[derive(Clone)]
pub struct Cache {
    store: Arc<dyn Store>,
    prefix: String,
}

impl Cache {
    pub fn new(store: Arc<dyn Store>, prefix: impl Into<String>) -> Self {
        Cache {
            store,
            prefix: prefix.into(),
        }
    }

    /// The same store under a further namespace (e.g. the service name).
    pub fn scoped(&self, scope: &str) -> Cache {
        Cache {
            store: self.store.clone(),
            prefix: format!("{}:{scope}", self.prefix),
        }
    }

    fn key(&self, key: &str) -> String {
        format!("{}:{key}", self.prefix)
    }

    pub async fn get(&self, key: &str) -> anyhow::Result<Option<Vec<u8>>> {
        self.store.get(&self.key(key)).await
    }
    pub async fn set(&self, key: &str, value: &[u8], ttl: Option<Duration>) -> anyhow::Result<()> {
        self.store.set(&self.key(key), value, ttl).await
    }
    pub async fn delete(&self, key: &str) -> anyhow::Result<()> {
        self.store.delete(&self.key(key)).await
    }
    pub async fn incr(&self, key: &str, ttl: Duration) -> anyhow::Result<u64> {
        self.store.incr(&self.key(key), ttl).await
    }
    pub async fn ready(&self) -> bool {
        self.store.ready().await
    }
    pub fn backend(&self) -> &'static str {
        self.store.name()
    }
}
