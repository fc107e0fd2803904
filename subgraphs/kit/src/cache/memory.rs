//! In-memory [`Store`](super::Store) for the embedded default: a map with per-key expiry,
//! swept lazily on access and periodically as it grows.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use parking_lot::Mutex;

use super::Store;

#[derive(Default)]
pub struct MemoryStore {
    entries: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    map: HashMap<String, (Vec<u8>, Option<Instant>)>,
    writes_since_sweep: usize,
}

impl Inner {
    fn live(&mut self, key: &str, now: Instant) -> Option<&mut (Vec<u8>, Option<Instant>)> {
        if self
            .map
            .get(key)
            .is_some_and(|(_, exp)| exp.is_some_and(|e| e <= now))
        {
            self.map.remove(key);
        }
        self.map.get_mut(key)
    }

    fn wrote(&mut self, now: Instant) {
        self.writes_since_sweep += 1;
        if self.writes_since_sweep > 1024 {
            self.writes_since_sweep = 0;
            self.map.retain(|_, (_, exp)| exp.is_none_or(|e| e > now));
        }
    }
}

#[async_trait::async_trait]
impl Store for MemoryStore {
    async fn get(&self, key: &str) -> anyhow::Result<Option<Vec<u8>>> {
        Ok(self
            .entries
            .lock()
            .live(key, Instant::now())
            .map(|(v, _)| v.clone()))
    }

    async fn set(&self, key: &str, value: &[u8], ttl: Option<Duration>) -> anyhow::Result<()> {
        let now = Instant::now();
        let mut inner = self.entries.lock();
        inner
            .map
            .insert(key.to_string(), (value.to_vec(), ttl.map(|t| now + t)));
        inner.wrote(now);
        Ok(())
    }

    async fn delete(&self, key: &str) -> anyhow::Result<()> {
        self.entries.lock().map.remove(key);
        Ok(())
    }

    async fn incr(&self, key: &str, ttl: Duration) -> anyhow::Result<u64> {
        let now = Instant::now();
        let mut inner = self.entries.lock();
        let value = match inner.live(key, now) {
            Some((bytes, _)) => {
                let n = std::str::from_utf8(bytes)
                    .ok()
                    .and_then(|s| s.parse::<u64>().ok());
                let n = n.ok_or_else(|| anyhow::anyhow!("cache key {key} is not a counter"))? + 1;
                *bytes = n.to_string().into_bytes();
                n
            }
            None => {
                inner
                    .map
                    .insert(key.to_string(), (b"1".to_vec(), Some(now + ttl)));
                1
            }
        };
        inner.wrote(now);
        Ok(value)
    }

    async fn ready(&self) -> bool {
        true
    }

    fn name(&self) -> &'static str {
        "memory"
    }
}
