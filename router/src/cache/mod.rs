//! Response caching in the router: `_entities` results per entity and root-field results per
//! arguments, for what the subgraphs declare cacheable with `@cacheControl` (`policy`), in a
//! bounded in-memory store (`store`), dropped by the subgraphs' events (`invalidate`), with
//! `Cache-Control`/`ETag` on the HTTP response (`headers`). With a Redis configured
//! (`ROUTER_REDIS_URL`, else `REDIS_URL`) the entries live there instead (`redis_tier`), so every
//! router instance shares them and an invalidation on one is seen by all; a Redis unreachable at
//! start leaves the cache in memory.
//!
//! A key is (subgraph, subgraph operation text — so the selection —, its variables or the one
//! entity representation, and the headers the router forwards to subgraphs). Anonymous callers
//! therefore share entries, while a signed-in caller's entries are keyed by their own
//! `Authorization`: data that depends on the caller (PRIVATE, or staff-only fields a PUBLIC type
//! shows its staff) never crosses callers. Responses with errors are never stored.
//!
//! Entries are dropped by the subgraphs' events (exactly the entities they name), and every
//! entry of a subgraph when a mutation passes through this router to it (so a writer reads its
//! own write without waiting for the event); `maxAge` is only the safety net.
//!
//! Settings (`ROUTER_CACHE`, `ROUTER_CACHE_MAX_ENTRIES`, `ROUTER_CACHE_REDIS`,
//! `ROUTER_CACHE_PREFIX`): see `router/README.md`.

pub mod consumer;
pub mod headers;
pub mod invalidate;
pub mod policy;
pub mod redis_tier;
pub mod store;

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Map, Value};

use crate::redis_store::RedisStore;
use crate::response::GraphQLError;
use crate::subgraph_client::SubgraphResponse;
use policy::{Fetch, Policy, Rule};
use redis_tier::{Put, RedisTier};
use store::{Found, Store};

/// `ROUTER_CACHE` (`on`/`off`, default on), `ROUTER_CACHE_MAX_ENTRIES` (default 100000), and the
/// shared tier: `ROUTER_CACHE_REDIS` (`on`/`off`, default on: Redis when a URL is set) with the
/// router's Redis URL, keys under `ROUTER_CACHE_PREFIX` (else `CACHE_PREFIX`, else `shop`).
/// The store lives here so that it outlives supergraph reloads and so that the process running
/// the router (the launcher) can feed it invalidations (`Cache::invalidate_event`).
#[derive(Clone)]
pub struct CacheConfig {
    pub enabled: bool,
    pub max_entries: usize,
    /// The Redis the entries live in (`None`: memory).
    pub redis_url: Option<String>,
    pub prefix: String,
    pub cache: Arc<Cache>,
}

impl std::fmt::Debug for CacheConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CacheConfig")
            .field("enabled", &self.enabled)
            .field("max_entries", &self.max_entries)
            .field("redis", &self.redis_url.is_some())
            .field("prefix", &self.prefix)
            .finish()
    }
}

impl Default for CacheConfig {
    fn default() -> Self {
        let max_entries = 100_000;
        CacheConfig {
            enabled: true,
            max_entries,
            redis_url: None,
            prefix: "shop".into(),
            cache: Arc::new(Cache::new(max_entries)),
        }
    }
}

impl CacheConfig {
    /// Applies `ROUTER_CACHE*` read through `env`.
    pub fn apply(&mut self, env: &dyn Fn(&str) -> Option<String>) -> anyhow::Result<()> {
        if let Some(v) = env("ROUTER_CACHE") {
            self.enabled = match v.trim() {
                "on" | "true" | "1" => true,
                "off" | "false" | "0" => false,
                other => anyhow::bail!("ROUTER_CACHE: expected on or off, got {other:?}"),
            };
        }
        if let Some(v) = env("ROUTER_CACHE_MAX_ENTRIES") {
            let n: usize = v
                .trim()
                .parse()
                .map_err(|e| anyhow::anyhow!("ROUTER_CACHE_MAX_ENTRIES: {e}"))?;
            if n == 0 {
                anyhow::bail!("ROUTER_CACHE_MAX_ENTRIES: must be at least 1");
            }
            self.max_entries = n;
        }
        let shared = match env("ROUTER_CACHE_REDIS").as_deref().map(str::trim) {
            None | Some("on" | "true" | "1") => true,
            Some("off" | "false" | "0") => false,
            Some(other) => anyhow::bail!("ROUTER_CACHE_REDIS: expected on or off, got {other:?}"),
        };
        if let Some(p) = env("ROUTER_CACHE_PREFIX").or_else(|| env("CACHE_PREFIX")) {
            self.prefix = p.trim().to_string();
        }
        self.redis_url = env("ROUTER_REDIS_URL")
            .or_else(|| env("REDIS_URL"))
            .filter(|u| shared && !u.trim().is_empty());
        self.cache = Arc::new(Cache::with_redis(
            self.max_entries,
            self.redis_url.clone(),
            &self.prefix,
        ));
        Ok(())
    }

