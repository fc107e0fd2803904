//! Subscribers through the launcher's router, over graphql-transport-ws and over Server-Sent
//! Events: each returns a channel on which the subscription's `next` payloads arrive (and, on
//! the WebSocket, `error` payloads too), so a test reads events in the order they were sent.

use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::sync::mpsc::Receiver;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

use crate::launcher::Shop;

/// A graphql-transport-ws subscriber, signed in with `token` (in `connection_init`) if given.
pub async fn websocket(
    shop: &Shop,
    token: Option<&str>,
    query: &str,
    variables: Value,
) -> Receiver<Value> {
    let mut request = shop
        .router
        .replace("http://", "ws://")
        .into_client_request()
        .unwrap();
    request.headers_mut().insert(
        "sec-websocket-protocol",
        "graphql-transport-ws".parse().unwrap(),
    );
    let (mut ws, _) = tokio_tungstenite::connect_async(request).await.unwrap();
    let payload = match token {
        Some(t) => json!({ "Authorization": format!("Bearer {t}") }),
        None => json!({}),
    };
    let init = json!({ "type": "connection_init", "payload": payload });
    ws.send(Message::Text(init.to_string().into()))
        .await
        .unwrap();
    let (tx, rx) = tokio::sync::mpsc::channel(64);
    let subscribe = json!({ "id": "1", "type": "subscribe",
        "payload": { "query": query, "variables": variables } });
    tokio::spawn(async move {
        while let Some(Ok(msg)) = ws.next().await {
            let Message::Text(text) = msg else { continue };
            let v: Value = serde_json::from_str(text.as_str()).unwrap();
            match v["type"].as_str().unwrap_or_default() {
                "connection_ack" => {
                    ws.send(Message::Text(subscribe.to_string().into()))
                        .await
                        .unwrap();
                }
                "ping" => {
                    let pong = json!({ "type": "pong" }).to_string();
                    ws.send(Message::Text(pong.into())).await.unwrap();
                }
                "next" | "error" if tx.send(v["payload"].clone()).await.is_err() => return,
                _ => {}
            }
        }
    });
    rx
}

/// A subscriber over Server-Sent Events, signed in with `token` (a bearer header) if given.
pub async fn sse(
    shop: &Shop,
    token: Option<&str>,
    query: &str,
    variables: Value,
) -> Receiver<Value> {
    let mut request = shop
        .http()
        .post(&shop.router)
        .header("accept", "text/event-stream")
        .json(&json!({ "query": query, "variables": variables }));
    if let Some(t) = token {
        request = request.bearer_auth(t);
    }
    let mut resp = request.send().await.unwrap();
    assert_eq!(resp.status(), 200);
    let (tx, rx) = tokio::sync::mpsc::channel(64);
    tokio::spawn(async move {
        let mut buffer = String::new();
        while let Ok(Some(chunk)) = resp.chunk().await {
            buffer.push_str(&String::from_utf8_lossy(&chunk));
            while let Some(end) = buffer.find("\n\n") {
                let block: String = buffer.drain(..end + 2).collect();
                let mut kind = "";
                let mut data = String::new();
                for line in block.lines() {
                    if let Some(k) = line.strip_prefix("event:") {
                        kind = k.trim();
                    } else if let Some(d) = line.strip_prefix("data:") {
                        data.push_str(d.trim());
                    }
                }
                if kind == "next" && tx.send(serde_json::from_str(&data).unwrap()).await.is_err() {
                    return;
                }
            }
        }
    });
    rx
}
