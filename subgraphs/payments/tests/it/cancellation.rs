//! `order.cancelled` (from orders) and the checkout's `cancelPayment`: a payment that took no
//! money is voided (`payment.voided`), a captured one is refunded in full (`payment.refunded`),
//! and a replayed event has its effect once.

use serde_json::json;

use crate::common::{self, card, eventually, order_event, As, PAYMENT_FIELDS};

#[tokio::test]
async fn order_cancelled_refunds_a_captured_payment_once() {
    let env = common::start().await;
    let (order, paid, _) = env.paid_order("40.00").await;
    let id = paid["id"].as_str().unwrap().to_string();
    let event = order_event("order.cancelled", &order, "CUSTOMER");
    env.publish(std::slice::from_ref(&event)).await;
    env.publish(&[event.clone(), event]).await;
    eventually("the refund", || async {
        env.payment(&id).await["status"] == "REFUNDED"
    })
    .await;
    // A second, different cancellation event still refunds nothing more.
    env.publish(&[order_event("order.cancelled", &order, "STAFF")])
        .await;
    eventually("both events processed", || async {
        env.count(
            "SELECT COUNT(*) FROM processed_events WHERE consumer = $1",
            "payments",
        )
        .await
            == 2
    })
    .await;
    let payment = env.payment(&id).await;
    assert_eq!(payment["refunds"].as_array().unwrap().len(), 1, "{payment}");
    assert_eq!(payment["refundedAmount"]["amount"], "40.00");
    let refunded = env.events("payment.refunded", &id).await;
    assert_eq!(refunded.len(), 1);
    assert_eq!(refunded[0].data["fullyRefunded"], true);
    env.stop().await;
}

#[tokio::test]
async fn order_cancelled_voids_unpaid_and_authorized_payments() {
    let env = common::start_with(&[("CAPTURE_MODE", "manual")]).await;
    let (user, token) = env.customer().await;
    let (authorized_order, _) = env.order("10.00", Some(&user), None).await;
    let body = env
        .pay(
            As::Bearer(&token),
            &authorized_order,
            card(common::GOOD_CARD),
            "k",
        )
        .await;
    assert_eq!(body["data"]["payOrder"]["status"], "AUTHORIZED", "{body}");
    let authorized = body["data"]["payOrder"]["id"].as_str().unwrap().to_string();
    let (unpaid_order, unpaid) = env.order("11.00", Some(&user), None).await;
    let unpaid = unpaid["id"].as_str().unwrap().to_string();

    let first = order_event("order.cancelled", &authorized_order, "PAYMENT_TIMEOUT");
    env.publish(&[first.clone(), first]).await;
    env.publish(&[order_event("order.cancelled", &unpaid_order, "CUSTOMER")])
        .await;
    for id in [&authorized, &unpaid] {
        eventually("the void", || async {
            env.payment(id).await["status"] == "VOIDED"
        })
        .await;
        let voided = env.events("payment.voided", id).await;
        assert_eq!(voided.len(), 1);
        assert!(env.events("payment.refunded", id).await.is_empty());
    }
    // A voided payment takes no card.
    let late = env
        .pay(
            As::Bearer(&token),
            &unpaid_order,
            card(common::GOOD_CARD),
            "k",
        )
        .await;
    assert_eq!(common::error_code(&late), "CONFLICT", "{late}");
    env.stop().await;
}

#[tokio::test]
async fn cancel_payment_voids_before_capture_only() {
    let env = common::start().await;
    let cancel = format!("mutation($o:ID!){{ cancelPayment(orderId:$o){{ {PAYMENT_FIELDS} }} }}");
    let (order, started) = env.order("9.00", None, None).await;
    let done = env.staff_gql(&cancel, json!({ "o": order })).await;
    assert_eq!(done["data"]["cancelPayment"]["status"], "VOIDED", "{done}");
    let again = env.staff_gql(&cancel, json!({ "o": order })).await;
    assert_eq!(again["data"]["cancelPayment"]["status"], "VOIDED");
    assert_eq!(
        env.events("payment.voided", started["id"].as_str().unwrap())
            .await
            .len(),
        1
    );
    // The order may start a new payment now.
    let restart = env
        .start_payment_raw(json!({
            "orderId": order,
            "amount": { "amount": "9.00", "currencyCode": "USD" },
            "email": "a@example.com",
            "idempotencyKey": "second",
        }))
        .await;
    assert_eq!(
        restart["data"]["startPayment"]["status"], "REQUIRES_PAYMENT_METHOD",
        "{restart}"
    );

    let none = env.staff_gql(&cancel, json!({ "o": common::id() })).await;
    assert!(none["data"]["cancelPayment"].is_null(), "{none}");
    let (paid_order, _, _) = env.paid_order("5.00").await;
    let captured = env.staff_gql(&cancel, json!({ "o": paid_order })).await;
    assert_eq!(common::error_code(&captured), "CONFLICT", "{captured}");
    env.stop().await;
}
