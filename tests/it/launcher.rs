//! Runs the real launcher binary (every subgraph and the router in one process) on a fresh,
//! seeded data set, for tests that drive the whole platform through the router over HTTP.
//!
//! Embedded by default (SQLite files in a temporary directory); when the test command exports
//! `TEST_DATABASE_URL`, `TEST_AMQP_URL` and `TEST_REDIS_URL`, the same launcher runs on
//! PostgreSQL (a database of its own), RabbitMQ (its own exchange and queue prefix) and Redis
//! (its own key prefix), so runs never see each other's data.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

pub const ADMIN: (&str, &str) = ("admin@example.com", "admin-password-for-tests");
pub const CUSTOMER: &str = "ada@example.com";
pub const CUSTOMER_PASSWORD: &str = "demo-password-2026";
/// What the launcher's shipping subgraph verifies carrier webhooks with.
pub const CARRIER_SECRET: &str = "carrier-secret-for-tests";

pub struct Shop {
    child: Child,
    dir: PathBuf,
    pub router: String,
    pub media: String,
    /// The shipping subgraph's origin, where carriers post tracking webhooks.
    pub shipping: String,
    http: reqwest::Client,
}

/// A free port for a launcher listener whose address must be known in advance (router,
/// accounts, media, shipping). Taken above the kernel's ephemeral range (`ip_local_port_range`,
/// 32768–60999 here): the launcher's other subgraphs bind port 0 and every outgoing connection
/// gets an ephemeral port, so a port picked from that range could be taken by another test's
/// launcher between this check and the bind, and this test would then talk to that one.
pub fn free_port() -> u16 {
    static HELD_PORTS: std::sync::Mutex<Vec<std::fs::File>> = std::sync::Mutex::new(Vec::new());
    let (low, high) = std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
        .ok()
        .and_then(|r| {
            let mut parts = r.split_whitespace().map(|p| p.parse::<u16>().ok());
            Some((parts.next()??, parts.next()??))
        })
        .unwrap_or((32768, 60999));
    // Above the range when there is room, else below it.
    let (from, to) = if high < 64_000 {
        (high + 1, 65_535)
    } else {
        (1_025, low - 1)
    };
    let span = u32::from(to - from) + 1;
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos()
        ^ std::process::id().wrapping_mul(2_654_435_761);
    let locks = std::env::temp_dir().join("shop-test-ports");
    std::fs::create_dir_all(&locks).unwrap();
    for attempt in 0..span {
        let port = from + ((seed.wrapping_add(attempt.wrapping_mul(7_919))) % span) as u16;
        // Test processes run side by side and each picks ports before its launcher binds
        // them; a lock per port, held until this process exits, keeps two from picking the
        // same one in that gap (the kernel releases it even if the test crashes).
        let Ok(lock) = std::fs::File::create(locks.join(port.to_string())) else {
            continue;
        };
        if lock.try_lock().is_err() {
            continue;
        }
        if TcpListener::bind(("127.0.0.1", port)).is_ok() {
            HELD_PORTS.lock().unwrap().push(lock);
            return port;
        }
    }
    panic!("no free port in {from}..={to}");
}

fn unique() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("{}_{nanos}", std::process::id())
}

/// A database of its own on the test PostgreSQL server.
async fn fresh_database(server: &str, name: &str) -> String {
    use kit::sqlx::{Connection, Executor};
    let mut conn = kit::sqlx::PgConnection::connect(server).await.unwrap();
    conn.execute(format!("CREATE DATABASE \"{name}\"").as_str())
        .await
        .unwrap();
    let (base, _) = server.rsplit_once('/').unwrap();
    format!("{base}/{name}")
}

impl Shop {
    /// Starts the launcher seeded with `products` demo products and waits until the router
    /// answers a query.
    pub async fn start(products: u32) -> Shop {
        Shop::start_with(products, &[]).await
    }

