//! Configuration from environment variables. Every setting has a working default: unset means
//! the embedded backend (SQLite file, in-process bus, in-memory cache), never a crash.
//!
//! A variable can be scoped to one subgraph by prefixing its upper-case name
//! (`ACCOUNTS_DATABASE_URL` beats `DATABASE_URL`), which is how the one-process launcher gives
//! each subgraph its own settings.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Pretty,
    Json,
}

#[derive(Debug, Clone)]
pub struct Config {
    /// Subgraph name; also its database schema, queue name and cache namespace by default.
    pub service: String,
    pub listen_addr: SocketAddr,
    /// `sqlite://...` or `postgres://...`.
    pub database_url: String,
    /// PostgreSQL schema holding this subgraph's tables (ignored by SQLite).
    pub database_schema: String,
    pub database_max_connections: u32,
    /// RabbitMQ URL; `None` selects the in-process bus.
    pub amqp_url: Option<String>,
    pub events_exchange: String,
    /// Prepended to queue names, so several deployments (or test runs) can share a broker.
    pub queue_prefix: String,
    /// Failed deliveries before a message goes to the dead-letter queue.
    pub event_max_attempts: u32,
    /// Redis URL; `None` selects the in-memory cache.
    pub redis_url: Option<String>,
    pub cache_prefix: String,
    /// Where to fetch the accounts JWKS from.
    pub jwks_url: String,
    pub jwt_issuer: String,
    pub jwt_audience: String,
    /// Clock skew tolerated on token expiry.
    pub jwt_leeway_secs: u64,
    pub log_format: LogFormat,
    /// Largest accepted request body.
    pub max_body_bytes: usize,
    /// Honour the first `X-Forwarded-For` entry as the client address (set behind a proxy).
    pub trust_forwarded_for: bool,
    pub outbox_poll: Duration,
    /// A fixed time a DataLoader collects keys before its one query (`LOADER_WINDOW_US`); zero
    /// (the default) batches without waiting: see `loader_yields`.
    pub loader_window: Duration,
    /// With no fixed window, how many times a batch yields to the runtime before it is dispatched
    /// (`LOADER_YIELDS`), so keys that concurrent tasks are about to queue join it.
    pub loader_yields: u32,
    /// Values that win over the environment for [`Config::env`] lookups (tests, the launcher).
    pub overrides: BTreeMap<String, String>,
}

impl Config {
    /// Reads the configuration of subgraph `service` whose conventional port is `default_port`.
    pub fn from_env(service: &str, default_port: u16) -> anyhow::Result<Self> {
        let env = Env::new(service);
        let data_dir = PathBuf::from(env.get("DATA_DIR").unwrap_or_else(|| "data".into()));
        let database_url = env
            .get("DATABASE_URL")
            .unwrap_or_else(|| format!("sqlite://{}/{service}.db", data_dir.display()));
        let embedded = database_url.starts_with("sqlite:");
        let listen_addr = env
            .get("LISTEN_ADDR")
            .unwrap_or_else(|| format!("127.0.0.1:{default_port}"))
            .parse()
            .map_err(|e| anyhow::anyhow!("LISTEN_ADDR: {e}"))?;
        let log_format = match env.get("LOG_FORMAT").as_deref() {
            Some("json") => LogFormat::Json,
            Some("pretty") => LogFormat::Pretty,
            Some(other) => anyhow::bail!("LOG_FORMAT: expected json or pretty, got {other:?}"),
            None if embedded => LogFormat::Pretty,
            None => LogFormat::Json,
        };
        Ok(Config {
            service: service.to_string(),
            listen_addr,
            database_schema: env
                .get("DATABASE_SCHEMA")
                .unwrap_or_else(|| service.to_string()),
            database_url,
            database_max_connections: env.parse("DATABASE_MAX_CONNECTIONS", 10)?,
            amqp_url: env.get("AMQP_URL"),
            events_exchange: env
                .get("EVENTS_EXCHANGE")
                .unwrap_or_else(|| "shop.events".into()),
            queue_prefix: env.get("QUEUE_PREFIX").unwrap_or_default(),
            event_max_attempts: env.parse("EVENT_MAX_ATTEMPTS", 5)?,
            redis_url: env.get("REDIS_URL"),
            cache_prefix: env.get("CACHE_PREFIX").unwrap_or_else(|| "shop".into()),
            jwks_url: env
                .get("JWKS_URL")
                .unwrap_or_else(|| "http://127.0.0.1:4001/.well-known/jwks.json".into()),
            jwt_issuer: env
                .get("JWT_ISSUER")
                .unwrap_or_else(|| "shop-accounts".into()),
            jwt_audience: env.get("JWT_AUDIENCE").unwrap_or_else(|| "shop".into()),
            jwt_leeway_secs: env.parse("JWT_LEEWAY_SECS", 5)?,
            log_format,
            max_body_bytes: env.parse("MAX_BODY_BYTES", 1024 * 1024)?,
            trust_forwarded_for: env.parse("TRUST_FORWARDED_FOR", false)?,
            outbox_poll: Duration::from_millis(env.parse("OUTBOX_POLL_MS", 500)?),
            loader_window: Duration::from_micros(env.parse("LOADER_WINDOW_US", 0)?),
            loader_yields: env.parse("LOADER_YIELDS", 2)?,
            overrides: BTreeMap::new(),
        })
    }

    /// Lookup of domain-specific settings for this service, overrides first.
    pub fn env(&self) -> Env {
        Env {
            prefix: self.service.to_ascii_uppercase(),
            overrides: self.overrides.clone(),
        }
    }

    pub fn is_embedded_db(&self) -> bool {
        self.database_url.starts_with("sqlite:")
    }
}

/// Environment lookup with the per-subgraph prefix taking precedence.
pub struct Env {
    prefix: String,
    overrides: BTreeMap<String, String>,
}

impl Env {
    pub fn new(service: &str) -> Self {
        Env {
            prefix: service.to_ascii_uppercase(),
            overrides: BTreeMap::new(),
        }
    }

    pub fn get(&self, name: &str) -> Option<String> {
        if let Some(value) = self.overrides.get(name) {
            return Some(value.clone());
        }
        std::env::var(format!("{}_{name}", self.prefix))
            .ok()
            .or_else(|| std::env::var(name).ok())
            .filter(|v| !v.is_empty())
    }

    pub fn parse<T: std::str::FromStr>(&self, name: &str, default: T) -> anyhow::Result<T>
    where
        T::Err: std::fmt::Display,
    {
        match self.get(name) {
            None => Ok(default),
            Some(raw) => raw.parse().map_err(|e| anyhow::anyhow!("{name}: {e}")),
        }
    }
}
