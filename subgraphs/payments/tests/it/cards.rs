//! Every test-card outcome through `payOrder`: success captures and publishes
//! `payment.succeeded` (with `reservationReference` = order id), declines fail with their
//! decline code and publish `payment.failed`, the confirmation card waits for
//! `confirmPayment` (right code captures, wrong code fails), manual capture waits for staff,
//! and malformed cards are refused naming the field before anything is charged.

use serde_json::json;

use crate::common::{self, card, error_code, field, reason, As, GOOD_CARD, PAYMENT_FIELDS};

#[tokio::test]
async fn the_good_card_captures_and_publishes_payment_succeeded() {
    let env = common::start().await;
    let (user, token) = env.customer().await;
    let (order, started) = env.order("25.00", Some(&user), None).await;
    assert_eq!(started["status"], "REQUIRES_PAYMENT_METHOD");
    let body = env
        .pay(As::Bearer(&token), &order, card(GOOD_CARD), "k1")
        .await;
    let paid = &body["data"]["payOrder"];
    assert_eq!(paid["status"], "CAPTURED", "{body}");
    assert_eq!(paid["capturedAmount"]["amount"], "25.00");
    assert_eq!(paid["provider"], "test");
    assert_eq!(
        paid["card"],
        json!({ "brand": "visa", "last4": "4242", "expMonth": 12, "expYear": 2031 })
    );
    let id = paid["id"].as_str().unwrap();
    let events = env.events("payment.succeeded", id).await;
    assert_eq!(events.len(), 1);
    let data = &events[0].data;
    assert_eq!(data["orderId"], order.as_str());
    assert_eq!(data["reservationReference"], order.as_str());
    assert_eq!(
        data["amount"],
        json!({ "amount": "25.00", "currencyCode": "USD", "minorUnits": 2500 })
    );
    assert_eq!(data["provider"], "test");
    assert!(data["providerReference"].as_str().is_some());
    env.stop().await;
}

#[tokio::test]
async fn declined_cards_fail_with_their_decline_code() {
    let env = common::start().await;
    let (user, token) = env.customer().await;
    for (number, code) in [
        ("4000000000000002", "card_declined"),
        ("4000000000009995", "insufficient_funds"),
    ] {
        let (order, _) = env.order("10.00", Some(&user), None).await;
        let body = env.pay(As::Bearer(&token), &order, card(number), "k").await;
        let paid = &body["data"]["payOrder"];
        assert_eq!(paid["status"], "FAILED", "{body}");
        assert_eq!(paid["declineCode"], code);
        let id = paid["id"].as_str().unwrap();
        let failed = env.events("payment.failed", id).await;
        assert_eq!(failed.len(), 1);
        assert_eq!(failed[0].data["declineCode"], code);
        assert_eq!(failed[0].data["orderId"], order.as_str());
        assert!(env.events("payment.succeeded", id).await.is_empty());
        // A failed payment takes no other card.
        let again = env
            .pay(As::Bearer(&token), &order, card(GOOD_CARD), "k2")
            .await;
        assert_eq!(error_code(&again), "CONFLICT", "{again}");
        let attempts = env.payment(id).await["attempts"].clone();
        assert_eq!(attempts.as_array().unwrap().len(), 1, "{attempts}");
        assert_eq!(attempts[0]["outcome"], "DECLINED");
        assert_eq!(attempts[0]["declineCode"], code);
    }
    env.stop().await;
}

#[tokio::test]
async fn the_confirmation_card_waits_for_the_right_code() {
    let env = common::start().await;
    let (user, token) = env.customer().await;
    let confirm = |id: String, code: &'static str| {
        let env = &env;
        let token = token.clone();
        async move {
            env.gql_as(
                As::Bearer(&token),
                &format!("mutation($p:ID!,$c:String!){{ confirmPayment(paymentId:$p, code:$c){{ {PAYMENT_FIELDS} }} }}"),
                json!({ "p": id, "c": code }),
            )
            .await
        }
    };

    let (order, _) = env.order("30.00", Some(&user), None).await;
    let body = env
        .pay(As::Bearer(&token), &order, card("4000002500003155"), "k")
        .await;
    let paid = &body["data"]["payOrder"];
    assert_eq!(paid["status"], "REQUIRES_ACTION", "{body}");
    assert_eq!(paid["nextAction"]["type"], "CONFIRMATION_CODE");
    let id = paid["id"].as_str().unwrap().to_string();
    assert!(env.events("payment.succeeded", &id).await.is_empty());
    let done = confirm(id.clone(), "000000").await;
    assert_eq!(
        done["data"]["confirmPayment"]["status"], "CAPTURED",
        "{done}"
    );
    assert_eq!(env.events("payment.succeeded", &id).await.len(), 1);
    // Confirming again changes nothing.
    let again = confirm(id.clone(), "000000").await;
    assert_eq!(again["data"]["confirmPayment"]["status"], "CAPTURED");
    assert_eq!(env.events("payment.succeeded", &id).await.len(), 1);

    let (order, _) = env.order("30.00", Some(&user), None).await;
    let body = env
        .pay(As::Bearer(&token), &order, card("4000002500003155"), "k")
        .await;
    let id = body["data"]["payOrder"]["id"].as_str().unwrap().to_string();
    let wrong = confirm(id.clone(), "123456").await;
    assert_eq!(
        wrong["data"]["confirmPayment"]["status"], "FAILED",
        "{wrong}"
    );
    assert_eq!(
        wrong["data"]["confirmPayment"]["declineCode"],
        "authentication_failed"
    );
    assert_eq!(env.events("payment.failed", &id).await.len(), 1);
    env.stop().await;
}

