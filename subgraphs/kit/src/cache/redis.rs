//! Redis [`Store`](super::Store) for production, over a reconnecting connection manager.

use std::time::Duration;

use anyhow::Context;
use redis::aio::ConnectionManager;
use redis::AsyncCommands;

use super::Store;

pub struct RedisStore {
    conn: ConnectionManager,
}

impl RedisStore {
    pub async fn connect(url: &str) -> anyhow::Result<Self> {
        let client = redis::Client::open(url).context("REDIS_URL is malformed")?;
        let conn = tokio::time::timeout(Duration::from_secs(10), client.get_connection_manager())
            .await
            .context("timed out connecting to Redis")?
            .context("cannot connect to Redis")?;
        Ok(RedisStore { conn })
    }
}

#[async_trait::async_trait]
impl Store for RedisStore {
    async fn get(&self, key: &str) -> anyhow::Result<Option<Vec<u8>>> {
        Ok(self.conn.clone().get(key).await?)
    }

    async fn set(&self, key: &str, value: &[u8], ttl: Option<Duration>) -> anyhow::Result<()> {
        let mut conn = self.conn.clone();
        match ttl {
            Some(ttl) => {
                conn.pset_ex::<_, _, ()>(key, value, ttl.as_millis().max(1) as u64)
                    .await?
            }
            None => conn.set::<_, _, ()>(key, value).await?,
        }
        Ok(())
    }

    async fn delete(&self, key: &str) -> anyhow::Result<()> {
        self.conn.clone().del::<_, ()>(key).await?;
        Ok(())
    }

    async fn incr(&self, key: &str, ttl: Duration) -> anyhow::Result<u64> {
        // INCR and a first-time-only expiry in one round trip, atomically.
        let (value,): (u64,) = redis::pipe()
            .atomic()
            .incr(key, 1u64)
            .cmd("PEXPIRE")
            .arg(key)
            .arg(ttl.as_millis().max(1) as u64)
            .arg("NX")
            .ignore()
            .query_async(&mut self.conn.clone())
            .await?;
        Ok(value)
    }

    async fn ready(&self) -> bool {
        redis::cmd("PING")
            .query_async::<String>(&mut self.conn.clone())
            .await
            .is_ok()
    }

    fn name(&self) -> &'static str {
        "redis"
    }
}
