//! Coupon uses held for orders (`holdCouponUse`, as the checkout calls it): exact usage limits
//! under a race, idempotency keys under a race, per-customer limits, every rejection reason,
//! and the use's life through `order.paid` / `order.cancelled` (replays have one effect).

use futures_util::future::join_all;
use kit::events::Event;
use serde_json::{json, Value};

use crate::common::*;

const LINES: &[(&str, &str, i64, &str)] = &[("l1", "p1", 2, "20.00"), ("l2", "p2", 1, "10.00")];

fn hold_id(body: &Value) -> String {
    body["data"]["holdCouponUse"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("hold failed: {body}"))
        .to_string()
}

#[tokio::test]
async fn a_hundred_racers_for_ten_uses_get_exactly_ten_holds() {
    let env = start().await;
    let coupon = env
        .coupon(json!({ "code": code("race"), "kind": "PERCENTAGE", "percentOff": 10, "usageLimit": 10 }))
        .await;
    let code = coupon["code"].as_str().unwrap().to_string();
    let racers = (0..100).map(|i| {
        let env = &env;
        let input = hold_input(&code, &format!("order-{i}"), &format!("key-{i}"), LINES);
        async move { env.hold(input).await }
    });
    let results = join_all(racers).await;
    let mut held = 0;
    let mut exhausted = 0;
    for body in &results {
        if body["errors"].is_null() {
            let hold = &body["data"]["holdCouponUse"];
            assert_eq!(hold["status"], "HELD");
            assert_eq!(
                hold["discount"],
                json!({ "amount": "5.00", "currencyCode": "USD" })
            );
            held += 1;
        } else {
            assert_eq!(error_code(body), "BAD_USER_INPUT", "{body}");
            assert_eq!(reason(body), "EXHAUSTED", "{body}");
            assert_eq!(field(body), "code");
            exhausted += 1;
        }
    }
    println!("coupon race: {held} holds, {exhausted} exhausted");
    assert_eq!(held, 10, "exactly the usage limit");
    assert_eq!(exhausted, 90);
    assert_eq!(env.times_used(coupon["id"].as_str().unwrap()).await, 10);
    let rows: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM coupon_uses")
        .fetch_one(env.app.svc().db.pool())
        .await
        .unwrap();
    assert_eq!(rows, 10, "no use row survives a lost race");
    env.stop().await;
}

#[tokio::test]
async fn a_repeated_idempotency_key_holds_once_even_concurrently() {
    let env = start().await;
    let coupon = env
        .coupon(json!({ "code": code("once"), "kind": "FIXED_AMOUNT", "amountOff": { "amount": "3.00", "currencyCode": "USD" }, "usageLimit": 1 }))
        .await;
    let code = coupon["code"].as_str().unwrap().to_string();
    let input = hold_input(&code, "order-same", "key-same", LINES);
    let results = join_all((0..20).map(|_| env.hold(input.clone()))).await;
    let first = hold_id(&results[0]);
    for body in &results {
        assert_eq!(
            hold_id(body),
            first,
            "every repeat answers with the first hold: {body}"
        );
        assert_eq!(body["data"]["holdCouponUse"]["discount"]["amount"], "3.00");
    }
    assert_eq!(env.times_used(coupon["id"].as_str().unwrap()).await, 1);

    // A different key for the same order is refused; the limit is reached for other orders.
    let again = env
        .hold(hold_input(&code, "order-same", "key-other", LINES))
        .await;
    assert_eq!(error_code(&again), "BAD_USER_INPUT", "{again}");
    assert_eq!(reason(&again), "EXHAUSTED");
    let unlimited = env
        .coupon(json!({ "code": crate::common::code("free"), "kind": "FREE_SHIPPING" }))
        .await;
    let conflict = env
        .hold(hold_input(
            unlimited["code"].as_str().unwrap(),
            "order-same",
            "key-third",
            LINES,
        ))
        .await;
    assert_eq!(error_code(&conflict), "CONFLICT", "{conflict}");
    env.stop().await;
}

