//! Repeats charge once: `startPayment` with the same key returns the same payment (and an
//! order gets one live payment), and `payOrder` repeated with one idempotency key — 50 times
//! at once — makes one provider attempt and publishes one `payment.succeeded`.

use futures_util::future::join_all;
use serde_json::json;

use crate::common::{self, card, error_code, reason, As, GOOD_CARD};

#[tokio::test]
async fn start_payment_is_idempotent_and_one_live_payment_per_order() {
    let env = common::start().await;
    let order = common::id();
    let input = |key: &str, amount: &str| {
        json!({
            "orderId": order,
            "amount": { "amount": amount, "currencyCode": "EUR" },
            "email": "Shopper@Example.com",
            "idempotencyKey": key,
        })
    };
    let first = env.start_payment_raw(input("s1", "10.00")).await;
    let again = env.start_payment_raw(input("s1", "10.00")).await;
    let first = &first["data"]["startPayment"];
    assert_eq!(first["status"], "REQUIRES_PAYMENT_METHOD");
    assert_eq!(
        first["amount"],
        json!({ "amount": "10.00", "currencyCode": "EUR" })
    );
    assert!(first["reference"].as_str().unwrap().starts_with("SHOP"));
    assert_eq!(again["data"]["startPayment"]["id"], first["id"]);

    let second = env.start_payment_raw(input("s2", "10.00")).await;
    assert_eq!(error_code(&second), "CONFLICT", "{second}");
    let reused = env
        .start_payment_raw(json!({
            "orderId": common::id(),
            "amount": { "amount": "1.00", "currencyCode": "EUR" },
            "email": "a@example.com",
            "idempotencyKey": "s1",
        }))
        .await;
    assert_eq!(reason(&reused), "KEY_REUSED");

    for (bad, field) in [
        (
            json!({ "orderId": order, "amount": { "amount": "0", "currencyCode": "EUR" }, "email": "a@example.com", "idempotencyKey": "z" }),
            "input.amount.amount",
        ),
        (
            json!({ "orderId": order, "amount": { "amount": "1.00", "currencyCode": "XXX" }, "email": "a@example.com", "idempotencyKey": "z" }),
            "input.amount.currencyCode",
        ),
        (
            json!({ "orderId": order, "amount": { "amount": "1.00", "currencyCode": "EUR" }, "email": "nope", "idempotencyKey": "z" }),
            "input.email",
        ),
        (
            json!({ "orderId": order, "amount": { "amount": "1.00", "currencyCode": "EUR" }, "email": "a@example.com", "orderTokenHash": "abc", "idempotencyKey": "z" }),
            "input.orderTokenHash",
        ),
        (
            json!({ "orderId": order, "amount": { "amount": "1.00", "currencyCode": "EUR" }, "email": "a@example.com", "idempotencyKey": " " }),
            "input.idempotencyKey",
        ),
    ] {
        let body = env.start_payment_raw(bad).await;
        assert_eq!(error_code(&body), "BAD_USER_INPUT", "{body}");
        assert_eq!(common::field(&body), field);
    }
    env.stop().await;
}

#[tokio::test]
async fn fifty_concurrent_pay_orders_with_one_key_charge_once() {
    let env = common::start().await;
    let (user, token) = env.customer().await;
    let (order, started) = env.order("99.99", Some(&user), None).await;
    let id = started["id"].as_str().unwrap();
    let bodies =
        join_all((0..50).map(|_| env.pay(As::Bearer(&token), &order, card(GOOD_CARD), "same-key")))
            .await;
    for body in &bodies {
        assert!(body["errors"].is_null(), "a repeat failed: {body}");
        assert_eq!(body["data"]["payOrder"]["id"], id);
        assert_eq!(body["data"]["payOrder"]["status"], "CAPTURED");
    }
    let payment = env.payment(id).await;
    assert_eq!(
        payment["attempts"].as_array().unwrap().len(),
        1,
        "{payment}"
    );
    assert_eq!(env.events("payment.succeeded", id).await.len(), 1);

    // A later repeat still answers with the same result; another key cannot pay again.
    let later = env
        .pay(As::Bearer(&token), &order, card(GOOD_CARD), "same-key")
        .await;
    assert_eq!(later["data"]["payOrder"]["status"], "CAPTURED");
    let other = env
        .pay(As::Bearer(&token), &order, card(GOOD_CARD), "other-key")
        .await;
    assert_eq!(error_code(&other), "CONFLICT", "{other}");
    assert_eq!(env.events("payment.succeeded", id).await.len(), 1);
    env.stop().await;
}

#[tokio::test]
async fn concurrent_pay_orders_with_different_keys_charge_once() {
    let env = common::start().await;
    let (user, token) = env.customer().await;
    let (order, started) = env.order("15.00", Some(&user), None).await;
    let id = started["id"].as_str().unwrap();
    let keys: Vec<String> = (0..10).map(|i| format!("key-{i}")).collect();
    let bodies = join_all(
        keys.iter()
            .map(|k| env.pay(As::Bearer(&token), &order, card(GOOD_CARD), k)),
    )
    .await;
    let captured = bodies
        .iter()
        .filter(|b| b["data"]["payOrder"]["status"] == "CAPTURED")
        .count();
    assert_eq!(captured, 1, "{bodies:?}");
    for body in bodies.iter().filter(|b| !b["errors"].is_null()) {
        assert_eq!(error_code(body), "CONFLICT", "{body}");
    }
    let payment = env.payment(id).await;
    let charges = payment["attempts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["kind"] == "AUTHORIZE")
        .count();
    assert_eq!(charges, 1, "{payment}");
    assert_eq!(env.events("payment.succeeded", id).await.len(), 1);
    env.stop().await;
}
