//! Viewer and sales analytics as staff read them, and what subscribers see of them: live
//! subscriptions are counted (and uncounted when they close), the peak kept, signed-in viewers
//! counted once; chat messages counted; paid orders whose lines came from the stream (an
//! `order.paid` as orders publishes it, lines carrying `livestreamId`) counted once however
//! often the event arrives, and shown to subscribers as `JustBought`.

use std::time::Duration;

use kit::events::Event;
use serde_json::{json, Value};

use crate::common::*;
use crate::subscriptions::{next, send, subscribe, subscribe_as, Socket};
use kit::testing::eventually;

const ANALYTICS: &str = "query($id:ID!){ livestream(id:$id){ analytics { currentViewers peakViewers uniqueViewers chatMessages orders units revenue { amount currencyCode } } } }";

async fn analytics(env: &Env, stream: &str) -> Value {
    let body = env.staff_gql(ANALYTICS, json!({ "id": stream })).await;
    let a = body["data"]["livestream"]["analytics"].clone();
    assert!(a.is_object(), "{body}");
    a
}

/// The next event of `kind`, skipping others (viewer counts arrive in between).
async fn next_of(ws: &mut Socket, kind: &str) -> Value {
    for _ in 0..100 {
        let msg = next(ws, Duration::from_secs(10)).await.expect("an event");
        let e = &msg["payload"]["data"]["livestreamEvents"];
        if e["__typename"] == kind {
            return e.clone();
        }
    }
    panic!("no {kind}");
}

fn order_paid(order: &str, stream: &str) -> Event {
    let line = |qty: i64, minor: i64, from: Option<&str>| {
        let mut l = json!({ "lineId": kit::ids::new_id(), "variantId": kit::ids::new_id(),
            "productId": kit::ids::new_id(), "sku": "SKU", "title": "Hat", "quantity": qty,
            "unitPrice": { "amount": "0", "currencyCode": "USD", "minorUnits": minor / qty },
            "lineTotal": { "amount": "0", "currencyCode": "USD", "minorUnits": minor } });
        if let Some(s) = from {
            l["livestreamId"] = json!(s);
        }
        l
    };
    Event::new(
        "orders",
        "order.paid",
        Some(order.to_string()),
        json!({ "orderId": order, "number": "1001", "status": "PAID", "currencyCode": "USD",
                "lines": [line(2, 1998, Some(stream)), line(1, 500, Some(stream)), line(4, 4000, None)] }),
    )
}

#[tokio::test]
async fn viewers_chat_and_sales_are_counted_once_and_live() {
    let env = start_with(&[("VIEWER_HEARTBEAT_MS", "100"), ("CHAT_RATE_MAX", "1000")]).await;
    let stream = env.live("Counted").await;
    let user = env.customer().await;
    let customer_view = env
        .gql(ANALYTICS, json!({ "id": stream.id }), Some(&user.token))
        .await;
    assert_eq!(code(&customer_view), "FORBIDDEN");

    // Three subscriptions: one anonymous, the same user twice.
    let mut anon = subscribe(&env.app, &stream.id).await;
    let mut first = subscribe_as(&env.app, &stream.id, Some(&user.token)).await;
    let second = subscribe_as(&env.app, &stream.id, Some(&user.token)).await;
    let count = next_of(&mut anon, "ViewerCount").await;
    assert!(count["viewers"].as_i64().unwrap() >= 1, "{count}");
    eventually("three viewers", || async {
        analytics(&env, &stream.id).await["currentViewers"] == 3
    })
    .await;
    drop(second);
    eventually("two viewers once one left", || async {
        analytics(&env, &stream.id).await["currentViewers"] == 2
    })
    .await;
    let a = analytics(&env, &stream.id).await;
    assert_eq!(a["peakViewers"], 3, "{a}");
    assert_eq!(a["uniqueViewers"], 2, "the user counts once: {a}");

    for text in ["a", "b", "c"] {
        env.chat(Some(&user.token), &stream.id, text).await;
    }
    let order = kit::ids::new_id();
    let paid = order_paid(&order, &stream.id);
    for _ in 0..3 {
        env.app
            .svc()
            .transport
            .publish_batch(std::slice::from_ref(&paid))
            .await
            .unwrap();
    }
    let bought = next_of(&mut first, "JustBought").await;
    assert_eq!(bought["units"], 3, "{bought}");
    assert_eq!(bought["items"].as_array().unwrap().len(), 2);
    eventually("the sale counted", || async {
        analytics(&env, &stream.id).await["orders"] == 1
    })
    .await;
    // Give the duplicates time to arrive; they change nothing.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let a = analytics(&env, &stream.id).await;
    assert_eq!(a["chatMessages"], 3, "{a}");
    assert_eq!(a["orders"], 1, "{a}");
    assert_eq!(a["units"], 3);
    assert_eq!(
        a["revenue"],
        json!([{ "amount": "24.98", "currencyCode": "USD" }])
    );
    send(&mut first, json!({ "id": "1", "type": "complete" })).await;
    env.stop().await;
}
