//! Test support (feature `testing`): start a real subgraph on a random loopback port with a
//! fresh database and talk to it over HTTP, as a client would.
//!
//! The backends follow the environment the test command sets: with `TEST_DATABASE_URL`,
//! `TEST_AMQP_URL` and `TEST_REDIS_URL` unset every test runs on the embedded defaults; set,
//! every test gets its own PostgreSQL schema, RabbitMQ exchange and queue prefix, and Redis
//! key prefix on the real servers, so tests run in parallel without seeing each other.

use std::net::SocketAddr;
use std::path::PathBuf;

use serde_json::{json, Value};
use tokio_util::sync::CancellationToken;

use crate::config::{Config, LogFormat};
use crate::service::{Backends, Service};
use crate::subgraph::{prepare, Running, Subgraph};

/// The real servers this test run uses, if any.
pub struct TestBackends {
    pub database_url: Option<String>,
    pub amqp_url: Option<String>,
    pub redis_url: Option<String>,
}

impl TestBackends {
    pub fn from_env() -> Self {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        TestBackends {
            database_url: var("TEST_DATABASE_URL"),
            amqp_url: var("TEST_AMQP_URL"),
            redis_url: var("TEST_REDIS_URL"),
        }
    }
}

/// A private directory for this test's SQLite files.
pub fn temp_dir() -> PathBuf {
    let dir = std::env::temp_dir()
        .join("shop-tests")
        .join(crate::ids::new_id());
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// A configuration for `service` isolated from every other test.
pub fn config(service: &str) -> Config {
    let backends = TestBackends::from_env();
    let unique = uuid::Uuid::new_v4().simple().to_string();
    let dir = temp_dir();
    Config {
        service: service.to_string(),
        listen_addr: "127.0.0.1:0".parse().expect("loopback"),
        database_url: backends
            .database_url
            .unwrap_or_else(|| format!("sqlite://{}/{service}.db", dir.display())),
        database_schema: format!("t_{}", &unique[..16]),
        database_max_connections: 5,
        amqp_url: backends.amqp_url,
        events_exchange: format!("test.{unique}"),
        queue_prefix: format!("test.{unique}."),
        event_max_attempts: 3,
        redis_url: backends.redis_url,
        cache_prefix: format!("test:{unique}"),
        jwks_url: "http://127.0.0.1:9/.well-known/jwks.json".into(),
        jwt_issuer: "shop-accounts".into(),
        jwt_audience: "shop".into(),
        jwt_leeway_secs: 0,
        log_format: LogFormat::Pretty,
        max_body_bytes: 64 * 1024,
        trust_forwarded_for: false,
        outbox_poll: std::time::Duration::from_millis(100),
        // The production batching (no fixed wait), so the tests counting one statement per
        // batch check it.
        loader_window: std::time::Duration::ZERO,
        loader_yields: 2,
        overrides: Default::default(),
    }
}

/// The event transport the environment selects (RabbitMQ with `TEST_AMQP_URL`, else a fresh
/// in-process bus), on a private exchange and queue prefix, with its counters.
pub fn transport(
    service: &str,
    shutdown: &CancellationToken,
) -> (
    std::sync::Arc<dyn crate::events::Transport>,
    std::sync::Arc<crate::events::EventStats>,
) {
    use crate::events::{amqp::AmqpTransport, memory::MemoryBus, EventStats};
    use std::sync::Arc;
    let cfg = config(service);
    let stats = Arc::new(EventStats::default());
    let transport: Arc<dyn crate::events::Transport> = match &cfg.amqp_url {
        Some(url) => Arc::new(AmqpTransport::new(
            service,
            url,
            &cfg.events_exchange,
            &cfg.queue_prefix,
            cfg.event_max_attempts,
            stats.clone(),
            shutdown.clone(),
        )),
        None => Arc::new(MemoryBus::new(
            cfg.event_max_attempts,
            stats.clone(),
            shutdown.clone(),
        )),
    };
    (transport, stats)
}

/// RabbitMQ taken away for a broker-outage test: `begin` stops the broker's AMQP listener
/// (`TEST_RABBITMQ_CTL stop_app`); dropping the guard starts it again, even when the test
/// panics, so the rest of the run keeps its broker.
pub struct BrokerOutage(());

impl BrokerOutage {
    pub fn begin() -> BrokerOutage {
        rabbitmqctl("stop_app");
        BrokerOutage(())
    }
}

impl Drop for BrokerOutage {
    fn drop(&mut self) {
        rabbitmqctl("start_app");
    }
}

fn rabbitmqctl(action: &str) {
    let ctl = std::env::var("TEST_RABBITMQ_CTL")
        .expect("TEST_RABBITMQ_CTL must name the rabbitmqctl wrapper the test command writes");
    let status = std::process::Command::new(&ctl)
        .arg(action)
        .status()
        .expect("rabbitmqctl runs");
    assert!(status.success(), "rabbitmqctl {action} failed");
}

/// The password of every account the tests create.
pub const PASSWORD: &str = "correct horse battery staple";

/// An accounts configuration whose first admin (staff) is a fresh email with [`PASSWORD`];
/// returns the configuration and that email.
pub fn accounts_with_admin() -> (Config, String) {
    let email = format!("admin.{}@example.com", &crate::ids::new_id()[24..]);
    let mut config = config("accounts");
    config.overrides.insert("ADMIN_EMAIL".into(), email.clone());
    config
        .overrides
        .insert("ADMIN_PASSWORD".into(), PASSWORD.into());
    (config, email)
}

/// A configuration for `service` that verifies tokens against `accounts`' JWKS, with extra
/// settings such as `("SWEEP_INTERVAL_MS", "100")`.
pub fn config_trusting(service: &str, accounts: &TestApp, overrides: &[(&str, &str)]) -> Config {
    let mut config = config(service);
    config.jwks_url = format!("{}/.well-known/jwks.json", accounts.url);
    for (k, v) in overrides {
        config.overrides.insert(k.to_string(), v.to_string());
    }
    config
}

/// A running subgraph and an HTTP client for it.
pub struct TestApp {
    pub addr: SocketAddr,
    pub url: String,
    pub http: reqwest::Client,
    pub running: Running,
    pub shutdown: CancellationToken,
}

pub async fn spawn<S: Subgraph>(config: Config) -> TestApp {
    crate::telemetry::init(LogFormat::Pretty);
    let shutdown = CancellationToken::new();
    let backends = Backends::new(shutdown.clone());
    let prepared = prepare::<S>(config, &backends)
        .await
        .expect("subgraph starts");
    let running = prepared.spawn();
    let addr = running.addr;
    TestApp {
        addr,
        url: format!("http://{addr}"),
        http: reqwest::Client::new(),
        running,
        shutdown,
    }
}

impl TestApp {
    pub fn svc(&self) -> &Service {
        &self.running.svc
    }

    /// POSTs a GraphQL operation, with a bearer token if given; returns the JSON body.
    pub async fn gql(&self, query: &str, variables: Value, token: Option<&str>) -> Value {
        let mut req = self
            .http
            .post(format!("{}/graphql", self.url))
            .json(&json!({ "query": query, "variables": variables }));
        if let Some(token) = token {
            req = req.bearer_auth(token);
        }
        req.send()
            .await
            .expect("request sent")
            .json()
            .await
            .expect("JSON response")
    }

    /// POSTs raw bytes as the request body.
    pub async fn post_raw(&self, body: Vec<u8>) -> (u16, Value) {
        let resp = self
            .http
            .post(format!("{}/graphql", self.url))
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .expect("request sent");
        let status = resp.status().as_u16();
        (status, resp.json().await.expect("JSON response"))
    }

    /// A counter from `/metrics`.
    pub async fn metric(&self, name: &str) -> i64 {
        let text = self
            .http
            .get(format!("{}/metrics", self.url))
            .send()
            .await
            .expect("metrics")
            .text()
            .await
            .expect("metrics text");
        text.lines()
            .find(|l| l.starts_with(&format!("shop_{name}{{")))
            .and_then(|l| l.rsplit(' ').next())
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("metric {name} missing from /metrics"))
    }

    /// Signs `email` in through accounts' `login` mutation (this app must be accounts);
    /// returns the access token.
    pub async fn login(&self, email: &str, password: &str) -> String {
        let body = self
            .gql(
                "mutation($e:String!,$p:String!){ login(email:$e,password:$p){ accessToken } }",
                json!({ "e": email, "p": password }),
                None,
            )
            .await;
        body["data"]["login"]["accessToken"]
            .as_str()
            .unwrap_or_else(|| panic!("login of {email} failed: {body}"))
            .to_string()
    }

    /// Registers a fresh customer through accounts' `register` mutation (this app must be
    /// accounts) and signs them in; returns (user id, access token).
    pub async fn register_customer(&self) -> (String, String) {
        let email = format!("c.{}@example.com", &crate::ids::new_id()[24..]);
        let body = self
            .gql(
                "mutation($e:String!,$p:String!){ register(email:$e,password:$p,name:\"C\"){ id } }",
                json!({ "e": email, "p": PASSWORD }),
                None,
            )
            .await;
        let id = body["data"]["register"]["id"]
            .as_str()
            .unwrap_or_else(|| panic!("register failed: {body}"))
            .to_string();
        (id, self.login(&email, PASSWORD).await)
    }

    /// Fails when `schema/{service}.graphql` differs from this subgraph's `_service { sdl }`
    /// (what the router composes); with `UPDATE_SCHEMA` set it rewrites the file instead.
    pub async fn assert_schema_file_current(&self) {
        let service = self.svc().config.service.clone();
        let body = self.gql("{ _service { sdl } }", json!({}), None).await;
        let sdl = body["data"]["_service"]["sdl"]
            .as_str()
            .unwrap_or_else(|| panic!("no sdl: {body}"))
            .trim()
            .to_string()
            + "\n";
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join(format!("../../schema/{service}.graphql"));
        if std::env::var_os("UPDATE_SCHEMA").is_some() {
            std::fs::write(&path, &sdl).expect("schema file written");
        }
        let checked_in = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            checked_in == sdl,
            "schema/{service}.graphql is out of date; run `UPDATE_SCHEMA=1 cargo test -p {service} --test it schema_drift`"
        );
    }

    pub async fn stop(self) {
        self.shutdown.cancel();
        let _ = self.running.wait().await;
    }
}

