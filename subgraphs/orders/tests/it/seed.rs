//! The launcher's demo orders: seeding twice writes each customer's five past orders once
//! (numbered from the checkout's counter, nothing in the outbox), and they read back through
//! the real subgraph as a customer and staff see them — statuses, totals, complete histories,
//! found by number — the same before and after `rebuildOrderReadModel`.

use orders::seed::{self, DemoCustomer, DemoLine};
use serde_json::{json, Value};

use crate::common::*;

fn line(sku: &str, title: &str, minor: i64, currency: &str) -> DemoLine {
    DemoLine {
        variant_id: kit::ids::new_id(),
        product_id: kit::ids::new_id(),
        sku: sku.into(),
        title: title.into(),
        unit_price_minor: minor,
        currency: currency.into(),
    }
}

async fn count(env: &Env, sql: &str) -> i64 {
    sqlx::query_scalar(sql)
        .fetch_one(env.app.svc().db.background())
        .await
        .unwrap()
}

/// Minor units of a `Money.amount` in USD.
fn minor(money: &Value) -> i64 {
    let amount = money["amount"]
        .as_str()
        .unwrap_or_else(|| panic!("{money}"));
    let (units, cents) = amount.split_once('.').unwrap_or((amount, "00"));
    units.parse::<i64>().unwrap() * 100 + cents.parse::<i64>().unwrap()
}

