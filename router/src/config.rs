//! Router configuration: where the schema comes from, where to listen, and per-feature knobs.
//! Every field has an environment variable (see `RouterConfig::from_env`) and a working default.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// Where the supergraph comes from.
#[derive(Debug, Clone)]
pub enum SchemaSource {
    /// A composed supergraph SDL file; reloaded when its contents change.
    SupergraphFile(PathBuf),
    /// A composed supergraph SDL given in memory.
    SupergraphSdl(String),
    /// Subgraphs as (name, url); their `_service { sdl }` is fetched, composed and polled.
    Subgraphs(Vec<(String, String)>),
    /// A file of `name=url` lines, read at start-up.
    SubgraphsFile(PathBuf),
}

#[derive(Debug, Clone)]
pub struct RouterConfig {
    pub schema: SchemaSource,
    /// `ROUTER_LISTEN` or `LISTEN_ADDR`; default 0.0.0.0:4000.
    pub listen: SocketAddr,
    /// `ROUTER_SUBGRAPH_TIMEOUT_MS`; default 30 s per subgraph request.
    pub subgraph_timeout: Duration,
    /// `ROUTER_SUBGRAPH_TIMEOUTS` (`name=ms,...`): per-subgraph overrides of `subgraph_timeout`.
    pub subgraph_timeouts: HashMap<String, Duration>,
    /// `ROUTER_SUBGRAPH_HTTP2` (names, comma separated, `*` = all): subgraphs spoken to over
    /// HTTP/2 without an upgrade round trip (cleartext h2 with prior knowledge); default none.
    pub subgraph_http2: Vec<String>,
    /// `ROUTER_PROPAGATE_HEADERS` (comma separated); default `authorization`, `x-cart-token`
    /// and `x-order-token` (a guest's cart and order secrets, which the subgraphs check).
    pub propagate_headers: Vec<String>,
    /// `ROUTER_CORS_ORIGINS` (comma separated, `*` = any); default any.
    pub cors_origins: Vec<String>,
    /// `ROUTER_CORS_ALLOW_CREDENTIALS` (`on`/`off`); default off; needs an origin list.
    pub cors_allow_credentials: bool,
    /// `ROUTER_POLL_INTERVAL_MS`: how often the supergraph file / subgraph SDLs are checked.
    pub poll_interval: Duration,
    /// `ROUTER_PLAN_CACHE_SIZE`: bounded number of cached operations and plans.
    pub plan_cache_size: usize,
    /// `ROUTER_SUBGRAPH_URLS` (`name=url,...`): override `@join__graph(url:)` per subgraph.
    pub url_overrides: HashMap<String, String>,
    /// `ROUTER_WS_BUFFER`: events buffered per subscription before a slow client is dropped.
    pub subscription_buffer: usize,
    /// `ROUTER_MULTIPART_HEARTBEAT_MS`: idle interval between `{}` parts of a multipart
    /// subscription (default 5000; see `executors::multipart`).
    pub multipart_heartbeat: Duration,
    /// In-flight fetch de-duplication (`ROUTER_DEDUP`; see `dedup`).
    pub dedup: crate::dedup::DedupConfig,
    /// Operation limits (`[limits]`, `ROUTER_LIMIT_*`; see `limits`).
    pub limits: crate::limits::LimitsConfig,
    /// CSRF prevention (`[csrf]`, `ROUTER_CSRF*`; see `csrf`).
    pub csrf: crate::csrf::CsrfConfig,
    /// Persisted operations (`[persisted_queries]`, `ROUTER_APQ*`, `ROUTER_PERSISTED_*`).
    pub persisted: crate::persisted::PersistedConfig,
    /// `ROUTER_REDIS_URL`, else `REDIS_URL`: shared state for APQ and rate limits.
    pub redis_url: Option<String>,
    /// Per-client rate limits (`[rate_limit]`, `ROUTER_RATE_LIMIT*`; see `rate_limit`).
    pub rate_limit: crate::rate_limit::RateLimitConfig,
    /// Per-subgraph circuit breakers (`[circuit_breaker]`, `ROUTER_BREAKER_*`; see `breaker`).
    pub breaker: crate::breaker::BreakerConfig,
    /// `ROUTER_OPERATION_TIMEOUT_MS`: a whole HTTP operation's deadline (see `timeout`).
    pub operation_timeout: Duration,
    /// `ROUTER_ACCESS_LOG`: `stdout` (default), `off`, or a file path (see `access_log`).
    pub access_log: crate::access_log::Target,
    /// `ROUTER_AUTH`, `ROUTER_JWKS_URL`, `ROUTER_JWT_*`: token verification at the edge.
    pub auth: crate::auth::AuthConfig,
    /// `ROUTER_AUTHZ`, `[authorization]`: the `@authenticated`/`@requiresScopes`/`@policy`
    /// enforcement and its named policies (see `authz`).
    pub authorization: crate::authz::AuthzConfig,
    /// Response/entity caching (`ROUTER_CACHE*`; see `cache`).
    pub cache: crate::cache::CacheConfig,
}

