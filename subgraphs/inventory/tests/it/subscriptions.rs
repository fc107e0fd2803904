//! `stockChanged(variantId)` over the WebSocket (graphql-transport-ws) at `GET /graphql`: a
//! subscriber hears about its variant's changes, fed through the fan-out consumer of
//! `inventory.*` events, and not about other variants.

use std::time::Duration;

use crate::common::*;
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

type Socket = WebSocketStream<MaybeTlsStream<tokio::net::TcpStream>>;

async fn send(ws: &mut Socket, message: Value) {
    ws.send(Message::Text(message.to_string().into()))
        .await
        .expect("sent");
}

/// The next JSON message, or `None` if none arrives within `wait`.
async fn next(ws: &mut Socket, wait: Duration) -> Option<Value> {
    loop {
        let msg = tokio::time::timeout(wait, ws.next()).await.ok()??.ok()?;
        if let Message::Text(text) = msg {
            return Some(serde_json::from_str(&text).expect("JSON message"));
        }
    }
}

async fn subscribe(env: &Env, variant: &str) -> Socket {
    let mut request = format!("ws://{}/graphql", env.app.addr)
        .into_client_request()
        .unwrap();
    request.headers_mut().insert(
        "Sec-WebSocket-Protocol",
        HeaderValue::from_static("graphql-transport-ws"),
    );
    let (mut ws, _) = tokio_tungstenite::connect_async(request)
        .await
        .expect("WebSocket connects");
    send(&mut ws, json!({ "type": "connection_init", "payload": {} })).await;
    let ack = next(&mut ws, Duration::from_secs(5)).await;
    assert_eq!(
        ack.as_ref().map(|a| a["type"].clone()),
        Some(json!("connection_ack"))
    );
    send(
        &mut ws,
        json!({
            "id": "1",
            "type": "subscribe",
            "payload": {
                "query": "subscription($v:ID!){ stockChanged(variantId:$v){ variantId available inStock cause at } }",
                "variables": { "v": variant },
            },
        }),
    )
    .await;
    ws
}

#[tokio::test]
async fn subscribers_hear_about_their_variant_only() {
    let env = start().await;
    let (watched, other) = (variant(), variant());
    let w = env.warehouse("SUB").await;
    let mut ws = subscribe(&env, &watched).await;

    // The fan-out queue may still be binding (RabbitMQ): change stock until the first
    // notification arrives. Every round changes the other variant first.
    let mut first = None;
    for round in 1..=50i64 {
        env.adjust(&other, &w, 1).await;
        env.adjust(&watched, &w, 1).await;
        if let Some(msg) = next(&mut ws, Duration::from_millis(300)).await {
            first = Some((round, msg));
            break;
        }
    }
    let (rounds, msg) = first.expect("a stockChanged notification");
    assert_eq!(msg["type"], "next", "{msg}");
    let change = &msg["payload"]["data"]["stockChanged"];
    assert_eq!(
        change["variantId"],
        watched.as_str(),
        "only the watched variant"
    );
    assert_eq!(change["cause"], "inventory.adjusted");
    let available = change["available"].as_i64().unwrap();
    assert!((1..=rounds).contains(&available), "{change}");
    assert_eq!(change["inStock"], true);

    // From here on every change arrives, in order: a reservation, then its release.
    while next(&mut ws, Duration::from_millis(500)).await.is_some() {}
    let now = env.available(&watched).await;
    let body = env
        .reserve(&env.staff, "sub-cart", &[(&watched, now)], None)
        .await;
    let id = body["data"]["reserve"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{body}"))
        .to_string();
    let msg = next(&mut ws, Duration::from_secs(10))
        .await
        .expect("reserved");
    let change = &msg["payload"]["data"]["stockChanged"];
    assert_eq!(
        (change["available"].as_i64(), change["inStock"].as_bool()),
        (Some(0), Some(false)),
        "{msg}"
    );
    assert_eq!(change["cause"], "inventory.reserved");

    env.staff_gql(
        "mutation($id:ID!){ releaseReservation(id:$id){ status } }",
        json!({ "id": id }),
    )
    .await;
    let msg = next(&mut ws, Duration::from_secs(10))
        .await
        .expect("released");
    let change = &msg["payload"]["data"]["stockChanged"];
    assert_eq!(
        change["available"].as_i64(),
        Some(now),
        "back in stock: {msg}"
    );
    assert_eq!(change["cause"], "inventory.released");

    send(&mut ws, json!({ "id": "1", "type": "complete" })).await;
    env.stop().await;
}

#[tokio::test]
async fn a_malformed_variant_id_is_refused() {
    let env = start().await;
    let mut ws = subscribe(&env, "not-an-id").await;
    let msg = next(&mut ws, Duration::from_secs(5))
        .await
        .expect("an answer");
    // A resolver error: delivered as the subscription's result, with the platform's code.
    assert_eq!(msg["type"], "next", "{msg}");
    let error = &msg["payload"]["errors"][0]["extensions"];
    assert_eq!(error["code"], "BAD_USER_INPUT", "{msg}");
    assert_eq!(error["field"], "variantId");
    env.stop().await;
}
