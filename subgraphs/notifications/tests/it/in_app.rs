//! In-app notifications: one per event for the user it concerns, newest first in
//! `myNotifications` and `User.notifications` (the owner's only), an unread count, marking read
//! by ids or all, and `notificationReceived` over the WebSocket.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::Message;

use crate::common::*;

const LIST: &str = "query($u:Boolean){ myNotifications(first: 10, unreadOnly: $u) { totalCount edges { node { id kind category title body link readAt } } } unreadNotificationCount }";

async fn list(env: &Env, user: &User, unread: bool) -> Value {
    let body = env
        .gql(LIST, json!({ "u": unread }), Some(&user.token))
        .await;
    assert!(body["errors"].is_null(), "{body}");
    body["data"].clone()
}

#[tokio::test]
async fn a_users_notifications_list_count_and_mark_read() {
    let env = start(None, &[]).await;
    let ada = env.customer().await;
    let other = env.customer().await;
    eventually("the welcome notification", || async {
        list(&env, &ada, false).await["unreadNotificationCount"] == json!(1)
    })
    .await;
    env.publish(&order_event(
        "order.created",
        Some(&ada),
        &ada.email,
        json!({
            "lines": [{ "title": "Wool jacket", "sku": "WJ-M", "quantity": 2,
                        "lineTotal": { "amount": "40.00", "currencyCode": "USD" } }],
        }),
    ))
    .await;
    env.publish(&order_event(
        "order.cancelled",
        Some(&ada),
        &ada.email,
        json!({ "reason": "PAYMENT_TIMEOUT" }),
    ))
    .await;
    eventually("three notifications", || async {
        list(&env, &ada, false).await["unreadNotificationCount"] == json!(3)
    })
    .await;
    let data = list(&env, &ada, false).await;
    let nodes: Vec<&Value> = data["myNotifications"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| &e["node"])
        .collect();
    assert_eq!(data["myNotifications"]["totalCount"], json!(3));
    let kinds: Vec<&str> = nodes.iter().map(|n| n["kind"].as_str().unwrap()).collect();
    assert!(
        kinds.contains(&"welcome")
            && kinds.contains(&"order_placed")
            && kinds.contains(&"order_cancelled"),
        "{kinds:?}"
    );
    let cancelled = nodes
        .iter()
        .find(|n| n["kind"] == json!("order_cancelled"))
        .unwrap();
    assert_eq!(cancelled["title"], json!("Order SO-1001 was cancelled"));
    assert_eq!(
        cancelled["body"],
        json!("Order SO-1001 was cancelled (PAYMENT_TIMEOUT).")
    );
    assert_eq!(cancelled["category"], json!("ORDERS"));
    assert!(cancelled["link"]
        .as_str()
        .unwrap()
        .starts_with("https://shop.example/orders/"));
    // The other customer sees none of them.
    assert_eq!(
        list(&env, &other, false).await["myNotifications"]["totalCount"],
        json!(1)
    );

    let mark = "mutation($ids:[ID!],$all:Boolean){ markNotificationsRead(ids:$ids, all:$all) }";
    let first_id = nodes[0]["id"].clone();
    // Someone else's id changes nothing.
    let theirs = env
        .gql(mark, json!({ "ids": [first_id] }), Some(&other.token))
        .await;
    assert_eq!(
        theirs["data"]["markNotificationsRead"],
        json!(0),
        "{theirs}"
    );
    let one = env
        .gql(mark, json!({ "ids": [first_id] }), Some(&ada.token))
        .await;
    assert_eq!(one["data"]["markNotificationsRead"], json!(1), "{one}");
    let unread = list(&env, &ada, true).await;
    assert_eq!(unread["unreadNotificationCount"], json!(2));
    assert_eq!(unread["myNotifications"]["totalCount"], json!(2));
    let all = env
        .gql(mark, json!({ "all": true }), Some(&ada.token))
        .await;
    assert_eq!(all["data"]["markNotificationsRead"], json!(2));
    assert_eq!(
        list(&env, &ada, false).await["unreadNotificationCount"],
        json!(0)
    );

    assert_eq!(
        code(&env.gql(mark, json!({}), Some(&ada.token)).await),
        "BAD_USER_INPUT"
    );
    assert_eq!(
        code(
            &env.gql(
                mark,
                json!({ "ids": [first_id], "all": true }),
                Some(&ada.token)
            )
            .await
        ),
        "BAD_USER_INPUT"
    );
    assert_eq!(
        code(
            &env.gql(mark, json!({ "ids": ["nope"] }), Some(&ada.token))
                .await
        ),
        "BAD_USER_INPUT"
    );
    assert_eq!(
        code(&env.gql(LIST, json!({}), None).await),
        "UNAUTHENTICATED"
    );

    // Through the federated User: the owner (and staff) only.
    let entity = "query($id:ID!){ _entities(representations:[{__typename:\"User\", id:$id}]) { ... on User { notifications(first: 2) { totalCount edges { node { kind } } } } } }";
    let own = env
        .gql(entity, json!({ "id": ada.id }), Some(&ada.token))
        .await;
    assert_eq!(
        own["data"]["_entities"][0]["notifications"]["totalCount"],
        json!(3),
        "{own}"
    );
    let staff = env
        .gql(entity, json!({ "id": ada.id }), Some(&env.staff))
        .await;
    assert_eq!(
        staff["data"]["_entities"][0]["notifications"]["totalCount"],
        json!(3),
        "{staff}"
    );
    let peek = env
        .gql(entity, json!({ "id": ada.id }), Some(&other.token))
        .await;
    assert_eq!(code(&peek), "FORBIDDEN");
    env.stop().await;
}

