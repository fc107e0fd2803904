//! Router load benchmark: four fixture subgraphs (users, products, inventory, reviews) and a
//! monolith serving the same data, the real `router` binary in its own process, and a load
//! generator with N concurrent clients on loopback. Prints RPS, p50/p99 latency, router CPU and
//! peak RSS. Run through `bench/router/run.sh`.
//!
//! `BENCH_CALLGRIND=N` instead runs the router under `valgrind --tool=callgrind`, sends N
//! sequential requests after a warm-up, and prints the router's instructions per request: a
//! number that, unlike RPS, does not move with the load other jobs put on the machine.
//!
//! `BENCH_TOKEN=same|fresh` makes every request carry a signed access token (see `tokens`),
//! verified by the router against the bench's JWKS; with `ROUTER_AUTH=false` the router skips
//! the verification, which gives the cost of verifying signed tokens.

mod tokens;

use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use async_graphql::{
    ComplexObject, EmptyMutation, EmptySubscription, Object, Schema, SimpleObject, ID,
};
use async_graphql_axum::GraphQL;
use axum::routing::post_service;
use tokens::Tokens;

const QUERY: &str = "{ topProducts(first: 10) { upc name price inStock shippingEstimate reviews { id body author { id name reviews { id body product { upc name } } } } } }";

/// A typical storefront listing page: one subgraph, small response. Also valid on the products
/// subgraph itself, which gives the latency the router adds over calling it directly.
const LISTING: &str = "{ topProducts(first: 10) { upc name price } }";

/// `BENCH_QUERY=listing` measures the listing page; anything else the nested query.
fn query() -> &'static str {
    static Q: OnceLock<&'static str> = OnceLock::new();
    Q.get_or_init(|| match std::env::var("BENCH_QUERY").as_deref() {
        Ok("listing") => LISTING,
        _ => QUERY,
    })
}

struct Data {
    products: Vec<(String, String, i32, i32)>,
    users: Vec<(String, String)>,
    /// (id, body, author index, product index)
    reviews: Vec<(String, String, usize, usize)>,
}

fn data() -> &'static Data {
    static DATA: OnceLock<Data> = OnceLock::new();
    DATA.get_or_init(|| {
        let products = (0..40)
            .map(|i| {
                (
                    format!("p{i}"),
                    format!("Product {i}"),
                    100 + i * 37,
                    10 + i,
                )
            })
            .collect();
        let users = (0..20)
            .map(|i| (format!("u{i}"), format!("User {i}")))
            .collect();
        let mut reviews = Vec::new();
        for p in 0..40 {
            for k in 0..5 {
                let n = p * 5 + k;
                reviews.push((format!("r{n}"), format!("Review {n} body text"), n % 20, p));
            }
        }
        Data {
            products,
            users,
            reviews,
        }
    })
}

mod federated {
    use super::*;

    pub mod users {
        use super::*;
        #[derive(SimpleObject)]
        pub struct User {
            pub id: ID,
            pub name: String,
        }
        fn user(i: usize) -> User {
            let (id, name) = &data().users[i];
            User {
                id: ID(id.clone()),
                name: name.clone(),
            }
        }
        pub struct Query;
        #[Object]
        impl Query {
            async fn users(&self) -> Vec<User> {
                (0..data().users.len()).map(user).collect()
            }
            #[graphql(entity)]
            async fn find_user(&self, id: ID) -> Option<User> {
                data().users.iter().position(|u| u.0 == id.0).map(user)
            }
        }
    }

    pub mod products {
        use super::*;
        #[derive(SimpleObject)]
        pub struct Product {
            pub upc: String,
            pub name: String,
            pub price: i32,
            pub weight: i32,
        }
        fn product(i: usize) -> Product {
            let (upc, name, price, weight) = &data().products[i];
            Product {
                upc: upc.clone(),
                name: name.clone(),
                price: *price,
                weight: *weight,
            }
        }
        pub struct Query;
        #[Object]
        impl Query {
            async fn top_products(&self, first: i32) -> Vec<Product> {
                (0..first as usize).map(product).collect()
            }
            #[graphql(entity)]
            async fn find_product(&self, upc: String) -> Option<Product> {
                data().products.iter().position(|p| p.0 == upc).map(product)
            }
        }
    }

