//! What the WebSocket audience benchmarks share (`bench/subscriptions`, `bench/livestream`):
//! process memory and CPU time from `/proc`, latency percentiles, and one graphql-transport-ws subscriber
//! with small buffers that hands each `next` message and its arrival time to the caller.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message;

/// Resident set size of a process, in KiB.
pub fn rss_kib(pid: u32) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0)
}

/// User + system CPU time a process (all its threads) has used so far, in seconds (clock
/// ticks of 1/100 s on Linux).
pub fn cpu_secs(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command name, which is in parentheses and may hold spaces.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    // utime and stime are fields 14 and 15 of the whole line: 12 and 13 after the name.
    (ticks(11) + ticks(12)) / 100.0
}

/// The `p` quantile of sorted durations, in milliseconds.
pub fn pct(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

/// One subscriber: handshake (with `init` as the `connection_init` payload), subscribe with
/// `payload` (query and variables), count itself in `ready`, then call `on_next` with each
/// `next` message and when it arrived, until the subscription or the socket ends.
pub async fn subscriber(
    ws_url: &str,
    init: Value,
    payload: Value,
    ready: Arc<AtomicUsize>,
    mut on_next: impl FnMut(&Value, Instant),
) {
    let mut request = ws_url.into_client_request().unwrap();
    request.headers_mut().insert(
        "sec-websocket-protocol",
        "graphql-transport-ws".parse().unwrap(),
    );
    // Thousands of idle clients in one process: keep each socket's buffers small.
    let config = WebSocketConfig::default()
        .read_buffer_size(4096)
        .write_buffer_size(0);
    let (mut ws, _) =
        match tokio_tungstenite::connect_async_with_config(request, Some(config), true).await {
            Ok(c) => c,
            Err(e) => {
                eprintln!("connect failed: {e}");
                return;
            }
        };
    let msg = |v: Value| Message::Text(v.to_string().into());
    if ws
        .send(msg(json!({"type": "connection_init", "payload": init})))
        .await
        .is_err()
    {
        return;
    }
    let mut payload = Some(payload);
    while let Some(Ok(m)) = ws.next().await {
        let Message::Text(t) = m else { continue };
        let now = Instant::now();
        let v: Value = serde_json::from_str(t.as_str()).unwrap_or(Value::Null);
        match v["type"].as_str() {
            Some("connection_ack") => {
                let Some(payload) = payload.take() else {
                    continue;
                };
                let sub = json!({"id": "1", "type": "subscribe", "payload": payload});
                if ws.send(msg(sub)).await.is_err() {
                    return;
                }
                ready.fetch_add(1, Ordering::SeqCst);
            }
            Some("next") => on_next(&v, now),
            Some("ping") => {
                let _ = ws.send(msg(json!({"type": "pong"}))).await;
            }
            Some("error") | Some("complete") => {
                eprintln!("subscription ended: {v}");
                return;
            }
            _ => {}
        }
    }
}