#[tokio::test]
async fn manual_capture_authorizes_first_and_staff_capture() {
    let env = common::start_with(&[("CAPTURE_MODE", "manual")]).await;
    let (user, token) = env.customer().await;
    let (order, _) = env.order("12.50", Some(&user), None).await;
    let body = env
        .pay(As::Bearer(&token), &order, card(GOOD_CARD), "k")
        .await;
    let paid = &body["data"]["payOrder"];
    assert_eq!(paid["status"], "AUTHORIZED", "{body}");
    assert_eq!(paid["capturedAmount"]["amount"], "0.00");
    let id = paid["id"].as_str().unwrap().to_string();
    assert!(env.events("payment.succeeded", &id).await.is_empty());

    let capture =
        format!("mutation($p:ID!){{ capturePayment(paymentId:$p){{ {PAYMENT_FIELDS} }} }}");
    let denied = env
        .gql_as(As::Bearer(&token), &capture, json!({ "p": id }))
        .await;
    assert_eq!(error_code(&denied), "FORBIDDEN");
    let done = env.staff_gql(&capture, json!({ "p": id })).await;
    assert_eq!(
        done["data"]["capturePayment"]["status"], "CAPTURED",
        "{done}"
    );
    assert_eq!(
        done["data"]["capturePayment"]["capturedAmount"]["amount"],
        "12.50"
    );
    let again = env.staff_gql(&capture, json!({ "p": id })).await;
    assert_eq!(again["data"]["capturePayment"]["status"], "CAPTURED");
    assert_eq!(env.events("payment.succeeded", &id).await.len(), 1);
    env.stop().await;
}

#[tokio::test]
async fn malformed_cards_are_refused_naming_the_field() {
    let env = common::start().await;
    let (user, token) = env.customer().await;
    let (order, started) = env.order("10.00", Some(&user), None).await;
    let cases = [
        (
            json!({ "number": "4242424242424241", "expMonth": 12, "expYear": 2031, "cvc": "123" }),
            "input.card.number",
        ),
        (
            json!({ "number": "4242-abcd", "expMonth": 12, "expYear": 2031, "cvc": "123" }),
            "input.card.number",
        ),
        (
            json!({ "number": GOOD_CARD, "expMonth": 13, "expYear": 2031, "cvc": "123" }),
            "input.card.expMonth",
        ),
        (
            json!({ "number": GOOD_CARD, "expMonth": 1, "expYear": 2020, "cvc": "123" }),
            "input.card.expYear",
        ),
        (
            json!({ "number": GOOD_CARD, "expMonth": 12, "expYear": 2031, "cvc": "12" }),
            "input.card.cvc",
        ),
    ];
    for (bad, expected) in cases {
        let body = env.pay(As::Bearer(&token), &order, bad, "k").await;
        assert_eq!(error_code(&body), "BAD_USER_INPUT", "{body}");
        assert_eq!(field(&body), expected, "{body}");
    }
    let expired = env
        .pay(
            As::Bearer(&token),
            &order,
            json!({ "number": GOOD_CARD, "expMonth": 1, "expYear": 2020, "cvc": "123" }),
            "k",
        )
        .await;
    assert_eq!(reason(&expired), "CARD_EXPIRED");
    // Nothing was attempted.
    let payment = env.payment(started["id"].as_str().unwrap()).await;
    assert_eq!(payment["status"], "REQUIRES_PAYMENT_METHOD");
    assert_eq!(payment["attempts"], json!([]));
    env.stop().await;
}