#[tokio::test]
async fn pages_follow_the_cursor() {
    let env = start(None, &[]).await;
    let ada = env.customer().await;
    for _ in 0..4 {
        env.publish(&order_event(
            "order.delivered",
            Some(&ada),
            &ada.email,
            json!({}),
        ))
        .await;
    }
    eventually("five notifications", || async {
        list(&env, &ada, false).await["unreadNotificationCount"] == json!(5)
    })
    .await;
    let page = "query($a:String){ myNotifications(first: 2, after: $a) { edges { cursor node { id } } pageInfo { hasNextPage endCursor } } }";
    let mut seen = Vec::new();
    let mut after = Value::Null;
    loop {
        let body = env.gql(page, json!({ "a": after }), Some(&ada.token)).await;
        let conn = &body["data"]["myNotifications"];
        for e in conn["edges"].as_array().unwrap() {
            seen.push(e["node"]["id"].as_str().unwrap().to_string());
        }
        if conn["pageInfo"]["hasNextPage"] != json!(true) {
            break;
        }
        after = conn["pageInfo"]["endCursor"].clone();
    }
    assert_eq!(seen.len(), 5);
    let mut sorted = seen.clone();
    sorted.sort();
    sorted.reverse();
    assert_eq!(seen, sorted, "newest first, no repeats");
    env.stop().await;
}

#[tokio::test]
async fn notification_received_streams_the_users_own_notifications() {
    let env = start(None, &[]).await;
    let ada = env.customer().await;
    let other = env.customer().await;
    let mut request = format!("ws://{}/graphql", env.app.addr)
        .into_client_request()
        .unwrap();
    request.headers_mut().insert(
        "Sec-WebSocket-Protocol",
        HeaderValue::from_static("graphql-transport-ws"),
    );
    let (mut ws, _) = tokio_tungstenite::connect_async(request)
        .await
        .expect("connects");
    let send = |v: Value| Message::Text(v.to_string().into());
    ws.send(send(json!({ "type": "connection_init", "payload": { "Authorization": format!("Bearer {}", ada.token) } })))
        .await
        .unwrap();
    ws.send(send(json!({ "id": "1", "type": "subscribe", "payload": {
        "query": "subscription { notificationReceived { kind title body category } }" } })))
        .await
        .unwrap();
    // The fan-out queue binds in the background with RabbitMQ: publish until one arrives.
    // Only ada's own notifications may come (her welcome may still be on its way); bob's
    // `order.delivered` must never.
    let mut got = None;
    let mut seen = Vec::new();
    for _ in 0..30 {
        env.publish(&order_event(
            "order.delivered",
            Some(&other),
            &other.email,
            json!({}),
        ))
        .await;
        env.publish(&order_event(
            "order.paid",
            Some(&ada),
            &ada.email,
            json!({}),
        ))
        .await;
        let deadline = tokio::time::Instant::now() + Duration::from_secs(1);
        while let Ok(Some(Ok(msg))) = tokio::time::timeout_at(deadline, ws.next()).await {
            if let Message::Text(text) = msg {
                let v: Value = serde_json::from_str(&text).unwrap();
                if v["type"] != json!("next") {
                    continue; // connection_ack, pings
                }
                let kind = v["payload"]["data"]["notificationReceived"]["kind"].clone();
                seen.push(kind.clone());
                if kind == json!("order_paid") {
                    got = Some(v);
                    break;
                }
            }
        }
        if got.is_some() {
            break;
        }
    }
    let v = got.expect("a notification over the WebSocket");
    assert!(
        seen.iter()
            .all(|k| *k == json!("order_paid") || *k == json!("welcome")),
        "only the subscriber's own: {seen:?}"
    );
    let n = &v["payload"]["data"]["notificationReceived"];
    assert_eq!(n["category"], json!("ORDERS"));
    assert_eq!(n["title"], json!("Payment received for order SO-1001"));
    env.stop().await;
}