#[tokio::test]
async fn the_per_customer_limit_is_exact_for_customers_and_guest_emails() {
    let env = start().await;
    let coupon = env
        .coupon(json!({ "code": code("mine"), "kind": "PERCENTAGE", "percentOff": 5, "perCustomerLimit": 2 }))
        .await;
    let code = coupon["code"].as_str().unwrap().to_string();
    let customer = id();
    let racers = (0..10).map(|i| {
        let mut input = hold_input(&code, &format!("c-order-{i}"), &format!("c-key-{i}"), LINES);
        input["customerId"] = json!(customer);
        env.hold(input)
    });
    let results = join_all(racers).await;
    let ok = results.iter().filter(|b| b["errors"].is_null()).count();
    assert_eq!(ok, 2, "two uses for one customer");
    for body in results.iter().filter(|b| !b["errors"].is_null()) {
        assert_eq!(reason(body), "CUSTOMER_LIMIT", "{body}");
    }
    // Guests count by email, in any case.
    let guest = |i: usize, email: &str| {
        let mut input = hold_input(&code, &format!("g-order-{i}"), &format!("g-key-{i}"), LINES);
        input["email"] = json!(email);
        input
    };
    assert!(env.hold(guest(1, "Guest@Example.com")).await["errors"].is_null());
    assert!(env.hold(guest(2, "guest@example.com")).await["errors"].is_null());
    let third = env.hold(guest(3, "GUEST@example.com")).await;
    assert_eq!(reason(&third), "CUSTOMER_LIMIT", "{third}");
    let other = env.hold(guest(4, "someone@example.com")).await;
    assert!(other["errors"].is_null(), "{other}");
    env.stop().await;
}

#[tokio::test]
async fn every_reason_a_coupon_cannot_be_held() {
    let env = start().await;
    let make = |extra: Value| {
        let mut input = json!({ "code": code("why"), "kind": "PERCENTAGE", "percentOff": 10 });
        for (k, v) in extra.as_object().unwrap() {
            input[k] = v.clone();
        }
        input
    };
    let usd = |a: &str| json!({ "amount": a, "currencyCode": "USD" });
    let soon = (chrono::Utc::now() + chrono::Duration::days(1)).to_rfc3339();
    let past = (chrono::Utc::now() - chrono::Duration::days(1)).to_rfc3339();
    let cases = [
        (json!({ "active": false }), "INACTIVE"),
        (json!({ "startsAt": soon }), "NOT_STARTED"),
        (json!({ "endsAt": past }), "EXPIRED"),
        (json!({ "minimumSubtotal": usd("50.01") }), "BELOW_MINIMUM"),
        (
            json!({ "scope": { "kind": "PRODUCTS", "ids": ["elsewhere"] } }),
            "OUT_OF_SCOPE",
        ),
        (
            json!({ "kind": "FIXED_AMOUNT", "percentOff": null, "amountOff": { "amount": "5", "currencyCode": "EUR" } }),
            "CURRENCY_MISMATCH",
        ),
    ];
    let mut messages = Vec::new();
    for (i, (extra, expected)) in cases.iter().enumerate() {
        let coupon = env.coupon(make(extra.clone())).await;
        let body = env
            .hold(hold_input(
                coupon["code"].as_str().unwrap(),
                &format!("o{i}"),
                &format!("k{i}"),
                LINES,
            ))
            .await;
        assert_eq!(error_code(&body), "BAD_USER_INPUT", "{extra}: {body}");
        assert_eq!(reason(&body), *expected, "{extra}: {body}");
        assert_eq!(field(&body), "code");
        messages.push(message(&body));
    }
    for (input, expected) in [
        ("NO-SUCH-CODE", "UNKNOWN_CODE"),
        ("not a code!", "UNKNOWN_CODE"),
    ] {
        let body = env.hold(hold_input(input, "ox", "kx", LINES)).await;
        assert_eq!(reason(&body), expected, "{body}");
        messages.push(message(&body));
    }
    messages.dedup();
    assert_eq!(
        messages.len(),
        7,
        "each reason reads differently: {messages:?}"
    );
    // A fitting order just under the minimum's neighbour succeeds, after promotions.
    env.promotion(
        json!({ "title": "5 off", "kind": "ORDER_AMOUNT_OFF", "amountOff": usd("5.00") }),
    )
    .await;
    let coupon = env
        .coupon(make(json!({ "minimumSubtotal": usd("50.00") })))
        .await;
    let ok = env
        .hold(hold_input(
            coupon["code"].as_str().unwrap(),
            "o-ok",
            "k-ok",
            LINES,
        ))
        .await;
    // 10% of what the promotion left (45.00).
    assert_eq!(
        ok["data"]["holdCouponUse"]["discount"]["amount"], "4.50",
        "{ok}"
    );
    env.stop().await;
}

