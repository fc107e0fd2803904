//! Livestream audience at scale: starts the release launcher (`shop`: every subgraph and the
//! router in one process), signs in, schedules and starts a stream as the admin, opens N
//! graphql-transport-ws subscribers to `livestreamEvents(streamId)` through the router (:4000),
//! sends chat at one message a second as a signed-in customer, and prints per N the latency
//! from `sendChatMessage` returning (and from its start) to each subscriber receiving the
//! `ChatPosted` event, the launcher's resident memory per subscriber and its CPU, and the
//! router's subgraph fetches per message (from its `/metrics`), which show whether an event
//! costs a subgraph call per subscriber. Run through `bench/livestream/run.sh`.

#[path = "../common/ws_bench.rs"]
mod ws_bench;

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use serde_json::{json, Value};
use ws_bench::{cpu_secs, pct, rss_kib};

const ROUTER: &str = "http://127.0.0.1:4000";
const ADMIN: (&str, &str) = ("admin@example.com", "admin-password-2026");
const CUSTOMER: (&str, &str) = ("ada@example.com", "demo-password-2026");

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .unwrap_or_default()
        .split_whitespace()
        .take(3)
        .collect::<Vec<_>>()
        .join(" ")
}

async fn gql(http: &reqwest::Client, token: Option<&str>, query: &str, vars: Value) -> Value {
    let mut req = http
        .post(format!("{ROUTER}/graphql"))
        .json(&json!({ "query": query, "variables": vars }));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let v: Value = req.send().await.unwrap().json().await.unwrap();
    if v.get("errors").is_some() {
        panic!("{query}: {v}");
    }
    v["data"].clone()
}

async fn login(http: &reqwest::Client, who: (&str, &str)) -> String {
    login_pair(http, who).await.0
}

/// Signs in: (access token, refresh token).
async fn login_pair(http: &reqwest::Client, (email, password): (&str, &str)) -> (String, String) {
    let d = gql(
        http,
        None,
        "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken refreshToken } }",
        json!({"e": email, "p": password}),
    )
    .await;
    let text = |k: &str| d["login"][k].as_str().unwrap().to_string();
    (text("accessToken"), text("refreshToken"))
}

/// `BENCH_SIGNED_IN=true`: every subscriber signs in with a token of its own.
fn signed_in() -> bool {
    std::env::var("BENCH_SIGNED_IN").as_deref() == Ok("true")
}

