//! Mutations strictly in order across subgraphs; subscriptions over WebSocket and SSE whose
//! events carry fields resolved from other subgraphs.

use std::sync::{Arc, Mutex};

use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Message;

use crate::common::*;
use crate::fixtures::*;

#[tokio::test]
async fn mutations_run_in_order_across_subgraphs() {
    let log: ledger::Log = Arc::new(Mutex::new(Vec::new()));
    let a = serve_subgraph(ledger::a::schema(log.clone())).await;
    let b = serve_subgraph(ledger::b::schema(log.clone())).await;
    let url = start_router(&[("a", &a), ("b", &b)]).await;
    let text = post_text(
        &url,
        r#"mutation { first: appendA(value: "1", delayMs: 100) second: appendB(value: "2") third: appendA(value: "3", delayMs: 30) fourth: appendB(value: "4") }"#,
        json!({}),
    )
    .await;
    assert_eq!(
        text,
        r#"{"data":{"first":["1"],"second":["1","2"],"third":["1","2","3"],"fourth":["1","2","3","4"]}}"#
    );
    assert_eq!(*log.lock().unwrap(), vec!["1", "2", "3", "4"]);

    // GET must not run mutations (GraphQL over HTTP): 405 and nothing appended.
    let resp = reqwest::Client::new()
        .get(&url)
        .query(&[("query", r#"mutation { appendA(value: "5") }"#)])
        .header("accept", "application/graphql-response+json")
        .header("apollo-require-preflight", "true")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 405);
    assert_eq!(log.lock().unwrap().len(), 4);
}

async fn shop() -> String {
    let accounts = serve_subgraph(accounts::schema()).await;
    let products = serve_subgraph(products::schema()).await;
    let inventory = serve_subgraph(inventory::schema()).await;
    let reviews = serve_subgraph(reviews::schema()).await;
    start_router(&[
        ("accounts", &accounts),
        ("products", &products),
        ("inventory", &inventory),
        ("reviews", &reviews),
    ])
    .await
}

const SUBSCRIPTION: &str =
    "subscription { reviewAdded(count: 3) { body product { name inStock } author { name } } }";

fn expected_events() -> Vec<Value> {
    vec![
        json!({"data": {"reviewAdded": {"body": "Love it!", "product": {"name": "Table", "inStock": true}, "author": {"name": "Ada Lovelace"}}}}),
        json!({"data": {"reviewAdded": {"body": "Too expensive.", "product": {"name": "Couch", "inStock": false}, "author": {"name": "Ada Lovelace"}}}}),
        json!({"data": {"reviewAdded": {"body": "Could be better.", "product": {"name": "Chair", "inStock": true}, "author": {"name": "Alan Turing"}}}}),
    ]
}

#[tokio::test]
async fn subscription_over_websocket_resolves_fields_from_other_subgraphs() {
    let url = shop().await;
    let (mut ws, resp) = ws_connect(&url).await;
    assert_eq!(
        resp.headers()["sec-websocket-protocol"],
        "graphql-transport-ws"
    );
    ws.send(Message::Text(
        json!({"type": "connection_init", "payload": {}})
            .to_string()
            .into(),
    ))
    .await
    .unwrap();
    let mut events = Vec::new();
    let mut acked = false;
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    while let Ok(Some(msg)) = tokio::time::timeout_at(deadline, ws.next()).await {
        let Message::Text(text) = msg.unwrap() else {
            continue;
        };
        let v: Value = serde_json::from_str(text.as_str()).unwrap();
        match v["type"].as_str().unwrap() {
            "connection_ack" => {
                acked = true;
                let sub =
                    json!({"id": "s1", "type": "subscribe", "payload": {"query": SUBSCRIPTION}});
                ws.send(Message::Text(sub.to_string().into()))
                    .await
                    .unwrap();
            }
            "next" => {
                assert_eq!(v["id"], "s1");
                events.push(v["payload"].clone());
            }
            "complete" => break,
            "ping" => ws
                .send(Message::Text(json!({"type": "pong"}).to_string().into()))
                .await
                .unwrap(),
            other => panic!("unexpected message {other}: {v}"),
        }
    }
    assert!(acked);
    assert_eq!(events, expected_events());
}

#[tokio::test]
async fn subscription_over_sse_resolves_fields_from_other_subgraphs() {
    let url = shop().await;
    let resp = reqwest::Client::new()
        .post(&url)
        .header("accept", "text/event-stream")
        .json(&json!({"query": SUBSCRIPTION}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert!(resp.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/event-stream"));
    let body = tokio::time::timeout(std::time::Duration::from_secs(10), resp.text())
        .await
        .expect("stream completes")
        .unwrap();
    let (events, completed) = sse_events(&body);
    assert!(completed, "{body}");
    assert_eq!(events, expected_events());
}