    pub mod inventory {
        use super::*;
        #[derive(SimpleObject)]
        #[graphql(complex)]
        pub struct Product {
            pub upc: String,
            #[graphql(external)]
            pub price: Option<i32>,
            #[graphql(external)]
            pub weight: Option<i32>,
        }
        #[ComplexObject]
        impl Product {
            async fn in_stock(&self) -> bool {
                !self.upc.ends_with('3')
            }
            #[graphql(requires = "price weight")]
            async fn shipping_estimate(&self) -> Option<i32> {
                Some(if self.price? > 1000 {
                    0
                } else {
                    self.weight? / 2
                })
            }
        }
        pub struct Query;
        #[Object]
        impl Query {
            #[graphql(entity)]
            async fn find_product(
                &self,
                #[graphql(key)] upc: String,
                price: Option<i32>,
                weight: Option<i32>,
            ) -> Product {
                Product { upc, price, weight }
            }
        }
    }

    pub mod reviews {
        use super::*;
        #[derive(SimpleObject)]
        pub struct Review {
            pub id: ID,
            pub body: String,
            pub author: User,
            pub product: Product,
        }
        #[derive(SimpleObject)]
        #[graphql(complex)]
        pub struct User {
            pub id: ID,
        }
        #[ComplexObject]
        impl User {
            async fn reviews(&self) -> Vec<Review> {
                let ui = data().users.iter().position(|u| u.0 == self.id.0);
                reviews_where(|r| Some(r.2) == ui)
            }
        }
        #[derive(SimpleObject)]
        #[graphql(complex)]
        pub struct Product {
            pub upc: String,
        }
        #[ComplexObject]
        impl Product {
            async fn reviews(&self) -> Vec<Review> {
                let pi = data().products.iter().position(|p| p.0 == self.upc);
                reviews_where(|r| Some(r.3) == pi)
            }
        }
        fn reviews_where(f: impl Fn(&(String, String, usize, usize)) -> bool) -> Vec<Review> {
            data()
                .reviews
                .iter()
                .filter(|r| f(r))
                .map(|r| Review {
                    id: ID(r.0.clone()),
                    body: r.1.clone(),
                    author: User {
                        id: ID(data().users[r.2].0.clone()),
                    },
                    product: Product {
                        upc: data().products[r.3].0.clone(),
                    },
                })
                .collect()
        }
        pub struct Query;
        #[Object]
        impl Query {
            #[graphql(entity)]
            async fn find_user(&self, id: ID) -> User {
                User { id }
            }
            #[graphql(entity)]
            async fn find_product(&self, upc: String) -> Product {
                Product { upc }
            }
        }
    }
}

/// The same data and query shape served by one schema: the floor the router is compared to.
mod monolith {
    use super::*;

    pub struct Product(usize);
    pub struct User(usize);
    pub struct Review(usize);

    #[Object]
    impl Product {
        async fn upc(&self) -> &str {
            &data().products[self.0].0
        }
        async fn name(&self) -> &str {
            &data().products[self.0].1
        }
        async fn price(&self) -> i32 {
            data().products[self.0].2
        }
        async fn in_stock(&self) -> bool {
            !data().products[self.0].0.ends_with('3')
        }
        async fn shipping_estimate(&self) -> i32 {
            let p = &data().products[self.0];
            if p.2 > 1000 {
                0
            } else {
                p.3 / 2
            }
        }
        async fn reviews(&self) -> Vec<Review> {
            (0..data().reviews.len())
                .filter(|&i| data().reviews[i].3 == self.0)
                .map(Review)
                .collect()
        }
    }

    #[Object]
    impl User {
        async fn id(&self) -> &str {
            &data().users[self.0].0
        }
        async fn name(&self) -> &str {
            &data().users[self.0].1
        }
        async fn reviews(&self) -> Vec<Review> {
            (0..data().reviews.len())
                .filter(|&i| data().reviews[i].2 == self.0)
                .map(Review)
                .collect()
        }
    }

    #[Object]
    impl Review {
        async fn id(&self) -> &str {
            &data().reviews[self.0].0
        }
        async fn body(&self) -> &str {
            &data().reviews[self.0].1
        }
        async fn author(&self) -> User {
            User(data().reviews[self.0].2)
        }
        async fn product(&self) -> Product {
            Product(data().reviews[self.0].3)
        }
    }

    pub struct Query;

    #[Object]
    impl Query {
        async fn top_products(&self, first: i32) -> Vec<Product> {
            (0..first as usize).map(Product).collect()
        }
    }
}

