//! In-flight fetch de-duplication: identical subgraph query fetches (same subgraph URL, same
//! body, same forwarded headers) from concurrent client requests share one HTTP call and its
//! response. Storefront traffic is many clients asking the same thing at once; the followers
//! wait for the leader's fetch instead of sending their own. Mutations never share. On by
//! default; `ROUTER_DEDUP=off` turns it off.

use std::collections::HashMap;
use std::sync::Arc;

use futures_util::future::{BoxFuture, FutureExt, Shared};
use parking_lot::Mutex;

use crate::subgraph_client::{SubgraphClient, SubgraphResponse};

#[derive(Debug, Clone)]
pub struct DedupConfig {
    /// `ROUTER_DEDUP` (`on`/`off`): share identical in-flight query fetches; default on.
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

type Outcome = Result<Arc<SubgraphResponse>, String>;

/// Fetches in flight, by a 128-bit hash of (URL, body, forwarded headers).
#[derive(Default)]
pub struct Inflight {
    fetches: Mutex<HashMap<u128, Shared<BoxFuture<'static, Outcome>>>>,
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
        self: &Arc<Self>,
        client: &SubgraphClient,
        subgraph: &str,
        url: &str,
        body: Vec<u8>,
        headers: &[(String, String)],
    ) -> Outcome {
        let key = key(url, &body, headers);
        let shared = {
            let mut fetches = self.fetches.lock();
            fetches
                .entry(key)
                .or_insert_with(|| {
                    let (client, subgraph, url, headers) = (
                        client.clone(),
                        subgraph.to_string(),
                        url.to_string(),
                        headers.to_vec(),
                    );
                    let inflight = Arc::downgrade(self);
                    async move {
                        let out = client
                            .fetch(&subgraph, &url, body, &headers)
                            .await
                            .map(Arc::new);
                        // Done: later requests send their own fetch (no stale answers).
                        if let Some(inflight) = inflight.upgrade() {
                            inflight.fetches.lock().remove(&key);
                        }
                        out
                    }
                    .boxed()
                    .shared()
                })
                .clone()
        };
        // Every waiter reads the one response; the executor copies only what it merges.
        shared.await
    }
}