/// Polls `check` until it returns true (about 30 s at most), for effects that travel by event.
pub async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    for _ in 0..300 {
        if check().await {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("timed out waiting for {what}");
}

/// The first error's `extensions.code`; fails the test when the response has no error.
pub fn expect_code(body: &Value) -> String {
    error_code(body).unwrap_or_else(|| panic!("expected an error, got {body}"))
}

/// The first error's `extensions.field` (the input it names); fails the test when absent.
pub fn error_field(body: &Value) -> String {
    body["errors"][0]["extensions"]["field"]
        .as_str()
        .unwrap_or_else(|| panic!("expected an error naming a field, got {body}"))
        .to_string()
}

/// The first error's machine-readable `extensions.reason`; fails the test when absent.
pub fn error_reason(body: &Value) -> String {
    body["errors"][0]["extensions"]["reason"]
        .as_str()
        .unwrap_or_else(|| panic!("expected an error with a reason, got {body}"))
        .to_string()
}

/// The first error's message, empty when there is none.
pub fn error_message(body: &Value) -> String {
    body["errors"][0]["message"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

/// The `extensions.code` of the first error, if any.
pub fn error_code(body: &Value) -> Option<String> {
    body["errors"][0]["extensions"]["code"]
        .as_str()
        .map(str::to_string)
}