/// Requests the four subgraphs have answered: with fetch sharing, how many a client request
/// costs depends on how many identical requests overlap, which moves CPU per request.
static SUBGRAPH_FETCHES: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

async fn count_fetch(
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    SUBGRAPH_FETCHES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    next.run(req).await
}

async fn serve<Q: async_graphql::ObjectType + 'static>(query: Q, federation: bool) -> String {
    let mut builder = Schema::build(query, EmptyMutation, EmptySubscription);
    if federation {
        builder = builder.enable_federation();
    }
    let mut app =
        axum::Router::new().route("/graphql", post_service(GraphQL::new(builder.finish())));
    if federation {
        app = app.layer(axum::middleware::from_fn(count_fetch));
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}/graphql")
}

struct Stats {
    requests: usize,
    errors: usize,
    elapsed: Duration,
    latencies: Vec<Duration>,
}

async fn load(url: &str, clients: usize, duration: Duration, tokens: &Arc<Tokens>) -> Stats {
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(clients)
        .build()
        .unwrap();
    let body = serde_json::to_vec(&serde_json::json!({ "query": query() })).unwrap();
    let deadline = Instant::now() + duration;
    let started = Instant::now();
    let tasks: Vec<_> = (0..clients)
        .map(|_| {
            let http = http.clone();
            let body = body.clone();
            let url = url.to_string();
            let tokens = tokens.clone();
            tokio::spawn(async move {
                let mut lat = Vec::new();
                let mut errors = 0;
                while Instant::now() < deadline {
                    let t = Instant::now();
                    let mut req = http
                        .post(&url)
                        .header("content-type", "application/json")
                        .body(body.clone());
                    if let Some(a) = tokens.authorization() {
                        req = req.header("authorization", a);
                    }
                    let ok = match req.send().await {
                        Ok(r) => {
                            r.status().is_success()
                                && r.bytes()
                                    .await
                                    .is_ok_and(|b| !b.windows(9).any(|w| w == b"\"errors\":"))
                        }
                        Err(_) => false,
                    };
                    if ok {
                        lat.push(t.elapsed());
                    } else {
                        errors += 1;
                    }
                }
                (lat, errors)
            })
        })
        .collect();
    let mut latencies = Vec::new();
    let mut errors = 0;
    for t in tasks {
        let (l, e) = t.await.unwrap();
        latencies.extend(l);
        errors += e;
    }
    let elapsed = started.elapsed();
    latencies.sort();
    Stats {
        requests: latencies.len(),
        errors,
        elapsed,
        latencies,
    }
}

fn pct(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

/// (user+system CPU seconds, peak RSS in MiB) of a process, from /proc.
fn proc_usage(pid: u32) -> (f64, f64) {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let fields: Vec<&str> = stat
        .rsplit(')')
        .next()
        .unwrap_or("")
        .split_whitespace()
        .collect();
    let ticks: f64 = fields
        .get(11)
        .and_then(|u| u.parse::<f64>().ok())
        .unwrap_or(0.0)
        + fields
            .get(12)
            .and_then(|s| s.parse::<f64>().ok())
            .unwrap_or(0.0);
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let hwm_kb: f64 = status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0);
    (ticks / 100.0, hwm_kb / 1024.0)
}

