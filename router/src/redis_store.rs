//! The router's optional Redis (`ROUTER_REDIS_URL`, else `REDIS_URL`): one lazily opened,
//! auto-reconnecting connection shared by the features that must hold across router instances
//! (automatic persisted queries, rate limits). Unset means every feature keeps its state in
//! memory. A Redis that cannot be reached is logged and the caller falls back to memory.

use std::sync::Arc;

use redis::aio::ConnectionManager;
use tokio::sync::OnceCell;

#[derive(Clone, Default)]
pub struct RedisStore {
    url: Option<Arc<str>>,
    conn: Arc<OnceCell<Option<ConnectionManager>>>,
}

impl RedisStore {
    pub fn new(url: Option<String>) -> Self {
        RedisStore {
            url: url.map(Arc::from),
            conn: Arc::new(OnceCell::new()),
        }
    }

    pub fn is_configured(&self) -> bool {
        self.url.is_some()
    }

    /// The shared connection, opened on first use; `None` when unset or unreachable at start.
    pub async fn conn(&self) -> Option<ConnectionManager> {
        let url = self.url.as_deref()?;
        self.conn
            .get_or_init(|| async move {
                let client = match redis::Client::open(url) {
                    Ok(c) => c,
                    Err(e) => {
                        tracing::error!("router Redis URL is invalid: {e}");
                        return None;
                    }
                };
                match client.get_connection_manager().await {
                    Ok(c) => Some(c),
                    Err(e) => {
                        tracing::error!("router Redis unreachable, using memory: {e}");
                        None
                    }
                }
            })
            .await
            .clone()
    }
}
