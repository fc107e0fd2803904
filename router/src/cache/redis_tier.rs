//! The response cache in Redis, shared by every router instance pointed at the same Redis and
//! key prefix: entries are JSON strings with a millisecond TTL (`maxAge`), each tag a Redis set
//! of the entry keys carrying it, and one epoch counter. An invalidation bumps the epoch and
//! drops the tagged entries in one script; a store is one script that first checks the epoch
//! read with the lookup, so a fetch that began before an invalidation on *any* instance does not
//! store what it read. A lookup reads the epoch and all the keys in one `MGET`.
//!
//! The scripts name their keys in ARGV, so this is for a single Redis (or a primary with
//! replicas), not Redis Cluster.

use std::sync::Arc;
use std::time::Duration;

use redis::aio::ConnectionManager;
use serde_json::Value;

/// How long a cache lookup may wait for Redis before the fetch goes to the subgraph instead.
const TIMEOUT: Duration = Duration::from_millis(500);

const PUT: &str = r#"
local cur = redis.call('GET', KEYS[1]) or '0'
if cur ~= ARGV[1] then return 0 end
local i = 3
for _ = 1, tonumber(ARGV[2]) do
  local k, ttl, v, nt = ARGV[i], tonumber(ARGV[i + 1]), ARGV[i + 2], tonumber(ARGV[i + 3])
  redis.call('SET', k, v, 'PX', ttl)
  for t = 1, nt do
    local tk = ARGV[i + 3 + t]
    redis.call('SADD', tk, k)
    if redis.call('PTTL', tk) < ttl then redis.call('PEXPIRE', tk, ttl) end
  end
  i = i + 4 + nt
end
return 1
"#;

const INVALIDATE: &str = r#"
redis.call('INCR', KEYS[1])
local n = 0
for _, tk in ipairs(ARGV) do
  local keys = redis.call('SMEMBERS', tk)
  for j = 1, #keys, 500 do
    n = n + redis.call('DEL', unpack(keys, j, math.min(j + 499, #keys)))
  end
  redis.call('DEL', tk)
end
return n
"#;

/// One entry to store.
pub struct Put {
    pub key: u128,
    pub value: Arc<Value>,
    pub ttl: Duration,
    pub tags: Vec<Arc<str>>,
}

pub struct RedisTier {
    prefix: String,
    put: redis::Script,
    invalidate: redis::Script,
}

impl RedisTier {
    /// Keys live under `<prefix>:router-cache:`.
    pub fn new(prefix: &str) -> Self {
        RedisTier {
            prefix: format!("{prefix}:router-cache:"),
            put: redis::Script::new(PUT),
            invalidate: redis::Script::new(INVALIDATE),
        }
    }

    fn epoch_key(&self) -> String {
        format!("{}epoch", self.prefix)
    }

    fn entry_key(&self, key: u128) -> String {
        format!("{}e:{key:032x}", self.prefix)
    }

    fn tag_key(&self, tag: &str) -> String {
        format!("{}t:{tag}", self.prefix)
    }

    /// The epoch now and each key's value; `None` when Redis failed (then nothing is stored).
    pub async fn get(
        &self,
        conn: &mut ConnectionManager,
        keys: &[u128],
    ) -> Option<(String, Vec<Option<Arc<Value>>>)> {
        let mut cmd = redis::cmd("MGET");
        cmd.arg(self.epoch_key());
        for k in keys {
            cmd.arg(self.entry_key(*k));
        }
        let reply: Vec<Option<Vec<u8>>> =
            match tokio::time::timeout(TIMEOUT, cmd.query_async(conn)).await {
                Ok(Ok(r)) => r,
                Ok(Err(e)) => {
                    tracing::warn!("response cache lookup in Redis failed: {e}");
                    return None;
                }
                Err(_) => {
                    tracing::warn!("response cache lookup in Redis timed out");
                    return None;
                }
            };
        let mut reply = reply.into_iter();
        let epoch = reply
            .next()
            .flatten()
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .unwrap_or_else(|| "0".into());
        let values = reply
            .map(|v| {
                v.and_then(|bytes| serde_json::from_slice::<Value>(&bytes).ok())
                    .map(Arc::new)
            })
            .collect();
        Some((epoch, values))
    }

    /// Stores `entries` unless the epoch moved from `epoch` (read by the lookup).
    pub async fn put(&self, conn: &mut ConnectionManager, epoch: &str, entries: Vec<Put>) {
        if entries.is_empty() {
            return;
        }
        let mut inv = self.put.key(self.epoch_key());
        inv.arg(epoch).arg(entries.len());
        for e in &entries {
            let Ok(json) = serde_json::to_vec(&*e.value) else {
                return;
            };
            inv.arg(self.entry_key(e.key))
                .arg(e.ttl.as_millis().max(1) as u64)
                .arg(json)
                .arg(e.tags.len());
            for t in &e.tags {
                inv.arg(self.tag_key(t));
            }
        }
        let stored: redis::RedisResult<i64> = inv.invoke_async(conn).await;
        if let Err(e) = stored {
            tracing::warn!("response cache store in Redis failed: {e}");
        }
    }

    /// Drops every entry carrying one of `tags`; returns how many (`None`: Redis failed).
    pub async fn invalidate(&self, conn: &mut ConnectionManager, tags: &[String]) -> Option<usize> {
        let mut inv = self.invalidate.key(self.epoch_key());
        for t in tags {
            inv.arg(self.tag_key(t));
        }
        match inv.invoke_async::<i64>(conn).await {
            Ok(n) => Some(n.max(0) as usize),
            Err(e) => {
                tracing::error!("response cache invalidation in Redis failed: {e}");
                None
            }
        }
    }
}