/// Zeroes the callgrind counters after a warm-up, sends `n` sequential requests, dumps the
/// counters and returns the instructions executed per request.
async fn instructions_per_request(
    pid: u32,
    url: &str,
    n: usize,
    out: &std::path::Path,
    tokens: &Tokens,
) -> f64 {
    let http = reqwest::Client::new();
    let body = serde_json::to_vec(&serde_json::json!({ "query": query() })).unwrap();
    let send = || async {
        let mut req = http
            .post(url)
            .header("content-type", "application/json")
            .body(body.clone());
        if let Some(a) = tokens.authorization() {
            req = req.header("authorization", a);
        }
        let r = req.send().await.unwrap();
        assert!(r.status().is_success());
        r.bytes().await.unwrap();
    };
    for _ in 0..20 {
        send().await;
    }
    // `callgrind_control <option> <pid>`: the option and the pid are separate arguments. The
    // tool answers an unknown option (such as `--zero=<pid>`, used here before) with a message
    // and exit status 0, so its output is checked too.
    let control = |option: &str| {
        let out = std::process::Command::new("callgrind_control")
            .args([option, &pid.to_string()])
            .output()
            .expect("callgrind_control runs");
        let text = String::from_utf8_lossy(&out.stdout).to_string()
            + &String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success() && !text.contains("Error"),
            "callgrind_control {option} {pid}: {text}"
        );
    };
    // The tool returns before an idle router has acted on the command (valgrind takes it at
    // its next scheduling point, forced after up to 100 ms): wait, so the counters cover
    // exactly the `n` requests. A loaded machine once let half of them go uncounted.
    let settle = || tokio::time::sleep(Duration::from_secs(2));
    // BENCH_CALLGRIND_CLIENTS > 1 sends the `n` requests from that many concurrent clients, so
    // identical in-flight fetches are shared as under load (the fetches per request are printed).
    let clients: usize = std::env::var("BENCH_CALLGRIND_CLIENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1)
        .max(1);
    control("--zero");
    settle().await;
    let fetches0 = SUBGRAPH_FETCHES.load(std::sync::atomic::Ordering::Relaxed);
    futures_util::future::join_all((0..clients).map(|c| {
        let send = &send;
        async move {
            for _ in (c..n).step_by(clients) {
                send().await;
            }
        }
    }))
    .await;
    let fetches = SUBGRAPH_FETCHES.load(std::sync::atomic::Ordering::Relaxed) - fetches0;
    println!(
        "{clients} client(s): {:.2} subgraph fetches per request",
        fetches as f64 / n as f64
    );
    settle().await;
    control("--dump");
    // The dump after zeroing is `<out>.<n>`; its `summary:` (or `totals:`) line is the count.
    let dir = out.parent().unwrap();
    let stem = out.file_name().unwrap().to_string_lossy().to_string();
    let mut best = None;
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let name = entry.file_name().to_string_lossy().to_string();
        if name.starts_with(&format!("{stem}.")) {
            let text = std::fs::read_to_string(entry.path()).unwrap_or_default();
            let total = text
                .lines()
                .find_map(|l| {
                    l.strip_prefix("summary:")
                        .or_else(|| l.strip_prefix("totals:"))
                })
                .and_then(|v| v.split_whitespace().next()?.parse::<f64>().ok());
            if let Some(t) = total {
                best = Some(t);
                // Kept for `callgrind_annotate`; the path is printed below.
                println!("callgrind profile: {}", entry.path().display());
            } else {
                let _ = std::fs::remove_file(entry.path());
            }
        }
    }
    best.expect("callgrind dump found") / n as f64
}

