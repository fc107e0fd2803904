//! Persisted operations. Automatic persisted queries (APQ): a client sends
//! `extensions.persistedQuery {version: 1, sha256Hash}`; an unknown hash is answered
//! `PERSISTED_QUERY_NOT_FOUND`, the client retries with the text, which is verified against the
//! hash and stored (bounded LRU in memory, and in Redis when configured so every router instance
//! knows it), and later requests send the hash alone. Trusted documents: a manifest file of
//! id → document (a plain JSON object, as Relay writes it, or Apollo's persisted query manifest),
//! looked up by `extensions.persistedQuery.sha256Hash` or a top-level `documentId`. With
//! `trusted_only`, only manifest operations run: free text (unless it is exactly a manifest
//! document) and APQ registration are refused.

use std::collections::{HashMap, HashSet};
use std::num::NonZeroUsize;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use lru::LruCache;
use parking_lot::Mutex;
use serde::Deserialize;
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::pipeline::GraphQLRequest;
use crate::redis_store::RedisStore;
use crate::response::GraphQLError;

/// `[persisted_queries]` in the config file; `ROUTER_APQ*`, `ROUTER_PERSISTED_*` in the env.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PersistedConfig {
    /// `ROUTER_APQ` (`on`/`off`): automatic persisted queries; default on.
    pub apq: bool,
    /// `ROUTER_APQ_CACHE_SIZE`: documents kept in memory.
    pub apq_cache_size: usize,
    /// `ROUTER_APQ_TTL_SECS`: how long Redis keeps a registered document.
    pub apq_ttl_secs: u64,
    /// `ROUTER_PERSISTED_MANIFEST`: trusted documents file (JSON).
    pub manifest: Option<PathBuf>,
    /// `ROUTER_PERSISTED_QUERIES_ONLY` (`on`/`off`): accept only manifest operations.
    pub trusted_only: bool,
}

impl Default for PersistedConfig {
    fn default() -> Self {
        PersistedConfig {
            apq: true,
            apq_cache_size: 1000,
            apq_ttl_secs: 24 * 3600,
            manifest: None,
            trusted_only: false,
        }
    }
}

impl PersistedConfig {
    pub fn apply_vars(&mut self, env: &dyn Fn(&str) -> Option<String>) -> anyhow::Result<()> {
        if let Some(v) = env("ROUTER_APQ") {
            self.apq = crate::limits::parse_switch("ROUTER_APQ", &v)?;
        }
        if let Some(v) = env("ROUTER_APQ_CACHE_SIZE") {
            self.apq_cache_size = v
                .parse()
                .map_err(|e| anyhow::anyhow!("ROUTER_APQ_CACHE_SIZE={v:?}: {e}"))?;
        }
        if let Some(v) = env("ROUTER_APQ_TTL_SECS") {
            self.apq_ttl_secs = v
                .parse()
                .map_err(|e| anyhow::anyhow!("ROUTER_APQ_TTL_SECS={v:?}: {e}"))?;
        }
        if let Some(v) = env("ROUTER_PERSISTED_MANIFEST") {
            self.manifest = Some(v.into());
        }
        if let Some(v) = env("ROUTER_PERSISTED_QUERIES_ONLY") {
            self.trusted_only = crate::limits::parse_switch("ROUTER_PERSISTED_QUERIES_ONLY", &v)?;
        }
        Ok(())
    }
}

/// Reads a manifest: `{ "<id>": "<document>" }` or Apollo's
/// `{ "format": "apollo-persisted-query-manifest", "operations": [{ "id", "body" }] }`.
pub fn parse_manifest(text: &str) -> anyhow::Result<HashMap<String, String>> {
    let value: Value = serde_json::from_str(text)?;
    if let Some(ops) = value.get("operations").and_then(Value::as_array) {
        return ops
            .iter()
            .map(|op| {
                let id = op.get("id").and_then(Value::as_str);
                let body = op.get("body").and_then(Value::as_str);
                match (id, body) {
                    (Some(id), Some(body)) => Ok((id.to_string(), body.to_string())),
                    _ => anyhow::bail!("manifest operation without a string id and body: {op}"),
                }
            })
            .collect();
    }
    let Value::Object(map) = value else {
        anyhow::bail!("manifest must be a JSON object of id → document");
    };
    map.into_iter()
        .map(|(id, doc)| match doc {
            Value::String(s) => Ok((id, s)),
            other => anyhow::bail!("manifest entry {id:?} is not a string: {other}"),
        })
        .collect()
}