fn statuses(history: &Value) -> Vec<&str> {
    history
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["status"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn demo_orders_are_seeded_once_and_read_back_like_real_ones() {
    let env = start().await;
    let (id, token) = env.customer().await;
    let me = DemoCustomer {
        id: id.clone(),
        email: "Demo.Shopper@example.com".into(),
        name: "Dana Demo".into(),
    };
    let other = DemoCustomer {
        id: kit::ids::new_id(),
        email: "other.demo@example.com".into(),
        name: "Omar Other".into(),
    };
    let products = vec![
        line("MUG-BLUE", "Mug – Blue", 1250, "USD"),
        line("TEE-M", "T-shirt – M", 2400, "USD"),
        line("EUR-ONLY", "Euro thing", 999, "EUR"),
        line("CAP", "Cap", 1800, "USD"),
        line("LAMP", "Desk lamp", 5900, "USD"),
    ];
    let customers = [me.clone(), other, me.clone()];
    seed::demo(env.app.svc(), &customers, &products)
        .await
        .expect("seeded");
    let totals = "SELECT (SELECT COUNT(*) FROM orders) * 1000000 \
        + (SELECT COUNT(*) FROM order_events) * 1000 + (SELECT COUNT(*) FROM order_read_model)";
    let before = count(&env, totals).await;
    let counter = count(
        &env,
        "SELECT value FROM order_counter WHERE name = 'order_number'",
    )
    .await;
    seed::demo(env.app.svc(), &customers, &products)
        .await
        .expect("seeded again");
    assert_eq!(
        count(&env, totals).await,
        before,
        "a second run adds nothing"
    );
    assert_eq!(
        count(&env, "SELECT COUNT(*) FROM orders").await,
        10,
        "five per customer, a repeated customer once"
    );
    // 2 × (5 + 4 + 2 + 2 + 6) events, all in the read model.
    assert_eq!(before, 10_000_000 + 38_000 + 10);
    assert_eq!(
        count(
            &env,
            "SELECT value FROM order_counter WHERE name = 'order_number'"
        )
        .await,
        counter
    );
    assert_eq!(
        count(&env, "SELECT COUNT(*) FROM outbox").await,
        0,
        "seeded orders publish nothing"
    );
    assert_eq!(
        count(&env, "SELECT COUNT(*) FROM order_status_history").await,
        38
    );

    // The customer's list, newest first.
    let my = format!("query{{ myOrders(first: 10){{ totalCount nodes {{ {ORDER_FIELDS} }} }} }}");
    let body = env.gql(As::bearer(&token), &my, json!({})).await;
    let list = &body["data"]["myOrders"];
    assert_eq!(list["totalCount"], 5, "{body}");
    let nodes = list["nodes"].as_array().unwrap();
    let got: Vec<&str> = nodes
        .iter()
        .map(|n| n["status"].as_str().unwrap())
        .collect();
    assert_eq!(
        got,
        [
            "PAID",
            "SHIPPED",
            "CANCELLED",
            "DELIVERED",
            "PARTIALLY_REFUNDED"
        ]
    );
    let now = chrono::Utc::now();
    let mut numbers = Vec::new();
    for node in nodes {
        let status = node["status"].as_str().unwrap();
        assert_eq!(node["customerId"], id);
        assert_eq!(node["email"], "Demo.Shopper@example.com");
        assert_eq!(node["currencyCode"], "USD", "the most common currency");
        assert_eq!(node["shippingAddress"]["name"], "Dana Demo");
        assert_eq!(node["shippingAddress"]["countryCode"], "US");
        assert_eq!(node["shippingMethodId"], seed::SHIPPING_METHOD_ID);
        // Realistic totals: lines add up, standard shipping (4.99, free from 50.00).
        let lines = node["lines"].as_array().unwrap();
        assert!((1..=3).contains(&lines.len()), "{node}");
        let mut subtotal = 0;
        for l in lines {
            assert_ne!(l["sku"], "EUR-ONLY");
            let quantity = l["quantity"].as_i64().unwrap();
            assert_eq!(minor(&l["lineTotal"]), minor(&l["unitPrice"]) * quantity);
            subtotal += minor(&l["lineTotal"]);
        }
        assert_eq!(minor(&node["subtotal"]), subtotal);
        let shipping = minor(&node["shippingTotal"]);
        assert_eq!(shipping, if subtotal >= 5000 { 0 } else { 499 });
        assert_eq!(minor(&node["total"]), subtotal + shipping);
        assert_eq!(minor(&node["discountTotal"]), 0);
        let refunded = minor(&node["refundedTotal"]);
        if status == "PARTIALLY_REFUNDED" {
            assert_eq!(refunded, minor(&lines[0]["unitPrice"]));
            assert!(refunded < minor(&node["total"]));
        } else {
            assert_eq!(refunded, 0);
        }
        // Complete histories, in the past, in order, by the actors that make them live.
        let history = &node["statusHistory"];
        let expected: &[&str] = match status {
            "PAID" => &["PENDING_PAYMENT", "PAID"],
            "SHIPPED" => &["PENDING_PAYMENT", "PAID", "FULFILLING", "SHIPPED"],
            "CANCELLED" => &["PENDING_PAYMENT", "CANCELLED"],
            "DELIVERED" => &[
                "PENDING_PAYMENT",
                "PAID",
                "FULFILLING",
                "SHIPPED",
                "DELIVERED",
            ],
            _ => &[
                "PENDING_PAYMENT",
                "PAID",
                "FULFILLING",
                "SHIPPED",
                "DELIVERED",
                "PARTIALLY_REFUNDED",
            ],
        };
        assert_eq!(statuses(history), expected, "{node}");
        let entries = history.as_array().unwrap();
        assert_eq!(entries[0]["previousStatus"], Value::Null);
        assert_eq!(entries[0]["reason"], "CHECKOUT");
        assert_eq!(entries[0]["actor"], id);
        assert_eq!(entries[0]["at"], node["placedAt"]);
        let mut last = String::new();
        for pair in entries.windows(2) {
            assert_eq!(pair[1]["previousStatus"], pair[0]["status"]);
            assert!(pair[1]["at"].as_str() > pair[0]["at"].as_str());
        }
        for e in entries {
            let at: chrono::DateTime<chrono::Utc> = e["at"].as_str().unwrap().parse().unwrap();
            assert!(at < now);
            last = e["at"].as_str().unwrap().to_string();
        }
        assert_eq!(node["updatedAt"], last.as_str());
        if status == "CANCELLED" {
            assert_eq!(entries[1]["reason"], "PAYMENT_TIMEOUT");
            assert_eq!(entries[1]["actor"], "system");
            assert!(entries[1]["at"].as_str() > node["paymentDeadline"].as_str());
        }
        let placed: chrono::DateTime<chrono::Utc> =
            node["placedAt"].as_str().unwrap().parse().unwrap();
        let age = (now - placed).num_days();
        assert!((1..=28).contains(&age), "placed {age} days ago");
        if status == "DELIVERED" {
            assert!((20..=21).contains(&age), "placed {age} days ago");
        }
        if ["SHIPPED", "DELIVERED", "PARTIALLY_REFUNDED"].contains(&status) {
            assert_eq!(node["carrier"], "USPS");
            let tracking = node["trackingNumber"].as_str().unwrap();
            assert_eq!(tracking.len(), 22);
            assert!(tracking.bytes().all(|b| b.is_ascii_digit()));
        } else {
            assert_eq!(node["carrier"], Value::Null);
            assert_eq!(node["trackingNumber"], Value::Null);
        }
        // The write side agrees with the read model.
        let one = env
            .order(As::bearer(&token), node["id"].as_str().unwrap())
            .await;
        assert_eq!(
            &one["data"]["order"], node,
            "write side and read model differ"
        );
        let number = node["number"].as_str().unwrap().to_string();
        let n: i64 = number.strip_prefix("SO-").unwrap().parse().unwrap();
        assert!(n > 100_000 && n <= counter, "{number} from the counter");
        numbers.push(number);
    }
    numbers.sort();
    numbers.dedup();
    assert_eq!(numbers.len(), 5);

    // Staff find each by number.
    let find = "query($f:StaffOrderFilter){ orders(filter:$f, first:5){ totalCount nodes { id number status customerId } } }";
    for node in nodes {
        let body = env
            .staff_gql(
                find,
                json!({ "f": { "search": node["number"].as_str().unwrap().to_lowercase() } }),
            )
            .await;
        assert_eq!(body["data"]["orders"]["totalCount"], 1, "{body}");
        let found = &body["data"]["orders"]["nodes"][0];
        assert_eq!(found["id"], node["id"]);
        assert_eq!(found["status"], node["status"]);
        assert_eq!(found["customerId"], id);
    }
    let all = "query{ orders(first: 50){ totalCount nodes { id number status email total { amount } statusHistory { status at } } } }";
    let everything = env.staff_gql(all, json!({})).await;
    assert_eq!(everything["data"]["orders"]["totalCount"], 10);

    // Rebuilt from order_events: the same answers.
    sqlx::query("DELETE FROM order_read_model")
        .execute(env.app.svc().db.background())
        .await
        .unwrap();
    let rebuilt = env
        .staff_gql("mutation{ rebuildOrderReadModel }", json!({}))
        .await;
    assert_eq!(rebuilt["data"]["rebuildOrderReadModel"], 10, "{rebuilt}");
    assert_eq!(env.staff_gql(all, json!({})).await, everything);
    assert_eq!(env.gql(As::bearer(&token), &my, json!({})).await, body);
    env.stop().await;
}

#[tokio::test]
async fn nothing_to_seed_without_customers_or_products() {
    let env = start().await;
    let me = DemoCustomer {
        id: kit::ids::new_id(),
        email: "d@example.com".into(),
        name: String::new(),
    };
    let svc = env.app.svc();
    seed::demo(svc, &[], &[line("A", "A", 100, "USD")])
        .await
        .unwrap();
    seed::demo(svc, std::slice::from_ref(&me), &[])
        .await
        .unwrap();
    assert_eq!(count(&env, "SELECT COUNT(*) FROM orders").await, 0);
    let err = seed::demo(svc, &[me], &[line("A", "A", 100, "XXX")])
        .await
        .unwrap_err();
    assert!(err.to_string().contains("currency"), "{err}");
    env.stop().await;
}