impl RouterConfig {
    pub fn new(schema: SchemaSource) -> Self {
        RouterConfig {
            schema,
            listen: SocketAddr::from(([0, 0, 0, 0], 4000)),
            subgraph_timeout: Duration::from_secs(30),
            subgraph_timeouts: HashMap::new(),
            subgraph_http2: Vec::new(),
            propagate_headers: vec![
                "authorization".into(),
                "x-cart-token".into(),
                "x-order-token".into(),
            ],
            cors_origins: vec!["*".into()],
            cors_allow_credentials: false,
            poll_interval: Duration::from_secs(5),
            plan_cache_size: 1024,
            url_overrides: HashMap::new(),
            subscription_buffer: 64,
            multipart_heartbeat: Duration::from_secs(5),
            dedup: crate::dedup::DedupConfig::default(),
            limits: crate::limits::LimitsConfig::default(),
            csrf: crate::csrf::CsrfConfig::default(),
            persisted: crate::persisted::PersistedConfig::default(),
            redis_url: None,
            rate_limit: crate::rate_limit::RateLimitConfig::default(),
            breaker: crate::breaker::BreakerConfig::default(),
            operation_timeout: crate::timeout::DEFAULT,
            access_log: crate::access_log::Target::default(),
            auth: crate::auth::AuthConfig::default(),
            authorization: crate::authz::AuthzConfig::default(),
            cache: crate::cache::CacheConfig::default(),
        }
    }

    /// Serve an in-memory supergraph SDL.
    pub fn with_supergraph_sdl(sdl: impl Into<String>) -> Self {
        Self::new(SchemaSource::SupergraphSdl(sdl.into()))
    }

    /// Compose and serve these subgraphs, given as (name, url).
    pub fn with_subgraphs(subgraphs: Vec<(String, String)>) -> Self {
        Self::new(SchemaSource::Subgraphs(subgraphs))
    }

    /// Applies environment overrides on top of this config.
    pub fn apply_env(self) -> anyhow::Result<Self> {
        self.apply_vars(|k| std::env::var(k).ok())
    }

    /// Applies `ROUTER_*` overrides read through `lookup` (the environment, or a map in tests).
    pub fn apply_vars(mut self, lookup: impl Fn(&str) -> Option<String>) -> anyhow::Result<Self> {
        let env = |k: &str| lookup(k).filter(|v| !v.trim().is_empty());
        if let Some(v) = env("ROUTER_LISTEN").or_else(|| env("LISTEN_ADDR")) {
            self.listen = v
                .parse()
                .map_err(|e| anyhow::anyhow!("bad listen address {v}: {e}"))?;
        }
        if let Some(v) = env("ROUTER_SUBGRAPH_TIMEOUT_MS") {
            self.subgraph_timeout = Duration::from_millis(v.parse()?);
        }
        if let Some(v) = env("ROUTER_SUBGRAPH_TIMEOUTS") {
            for (name, ms) in parse_subgraph_list(&v.replace(',', "\n"))? {
                let ms: u64 = ms
                    .parse()
                    .map_err(|e| anyhow::anyhow!("ROUTER_SUBGRAPH_TIMEOUTS {name}: {e}"))?;
                self.subgraph_timeouts
                    .insert(name, Duration::from_millis(ms));
            }
        }
        if let Some(v) = env("ROUTER_SUBGRAPH_HTTP2") {
            self.subgraph_http2 = split_list(&v);
        }
        if let Some(v) = env("ROUTER_PROPAGATE_HEADERS") {
            self.propagate_headers = split_list(&v);
        }
        if let Some(v) = env("ROUTER_CORS_ORIGINS") {
            self.cors_origins = split_list(&v);
        }
        if let Some(v) = env("ROUTER_POLL_INTERVAL_MS") {
            self.poll_interval = Duration::from_millis(v.parse()?);
        }
        if let Some(v) = env("ROUTER_PLAN_CACHE_SIZE") {
            self.plan_cache_size = v.parse()?;
        }
        self.auth.apply_env(&env)?;
        self.authorization.apply_env(&env);
        if let Some(v) = env("ROUTER_ACCESS_LOG") {
            self.access_log = crate::access_log::Target::parse(&v);
        }
        self.limits.apply_vars(&env)?;
        self.cache.apply(&env)?;
        self.csrf.apply_vars(&env)?;
        self.persisted.apply_vars(&env)?;
        self.rate_limit.apply_vars(&env)?;
        self.breaker.apply_vars(&env)?;
        if let Some(v) = env("ROUTER_OPERATION_TIMEOUT_MS") {
            self.operation_timeout = Duration::from_millis(v.parse()?);
        }
        if let Some(v) = env("ROUTER_REDIS_URL").or_else(|| env("REDIS_URL")) {
            self.redis_url = Some(v);
        }
        if let Some(v) = env("ROUTER_CORS_ALLOW_CREDENTIALS") {
            self.cors_allow_credentials =
                crate::limits::parse_switch("ROUTER_CORS_ALLOW_CREDENTIALS", &v)?;
        }
        crate::cors::validate(&self.cors_origins, self.cors_allow_credentials)?;
        self.dedup.apply(env)?;
        if let Some(v) = env("ROUTER_WS_BUFFER") {
            self.subscription_buffer = v.parse()?;
        }
        if let Some(v) = env("ROUTER_MULTIPART_HEARTBEAT_MS") {
            let ms: u64 = v
                .trim()
                .parse()
                .map_err(|e| anyhow::anyhow!("ROUTER_MULTIPART_HEARTBEAT_MS={v:?}: {e}"))?;
            self.multipart_heartbeat = Duration::from_millis(ms.max(1));
        }
        if let Some(v) = env("ROUTER_SUBGRAPH_URLS") {
            self.url_overrides = parse_subgraph_list(&v.replace(',', "\n"))?
                .into_iter()
                .collect();
        }
        Ok(self)
    }