/// The router's subgraph fetches so far, by subgraph (its Prometheus histogram counts).
async fn fetches(http: &reqwest::Client) -> HashMap<String, u64> {
    let text = http
        .get(format!("{ROUTER}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    text.lines()
        .filter_map(|l| l.strip_prefix("router_subgraph_fetch_duration_seconds_count{"))
        .filter_map(|l| {
            let (labels, n) = l.split_once("} ")?;
            let name = labels.split("subgraph=\"").nth(1)?.split('"').next()?;
            Some((name.to_string(), n.trim().parse().ok()?))
        })
        .collect()
}

/// Every chat event every client received: (message number, arrival), and a count per
/// message number so the sender can wait without scanning the list.
#[derive(Clone)]
struct Arrivals {
    list: Arc<Mutex<Vec<(i64, Instant)>>>,
    counts: Arc<Vec<AtomicUsize>>,
}

impl Arrivals {
    fn new(capacity: usize, messages: i64) -> Self {
        Arrivals {
            list: Arc::new(Mutex::new(Vec::with_capacity(capacity))),
            counts: Arc::new((0..=messages).map(|_| AtomicUsize::new(0)).collect()),
        }
    }

    fn record(&self, message: i64, at: Instant) {
        self.list.lock().push((message, at));
        if let Some(c) = usize::try_from(message)
            .ok()
            .and_then(|i| self.counts.get(i))
        {
            c.fetch_add(1, Ordering::Relaxed);
        }
    }

    fn count(&self, message: i64) -> usize {
        usize::try_from(message)
            .ok()
            .and_then(|i| self.counts.get(i))
            .map_or(0, |c| c.load(Ordering::Relaxed))
    }
}

/// One subscriber to the stream, recording each chat event's arrival.
async fn subscriber(
    query: Arc<str>,
    stream_id: Arc<str>,
    token: Option<String>,
    ready: Arc<AtomicUsize>,
    arrivals: Arrivals,
) {
    let ws_url = format!("{}/graphql", ROUTER.replace("http://", "ws://"));
    let payload = json!({"query": &*query, "variables": {"s": &*stream_id}});
    let init = match token {
        Some(t) => json!({"Authorization": format!("Bearer {t}")}),
        None => json!({}),
    };
    ws_bench::subscriber(&ws_url, init, payload, ready, |v, at| {
        let event = &v["payload"]["data"]["livestreamEvents"];
        if event["__typename"] == "ChatPosted" {
            let n = event["message"]["text"]
                .as_str()
                .and_then(|t| t.strip_prefix("bench "))
                .and_then(|n| n.parse().ok());
            match n {
                Some(n) => arrivals.record(n, at),
                None => eprintln!("unexpected chat event: {v}"),
            }
        } else if v["payload"].get("errors").is_some() {
            eprintln!("event with errors: {v}");
        }
    })
    .await
}

struct Row {
    n: usize,
    load: String,
    ready: usize,
    kib_per_sub: f64,
    rss_mib: f64,
    idle_cpu: f64,
    chat_cpu: f64,
    client_cpu: f64,
    received: usize,
    expected: usize,
    p50: f64,
    p99: f64,
    max: f64,
    p50_start: f64,
    p99_start: f64,
    fetches_per_msg: String,
}

/// Waits until the launcher's router answers, or panics after `secs`.
async fn wait_for_router(http: &reqwest::Client, launcher: &mut tokio::process::Child, secs: u64) {
    for _ in 0..secs * 10 {
        if let Ok(Some(status)) = launcher.try_wait() {
            panic!("launcher exited: {status}");
        }
        if http.get(format!("{ROUTER}/health")).send().await.is_ok() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("router did not start in {secs} s");
}

async fn run_once(shop_bin: &str, n: usize, messages: i64, query: Arc<str>) -> Row {
    let data = std::env::temp_dir().join(format!("live-bench-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&data);
    std::fs::create_dir_all(&data).unwrap();
    let mut cmd = tokio::process::Command::new(shop_bin);
    cmd.env("DATA_DIR", &data)
        .env("SEED_DEMO_DATA", "true")
        .stdout(std::process::Stdio::null())
        .kill_on_drop(true);
    // Defaults that suit a benchmark; the environment wins. One message a second from one
    // user is over the default chat rate limit (5 per 10 s).
    for (k, v) in [
        ("SEED_PRODUCTS", "200"),
        ("LIVESTREAM_CHAT_RATE_MAX", "1000"),
        ("LOG_LEVEL", "warn"),
        ("ROUTER_ACCESS_LOG", "off"),
        ("ADMIN_EMAIL", ADMIN.0),
        ("ADMIN_PASSWORD", ADMIN.1),
    ] {
        if std::env::var_os(k).is_none() {
            cmd.env(k, v);
        }
    }
    let mut launcher = cmd.spawn().expect("launcher starts");
    let pid = launcher.id().unwrap();
    let http = reqwest::Client::new();
    wait_for_router(&http, &mut launcher, 300).await;

    let admin = login(&http, ADMIN).await;
    let stream = gql(
        &http,
        Some(&admin),
        "mutation { scheduleLivestream(input: { title: \"Bench\", scheduledStart: \"2030-01-01T18:00:00Z\" }) { id } }",
        json!({}),
    )
    .await["scheduleLivestream"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    gql(
        &http,
        Some(&admin),
        "mutation($id: ID!) { startLivestream(id: $id) { status } }",
        json!({"id": stream}),
    )
    .await;
    let customer = login(&http, CUSTOMER).await;
    // Signed-in viewers: a token each (a chain of refreshes from one login: no password
    // hashing per token, and no login rate limit), so each is a share of its own in the router.
    let mut tokens: Vec<Option<String>> = vec![None; n];
    if signed_in() {
        let mut refresh = login_pair(&http, CUSTOMER).await.1;
        for token in tokens.iter_mut() {
            let d = gql(
                &http,
                None,
                "mutation($r: String!) { refreshToken(refreshToken: $r) { accessToken refreshToken } }",
                json!({"r": refresh}),
            )
            .await;
            *token = Some(
                d["refreshToken"]["accessToken"]
                    .as_str()
                    .unwrap()
                    .to_string(),
            );
            refresh = d["refreshToken"]["refreshToken"]
                .as_str()
                .unwrap()
                .to_string();
        }
    }
    // Seeding's memory settles before the baseline.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let r0 = rss_kib(pid);

    let ready = Arc::new(AtomicUsize::new(0));
    let arrivals = Arrivals::new(n * messages as usize, messages);
    let stream_id: Arc<str> = Arc::from(stream.as_str());
    let mut clients = Vec::with_capacity(n);
    for (i, token) in tokens.into_iter().enumerate() {
        clients.push(tokio::spawn(subscriber(
            query.clone(),
            stream_id.clone(),
            token,
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
    // Let the subscribe messages settle, then measure the idle cost over a few seconds
    // (viewer-count heartbeats still reach everyone while idle).
    tokio::time::sleep(Duration::from_secs(2)).await;
    let r1 = rss_kib(pid);
    let (c0, t0) = (cpu_secs(pid), Instant::now());
    tokio::time::sleep(Duration::from_secs(3)).await;
    let idle_cpu = (cpu_secs(pid) - c0) / t0.elapsed().as_secs_f64();

    let f0 = fetches(&http).await;
    let me = std::process::id();
    let (c1, b1, t1) = (cpu_secs(pid), cpu_secs(me), Instant::now());
    let mut sends = Vec::with_capacity(messages as usize);
    for k in 1..=messages {
        let tick = Instant::now();
        let sent = Instant::now();
        gql(
            &http,
            Some(&customer),
            "mutation($s: ID!, $t: String!) { sendChatMessage(streamId: $s, text: $t) { id } }",
            json!({"s": stream, "t": format!("bench {k}")}),
        )
        .await;
        let returned = Instant::now();
        let wait_until = returned + Duration::from_secs(5);
        while arrivals.count(k) < n && Instant::now() < wait_until {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        sends.push((sent, returned));
        if let Some(rest) = Duration::from_secs(1).checked_sub(tick.elapsed()) {
            tokio::time::sleep(rest).await;
        }
    }
    let chat_cpu = (cpu_secs(pid) - c1) / t1.elapsed().as_secs_f64();
    let client_cpu = (cpu_secs(me) - b1) / t1.elapsed().as_secs_f64();
    let mut from_return = Vec::with_capacity(n * messages as usize);
    let mut from_start = Vec::with_capacity(n * messages as usize);
    for (k, at) in arrivals.list.lock().iter() {
        let Some((sent, returned)) = usize::try_from(*k - 1).ok().and_then(|i| sends.get(i)) else {
            continue;
        };
        // An event can beat the mutation's response; that counts as zero.
        from_return.push(at.saturating_duration_since(*returned));
        from_start.push(at.saturating_duration_since(*sent));
    }
    let f1 = fetches(&http).await;
    let mut per_msg: Vec<String> = f1
        .iter()
        .map(|(k, v)| (k, v - f0.get(k).copied().unwrap_or(0)))
        .filter(|(_, d)| *d > 0)
        .map(|(k, d)| format!("{k} {:.1}", d as f64 / messages as f64))
        .collect();
    per_msg.sort();
    from_return.sort();
    from_start.sort();
    for c in clients {
        c.abort();
    }
    launcher.kill().await.ok();
    let _ = std::fs::remove_dir_all(&data);
    Row {
        n,
        load: String::new(),
        ready: ready.load(Ordering::SeqCst),
        kib_per_sub: (r1 - r0) / n as f64,
        rss_mib: r1 / 1024.0,
        idle_cpu: idle_cpu * 100.0,
        chat_cpu: chat_cpu * 100.0,
        client_cpu: client_cpu * 100.0,
        received: from_return.len(),
        expected: n * messages as usize,
        p50: pct(&from_return, 0.5),
        p99: pct(&from_return, 0.99),
        max: from_return
            .last()
            .map_or(f64::NAN, |d| d.as_secs_f64() * 1000.0),
        p50_start: pct(&from_start, 0.5),
        p99_start: pct(&from_start, 0.99),
        fetches_per_msg: if per_msg.is_empty() {
            "none".into()
        } else {
            per_msg.join(", ")
        },
    }
}

#[tokio::main]
async fn main() {
    let shop_bin = std::env::var("SHOP_BIN").expect("SHOP_BIN names the release launcher");
    let sizes: Vec<usize> = std::env::var("BENCH_SUBSCRIBERS")
        .unwrap_or_else(|_| "1000,5000,10000".into())
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    let messages: i64 = std::env::var("BENCH_MESSAGES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10);
    // Chat fields all belong to livestream; BENCH_AUTHOR_NAME=true adds the author's name,
    // which accounts owns, so every event also needs an entity fetch.
    let author = if std::env::var("BENCH_AUTHOR_NAME").as_deref() == Ok("true") {
        "author { id name }"
    } else {
        "author { id }"
    };
    let query: Arc<str> = Arc::from(format!(
        "subscription($s: ID!) {{ livestreamEvents(streamId: $s) {{ __typename \
         ... on ChatPosted {{ seq message {{ id text createdAt {author} }} }} \
         ... on ViewerCount {{ viewers }} }} }}"
    ));
    let mut rows = Vec::new();
    for n in sizes {
        let load = loadavg();
        let mut row = run_once(&shop_bin, n, messages, query.clone()).await;
        row.load = load;
        eprintln!("N={n} done");
        rows.push(row);
    }
    println!(
        "\n| subscribers | load before | subscribed | launcher KiB/sub | launcher RSS MiB | CPU idle % | CPU chat % | bench client CPU % | events received | p50 ms | p99 ms | max ms | p50 ms from start | p99 ms from start | router subgraph fetches per message |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
    for r in rows {
        println!(
            "| {} | {} | {} | {:.1} | {:.0} | {:.0} | {:.0} | {:.0} | {}/{} | {:.1} | {:.1} | {:.1} | {:.1} | {:.1} | {} |",
            r.n,
            r.load,
            r.ready,
            r.kib_per_sub,
            r.rss_mib,
            r.idle_cpu,
            r.chat_cpu,
            r.client_cpu,
            r.received,
            r.expected,
            r.p50,
            r.p99,
            r.max,
            r.p50_start,
            r.p99_start,
            r.fetches_per_msg
        );
    }
}
