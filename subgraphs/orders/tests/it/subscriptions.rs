//! `orderStatusChanged` and `myOrderUpdates` over the WebSocket (graphql-transport-ws) at
//! `GET /graphql`: who may listen is decided when the subscription starts; listeners hear
//! every status change of their order(s), in order, each with the `Order` entity.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use crate::common::*;

type Socket = WebSocketStream<MaybeTlsStream<tokio::net::TcpStream>>;

const FIELDS: &str =
    "orderId number status previousStatus at reason order { id status total { amount } }";

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

async fn subscribe(env: &Env, bearer: Option<&str>, query: &str, variables: Value) -> Socket {
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
    let payload = match bearer {
        Some(token) => json!({ "Authorization": format!("Bearer {token}") }),
        None => json!({}),
    };
    send(
        &mut ws,
        json!({ "type": "connection_init", "payload": payload }),
    )
    .await;
    let ack = next(&mut ws, Duration::from_secs(5)).await;
    assert_eq!(
        ack.map(|a| a["type"].clone()),
        Some(json!("connection_ack"))
    );
    send(
        &mut ws,
        json!({ "id": "1", "type": "subscribe", "payload": { "query": query, "variables": variables } }),
    )
    .await;
    ws
}

fn order_query() -> String {
    format!("subscription($o:ID!,$t:String){{ orderStatusChanged(orderId:$o, orderToken:$t){{ {FIELDS} }} }}")
}

/// Waits until the fan-out queue delivers (with RabbitMQ it binds in the background): places
/// orders for a listening customer until one is announced.
async fn feed_is_live(env: &Env) {
    let (customer, token) = env.customer().await;
    let mut ws = subscribe(
        env,
        Some(&token),
        &format!("subscription{{ myOrderUpdates{{ {FIELDS} }} }}"),
        json!({}),
    )
    .await;
    for _ in 0..50 {
        env.place(order_view(Some(&customer), "c@example.com", None))
            .await;
        if next(&mut ws, Duration::from_millis(300)).await.is_some() {
            return;
        }
    }
    panic!("the status feed never delivered");
}

fn error(msg: &Value) -> String {
    assert_eq!(msg["type"], "next", "{msg}");
    msg["payload"]["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or_else(|| panic!("expected an error: {msg}"))
        .to_string()
}

#[tokio::test]
async fn listeners_hear_their_order_change_in_order() {
    let env = start().await;
    feed_is_live(&env).await;
    let (order, _, owner) = env.customer_order().await;
    let mut ws = subscribe(&env, Some(&owner), &order_query(), json!({ "o": order.id })).await;
    let guest_token = "guest-token-for-subscriptions";
    let guest = env
        .place(order_view(
            None,
            "g@example.com",
            Some(orders::token::hash(guest_token)),
        ))
        .await;
    let mut guest_ws = subscribe(
        &env,
        None,
        &order_query(),
        json!({ "o": guest.id, "t": guest_token }),
    )
    .await;
    let (_, other_customer) = env.customer().await;
    let mut mine = subscribe(
        &env,
        Some(&other_customer),
        &format!("subscription{{ myOrderUpdates{{ {FIELDS} }} }}"),
        json!({}),
    )
    .await;
    // Let the subscriptions start before anything changes.
    tokio::time::sleep(Duration::from_millis(200)).await;

    env.deliver(payment_succeeded(&order)).await;
    env.deliver(shipment(&order, "shipment.created", "PENDING"))
        .await;
    env.deliver(shipment(&order, "shipment.updated", "SHIPPED"))
        .await;
    env.deliver(shipment(&order, "shipment.delivered", "DELIVERED"))
        .await;
    env.deliver(payment_failed(&guest)).await;

    let mut seen = Vec::new();
    while seen.len() < 4 {
        let msg = next(&mut ws, Duration::from_secs(10))
            .await
            .expect("an update");
        let e = &msg["payload"]["data"]["orderStatusChanged"];
        if e["status"] == "PENDING_PAYMENT" {
            continue; // order.created may reach the feed after the subscription started
        }
        assert_eq!(e["orderId"], order.id.as_str(), "{msg}");
        assert_eq!(e["order"]["id"], order.id.as_str());
        assert_eq!(e["number"], order.number.as_str());
        seen.push((
            e["previousStatus"].as_str().unwrap().to_string(),
            e["status"].as_str().unwrap().to_string(),
        ));
    }
    assert_eq!(
        seen,
        [
            ("PENDING_PAYMENT", "PAID"),
            ("PAID", "FULFILLING"),
            ("FULFILLING", "SHIPPED"),
            ("SHIPPED", "DELIVERED")
        ]
        .map(|(a, b)| (a.to_string(), b.to_string()))
    );
    let mut msg = next(&mut guest_ws, Duration::from_secs(10))
        .await
        .expect("guest update");
    if msg["payload"]["data"]["orderStatusChanged"]["status"] == "PENDING_PAYMENT" {
        // order.created may reach the feed after the subscription started.
        msg = next(&mut guest_ws, Duration::from_secs(10))
            .await
            .expect("guest update");
    }
    let e = &msg["payload"]["data"]["orderStatusChanged"];
    assert_eq!(
        (e["status"].as_str(), e["reason"].as_str()),
        (Some("CANCELLED"), Some("PAYMENT_FAILED"))
    );
    // Someone else's myOrderUpdates heard none of it.
    assert!(next(&mut mine, Duration::from_millis(500)).await.is_none());
    env.stop().await;
}

#[tokio::test]
async fn strangers_are_refused_when_they_subscribe() {
    let env = start().await;
    let (order, _, _) = env.customer_order().await;
    let (_, stranger) = env.customer().await;
    let token = "a-guest-token";
    let guest = env
        .place(order_view(
            None,
            "g@example.com",
            Some(orders::token::hash(token)),
        ))
        .await;
    let cases = [
        (None, order.id.clone(), None, "UNAUTHENTICATED"),
        (Some(stranger.as_str()), order.id.clone(), None, "FORBIDDEN"),
        (None, guest.id.clone(), Some("wrong"), "FORBIDDEN"),
        (
            Some(stranger.as_str()),
            kit::ids::new_id(),
            None,
            "NOT_FOUND",
        ),
    ];
    for (bearer, id, t, code) in cases {
        let mut ws = subscribe(&env, bearer, &order_query(), json!({ "o": id, "t": t })).await;
        let msg = next(&mut ws, Duration::from_secs(5))
            .await
            .expect("an answer");
        assert_eq!(error(&msg), code, "{msg}");
    }
    let mut ws = subscribe(
        &env,
        None,
        &format!("subscription{{ myOrderUpdates{{ {FIELDS} }} }}"),
        json!({}),
    )
    .await;
    let msg = next(&mut ws, Duration::from_secs(5))
        .await
        .expect("an answer");
    assert_eq!(error(&msg), "UNAUTHENTICATED");
    env.stop().await;
}