fn order_event(kind: &str, order: &str) -> Event {
    Event::new(
        "orders",
        kind,
        Some(order.to_string()),
        json!({ "orderId": order }),
    )
}

#[tokio::test]
async fn paid_orders_redeem_cancelled_orders_give_the_use_back_once() {
    let env = start().await;
    let coupon = env
        .coupon(json!({ "code": code("life"), "kind": "PERCENTAGE", "percentOff": 10, "usageLimit": 1 }))
        .await;
    let (coupon_id, code) = (
        coupon["id"].as_str().unwrap(),
        coupon["code"].as_str().unwrap(),
    );
    hold_id(&env.hold(hold_input(code, "order-a", "key-a", LINES)).await);
    let blocked = env.hold(hold_input(code, "order-b", "key-b", LINES)).await;
    assert_eq!(reason(&blocked), "EXHAUSTED");

    let paid = order_event("order.paid", "order-a");
    env.publish(std::slice::from_ref(&paid)).await;
    eventually("redeemed", || async {
        env.hold_status("order-a").await.as_deref() == Some("REDEEMED")
    })
    .await;
    assert_eq!(
        env.times_used(coupon_id).await,
        1,
        "redeemed uses still count"
    );

    let cancelled = order_event("order.cancelled", "order-a");
    env.publish(std::slice::from_ref(&cancelled)).await;
    eventually("released", || async {
        env.hold_status("order-a").await.as_deref() == Some("RELEASED")
    })
    .await;
    assert_eq!(env.times_used(coupon_id).await, 0, "the use is given back");

    // The freed use goes to the next order; replays of both events change nothing.
    hold_id(&env.hold(hold_input(code, "order-b", "key-b2", LINES)).await);
    env.publish(&[cancelled.clone(), paid, cancelled]).await;
    let processed = || async {
        sqlx::query_scalar::<_, i64>(
            "SELECT COUNT(*) FROM processed_events WHERE consumer = 'discounts'",
        )
        .fetch_one(env.app.svc().db.pool())
        .await
        .unwrap()
    };
    let sentinel = order_event("order.paid", "order-nobody");
    env.publish(&[sentinel]).await;
    eventually("sentinel consumed", || async { processed().await == 3 }).await;
    assert_eq!(
        env.times_used(coupon_id).await,
        1,
        "replayed cancellation gave nothing back"
    );
    assert_eq!(
        env.hold_status("order-a").await.as_deref(),
        Some("RELEASED")
    );
    assert_eq!(env.hold_status("order-b").await.as_deref(), Some("HELD"));

    // The checkout's compensation: release by order id, twice is harmless.
    for _ in 0..2 {
        let body = env
            .staff_gql(
                "mutation{ releaseCouponUse(orderId:\"order-b\"){ status coupon { timesUsed } } }",
                json!({}),
            )
            .await;
        assert_eq!(
            body["data"]["releaseCouponUse"]["status"], "RELEASED",
            "{body}"
        );
        assert_eq!(body["data"]["releaseCouponUse"]["coupon"]["timesUsed"], 0);
    }
    let none = env
        .staff_gql(
            "mutation{ releaseCouponUse(orderId:\"order-none\"){ id } }",
            json!({}),
        )
        .await;
    assert!(none["data"]["releaseCouponUse"].is_null(), "{none}");

    // Events for the checkout and audit went out through the outbox.
    let events: Vec<String> = sqlx::query_scalar(
        "SELECT event_type FROM outbox WHERE event_type LIKE 'coupon.%' AND event_type <> 'coupon.created' ORDER BY id",
    )
    .fetch_all(env.app.svc().db.pool())
    .await
    .unwrap();
    assert_eq!(
        events,
        vec![
            "coupon.held",
            "coupon.redeemed",
            "coupon.released",
            "coupon.held",
            "coupon.released"
        ]
    );
    env.stop().await;
}