    /// Keeps the entries in the Redis at `url` under `prefix` (shared with every router using
    /// the same two), or in memory with `None`.
    pub fn use_redis(&mut self, url: Option<String>, prefix: &str) {
        self.redis_url = url;
        self.prefix = prefix.to_string();
        self.cache = Arc::new(Cache::with_redis(
            self.max_entries,
            self.redis_url.clone(),
            prefix,
        ));
    }

    /// Bounds the in-memory store at `n` entries.
    pub fn set_max_entries(&mut self, n: usize) {
        self.max_entries = n.max(1);
        self.cache = Arc::new(Cache::with_redis(
            self.max_entries,
            self.redis_url.clone(),
            &self.prefix,
        ));
    }

    /// The cache a supergraph's requests use: none when off or when nothing is declared.
    pub fn bind(&self, doc: &graphql_tools::static_graphql::schema::Document) -> Option<Bound> {
        if !self.enabled {
            return None;
        }
        let policy = Policy::new(doc);
        (!policy.is_empty()).then(|| Bound {
            cache: self.cache.clone(),
            policy,
        })
    }
}

/// The process's cache store (memory, or Redis when configured and reachable), with the recent
/// event-to-invalidation lags.
pub struct Cache {
    store: Store,
    redis: Option<(RedisStore, RedisTier)>,
    lags: parking_lot::Mutex<std::collections::VecDeque<f64>>,
}

/// The invalidation count a lookup saw, handed back when storing what the fetch returned.
enum Epoch {
    Memory(u64),
    Redis(String),
}

/// Lags kept for the percentile (the most recent ones).
const LAGS_KEPT: usize = 10_000;

impl Cache {
    pub fn new(max_entries: usize) -> Self {
        Self::with_redis(max_entries, None, "shop")
    }

    /// A cache in the Redis at `url` (keys under `prefix`), else in memory bounded at
    /// `max_entries`.
    pub fn with_redis(max_entries: usize, url: Option<String>, prefix: &str) -> Self {
        Cache {
            store: Store::new(max_entries),
            redis: url.map(|u| (RedisStore::new(Some(u)), RedisTier::new(prefix))),
            lags: Default::default(),
        }
    }

    async fn redis(&self) -> Option<(redis::aio::ConnectionManager, &RedisTier)> {
        let (store, tier) = self.redis.as_ref()?;
        Some((store.conn().await?, tier))
    }

    /// Each key's value, and the epoch to store under (`None`: do not store).
    async fn lookup(&self, keys: &[u128]) -> (Option<Epoch>, Vec<Option<Arc<Value>>>) {
        if let Some((mut conn, tier)) = self.redis().await {
            return match tier.get(&mut conn, keys).await {
                Some((epoch, values)) => (Some(Epoch::Redis(epoch)), values),
                None => (None, vec![None; keys.len()]),
            };
        }
        let epoch = self.store.epoch();
        let values = keys
            .iter()
            .map(|k| match self.store.get(*k) {
                Found::Hit(v) => Some(v),
                Found::Miss => None,
            })
            .collect();
        (Some(Epoch::Memory(epoch)), values)
    }

