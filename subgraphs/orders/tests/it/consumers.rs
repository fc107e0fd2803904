//! Payments' and shipping's events move orders (docs/checkout.md): paid, fulfilling, shipped
//! with carrier and tracking, delivered, refunded; a failed payment cancels. A redelivered
//! event changes nothing; a late or illegal one, or one about an unknown order, is recorded as
//! ignored and acknowledged, never retried.

use kit::events::Event;
use serde_json::{json, Value};

use crate::common::*;

async fn history(env: &Env, id: &str) -> Vec<Value> {
    let body = env
        .staff_gql(
            "query($id:ID!){ order(id:$id){ statusHistory { status previousStatus actor reason note } } }",
            json!({ "id": id }),
        )
        .await;
    body["data"]["order"]["statusHistory"]
        .as_array()
        .unwrap_or_else(|| panic!("{body}"))
        .clone()
}

async fn logged(env: &Env, id: &str) -> Vec<(String, Value)> {
    let rows: Vec<(String, String)> = sqlx::query_as(
        "SELECT event_type, payload FROM order_events WHERE order_id = $1 ORDER BY version",
    )
    .bind(id)
    .fetch_all(env.app.svc().db.background())
    .await
    .unwrap();
    rows.into_iter()
        .map(|(t, p)| {
            (
                t,
                serde_json::from_str::<Value>(&p).unwrap()["data"].clone(),
            )
        })
        .collect()
}

#[tokio::test]
async fn an_order_goes_from_paid_to_refunded_and_replays_change_nothing() {
    let env = start().await;
    let (order, customer, _) = env.customer_order().await;

    let paid = payment_succeeded(&order);
    env.deliver(paid.clone()).await;
    assert_eq!(env.status(&order.id).await, "PAID");
    // The same event again (at-least-once delivery): applied once.
    env.deliver(paid.clone()).await;
    // A late failure for a paid order: ignored, recorded, not an error.
    let late = payment_failed(&order);
    env.deliver(late.clone()).await;
    assert_eq!(env.status(&order.id).await, "PAID");
    assert_eq!(
        env.ignored(&late).await.as_deref(),
        Some("PAID cannot become CANCELLED by PAYMENT_FAILED")
    );

    env.deliver(shipment(&order, "shipment.created", "PENDING"))
        .await;
    assert_eq!(env.status(&order.id).await, "FULFILLING");
    // Statuses orders does not track: nothing happens (no claim, no history).
    env.publish(&[shipment(&order, "shipment.updated", "PACKED")])
        .await;
    env.deliver(shipment(&order, "shipment.updated", "SHIPPED"))
        .await;
    assert_eq!(env.status(&order.id).await, "SHIPPED");
    env.deliver(shipment(&order, "shipment.delivered", "DELIVERED"))
        .await;
    env.deliver(payment_refunded(&order, "10.00", false)).await;
    assert_eq!(env.status(&order.id).await, "PARTIALLY_REFUNDED");
    env.deliver(payment_refunded(&order, "30.00", true)).await;

    let body = env.order(As::bearer(&env.admin), &order.id).await;
    let o = &body["data"]["order"];
    assert_eq!(o["status"], "REFUNDED");
    assert_eq!(o["refundedTotal"]["amount"], "30.00");
    assert_eq!(
        (o["carrier"].as_str(), o["trackingNumber"].as_str()),
        (Some("UPS"), Some("1Z999"))
    );

    let steps: Vec<(String, String, String)> = history(&env, &order.id)
        .await
        .iter()
        .map(|h| {
            (
                h["status"].as_str().unwrap().to_string(),
                h["actor"].as_str().unwrap().to_string(),
                h["reason"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let expected = [
        ("PENDING_PAYMENT", customer.as_str(), "CHECKOUT"),
        ("PAID", "payments", "PAYMENT_SUCCEEDED"),
        ("FULFILLING", "shipping", "SHIPMENT_CREATED"),
        ("SHIPPED", "shipping", "SHIPMENT_SHIPPED"),
        ("DELIVERED", "shipping", "SHIPMENT_DELIVERED"),
        ("PARTIALLY_REFUNDED", "payments", "PAYMENT_REFUNDED"),
        ("REFUNDED", "payments", "PAYMENT_REFUNDED"),
    ];
    assert_eq!(
        steps,
        expected
            .iter()
            .map(|(s, a, r)| (s.to_string(), a.to_string(), r.to_string()))
            .collect::<Vec<_>>()
    );

    // Every step published its event, with the contract's fields.
    let events = logged(&env, &order.id).await;
    let types: Vec<&str> = events.iter().map(|(t, _)| t.as_str()).collect();
    assert_eq!(
        types,
        [
            "order.created",
            "order.paid",
            "order.fulfilling",
            "order.shipped",
            "order.delivered",
            "order.partially_refunded",
            "order.refunded"
        ]
    );
    for (t, data) in &events {
        for key in [
            "orderId",
            "number",
            "status",
            "previousStatus",
            "customerId",
            "email",
            "currencyCode",
            "total",
            "at",
            "actor",
            "reason",
        ] {
            assert!(data.get(key).is_some(), "{t} lacks {key}: {data}");
        }
    }
    let created = &events[0].1;
    assert_eq!(created["cartId"], order.cart_id.as_str());
    assert_eq!(created["reservationReference"], order.id.as_str());
    assert_eq!(created["lines"][0]["unitPrice"]["minorUnits"], 1250);
    assert_eq!(created["shippingAddress"]["countryCode"], "US");
    let paid_data = &events[1].1;
    assert_eq!(paid_data["reservationReference"], order.id.as_str());
    assert_eq!(paid_data["lines"][0]["sku"], "MUG-BLUE");
    assert_eq!(paid_data["shippingMethodId"], "standard");
    assert_eq!(events[3].1["trackingNumber"], "1Z999");
    assert_eq!(events[5].1["refundedTotal"]["amount"], "10.00");
    env.stop().await;
}

#[tokio::test]
async fn a_failed_payment_cancels_and_unknown_orders_are_ignored() {
    let env = start().await;
    let (order, _, _) = env.customer_order().await;
    env.deliver(payment_failed(&order)).await;
    let h = history(&env, &order.id).await;
    assert_eq!(h[1]["status"], "CANCELLED");
    assert_eq!(h[1]["reason"], "PAYMENT_FAILED");
    assert_eq!(h[1]["note"], "card declined (insufficient_funds)");
    let events = logged(&env, &order.id).await;
    assert_eq!(events[1].0, "order.cancelled");
    assert_eq!(events[1].1["reservationReference"], order.id.as_str());
    // A late success for a cancelled order: ignored.
    let late = payment_succeeded(&order);
    env.deliver(late.clone()).await;
    assert_eq!(env.status(&order.id).await, "CANCELLED");
    assert!(env.ignored(&late).await.is_some());

    let stray = Event::new(
        "payments",
        "payment.succeeded",
        None,
        json!({ "paymentId": "p", "orderId": kit::ids::new_id() }),
    );
    env.deliver(stray.clone()).await;
    assert_eq!(env.ignored(&stray).await.as_deref(), Some("no such order"));
    env.stop().await;
}
