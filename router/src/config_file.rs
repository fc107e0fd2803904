//! The optional TOML config file (`router --config FILE` or `ROUTER_CONFIG`). It holds the same
//! settings as the `ROUTER_*` environment variables, which win over it. Unknown keys are an
//! error that names the key, so a typo never silently falls back to a default.
//!
//! ```toml
//! supergraph = "schema/supergraph.graphql"   # or: subgraphs = "subgraphs.txt"
//!                                            # or: [subgraphs] accounts = "http://..."
//! listen = "0.0.0.0:4000"
//! subgraph_timeout_ms = 30000
//! propagate_headers = ["authorization"]
//! cors_origins = ["*"]
//! poll_interval_ms = 5000
//! plan_cache_size = 1024
//! subscription_buffer = 64
//! multipart_heartbeat_ms = 5000
//! subgraph_http2 = ["catalog"]                # or ["*"]
//! [subgraph_timeouts]
//! reviews = 500
//! [subgraph_urls]
//! accounts = "http://accounts:4001/graphql"
//! ```
//!
//! Relative paths are resolved against the config file's directory.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use crate::config::{RouterConfig, SchemaSource};

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    supergraph: Option<PathBuf>,
    subgraphs: Option<SubgraphsSetting>,
    listen: Option<String>,
    subgraph_timeout_ms: Option<u64>,
    subgraph_timeouts: Option<HashMap<String, u64>>,
    subgraph_http2: Option<Vec<String>>,
    propagate_headers: Option<Vec<String>>,
    cors_origins: Option<Vec<String>>,
    cors_allow_credentials: Option<bool>,
    poll_interval_ms: Option<u64>,
    plan_cache_size: Option<usize>,
    subgraph_urls: Option<HashMap<String, String>>,
    subscription_buffer: Option<usize>,
    multipart_heartbeat_ms: Option<u64>,
    limits: Option<crate::limits::LimitsConfig>,
    csrf: Option<crate::csrf::CsrfConfig>,
    persisted_queries: Option<crate::persisted::PersistedConfig>,
    redis_url: Option<String>,
    rate_limit: Option<crate::rate_limit::RateLimitConfig>,
    circuit_breaker: Option<crate::breaker::BreakerConfig>,
    operation_timeout_ms: Option<u64>,
    access_log: Option<String>,
    authentication: Option<crate::auth::AuthFile>,
    authorization: Option<crate::authz::AuthzFile>,
    /// Where the file lives; relative paths in it are resolved from here.
    #[serde(skip)]
    dir: PathBuf,
}

/// `subgraphs` is a file of `name=url` lines or a table of name → url.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum SubgraphsSetting {
    File(PathBuf),
    List(BTreeMap<String, String>),
}

