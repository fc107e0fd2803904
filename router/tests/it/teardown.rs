//! Subscription lifetime: a client closing its WebSocket or SSE stream tears down the upstream
//! subscription on the subgraph, and so does a client too slow to read its events.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use async_graphql::{Context, EmptyMutation, Object, Schema, Subscription};
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Message;

use crate::common::*;

#[derive(Default)]
struct Probe {
    started: AtomicUsize,
    dropped: AtomicBool,
}

struct SetOnDrop(Arc<Probe>);

impl Drop for SetOnDrop {
    fn drop(&mut self) {
        self.0.dropped.store(true, Ordering::SeqCst);
    }
}

struct Query;

#[Object]
impl Query {
    async fn ok(&self) -> bool {
        true
    }
}

struct Ticks;

#[Subscription(name = "Subscription")]
impl Ticks {
    /// Ticks forever every 10 ms; records when the stream is dropped.
    async fn ticks(&self, ctx: &Context<'_>) -> impl futures_util::Stream<Item = i32> {
        let probe = ctx.data_unchecked::<Arc<Probe>>().clone();
        probe.started.fetch_add(1, Ordering::SeqCst);
        async_stream::stream! {
            let _guard = SetOnDrop(probe);
            let mut n = 0;
            loop {
                tokio::time::sleep(Duration::from_millis(10)).await;
                n += 1;
                yield n;
            }
        }
    }

    /// A 64 KiB block every 5 ms, to fill a reader's socket buffers fast; records when the
    /// stream is dropped.
    async fn blocks(&self, ctx: &Context<'_>) -> impl futures_util::Stream<Item = String> {
        let probe = ctx.data_unchecked::<Arc<Probe>>().clone();
        probe.started.fetch_add(1, Ordering::SeqCst);
        async_stream::stream! {
            let _guard = SetOnDrop(probe);
            loop {
                tokio::time::sleep(Duration::from_millis(5)).await;
                yield "x".repeat(64 * 1024);
            }
        }
    }
}

async fn world() -> (String, Arc<Probe>) {
    let probe = Arc::new(Probe::default());
    let schema = Schema::build(Query, EmptyMutation, Ticks)
        .data(probe.clone())
        .enable_federation()
        .enable_subscription_in_federation()
        .finish();
    let url = serve_subgraph(schema).await;
    (start_router(&[("ticker", &url)]).await, probe)
}

