//! Subscriptions at scale: N idle graphql-transport-ws subscribers through the real `router`
//! binary, all on `stockChanged(variantId: "v1")` of a fixture inventory subgraph that runs in
//! its own process (this binary, started with `subgraph`). Prints, per N, the resident memory
//! each subscriber adds to the router and to the subgraph, the upstream sockets the subgraph
//! saw, and event-to-client latency (from the start of the `publish` mutation sent through the
//! router to each client's receipt), and the CPU each process spends per delivered event
//! during the event phase. Run through `bench/subscriptions/run.sh`.

#[path = "../common/ws_bench.rs"]
mod ws_bench;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_graphql::{Context, Object, Schema, SimpleObject, Subscription, ID};
use async_graphql_axum::{GraphQL, GraphQLSubscription};
use axum::routing::post_service;
use futures_util::{Stream, StreamExt};
use parking_lot::Mutex;
use serde_json::{json, Value};
use tokio::io::AsyncBufReadExt;
use tokio::sync::broadcast;
use ws_bench::{cpu_secs, pct, rss_kib};

// ---- the fixture subgraph (child process) ----------------------------------------------------

#[derive(SimpleObject, Clone)]
struct StockEvent {
    variant_id: ID,
    seq: i32,
    quantity: i32,
}

struct Query;

#[Object]
impl Query {
    async fn stock(&self, variant_id: ID) -> StockEvent {
        StockEvent {
            variant_id,
            seq: 0,
            quantity: 10,
        }
    }
}

struct Mutation;

#[Object]
impl Mutation {
    /// Publishes one stock change to every subscriber of the variant.
    async fn publish(&self, ctx: &Context<'_>, variant_id: ID, seq: i32) -> bool {
        let bus = ctx.data_unchecked::<broadcast::Sender<StockEvent>>();
        bus.send(StockEvent {
            variant_id,
            seq,
            quantity: 100 - seq,
        })
        .is_ok()
    }
    /// Upstream WebSocket connections this subgraph has seen since it started.
    async fn sockets(&self, ctx: &Context<'_>) -> i32 {
        ctx.data_unchecked::<Arc<AtomicUsize>>()
            .load(Ordering::SeqCst) as i32
    }
}

struct Sub;

#[Subscription(name = "Subscription")]
impl Sub {
    async fn stock_changed(
        &self,
        ctx: &Context<'_>,
        variant_id: ID,
    ) -> impl Stream<Item = StockEvent> {
        let rx = ctx
            .data_unchecked::<broadcast::Sender<StockEvent>>()
            .subscribe();
        tokio_stream_from(rx).filter(move |e| {
            let keep = e.variant_id == variant_id;
            async move { keep }
        })
    }
}

fn tokio_stream_from(mut rx: broadcast::Receiver<StockEvent>) -> impl Stream<Item = StockEvent> {
    async_stream::stream! {
        loop {
            match rx.recv().await {
                Ok(e) => yield e,
                Err(broadcast::error::RecvError::Lagged(_)) => continue,
                Err(broadcast::error::RecvError::Closed) => break,
            }
        }
    }
}

async fn run_subgraph() {
    let (bus, _) = broadcast::channel::<StockEvent>(1024);
    let sockets = Arc::new(AtomicUsize::new(0));
    let schema = Schema::build(Query, Mutation, Sub)
        .data(bus)
        .data(sockets.clone())
        .enable_federation()
        .enable_subscription_in_federation()
        .finish();
    let counted = sockets.clone();
    let app = axum::Router::new()
        .route(
            "/graphql",
            post_service(GraphQL::new(schema.clone()))
                .get_service(GraphQLSubscription::new(schema)),
        )
        .layer(axum::middleware::from_fn(
            move |req: axum::extract::Request, next: axum::middleware::Next| {
                if req.headers().contains_key("upgrade") {
                    counted.fetch_add(1, Ordering::SeqCst);
                }
                next.run(req)
            },
        ));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    println!("http://{}/graphql", listener.local_addr().unwrap());
    axum::serve(listener, app).await.unwrap();
}

// ---- the measuring side ------------------------------------------------------------------------

/// (event seq, arrival) for every event every client received.
type Arrivals = Arc<Mutex<Vec<(i64, Instant)>>>;

/// One idle subscriber on `stockChanged`, recording each event's arrival.
async fn subscriber(ws_url: String, ready: Arc<AtomicUsize>, arrivals: Arrivals) {
    let payload = json!({
        "query": "subscription { stockChanged(variantId: \"v1\") { variantId seq quantity } }"});
    ws_bench::subscriber(&ws_url, json!({}), payload, ready, |v, at| {
        match v["payload"]["data"]["stockChanged"]["seq"].as_i64() {
            Some(seq) => arrivals.lock().push((seq, at)),
            None => eprintln!("unexpected event: {v}"),
        }
    })
    .await
}

