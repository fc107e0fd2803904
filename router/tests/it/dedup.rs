//! In-flight de-duplication: concurrent identical queries share one execution and one subgraph
//! call; mutations, different credentials and `ROUTER_DEDUP=off` never share.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};
use tokio::sync::Semaphore;

use crate::common::*;

const SDL: &str = r#"
extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])
type Query { price(sku: String!): Int }
type Mutation { bump(sku: String!): Int }
"#;

/// A subgraph that counts fetches and holds each one until the test opens the gate.
struct Gate {
    fetches: AtomicUsize,
    open: Semaphore,
}

async fn held_subgraph(gate: Arc<Gate>) -> String {
    let app = axum::Router::new().route(
        "/graphql",
        axum::routing::post(move |axum::Json(body): axum::Json<Value>| {
            let gate = gate.clone();
            async move {
                let query = body["query"].as_str().unwrap_or_default().to_string();
                if query.contains("_service") {
                    return axum::Json(json!({"data": {"_service": {"sdl": SDL}}}));
                }
                gate.fetches.fetch_add(1, Ordering::SeqCst);
                let _permit = gate.open.acquire().await.unwrap();
                let field = if query.starts_with("mutation") {
                    "bump"
                } else {
                    "price"
                };
                axum::Json(json!({"data": {field: 42}}))
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}/graphql")
}

async fn router_for(subgraph: &str, dedup: bool) -> String {
    let sdl = router::reload::compose_from_subgraphs(&[("prices".into(), subgraph.into())])
        .await
        .unwrap();
    let mut config = router::RouterConfig::with_supergraph_sdl(sdl);
    config.dedup.enabled = dedup;
    start_router_with_config(config).await
}

/// POSTs `query` (with `authorization`, if any) and returns the body.
async fn ask(url: &str, query: &str, authorization: Option<&str>) -> Value {
    let mut req = reqwest::Client::new()
        .post(url)
        .json(&json!({ "query": query }));
    if let Some(a) = authorization {
        req = req.header("authorization", a);
    }
    req.send().await.unwrap().json().await.unwrap()
}

/// Sends `n` requests at once (`auth(i)` as each one's Authorization), waits until the
/// subgraph holds a fetch and the rest have had time to reach the router, then opens the gate.
async fn burst(
    url: &str,
    gate: &Gate,
    query: &str,
    n: usize,
    auth: impl Fn(usize) -> String,
) -> Vec<Value> {
    let tasks: Vec<_> = (0..n)
        .map(|i| {
            let (url, query, auth) = (url.to_string(), query.to_string(), auth(i));
            tokio::spawn(async move { ask(&url, &query, Some(&auth)).await })
        })
        .collect();
    while gate.fetches.load(Ordering::SeqCst) == 0 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    gate.open.add_permits(1000);
    let mut out = Vec::new();
    for t in tasks {
        out.push(t.await.unwrap());
    }
    out
}

/// Requests that joined another's execution, and fetches that joined another's, by the
/// router's metrics.
async fn joined(url: &str) -> (u64, u64) {
    let text = metrics_text(url).await;
    let count = |cache: &str| {
        let series = format!(r#"router_cache_events_total{{cache="{cache}",event="joined"}} "#);
        text.lines()
            .find_map(|l| l.strip_prefix(&series))
            .map_or(0, |v| v.trim().parse().unwrap())
    };
    (count("operation_inflight"), count("fetch_inflight"))
}

fn gate() -> Arc<Gate> {
    Arc::new(Gate {
        fetches: AtomicUsize::new(0),
        open: Semaphore::new(0),
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_identical_queries_share_one_fetch() {
    let gate = gate();
    let url = router_for(&held_subgraph(gate.clone()).await, true).await;
    let bodies = burst(&url, &gate, r#"{ price(sku: "a") }"#, 10, |_| {
        "Bearer same".into()
    })
    .await;
    for b in &bodies {
        assert_eq!(b, &json!({"data": {"price": 42}}));
    }
    assert_eq!(gate.fetches.load(Ordering::SeqCst), 1);
    // The nine followers joined the first request's whole execution, so none of them even
    // planned a fetch of its own.
    assert_eq!(joined(&url).await, (9, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn different_credentials_do_not_share_a_fetch() {
    let gate = gate();
    let url = router_for(&held_subgraph(gate.clone()).await, true).await;
    let bodies = burst(&url, &gate, r#"{ price(sku: "a") }"#, 6, |i| {
        format!("Bearer user{}", i % 3)
    })
    .await;
    assert!(bodies.iter().all(|b| b["data"]["price"] == 42));
    assert_eq!(gate.fetches.load(Ordering::SeqCst), 3);
    // Each credential's second request joined its first one's execution, never another's.
    assert_eq!(joined(&url).await, (3, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mutations_never_share() {
    let gate = gate();
    let url = router_for(&held_subgraph(gate.clone()).await, true).await;
    let bodies = burst(&url, &gate, r#"mutation { bump(sku: "a") }"#, 5, |_| {
        "Bearer same".into()
    })
    .await;
    assert!(bodies.iter().all(|b| b["data"]["bump"] == 42));
    assert_eq!(gate.fetches.load(Ordering::SeqCst), 5);
    assert_eq!(joined(&url).await, (0, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn turned_off_every_request_fetches() {
    let gate = gate();
    let url = router_for(&held_subgraph(gate.clone()).await, false).await;
    let bodies = burst(&url, &gate, r#"{ price(sku: "a") }"#, 5, |_| {
        "Bearer same".into()
    })
    .await;
    assert!(bodies.iter().all(|b| b["data"]["price"] == 42));
    assert_eq!(gate.fetches.load(Ordering::SeqCst), 5);
    assert_eq!(joined(&url).await, (0, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_joined_to_one_whose_client_left_still_get_their_answer() {
    let gate = gate();
    let url = router_for(&held_subgraph(gate.clone()).await, true).await;
    let query = r#"{ price(sku: "a") }"#;
    // The first request's client gives up while its fetch is held...
    let first = {
        let url = url.clone();
        tokio::spawn(async move {
            reqwest::Client::new()
                .post(url)
                .timeout(Duration::from_millis(600))
                .json(&json!({ "query": query }))
                .send()
                .await
        })
    };
    while gate.fetches.load(Ordering::SeqCst) == 0 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    // ...after four more have joined it.
    let rest: Vec<_> = (0..4)
        .map(|_| {
            let url = url.clone();
            tokio::spawn(async move { ask(&url, query, None).await })
        })
        .collect();
    assert!(first.await.unwrap().is_err(), "the first client timed out");
    tokio::time::sleep(Duration::from_millis(200)).await;
    gate.open.add_permits(1000);
    for r in rest {
        let body = tokio::time::timeout(Duration::from_secs(10), r)
            .await
            .expect("a joined request does not hang when the one it joined is gone")
            .unwrap();
        assert_eq!(body, json!({"data": {"price": 42}}));
    }
    let (operations, _) = joined(&url).await;
    assert_eq!(operations, 4);
    // The first request's fetch, then one more when a follower took over its work.
    assert_eq!(gate.fetches.load(Ordering::SeqCst), 2);
}