async fn wait_for(flag: &AtomicBool) -> bool {
    for _ in 0..100 {
        if flag.load(Ordering::SeqCst) {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    false
}

fn text(v: Value) -> Message {
    Message::Text(v.to_string().into())
}

/// A WebSocket to the router, initialised and subscribed to `query` as operation "1".
async fn subscribed(url: &str, query: &str) -> Ws {
    let (mut ws, _) = ws_connect(url).await;
    ws.send(text(json!({"type": "connection_init"})))
        .await
        .unwrap();
    match ws.next().await {
        Some(Ok(Message::Text(t))) => assert!(t.contains("connection_ack"), "{t}"),
        other => panic!("expected connection_ack, got {other:?}"),
    }
    ws.send(text(
        json!({"id": "1", "type": "subscribe", "payload": {"query": query}}),
    ))
    .await
    .unwrap();
    ws
}

#[tokio::test]
async fn closing_the_websocket_closes_the_upstream_subscription() {
    tokio::time::timeout(Duration::from_secs(20), websocket_case())
        .await
        .expect("test finished in time");
}

async fn websocket_case() {
    let (url, probe) = world().await;
    let mut ws = subscribed(&url, "subscription { ticks }").await;
    ws.send(text(json!({"type": "ping"}))).await.unwrap();
    let mut ponged = false;
    let mut got = Vec::new();
    while let Some(Ok(Message::Text(t))) = ws.next().await {
        let v: Value = serde_json::from_str(t.as_str()).unwrap();
        match v["type"].as_str().unwrap() {
            "next" => {
                got.push(v["payload"]["data"]["ticks"].as_i64().unwrap());
                if got.len() == 3 {
                    break;
                }
            }
            "pong" => ponged = true,
            "error" => panic!("subscription failed: {v}"),
            _ => {}
        }
    }
    assert_eq!(got, vec![1, 2, 3]);
    assert!(ponged, "ping was not answered with pong");
    assert!(!probe.dropped.load(Ordering::SeqCst));
    ws.close(None).await.unwrap();
    drop(ws);
    assert!(
        wait_for(&probe.dropped).await,
        "upstream subscription still running"
    );
}

#[tokio::test]
async fn dropping_the_sse_stream_closes_the_upstream_subscription() {
    tokio::time::timeout(Duration::from_secs(20), sse_case())
        .await
        .expect("test finished in time");
}

async fn sse_case() {
    let (url, probe) = world().await;
    let mut resp = reqwest::Client::new()
        .post(&url)
        .header("accept", "text/event-stream")
        .json(&json!({"query": "subscription { ticks }"}))
        .send()
        .await
        .unwrap();
    let mut text = String::new();
    while text.matches("\"ticks\"").count() < 2 {
        let chunk = resp.chunk().await.unwrap().expect("stream open");
        text.push_str(&String::from_utf8_lossy(&chunk));
    }
    assert!(text.contains(r#"{"data":{"ticks":1}}"#), "{text}");
    assert_eq!(probe.started.load(Ordering::SeqCst), 1);
    drop(resp);
    assert!(
        wait_for(&probe.dropped).await,
        "upstream subscription still running"
    );
}

#[tokio::test]
async fn a_client_that_does_not_read_overflows_and_is_cut_off() {
    let probe = Arc::new(Probe::default());
    let schema = Schema::build(Query, EmptyMutation, Ticks)
        .data(probe.clone())
        .enable_federation()
        .enable_subscription_in_federation()
        .finish();
    let ticker = serve_subgraph(schema).await;
    let sdl = router::reload::compose_from_subgraphs(&[("ticker".into(), ticker)])
        .await
        .unwrap();
    let mut config = router::RouterConfig::with_supergraph_sdl(sdl.clone());
    config.subscription_buffer = 2;
    let supergraph = router::supergraph::Supergraph::from_sdl(&sdl, &config).unwrap();
    let state = Arc::new(router::server::AppState::new(supergraph, config));
    let request = router::pipeline::GraphQLRequest {
        query: Some("subscription { ticks }".into()),
        ..Default::default()
    };
    // Start the subscription and never read from it.
    let sub = router::subscription::start(state, &request, Vec::new(), json!({}), None)
        .unwrap()
        .expect("is a subscription");
    let flag = sub.overflowed.clone();
    let mut overflowed = false;
    for _ in 0..100 {
        if flag.load(Ordering::SeqCst) {
            overflowed = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(overflowed, "bounded buffer never overflowed");
    assert!(
        wait_for(&probe.dropped).await,
        "upstream kept running after overflow"
    );
    // The buffer held exactly its capacity; nothing grew past it.
    let mut events = sub.events;
    let mut buffered = 0;
    while events.try_recv().is_ok() {
        buffered += 1;
    }
    assert_eq!(buffered, 2);
}

#[tokio::test]
async fn a_websocket_client_that_stops_reading_is_cut_off_and_its_upstream_ends() {
    tokio::time::timeout(Duration::from_secs(30), slow_websocket_case())
        .await
        .expect("test finished in time");
}

async fn slow_websocket_case() {
    let (url, probe) = world().await;
    let mut ws = subscribed(&url, "subscription { blocks }").await;
    match ws.next().await {
        Some(Ok(Message::Text(t))) => assert!(t.contains(r#""type":"next""#), "{t}"),
        other => panic!("expected the first event, got {other:?}"),
    }
    // Stop reading: the socket buffers and then the client's bounded buffer in the router fill
    // up, and the router gives up on the client, ending the upstream operation it alone held.
    assert!(
        wait_for_long(&probe.dropped).await,
        "upstream subscription still running for a client that reads nothing"
    );
    // Reading again finds what the socket already held, then the reason the router gave up on
    // the client, not an endless stream.
    let mut next = 0;
    let end = loop {
        match ws.next().await {
            Some(Ok(Message::Text(t))) => {
                let v: Value = serde_json::from_str(t.as_str()).unwrap();
                if v["type"] == "next" {
                    next += 1;
                    assert!(next < 1000, "events kept coming after the cut-off");
                    continue;
                }
                break format!("{}", v["type"]);
            }
            Some(Ok(Message::Close(frame))) => {
                break frame.map_or("close".into(), |f| format!("close {} {}", f.code, f.reason))
            }
            Some(Ok(_)) => continue,
            Some(Err(e)) => break format!("error {e}"),
            None => break "eof".into(),
        }
    };
    assert_eq!(end, "close 4400 client too slow");
}

/// `wait_for`, with room for a few megabytes of socket buffers to fill first.
async fn wait_for_long(flag: &AtomicBool) -> bool {
    for _ in 0..500 {
        if flag.load(Ordering::SeqCst) {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    false
}