/// `PERSISTED_QUERY_NOT_FOUND` is 200, as APQ clients expect before resending the text; every
/// other refusal is a 400.
pub fn status(error: &GraphQLError) -> axum::http::StatusCode {
    let code = error.extensions.as_ref().and_then(|e| e.get("code"));
    if code.and_then(Value::as_str) == Some("PERSISTED_QUERY_NOT_FOUND") {
        axum::http::StatusCode::OK
    } else {
        axum::http::StatusCode::BAD_REQUEST
    }
}

pub fn sha256_hex(text: &str) -> String {
    let digest = Sha256::digest(text.as_bytes());
    let mut out = String::with_capacity(64);
    for b in digest {
        out.push_str(&format!("{b:02x}"));
    }
    out
}

pub struct Persisted {
    config: PersistedConfig,
    apq: Mutex<LruCache<String, Arc<str>>>,
    trusted: HashMap<String, String>,
    /// SHA-256 of every trusted document, so its exact text is accepted in trusted-only mode.
    trusted_texts: HashSet<String>,
    redis: RedisStore,
}

fn error(code: &str, message: &str) -> GraphQLError {
    GraphQLError::new(message).code(code)
}

impl Persisted {
    /// Like `new`, but a manifest that cannot be read leaves no trusted documents (so
    /// trusted-only mode refuses everything: it fails closed). `serve` calls `new` first, so a
    /// bad manifest stops the router at start-up instead.
    pub fn new_or_closed(config: &PersistedConfig, redis: RedisStore) -> Self {
        Self::new(config, redis.clone()).unwrap_or_else(|e| {
            tracing::error!("{e:#}");
            let cap = NonZeroUsize::new(config.apq_cache_size.max(1)).expect("at least one");
            Persisted {
                config: config.clone(),
                apq: Mutex::new(LruCache::new(cap)),
                trusted: HashMap::new(),
                trusted_texts: HashSet::new(),
                redis,
            }
        })
    }

