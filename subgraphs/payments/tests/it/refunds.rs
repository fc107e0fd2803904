//! Refunds: partial and full (amount omitted) refunds move the payment to PARTIALLY_REFUNDED
//! and REFUNDED and publish `payment.refunded`; more than is left is refused with
//! `EXCEEDS_REFUNDABLE`; a key repeats its first refund; and 20 concurrent partial refunds that
//! together exceed the capture never refund more than was captured (on SQLite and, under
//! `scripts/test.sh`, PostgreSQL).

use futures_util::future::join_all;
use serde_json::json;

use crate::common::{self, error_code, field, reason, As};

#[tokio::test]
async fn partial_then_full_refunds_and_over_refunds_refused() {
    let env = common::start().await;
    let (_, paid, token) = env.paid_order("50.00").await;
    let id = paid["id"].as_str().unwrap();

    let first = env.refund(id, Some("20.00"), "r1").await;
    let refund = &first["data"]["refundPayment"];
    assert_eq!(refund["status"], "SUCCEEDED", "{first}");
    assert_eq!(
        refund["amount"],
        json!({ "amount": "20.00", "currencyCode": "USD" })
    );
    let payment = env.payment(id).await;
    assert_eq!(payment["status"], "PARTIALLY_REFUNDED");
    assert_eq!(payment["refundedAmount"]["amount"], "20.00");
    assert_eq!(payment["refundableAmount"]["amount"], "30.00");

    let repeat = env.refund(id, Some("20.00"), "r1").await;
    assert_eq!(repeat["data"]["refundPayment"]["id"], refund["id"]);

    let over = env.refund(id, Some("30.01"), "r2").await;
    assert_eq!(error_code(&over), "BAD_USER_INPUT", "{over}");
    assert_eq!(field(&over), "amount");
    assert_eq!(reason(&over), "EXCEEDS_REFUNDABLE");
    let wrong_currency = env
        .staff_gql(
            "mutation($p:ID!){ refundPayment(paymentId:$p, amount:{amount:\"1.00\", currencyCode:\"EUR\"}, idempotencyKey:\"r3\"){ id } }",
            json!({ "p": id }),
        )
        .await;
    assert_eq!(field(&wrong_currency), "amount.currencyCode");
    let customer = env
        .gql_as(
            As::Bearer(&token),
            "mutation($p:ID!){ refundPayment(paymentId:$p, idempotencyKey:\"r4\"){ id } }",
            json!({ "p": id }),
        )
        .await;
    assert_eq!(error_code(&customer), "FORBIDDEN");

    let rest = env.refund(id, None, "r5").await;
    assert_eq!(
        rest["data"]["refundPayment"]["amount"]["amount"], "30.00",
        "{rest}"
    );
    let payment = env.payment(id).await;
    assert_eq!(payment["status"], "REFUNDED");
    assert_eq!(payment["refundedAmount"]["amount"], "50.00");
    assert_eq!(payment["refunds"].as_array().unwrap().len(), 2);
    let nothing = env.refund(id, None, "r6").await;
    assert_eq!(reason(&nothing), "EXCEEDS_REFUNDABLE", "{nothing}");

    let events = env.events("payment.refunded", id).await;
    assert_eq!(events.len(), 2);
    assert_eq!(events[0].data["amount"]["minorUnits"], 2000);
    assert_eq!(events[0].data["fullyRefunded"], false);
    assert_eq!(events[1].data["refundedTotal"]["minorUnits"], 5000);
    assert_eq!(events[1].data["fullyRefunded"], true);
    assert_eq!(events[1].data["orderId"], paid["orderId"]);
    env.stop().await;
}

#[tokio::test]
async fn an_unpaid_payment_has_nothing_to_refund() {
    let env = common::start().await;
    let (_, started) = env.order("10.00", None, None).await;
    let body = env.refund(started["id"].as_str().unwrap(), None, "r").await;
    assert_eq!(error_code(&body), "CONFLICT", "{body}");
    let missing = env.refund(&common::id(), None, "r").await;
    assert_eq!(error_code(&missing), "NOT_FOUND");
    env.stop().await;
}

#[tokio::test]
async fn concurrent_partial_refunds_never_exceed_the_capture() {
    let env = common::start().await;
    let (_, paid, _) = env.paid_order("100.00").await;
    let id = paid["id"].as_str().unwrap();
    // 20 × 7.00 = 140.00 asked of 100.00 captured: exactly 14 fit.
    let keys: Vec<String> = (0..20).map(|i| format!("c{i}")).collect();
    let bodies = join_all(keys.iter().map(|k| env.refund(id, Some("7.00"), k))).await;
    let ok = bodies
        .iter()
        .filter(|b| b["data"]["refundPayment"]["status"] == "SUCCEEDED")
        .count();
    for body in bodies.iter().filter(|b| !b["errors"].is_null()) {
        assert_eq!(reason(body), "EXCEEDS_REFUNDABLE", "{body}");
    }
    assert_eq!(ok, 14, "{bodies:?}");
    let payment = env.payment(id).await;
    assert_eq!(payment["refundedAmount"]["amount"], "98.00");
    assert_eq!(payment["refundableAmount"]["amount"], "2.00");
    let sum: i64 = sqlx::query_scalar(
        "SELECT CAST(COALESCE(SUM(amount), 0) AS BIGINT) FROM refunds \
         WHERE payment_id = $1 AND status = 'SUCCEEDED'",
    )
    .bind(id)
    .fetch_one(env.app.svc().db.pool())
    .await
    .unwrap();
    assert_eq!(sum, 9800);
    assert_eq!(env.events("payment.refunded", id).await.len(), 14);
    env.stop().await;
}