impl ConfigFile {
    pub fn load(path: &Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| anyhow::anyhow!("cannot read config file {}: {e}", path.display()))?;
        let mut file = Self::parse(&text)
            .map_err(|e| anyhow::anyhow!("config file {}: {e}", path.display()))?;
        file.dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        Ok(file)
    }

    pub fn parse(text: &str) -> anyhow::Result<Self> {
        let file: ConfigFile = toml::from_str(text).map_err(|e| anyhow::anyhow!("{e}"))?;
        if file.supergraph.is_some() && file.subgraphs.is_some() {
            anyhow::bail!("give either `supergraph` or `subgraphs`, not both");
        }
        Ok(file)
    }

    /// The schema source the file names, if any.
    pub fn schema(&self) -> Option<SchemaSource> {
        if let Some(path) = &self.supergraph {
            return Some(SchemaSource::SupergraphFile(self.dir.join(path)));
        }
        match self.subgraphs.as_ref()? {
            SubgraphsSetting::File(path) => Some(SchemaSource::SubgraphsFile(self.dir.join(path))),
            SubgraphsSetting::List(list) => Some(SchemaSource::Subgraphs(
                list.iter().map(|(n, u)| (n.clone(), u.clone())).collect(),
            )),
        }
    }

    /// Overrides the settings the file gives; the schema source is chosen by `RouterConfig::load`.
    pub fn apply(self, mut config: RouterConfig) -> anyhow::Result<RouterConfig> {
        if let Some(v) = self.listen {
            config.listen = v
                .parse()
                .map_err(|e| anyhow::anyhow!("listen: bad address {v:?}: {e}"))?;
        }
        if let Some(ms) = self.subgraph_timeout_ms {
            config.subgraph_timeout = Duration::from_millis(ms);
        }
        if let Some(map) = self.subgraph_timeouts {
            config.subgraph_timeouts = map
                .into_iter()
                .map(|(name, ms)| (name, Duration::from_millis(ms)))
                .collect();
        }
        if let Some(v) = self.subgraph_http2 {
            config.subgraph_http2 = v;
        }
        if let Some(v) = self.propagate_headers {
            config.propagate_headers = v.into_iter().map(|h| h.to_ascii_lowercase()).collect();
        }
        if let Some(v) = self.cors_origins {
            config.cors_origins = v;
        }
        if let Some(v) = self.cors_allow_credentials {
            config.cors_allow_credentials = v;
        }
        if let Some(ms) = self.poll_interval_ms {
            config.poll_interval = Duration::from_millis(ms);
        }
        if let Some(n) = self.plan_cache_size {
            config.plan_cache_size = n;
        }
        if let Some(map) = self.subgraph_urls {
            config.url_overrides = map;
        }
        if let Some(n) = self.subscription_buffer {
            config.subscription_buffer = n;
        }
        if let Some(ms) = self.multipart_heartbeat_ms {
            config.multipart_heartbeat = Duration::from_millis(ms.max(1));
        }
        if let Some(limits) = self.limits {
            config.limits = limits;
        }
        if let Some(csrf) = self.csrf {
            config.csrf = csrf;
        }
        if let Some(mut p) = self.persisted_queries {
            p.manifest = p.manifest.map(|m| self.dir.join(m));
            config.persisted = p;
        }
        if let Some(url) = self.redis_url {
            config.redis_url = Some(url);
        }
        if let Some(r) = self.rate_limit {
            config.rate_limit = r;
        }
        if let Some(b) = self.circuit_breaker {
            config.breaker = b;
        }
        if let Some(ms) = self.operation_timeout_ms {
            config.operation_timeout = Duration::from_millis(ms);
        }
        if let Some(f) = self.authentication {
            config.auth.apply_file(f);
        }
        if let Some(f) = self.authorization {
            config.authorization.apply_file(f);
        }
        if let Some(v) = self.access_log {
            config.access_log = match crate::access_log::Target::parse(&v) {
                crate::access_log::Target::File(p) => {
                    crate::access_log::Target::File(self.dir.join(p))
                }
                other => other,
            };
        }
        Ok(config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FULL: &str = r#"
supergraph = "schema/supergraph.graphql"
listen = "127.0.0.1:4100"
subgraph_timeout_ms = 1500
propagate_headers = ["Authorization", "x-tenant"]
cors_origins = ["https://shop.example"]
poll_interval_ms = 250
plan_cache_size = 7
subscription_buffer = 3
[subgraph_timeouts]
reviews = 500
[subgraph_urls]
accounts = "http://accounts:4001/graphql"
"#;

    fn write(dir: &Path, text: &str) -> PathBuf {
        std::fs::create_dir_all(dir).unwrap();
        let path = dir.join("router.toml");
        std::fs::write(&path, text).unwrap();
        path
    }

    fn temp_dir(name: &str) -> PathBuf {
        std::env::temp_dir().join(format!("router-config-{name}-{}", std::process::id()))
    }

    #[test]
    fn every_setting_is_read_and_paths_are_relative_to_the_file() {
        let dir = temp_dir("full");
        let path = write(&dir, FULL);
        let config = RouterConfig::load_with(Some(&path), None, |_| None).unwrap();
        match &config.schema {
            SchemaSource::SupergraphFile(p) => {
                assert_eq!(p, &dir.join("schema/supergraph.graphql"))
            }
            other => panic!("schema source {other:?}"),
        }
        assert_eq!(config.listen, "127.0.0.1:4100".parse().unwrap());
        assert_eq!(config.subgraph_timeout, Duration::from_millis(1500));
        assert_eq!(
            config.subgraph_timeouts["reviews"],
            Duration::from_millis(500)
        );
        assert_eq!(config.propagate_headers, vec!["authorization", "x-tenant"]);
        assert_eq!(config.cors_origins, vec!["https://shop.example"]);
        assert_eq!(config.poll_interval, Duration::from_millis(250));
        assert_eq!(config.plan_cache_size, 7);
        assert_eq!(config.subscription_buffer, 3);
        assert_eq!(
            config.url_overrides["accounts"],
            "http://accounts:4001/graphql"
        );
        std::fs::remove_dir_all(dir).ok();
    }

    #[test]
    fn environment_wins_over_the_file() {
        let dir = temp_dir("env");
        let path = write(&dir, FULL);
        let env: HashMap<&str, &str> = [
            ("ROUTER_LISTEN", "127.0.0.1:4200"),
            ("ROUTER_PLAN_CACHE_SIZE", "9"),
            ("ROUTER_SUBGRAPHS", "/etc/router/subgraphs.txt"),
        ]
        .into();
        let config =
            RouterConfig::load_with(Some(&path), None, |k| env.get(k).map(|v| v.to_string()))
                .unwrap();
        assert_eq!(config.listen, "127.0.0.1:4200".parse().unwrap());
        assert_eq!(config.plan_cache_size, 9);
        assert!(matches!(
            config.schema,
            SchemaSource::SubgraphsFile(ref p) if p == Path::new("/etc/router/subgraphs.txt")
        ));
        // Settings the environment leaves alone keep the file's value.
        assert_eq!(config.subgraph_timeout, Duration::from_millis(1500));
        // ROUTER_CONFIG names the file when no --config is given.
        let env: HashMap<&str, String> = [("ROUTER_CONFIG", path.display().to_string())].into();
        let config = RouterConfig::load_with(None, None, |k| env.get(k).cloned()).unwrap();
        assert_eq!(config.plan_cache_size, 7);
        std::fs::remove_dir_all(dir).ok();
    }

    #[test]
    fn unknown_keys_are_errors_naming_the_key() {
        let err = ConfigFile::parse("listen = \"127.0.0.1:1\"\nplan_cache_sise = 3\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("plan_cache_sise"), "{err}");
        let err = ConfigFile::parse("supergraph = \"a\"\nsubgraphs = \"b\"\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("not both"), "{err}");
        let err = ConfigFile::parse("listen = 4000\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("listen"), "{err}");
    }

    #[test]
    fn subgraphs_may_be_listed_inline() {
        let file = ConfigFile::parse(
            "[subgraphs]\nreviews = \"http://r/graphql\"\naccounts = \"http://a/graphql\"\n",
        )
        .unwrap();
        match file.schema() {
            Some(SchemaSource::Subgraphs(list)) => assert_eq!(
                list,
                vec![
                    ("accounts".to_string(), "http://a/graphql".to_string()),
                    ("reviews".to_string(), "http://r/graphql".to_string())
                ]
            ),
            other => panic!("schema source {other:?}"),
        }
    }

    #[test]
    fn bad_listen_address_names_the_setting() {
        let file = ConfigFile::parse("supergraph = \"s\"\nlisten = \"nowhere\"\n").unwrap();
        let err = file
            .apply(RouterConfig::with_supergraph_sdl(""))
            .unwrap_err()
            .to_string();
        assert!(err.contains("listen"), "{err}");
    }
}