#[tokio::main]
async fn main() {
    let clients: usize = std::env::var("BENCH_CLIENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(50);
    let secs: u64 = std::env::var("BENCH_SECONDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(15);
    let router_bin =
        std::env::var("ROUTER_BIN").expect("ROUTER_BIN names the release router binary");

    let users = serve(federated::users::Query, true).await;
    let products = serve(federated::products::Query, true).await;
    let products_direct = products.clone();
    let inventory = serve(federated::inventory::Query, true).await;
    let reviews = serve(federated::reviews::Query, true).await;
    let mono = serve(monolith::Query, false).await;
    let tokens = Arc::new(Tokens::start(tokens::mode()).await);
    // The monolith and the products subgraph are not behind the router: no tokens for them.
    let no_tokens = Arc::new(Tokens::start(tokens::Mode::Anonymous).await);
    let list = vec![
        ("users".to_string(), users),
        ("products".to_string(), products),
        ("inventory".to_string(), inventory),
        ("reviews".to_string(), reviews),
    ];
    let sdl = router::reload::compose_from_subgraphs(&list)
        .await
        .expect("composes");
    let path = std::env::temp_dir().join("router-bench-supergraph.graphql");
    std::fs::write(&path, sdl).unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let callgrind: Option<usize> = std::env::var("BENCH_CALLGRIND")
        .ok()
        .and_then(|v| v.parse().ok());
    let callgrind_out =
        std::env::temp_dir().join(format!("router-bench-{}.callgrind", std::process::id()));
    let mut command = match callgrind {
        Some(_) => {
            let mut c = tokio::process::Command::new("valgrind");
            c.arg("--tool=callgrind")
                .arg(format!("--callgrind-out-file={}", callgrind_out.display()))
                .arg(&router_bin);
            c
        }
        None => tokio::process::Command::new(&router_bin),
    };
    let mut child = command
        .arg("--supergraph")
        .arg(&path)
        .args(["--listen", &format!("127.0.0.1:{port}")])
        .env("RUST_LOG", "warn")
        .env("ROUTER_JWKS_URL", &tokens.jwks_url)
        .kill_on_drop(true)
        .spawn()
        .expect("router starts");
    let pid = child.id().unwrap();
    let url = format!("http://127.0.0.1:{port}/graphql");
    for _ in 0..1200 {
        if reqwest::get(format!("http://127.0.0.1:{port}/health"))
            .await
            .is_ok()
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Sanity: both endpoints give the same answer.
    let fetch = |u: String| async move {
        reqwest::Client::new()
            .post(u)
            .json(&serde_json::json!({"query": query()}))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    };
    let (a, b) = (fetch(url.clone()).await, fetch(mono.clone()).await);
    assert_eq!(a, b, "router and monolith disagree");
    println!("response size: {} bytes", a.len());
    if tokens.mode != tokens::Mode::Anonymous {
        // The token is accepted, and really verified unless ROUTER_AUTH turns that off.
        let status = |auth: String| {
            let url = url.clone();
            async move {
                reqwest::Client::new()
                    .post(url)
                    .header("authorization", auth)
                    .json(&serde_json::json!({"query": query()}))
                    .send()
                    .await
                    .unwrap()
                    .status()
                    .as_u16()
            }
        };
        assert_eq!(status(tokens.authorization().unwrap()).await, 200);
        let verifying = !matches!(
            std::env::var("ROUTER_AUTH").as_deref(),
            Ok("false" | "0" | "off" | "no")
        );
        let forged = status(tokens.forged()).await;
        assert_eq!(forged, if verifying { 401 } else { 200 }, "forged token");
        println!(
            "tokens: {:?}, router verification {}",
            tokens.mode,
            if verifying { "on" } else { "off" }
        );
    }

    if let Some(n) = callgrind {
        let ir = instructions_per_request(pid, &url, n, &callgrind_out, &tokens).await;
        println!("router instructions per request (callgrind, {n} requests): {ir:.0}");
        child.kill().await.ok();
        let _ = std::fs::remove_file(&callgrind_out);
        return;
    }

    let _ = load(&url, clients, Duration::from_secs(2), &tokens).await;
    let (cpu0, _) = proc_usage(pid);
    let fetches0 = SUBGRAPH_FETCHES.load(std::sync::atomic::Ordering::Relaxed);
    let routed = load(&url, clients, Duration::from_secs(secs), &tokens).await;
    let (cpu1, rss) = proc_usage(pid);
    let fetches = SUBGRAPH_FETCHES.load(std::sync::atomic::Ordering::Relaxed) - fetches0;
    let _ = load(&mono, clients, Duration::from_secs(2), &no_tokens).await;
    let floor = load(&mono, clients, Duration::from_secs(secs), &no_tokens).await;
    // The listing query needs only the products subgraph: measure it without the router too.
    let direct = if query() == LISTING {
        let _ = load(
            &products_direct,
            clients,
            Duration::from_secs(2),
            &no_tokens,
        )
        .await;
        Some(
            load(
                &products_direct,
                clients,
                Duration::from_secs(secs),
                &no_tokens,
            )
            .await,
        )
    } else {
        None
    };

    println!(
        "\n| target | clients | requests | errors | RPS | p50 ms | p99 ms | router CPU | CPU/request | subgraph fetches/request | router peak RSS |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|");
    let none = || "-".to_string();
    let mut rows = vec![
        (
            "router (4 subgraphs)",
            &routed,
            format!(
                "{:.0}%",
                (cpu1 - cpu0) / routed.elapsed.as_secs_f64() * 100.0
            ),
            format!(
                "{:.2} ms",
                (cpu1 - cpu0) * 1000.0 / routed.requests.max(1) as f64
            ),
            format!("{:.2}", fetches as f64 / routed.requests.max(1) as f64),
            format!("{rss:.1} MiB"),
        ),
        ("monolith (floor)", &floor, none(), none(), none(), none()),
    ];
    if let Some(d) = &direct {
        rows.push((
            "products subgraph (direct)",
            d,
            none(),
            none(),
            none(),
            none(),
        ));
    }
    for (name, s, cpu, per_request, fetched, mem) in rows {
        println!(
            "| {name} | {clients} | {} | {} | {:.0} | {:.2} | {:.2} | {cpu} | {per_request} | {fetched} | {mem} |",
            s.requests,
            s.errors,
            s.requests as f64 / s.elapsed.as_secs_f64(),
            pct(&s.latencies, 0.5),
            pct(&s.latencies, 0.99),
        );
    }
    child.kill().await.ok();
}