    /// Stores `entries` unless an invalidation happened since the lookup that saw `epoch`.
    async fn keep(&self, epoch: Option<Epoch>, entries: Vec<Put>) {
        match epoch {
            None => {}
            Some(Epoch::Memory(epoch)) => {
                let now = Instant::now();
                for p in entries {
                    if self.store.put(p.key, p.value, now + p.ttl, p.tags, epoch) {
                        record("evict");
                    }
                }
            }
            Some(Epoch::Redis(epoch)) => {
                if let Some((mut conn, tier)) = self.redis().await {
                    tier.put(&mut conn, &epoch, entries).await;
                }
            }
        }
    }

    /// Drops every entry carrying one of `tags` (in memory and in Redis); returns how many.
    pub async fn invalidate(&self, tags: &[String]) -> usize {
        let mut dropped = self.store.invalidate(tags);
        if let Some((mut conn, tier)) = self.redis().await {
            dropped += tier.invalidate(&mut conn, tags).await.unwrap_or(0);
        }
        dropped
    }

    /// Records how long after its event (its `time`) an invalidation happened.
    pub fn record_lag(&self, seconds: f64) {
        let mut lags = self.lags.lock();
        if lags.len() == LAGS_KEPT {
            lags.pop_front();
        }
        lags.push_back(seconds.max(0.0));
    }

    /// The `q` quantile (0..=1) of the recent event-to-invalidation lags, in seconds, and how
    /// many there are.
    pub fn lag_quantile(&self, q: f64) -> Option<(f64, usize)> {
        let mut lags: Vec<f64> = self.lags.lock().iter().copied().collect();
        if lags.is_empty() {
            return None;
        }
        lags.sort_by(f64::total_cmp);
        let i = ((lags.len() as f64 - 1.0) * q.clamp(0.0, 1.0)).round() as usize;
        Some((lags[i], lags.len()))
    }

    /// Drops the entries a subgraph event makes stale (see `invalidate`); returns how many.
    pub async fn invalidate_event(
        &self,
        event_type: &str,
        source: &str,
        subject: Option<&str>,
        data: &Value,
    ) -> usize {
        let tags = invalidate::tags(event_type, source, subject, data);
        let dropped = self.invalidate(&tags).await;
        for _ in 0..dropped {
            crate::metrics::cache("response", "invalidate");
        }
        dropped
    }

    /// Entries held in memory now (with Redis, Redis holds them).
    pub fn len(&self) -> usize {
        self.store.len()
    }

    pub fn is_empty(&self) -> bool {
        self.store.is_empty()
    }
}

/// The cache with one supergraph's `@cacheControl` rules.
pub struct Bound {
    cache: Arc<Cache>,
    policy: Policy,
}

fn hasher(service: &str, query: &str, headers: &[(String, String)]) -> xxhash_rust::xxh3::Xxh3 {
    let mut h = xxhash_rust::xxh3::Xxh3::new();
    for part in [service, query] {
        h.update(part.as_bytes());
        h.update(&[0xff]);
    }
    for (k, v) in headers {
        h.update(k.as_bytes());
        h.update(&[0xfe]);
        h.update(v.as_bytes());
        h.update(&[0xff]);
    }
    h
}

fn feed(h: &mut xxhash_rust::xxh3::Xxh3, v: &Value) {
    // serde_json keeps object keys in insertion order here, which is the planner's order for a
    // given operation, so equal inputs hash equal.
    let _ = serde_json::to_writer(Feed(h), v);
    h.update(&[0xfd]);
}

struct Feed<'a>(&'a mut xxhash_rust::xxh3::Xxh3);