    pub fn new(config: &PersistedConfig, redis: RedisStore) -> anyhow::Result<Self> {
        let trusted = match &config.manifest {
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|e| {
                    anyhow::anyhow!("cannot read persisted manifest {}: {e}", path.display())
                })?;
                parse_manifest(&text)
                    .map_err(|e| anyhow::anyhow!("persisted manifest {}: {e}", path.display()))?
            }
            None => HashMap::new(),
        };
        if config.trusted_only && config.manifest.is_none() {
            anyhow::bail!("ROUTER_PERSISTED_QUERIES_ONLY needs ROUTER_PERSISTED_MANIFEST");
        }
        let trusted_texts = trusted.values().map(|d| sha256_hex(d)).collect();
        let cap = NonZeroUsize::new(config.apq_cache_size.max(1)).expect("at least one");
        Ok(Persisted {
            config: config.clone(),
            apq: Mutex::new(LruCache::new(cap)),
            trusted,
            trusted_texts,
            redis,
        })
    }

    /// Fills `req.query` from the persisted store or refuses the request. `document_id` is the
    /// request's top-level `documentId`, if any.
    pub async fn resolve(
        &self,
        req: &mut GraphQLRequest,
        document_id: Option<&str>,
    ) -> Result<(), GraphQLError> {
        if let Some(id) = document_id {
            return match self.trusted.get(id) {
                Some(doc) => {
                    req.query = Some(doc.clone());
                    Ok(())
                }
                None => Err(error(
                    "PERSISTED_QUERY_NOT_IN_LIST",
                    &format!("documentId {id:?} is not a trusted document."),
                )),
            };
        }
        let pq = req
            .extensions
            .as_ref()
            .and_then(|e| e.get("persistedQuery"))
            .filter(|p| !p.is_null());
        let has_query = req.query.as_deref().is_some_and(|q| !q.trim().is_empty());
        let Some(pq) = pq else {
            if self.config.trusted_only && has_query {
                let text = req.query.as_deref().unwrap_or_default();
                if !self.trusted_texts.contains(&sha256_hex(text)) {
                    return Err(error(
                        "PERSISTED_QUERY_NOT_IN_LIST",
                        "This router accepts only trusted documents: send extensions.persistedQuery.sha256Hash or documentId.",
                    ));
                }
            }
            return Ok(());
        };
        if pq.get("version").and_then(Value::as_i64) != Some(1) {
            return Err(error(
                "PERSISTED_QUERY_VERSION_UNSUPPORTED",
                "extensions.persistedQuery.version must be 1.",
            ));
        }
        let Some(hash) = pq.get("sha256Hash").and_then(Value::as_str) else {
            return Err(error(
                "BAD_REQUEST",
                "extensions.persistedQuery.sha256Hash must be a string.",
            ));
        };
        if let Some(doc) = self.trusted.get(hash) {
            req.query = Some(doc.clone());
            return Ok(());
        }
        if self.config.trusted_only {
            return Err(error(
                "PERSISTED_QUERY_NOT_IN_LIST",
                &format!("sha256Hash {hash:?} is not a trusted document."),
            ));
        }
        if !self.config.apq {
            return Err(error(
                "PERSISTED_QUERY_NOT_SUPPORTED",
                "Automatic persisted queries are turned off on this router.",
            ));
        }
        if has_query {
            let text = req.query.as_deref().unwrap_or_default();
            if !sha256_hex(text).eq_ignore_ascii_case(hash) {
                return Err(error(
                    "PERSISTED_QUERY_HASH_MISMATCH",
                    "extensions.persistedQuery.sha256Hash does not match the query's SHA-256.",
                ));
            }
            self.store(hash, text).await;
            return Ok(());
        }
        match self.lookup(hash).await {
            Some(doc) => {
                req.query = Some(doc.to_string());
                Ok(())
            }
            // The message is what Apollo and Relay clients match on to resend with the text.
            None => Err(error("PERSISTED_QUERY_NOT_FOUND", "PersistedQueryNotFound")),
        }
    }

    fn redis_key(hash: &str) -> String {
        format!("router:apq:{}", hash.to_ascii_lowercase())
    }

    async fn store(&self, hash: &str, text: &str) {
        self.apq
            .lock()
            .put(hash.to_ascii_lowercase(), Arc::from(text));
        if let Some(mut conn) = self.redis.conn().await {
            let ttl = self.config.apq_ttl_secs.max(1);
            let set: redis::RedisResult<()> = redis::cmd("SET")
                .arg(Self::redis_key(hash))
                .arg(text)
                .arg("EX")
                .arg(ttl)
                .query_async(&mut conn)
                .await;
            if let Err(e) = set {
                tracing::warn!("APQ store in Redis failed: {e}");
            }
        }
    }

    async fn lookup(&self, hash: &str) -> Option<Arc<str>> {
        if let Some(doc) = self.apq.lock().get(&hash.to_ascii_lowercase()) {
            return Some(doc.clone());
        }
        let mut conn = self.redis.conn().await?;
        let get = tokio::time::timeout(
            Duration::from_secs(2),
            redis::cmd("GET")
                .arg(Self::redis_key(hash))
                .query_async::<Option<String>>(&mut conn),
        )
        .await;
        match get {
            Ok(Ok(Some(text))) if sha256_hex(&text).eq_ignore_ascii_case(hash) => {
                let doc: Arc<str> = Arc::from(text);
                self.apq.lock().put(hash.to_ascii_lowercase(), doc.clone());
                Some(doc)
            }
            Ok(Ok(_)) => None,
            Ok(Err(e)) => {
                tracing::warn!("APQ lookup in Redis failed: {e}");
                None
            }
            Err(_) => {
                tracing::warn!("APQ lookup in Redis timed out");
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifests_in_both_formats() {
        let plain = parse_manifest(r#"{"abc": "{ me { id } }"}"#).unwrap();
        assert_eq!(plain["abc"], "{ me { id } }");
        let apollo = parse_manifest(
            r#"{"format":"apollo-persisted-query-manifest","version":1,
                "operations":[{"id":"x1","name":"Me","type":"query","body":"query Me { me { id } }"}]}"#,
        )
        .unwrap();
        assert_eq!(apollo["x1"], "query Me { me { id } }");
        assert!(parse_manifest(r#"{"abc": 1}"#).is_err());
        assert!(parse_manifest(r#"[1]"#).is_err());
    }

    #[test]
    fn sha256_is_lowercase_hex() {
        assert_eq!(
            sha256_hex("{ __typename }"),
            "7f56e67dd21ab3f30d1ff8b7bed08893f0a0db86449836189b361dd1e56ddb4b"
        );
    }
}