async fn post(url: &str, query: &str) -> Value {
    reqwest::Client::new()
        .post(url)
        .json(&json!({ "query": query }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

struct Row {
    n: usize,
    router_kib: f64,
    subgraph_kib: f64,
    sockets: i64,
    received: usize,
    expected: usize,
    p50: f64,
    p99: f64,
    max: f64,
    /// CPU per delivery (µs): router, subgraph, the clients (this process).
    cpu_us: [f64; 3],
}

async fn run_once(router_bin: &str, n: usize, events: i32) -> Row {
    let exe = std::env::current_exe().unwrap();
    let mut sub_child = tokio::process::Command::new(exe)
        .arg("subgraph")
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("subgraph starts");
    let sub_pid = sub_child.id().unwrap();
    let mut lines = tokio::io::BufReader::new(sub_child.stdout.take().unwrap()).lines();
    let sub_url = lines.next_line().await.unwrap().expect("subgraph URL");
    let sdl = router::reload::compose_from_subgraphs(&[("inventory".to_string(), sub_url.clone())])
        .await
        .expect("composes");
    let path = std::env::temp_dir().join(format!("subs-bench-{}.graphql", std::process::id()));
    std::fs::write(&path, sdl).unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut router = tokio::process::Command::new(router_bin)
        .arg("--supergraph")
        .arg(&path)
        .args(["--listen", &format!("127.0.0.1:{port}")])
        .env("RUST_LOG", "error")
        .kill_on_drop(true)
        .spawn()
        .expect("router starts");
    let router_pid = router.id().unwrap();
    let url = format!("http://127.0.0.1:{port}/graphql");
    for _ in 0..600 {
        if reqwest::get(format!("http://127.0.0.1:{port}/health"))
            .await
            .is_ok()
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Warm both processes up (allocator arenas, plan cache) before the baseline.
    post(&url, "{ stock(variantId: \"v0\") { quantity } }").await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (r0, s0) = (rss_kib(router_pid), rss_kib(sub_pid));

    let ready = Arc::new(AtomicUsize::new(0));
    let arrivals: Arrivals = Arc::new(Mutex::new(Vec::with_capacity(n * events as usize)));
    let ws_url = url.replace("http://", "ws://");
    let mut clients = Vec::with_capacity(n);
    for i in 0..n {
        clients.push(tokio::spawn(subscriber(
            ws_url.clone(),
            ready.clone(),
            arrivals.clone(),
        )));
        // Open in waves so the listen backlog never overflows.
        if i % 200 == 199 {
            while ready.load(Ordering::SeqCst) + 50 < i {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        }
    }
    let deadline = Instant::now() + Duration::from_secs(120);
    while ready.load(Ordering::SeqCst) < n && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Let the router's subscribe messages settle, then measure the idle cost.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let (r1, s1) = (rss_kib(router_pid), rss_kib(sub_pid));

    let mut latencies = Vec::with_capacity(n * events as usize);
    let me = std::process::id();
    let cpu0 = [cpu_secs(router_pid), cpu_secs(sub_pid), cpu_secs(me)];
    for seq in 1..=events {
        let before = arrivals.lock().len();
        let t0 = Instant::now();
        post(
            &url,
            &format!("mutation {{ publish(variantId: \"v1\", seq: {seq}) }}"),
        )
        .await;
        let wait_until = Instant::now() + Duration::from_secs(10);
        while arrivals.lock().len() < before + n && Instant::now() < wait_until {
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        latencies.extend(
            arrivals
                .lock()
                .iter()
                .filter(|(s, _)| *s == seq as i64)
                .map(|(_, at)| at.saturating_duration_since(t0)),
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let cpu1 = [cpu_secs(router_pid), cpu_secs(sub_pid), cpu_secs(me)];
    // CPU per delivered event, in µs: what each process spends per subscriber per event.
    let delivered = latencies.len().max(1) as f64;
    let cpu_us: [f64; 3] = std::array::from_fn(|i| (cpu1[i] - cpu0[i]) * 1e6 / delivered);
    latencies.sort();
    let sockets = post(&sub_url, "mutation { sockets }").await["data"]["sockets"]
        .as_i64()
        .unwrap_or(-1);
    for c in clients {
        c.abort();
    }
    router.kill().await.ok();
    sub_child.kill().await.ok();
    let _ = std::fs::remove_file(&path);
    Row {
        n,
        router_kib: (r1 - r0) / n as f64,
        subgraph_kib: (s1 - s0) / n as f64,
        sockets,
        received: latencies.len(),
        expected: n * events as usize,
        p50: pct(&latencies, 0.5),
        p99: pct(&latencies, 0.99),
        max: latencies
            .last()
            .map_or(f64::NAN, |d| d.as_secs_f64() * 1000.0),
        cpu_us,
    }
}

#[tokio::main]
async fn main() {
    if std::env::args().nth(1).as_deref() == Some("subgraph") {
        run_subgraph().await;
        return;
    }
    let router_bin =
        std::env::var("ROUTER_BIN").expect("ROUTER_BIN names the release router binary");
    let sizes: Vec<usize> = std::env::var("BENCH_SUBSCRIBERS")
        .unwrap_or_else(|_| "1000,5000,10000".into())
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    let events: i32 = std::env::var("BENCH_EVENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5);
    let mut rows = Vec::new();
    for n in sizes {
        let row = run_once(&router_bin, n, events).await;
        eprintln!("N={n} done");
        rows.push(row);
    }
    println!("\n| subscribers | router KiB/sub | subgraph KiB/sub | total KiB/sub | upstream sockets | events received | p50 ms | p99 ms | max ms | CPU µs/delivery: router, subgraph, clients |");
    println!("|---|---|---|---|---|---|---|---|---|---|");
    for r in rows {
        println!(
            "| {} | {:.1} | {:.1} | {:.1} | {} | {}/{} | {:.1} | {:.1} | {:.1} | {:.1}, {:.2}, {:.1} |",
            r.n,
            r.router_kib,
            r.subgraph_kib,
            r.router_kib + r.subgraph_kib,
            r.sockets,
            r.received,
            r.expected,
            r.p50,
            r.p99,
            r.max,
            r.cpu_us[0],
            r.cpu_us[1],
            r.cpu_us[2]
        );
    }
}