impl std::io::Write for Feed<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.update(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// `<Type>:<id>` of every object in `v` that says both.
fn entity_tags(v: &Value, out: &mut Vec<Arc<str>>) {
    match v {
        Value::Object(m) => {
            if let (Some(Value::String(t)), Some(Value::String(id))) =
                (m.get("__typename"), m.get("id"))
            {
                out.push(Arc::from(format!("{t}:{id}")));
            }
            for child in m.values() {
                entity_tags(child, out);
            }
        }
        Value::Array(items) => items.iter().for_each(|i| entity_tags(i, out)),
        _ => {}
    }
}

fn record(event: &str) {
    crate::metrics::cache("response", event);
}

impl Bound {
    /// Does the cache take part in this subgraph operation? When it does not (a subscription,
    /// an undeclared field), the caller may send it its own way; the operation's
    /// `Cache-Control` is told it has an uncacheable part, as `fetch` would.
    pub fn consults(&self, query: &str) -> bool {
        let consults = !matches!(*self.policy.analyse(query), Fetch::Uncacheable);
        if !consults {
            headers::report_uncacheable();
        }
        consults
    }

    /// Answers one subgraph fetch from the cache where it can, sending (only the misses of)
    /// the rest with `send`, and reports the fetch's rule for the response headers.
    pub async fn fetch<F, Fut>(
        &self,
        service: &str,
        query: &str,
        vars: Map<String, Value>,
        headers: &[(String, String)],
        send: F,
    ) -> Result<Arc<SubgraphResponse>, GraphQLError>
    where
        F: FnOnce(Map<String, Value>) -> Fut,
        Fut: Future<Output = Result<Arc<SubgraphResponse>, GraphQLError>>,
    {
        match &*self.policy.analyse(query) {
            Fetch::Uncacheable => {
                headers::report_uncacheable();
                send(vars).await
            }
            Fetch::Mutation => {
                headers::report_uncacheable();
                let result = send(vars).await;
                self.cache
                    .invalidate(&[format!("subgraph:{service}")])
                    .await;
                result
            }
            Fetch::Root(rule) => self.root(*rule, service, query, vars, headers, send).await,
            Fetch::Entities(by_fields) => {
                self.entities(by_fields, service, query, vars, headers, send)
                    .await
            }
        }
    }

    async fn root<F, Fut>(
        &self,
        rule: Rule,
        service: &str,
        query: &str,
        vars: Map<String, Value>,
        headers: &[(String, String)],
        send: F,
    ) -> Result<Arc<SubgraphResponse>, GraphQLError>
    where
        F: FnOnce(Map<String, Value>) -> Fut,
        Fut: Future<Output = Result<Arc<SubgraphResponse>, GraphQLError>>,
    {
        let mut h = hasher(service, query, headers);
        feed(&mut h, &Value::Object(vars.clone()));
        let key = h.digest128();
        let (epoch, mut found) = self.cache.lookup(&[key]).await;
        if let Some(v) = found.pop().flatten() {
            record("hit");
            headers::report(rule);
            return Ok(Arc::new(SubgraphResponse {
                data: Some((*v).clone()),
                errors: Vec::new(),
            }));
        }
        record("miss");
        let resp = send(vars).await?;
        match &resp.data {
            Some(data) if resp.errors.is_empty() => {
                let mut tags = vec![
                    Arc::from(format!("source:{service}")),
                    Arc::from(format!("subgraph:{service}")),
                ];
                entity_tags(data, &mut tags);
                let put = Put {
                    key,
                    value: Arc::new(data.clone()),
                    ttl: Duration::from_secs(rule.max_age_secs.into()),
                    tags,
                };
                self.cache.keep(epoch, vec![put]).await;
                headers::report(rule);
            }
            _ => headers::report_uncacheable(),
        }
        Ok(resp)
    }

    async fn entities<F, Fut>(
        &self,
        by_fields: &std::collections::HashMap<String, Rule>,
        service: &str,
        query: &str,
        mut vars: Map<String, Value>,
        headers: &[(String, String)],
        send: F,
    ) -> Result<Arc<SubgraphResponse>, GraphQLError>
    where
        F: FnOnce(Map<String, Value>) -> Fut,
        Fut: Future<Output = Result<Arc<SubgraphResponse>, GraphQLError>>,
    {
        let reps = match vars.remove("representations") {
            Some(Value::Array(reps)) => reps,
            other => {
                if let Some(v) = other {
                    vars.insert("representations".into(), v);
                }
                headers::report_uncacheable();
                return send(vars).await;
            }
        };
        // Every representation needs a declared type and an `id` to be tagged by.
        let subgraph_tag: Arc<str> = Arc::from(format!("subgraph:{service}"));
        let mut rule: Option<Rule> = None;
        let mut tags = Vec::with_capacity(reps.len());
        for rep in &reps {
            let typename = rep.get("__typename").and_then(Value::as_str);
            let id = rep.get("id").and_then(Value::as_str);
            let declared =
                typename.and_then(|t| self.policy.entity(t).or_else(|| by_fields.get(t).copied()));
            match (declared, typename, id) {
                (Some(r), Some(t), Some(id)) => {
                    rule = Some(rule.map_or(r, |acc| acc.and(r)));
                    tags.push(Arc::<str>::from(format!("{t}:{id}")));
                }
                _ => {
                    rule = None;
                    break;
                }
            }
        }
        let Some(rule) = rule else {
            vars.insert("representations".into(), Value::Array(reps));
            headers::report_uncacheable();
            return send(vars).await;
        };
        let base = {
            let mut h = hasher(service, query, headers);
            feed(&mut h, &Value::Object(vars.clone()));
            h
        };
        let keys: Vec<u128> = reps
            .iter()
            .map(|rep| {
                let mut h = base.clone();
                feed(&mut h, rep);
                h.digest128()
            })
            .collect();
        let (epoch, looked) = self.cache.lookup(&keys).await;
        let mut found: Vec<Option<Value>> = Vec::with_capacity(reps.len());
        let mut misses = Vec::new();
        for (i, value) in looked.into_iter().enumerate() {
            match value {
                Some(v) => {
                    record("hit");
                    found.push(Some((*v).clone()));
                }
                None => {
                    record("miss");
                    found.push(None);
                    misses.push(i);
                }
            }
        }
        headers::report(rule);
        if misses.is_empty() {
            let all = found.into_iter().map(Option::unwrap_or_default).collect();
            return Ok(entities_response(all, Vec::new()));
        }
        let miss_reps: Vec<Value> = misses.iter().map(|&i| reps[i].clone()).collect();
        vars.insert("representations".into(), Value::Array(miss_reps));
        let resp = send(vars).await?;
        let fetched = resp
            .data
            .as_ref()
            .and_then(|d| d.get("_entities"))
            .and_then(Value::as_array)
            .filter(|a| a.len() == misses.len());
        let Some(fetched) = fetched else {
            // Not the shape asked for: nothing to store; if every entity was a miss the
            // response is the subgraph's own, else its errors with the misses left null.
            headers::report_uncacheable();
            if misses.len() == reps.len() {
                return Ok(resp);
            }
            let all = found.into_iter().map(Option::unwrap_or_default).collect();
            return Ok(entities_response(all, resp.errors.clone()));
        };
        // Entities an error points at are not stored.
        let errored: std::collections::HashSet<usize> = resp
            .errors
            .iter()
            .filter_map(|e| e.get("path")?.get(1)?.as_u64())
            .map(|i| i as usize)
            .collect();
        let unplaced = resp.errors.iter().any(|e| e.get("path").is_none());
        let ttl = Duration::from_secs(rule.max_age_secs.into());
        let mut puts = Vec::with_capacity(misses.len());
        for (j, &i) in misses.iter().enumerate() {
            let value = fetched[j].clone();
            if !unplaced && !errored.contains(&j) && !value.is_null() {
                puts.push(Put {
                    key: keys[i],
                    value: Arc::new(value.clone()),
                    ttl,
                    tags: vec![tags[i].clone(), subgraph_tag.clone()],
                });
            }
            found[i] = Some(value);
        }
        self.cache.keep(epoch, puts).await;
        if !resp.errors.is_empty() {
            headers::report_uncacheable();
        }
        // Error paths index the misses; point them at the entities' places in the full list.
        let errors = resp
            .errors
            .iter()
            .cloned()
            .map(|mut e| {
                if let Some(slot) = e.get_mut("path").and_then(|p| p.get_mut(1)) {
                    if let Some(j) = slot.as_u64().map(|j| j as usize) {
                        if let Some(&i) = misses.get(j) {
                            *slot = Value::from(i);
                        }
                    }
                }
                e
            })
            .collect();
        let all = found.into_iter().map(Option::unwrap_or_default).collect();
        Ok(entities_response(all, errors))
    }
}

fn entities_response(entities: Vec<Value>, errors: Vec<Value>) -> Arc<SubgraphResponse> {
    let mut data = Map::new();
    data.insert("_entities".into(), Value::Array(entities));
    Arc::new(SubgraphResponse {
        data: Some(Value::Object(data)),
        errors,
    })
}