    /// Like [`Shop::start`], with extra settings for the launcher (e.g. longer timeouts for a
    /// test that loads the machine on purpose).
    pub async fn start_with(products: u32, settings: &[(&str, &str)]) -> Shop {
        let id = unique();
        let dir = std::env::temp_dir().join(format!("shop-launcher-{id}"));
        std::fs::create_dir_all(&dir).unwrap();
        let router_port = free_port();
        let media_port = free_port();
        let shipping_port = free_port();
        // Subgraphs verify tokens with the keys accounts publishes, so its address is fixed.
        let accounts_port = free_port();
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_shop"));
        cmd.env("DATA_DIR", &dir)
            .env("LISTEN_ADDR", "127.0.0.1:0")
            .env("ACCOUNTS_LISTEN_ADDR", format!("127.0.0.1:{accounts_port}"))
            .env(
                "JWKS_URL",
                format!("http://127.0.0.1:{accounts_port}/.well-known/jwks.json"),
            )
            .env("MEDIA_LISTEN_ADDR", format!("127.0.0.1:{media_port}"))
            .env("MEDIA_PUBLIC_URL", format!("http://127.0.0.1:{media_port}"))
            .env("SHIPPING_LISTEN_ADDR", format!("127.0.0.1:{shipping_port}"))
            .env("SHIPPING_CARRIER_WEBHOOK_SECRET", CARRIER_SECRET)
            .env("ROUTER_LISTEN", format!("127.0.0.1:{router_port}"))
            .env("SEED_DEMO_DATA", "true")
            .env("SEED_PRODUCTS", products.to_string())
            .env("ADMIN_EMAIL", ADMIN.0)
            .env("ADMIN_PASSWORD", ADMIN.1)
            .envs(settings.iter().copied())
            .env("LOG_LEVEL", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit());
        if let Ok(server) = std::env::var("TEST_DATABASE_URL") {
            let db = fresh_database(&server, &format!("launcher_{id}")).await;
            let amqp =
                std::env::var("TEST_AMQP_URL").expect("TEST_AMQP_URL with TEST_DATABASE_URL");
            let redis =
                std::env::var("TEST_REDIS_URL").expect("TEST_REDIS_URL with TEST_DATABASE_URL");
            cmd.env("DATABASE_URL", db)
                .env("AMQP_URL", amqp)
                .env("EVENTS_EXCHANGE", format!("test.launcher.{id}"))
                .env("QUEUE_PREFIX", format!("launcher.{id}"))
                .env("REDIS_URL", redis)
                .env("CACHE_PREFIX", format!("launcher:{id}"));
        }
        let child = cmd.spawn().expect("the launcher binary starts");
        let mut shop = Shop {
            child,
            dir,
            router: format!("http://127.0.0.1:{router_port}/graphql"),
            media: format!("http://127.0.0.1:{media_port}"),
            shipping: format!("http://127.0.0.1:{shipping_port}"),
            http: reqwest::Client::new(),
        };
        shop.wait_ready().await;
        shop
    }

    async fn wait_ready(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(180);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                panic!("the launcher exited during start-up: {status}");
            }
            let probe = self
                .http
                .post(&self.router)
                .json(&json!({ "query": "{ rootCategories { id } }" }))
                .send()
                .await;
            if let Ok(resp) = probe {
                if resp.status().is_success() {
                    let body: Value = resp.json().await.unwrap();
                    // A launcher that failed to bind has exited: the answer came from
                    // someone else's router.
                    if let Some(status) = self.child.try_wait().unwrap() {
                        panic!("the launcher exited during start-up: {status}");
                    }
                    if body["errors"].is_null() {
                        return;
                    }
                }
            }
            assert!(
                Instant::now() < deadline,
                "the launcher did not become ready"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// A GraphQL request through the router; the whole response body.
    pub async fn gql(&self, token: Option<&str>, query: &str, variables: Value) -> Value {
        self.gql_cart(token, None, query, variables).await
    }

    /// Like [`Shop::gql`], also sending a guest cart's secret in `X-Cart-Token`.
    pub async fn gql_cart(
        &self,
        token: Option<&str>,
        cart_token: Option<&str>,
        query: &str,
        variables: Value,
    ) -> Value {
        let mut req = self
            .http
            .post(&self.router)
            .json(&json!({ "query": query, "variables": variables }));
        if let Some(token) = token {
            req = req.bearer_auth(token);
        }
        if let Some(cart_token) = cart_token {
            req = req.header("x-cart-token", cart_token);
        }
        let resp = req.send().await.unwrap();
        resp.json().await.unwrap()
    }

    /// Like [`Shop::gql`], but the response must carry no errors; its `data`.
    pub async fn data(&self, token: Option<&str>, query: &str, variables: Value) -> Value {
        let body = self.gql(token, query, variables).await;
        assert!(body["errors"].is_null(), "{query}\n{body:#}");
        body["data"].clone()
    }

    pub async fn login(&self, email: &str, password: &str) -> String {
        let data = self
            .data(
                None,
                "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken } }",
                json!({ "e": email, "p": password }),
            )
            .await;
        data["login"]["accessToken"].as_str().unwrap().to_string()
    }

    /// Registers a customer through the router and signs them in; their access token.
    pub async fn sign_up(&self, email: &str, password: &str, name: &str) -> String {
        self.data(
            None,
            "mutation($e: String!, $p: String!, $n: String!) { register(email: $e, password: $p, name: $n) { id } }",
            json!({ "e": email, "p": password, "n": name }),
        )
        .await;
        self.login(email, password).await
    }

    /// The leaf category with the most products, and its product count, found by walking the
    /// tree through the router.
    pub async fn biggest_leaf(&self) -> (String, usize) {
        let tree = self
            .data(None, "{ rootCategories { children { id } } }", json!({}))
            .await;
        let mut best = (String::new(), 0);
        for root in tree["rootCategories"].as_array().unwrap() {
            for child in root["children"].as_array().unwrap() {
                let id = child["id"].as_str().unwrap();
                let count = self
                    .data(
                        None,
                        "query($c: ID!) { category(id: $c) { products(first: 1) { totalCount } } }",
                        json!({ "c": id }),
                    )
                    .await["category"]["products"]["totalCount"]
                    .as_u64()
                    .unwrap() as usize;
                if count > best.1 {
                    best = (id.to_string(), count);
                }
            }
        }
        assert!(best.1 > 0, "no seeded category has products: {tree}");
        best
    }

    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }
}

impl Drop for Shop {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Polls `check` until it returns `Some`, for effects that travel by event.
pub async fn eventually<T, F, Fut>(what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