    /// Config from the environment alone: `ROUTER_SUPERGRAPH` (file) or `ROUTER_SUBGRAPHS` (file).
    pub fn from_env() -> anyhow::Result<Self> {
        Self::load(None, None)
    }

    /// Layers, lowest first: defaults, the config file (`--config`/`ROUTER_CONFIG`), the
    /// `ROUTER_*` environment, then a schema source given on the command line.
    pub fn load(
        file: Option<&std::path::Path>,
        cli_source: Option<SchemaSource>,
    ) -> anyhow::Result<Self> {
        Self::load_with(file, cli_source, |k| std::env::var(k).ok())
    }

    /// `load` with the environment read through `lookup`.
    pub fn load_with(
        file: Option<&std::path::Path>,
        cli_source: Option<SchemaSource>,
        lookup: impl Fn(&str) -> Option<String>,
    ) -> anyhow::Result<Self> {
        let env = |k: &str| lookup(k).filter(|v| !v.trim().is_empty());
        let file = match file
            .map(PathBuf::from)
            .or_else(|| env("ROUTER_CONFIG").map(PathBuf::from))
        {
            Some(path) => Some(crate::config_file::ConfigFile::load(&path)?),
            None => None,
        };
        let schema = cli_source
            .or_else(|| env("ROUTER_SUPERGRAPH").map(|f| SchemaSource::SupergraphFile(f.into())))
            .or_else(|| env("ROUTER_SUBGRAPHS").map(|f| SchemaSource::SubgraphsFile(f.into())))
            .or_else(|| file.as_ref().and_then(|f| f.schema()))
            .ok_or_else(|| {
                anyhow::anyhow!(
                    "no schema source: pass --supergraph / --subgraphs, set ROUTER_SUPERGRAPH or \
                     ROUTER_SUBGRAPHS, or give `supergraph` or `subgraphs` in the config file"
                )
            })?;
        let mut config = Self::new(schema);
        if let Some(file) = file {
            config = file.apply(config)?;
        }
        config.apply_vars(lookup)
    }
}

fn split_list(v: &str) -> Vec<String> {
    v.split(',')
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

/// Parses `name=url` lines; blank lines and `#` comments are ignored.
pub fn parse_subgraph_list(text: &str) -> anyhow::Result<Vec<(String, String)>> {
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let Some((name, url)) = line.split_once('=') else {
            anyhow::bail!("line {}: expected name=url, got {line:?}", n + 1);
        };
        out.push((name.trim().to_string(), url.trim().to_string()));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subgraph_list_parses_names_urls_and_skips_comments() {
        let list =
            parse_subgraph_list("# c\n\naccounts = http://a/graphql\nreviews=http://r\n").unwrap();
        assert_eq!(
            list,
            vec![
                ("accounts".to_string(), "http://a/graphql".to_string()),
                ("reviews".to_string(), "http://r".to_string())
            ]
        );
        assert!(parse_subgraph_list("nonsense").is_err());
    }
}
