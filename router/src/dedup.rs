//! In-flight de-duplication. Storefront traffic is many clients asking the same thing at once,
//! so identical work in flight is done once and its result shared:
//! - subgraph query fetches with the same subgraph URL, body and forwarded headers share one
//!   HTTP call and its response (`Inflight`);
//! - whole query operations with the same text, operation name, variables, forwarded headers
//!   and credentials share one execution and its serialized response (`executors::http`).
//!
//! Followers wait for the leader instead of starting their own; whatever starts after the
//! leader finished does its own work (no stale answers). Mutations never share. On by default;
//! `ROUTER_DEDUP=off` turns both off. `router_cache_events_total{cache="fetch_inflight"|
//! "operation_inflight",event="joined"}` counts the followers.

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;

use parking_lot::Mutex;
use tokio::sync::OnceCell;

use crate::subgraph_client::{SubgraphClient, SubgraphResponse};

#[derive(Debug, Clone)]
pub struct DedupConfig {
    /// `ROUTER_DEDUP` (`on`/`off`): share identical in-flight queries and query fetches; default on.
    pub enabled: bool,
}

impl Default for DedupConfig {
    fn default() -> Self {
        DedupConfig { enabled: true }
    }
}

impl DedupConfig {
    pub fn apply(&mut self, env: impl Fn(&str) -> Option<String>) -> anyhow::Result<()> {
        if let Some(v) = env("ROUTER_DEDUP") {
            self.enabled = match v.trim() {
                "on" | "true" | "1" => true,
                "off" | "false" | "0" => false,
                other => anyhow::bail!("ROUTER_DEDUP must be on or off, not {other:?}"),
            };
        }
        Ok(())
    }
}

/// Work in flight by a 128-bit key: the first caller with a key runs it (inline, in its own
/// task), and later callers with the same key wait for its result.
pub struct Joined<T> {
    running: Mutex<HashMap<u128, Arc<OnceCell<T>>>>,
}

impl<T> Default for Joined<T> {
    fn default() -> Self {
        Joined {
            running: Mutex::new(HashMap::new()),
        }
    }
}

impl<T: Clone> Joined<T> {
    /// Joins the work running under `key`, or runs `work` for later callers to join. If the
    /// caller running it goes away first, a waiting one runs its own `work` (equal, by the key)
    /// in its place. `what` names the work in the `router_cache_events_total` metric, whose
    /// `joined` event counts the callers that found it running.
    pub async fn join<F>(&self, what: &'static str, key: u128, work: impl FnOnce() -> F) -> T
    where
        F: Future<Output = T>,
    {
        let (cell, joined) = {
            let mut running = self.running.lock();
            match running.get(&key) {
                Some(cell) => (cell.clone(), true),
                None => {
                    let cell = Arc::new(OnceCell::new());
                    running.insert(key, cell.clone());
                    (cell, false)
                }
            }
        };
        if joined {
            crate::metrics::cache(what, "joined");
        }
        let out = cell.get_or_init(work).await.clone();
        // Done: later callers do their own work (no stale answers).
        let mut running = self.running.lock();
        if running.get(&key).is_some_and(|c| Arc::ptr_eq(c, &cell)) {
            running.remove(&key);
        }
        out
    }
}

type Outcome = Result<Arc<SubgraphResponse>, String>;

/// Subgraph fetches in flight, by a 128-bit hash of (URL, body, forwarded headers).
#[derive(Default)]
pub struct Inflight {
    fetches: Joined<Outcome>,
}

/// Is this subgraph operation a mutation? (Planner documents start with their operation kind.)
pub fn is_mutation(query: &str) -> bool {
    query.trim_start().starts_with("mutation")
}

fn key(url: &str, body: &[u8], headers: &[(String, String)]) -> u128 {
    let mut h = xxhash_rust::xxh3::Xxh3::new();
    for part in [url.as_bytes(), body] {
        h.update(&(part.len() as u64).to_le_bytes());
        h.update(part);
    }
    for (k, v) in headers {
        for part in [k.as_bytes(), v.as_bytes()] {
            h.update(&(part.len() as u64).to_le_bytes());
            h.update(part);
        }
    }
    h.digest128()
}

impl Inflight {
    /// Joins an identical fetch in flight, or starts one that later identical fetches join.
    pub async fn fetch(
        &self,
        client: &SubgraphClient,
        subgraph: &str,
        url: &str,
        body: Vec<u8>,
        headers: &[(String, String)],
    ) -> Outcome {
        let key = key(url, &body, headers);
        // Every waiter reads the one response; the executor copies only what it merges.
        self.fetches
            .join("fetch_inflight", key, || {
                // Boxed: an HTTP call's future is large, and inline it would grow every
                // execution future that awaits a fetch (measured: +3% instructions per request).
                Box::pin(async move {
                    client
                        .fetch(subgraph, url, body, headers)
                        .await
                        .map(Arc::new)
                })
            })
            .await
    }
}
