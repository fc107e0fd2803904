//! Checkout end to end through the router of the real launcher: a customer with a coupon
//! checks out, pays with the test provider, and a WebSocket subscriber and an SSE subscriber
//! each see every status from PENDING_PAYMENT to DELIVERED, in order, with the tracking number
//! (resolved from shipping per event); a declined card cancels the order and gives the stock
//! and the coupon use back; a guest checks out and pays with the order's token.

use std::time::Duration;

use serde_json::{json, Value};

use crate::launcher::{eventually, Shop, ADMIN, CARRIER_SECRET, CUSTOMER, CUSTOMER_PASSWORD};
use crate::steps::{code, minor, two_variants};
use crate::subscribers::{sse, websocket};

const UPDATES: &str = "subscription { myOrderUpdates { number status previousStatus reason
  order { id status trackingNumber total { amount } shipments { status trackingNumber } } } }";

const EVERY_STATUS: [&str; 5] = [
    "PENDING_PAYMENT",
    "PAID",
    "FULFILLING",
    "SHIPPED",
    "DELIVERED",
];

const ADDRESS: &str = r#"{ fullName: "Ada Lovelace", line1: "12 Analytical Row", city: "Springfield",
  region: "IL", postalCode: "62701", countryCode: "US" }"#;

/// The next `n` updates a subscriber sees (failing after 30 s).
async fn updates(rx: &mut tokio::sync::mpsc::Receiver<Value>, n: usize) -> Vec<Value> {
    let mut seen = Vec::new();
    while seen.len() < n {
        let next = tokio::time::timeout(Duration::from_secs(30), rx.recv())
            .await
            .unwrap_or_else(|_| panic!("only {} updates arrived: {seen:#?}", seen.len()))
            .expect("subscriber open");
        assert!(next["errors"].is_null(), "{next}");
        seen.push(next["data"]["myOrderUpdates"].clone());
    }
    seen
}

/// A customer's (or, with `cart_token`, a guest's) cart holding `quantity` of `variant`.
pub(crate) async fn cart_with(
    shop: &Shop,
    bearer: Option<&str>,
    variant: &str,
    quantity: i64,
) -> (String, Option<String>) {
    let created = shop
        .data(
            bearer,
            "mutation { createCart { token cart { id } } }",
            json!({}),
        )
        .await;
    let cart = created["createCart"]["cart"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let token = created["createCart"]["token"].as_str().map(str::to_string);
    let body = shop
        .gql_cart(
            bearer,
            token.as_deref(),
            "mutation($c: ID!, $v: ID!, $q: Int!) { addCartLine(cartId: $c, input: { variantId: $v, quantity: $q }) { id } }",
            json!({ "c": cart, "v": variant, "q": quantity }),
        )
        .await;
    assert!(body["errors"].is_null(), "{body}");
    (cart, token)
}

/// The Standard method's id and what the cart costs with it, as the storefront shows them.
pub(crate) async fn quote(
    shop: &Shop,
    bearer: Option<&str>,
    cart: &str,
    token: Option<&str>,
) -> (String, String) {
    let body = shop
        .gql_cart(
            bearer,
            token,
            "query($c: ID!) { cart(id: $c) { estimatedTotal { amount }
               shippingOptions(address: { countryCode: \"US\", region: \"IL\", postalCode: \"62701\" }) {
                 methodId name price { amount } } } }",
            json!({ "c": cart }),
        )
        .await;
    assert!(body["errors"].is_null(), "{body}");
    let cart = &body["data"]["cart"];
    let standard = cart["shippingOptions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["name"] == "Standard")
        .unwrap_or_else(|| panic!("no Standard shipping: {cart}"));
    let total = minor(&cart["estimatedTotal"]["amount"]) + minor(&standard["price"]["amount"]);
    (
        standard["methodId"].as_str().unwrap().to_string(),
        format!("{}.{:02}", total / 100, total % 100),
    )
}

#[allow(clippy::too_many_arguments)]
pub(crate) async fn checkout(
    shop: &Shop,
    bearer: Option<&str>,
    cart_token: Option<&str>,
    cart: &str,
    method: &str,
    total: &str,
    email: Option<&str>,
    key: &str,
) -> Value {
    shop.gql_cart(
        bearer,
        cart_token,
        &format!(
            "mutation($c: ID!, $m: ID!, $t: String!, $e: String, $k: String!) {{ checkout(input: {{
               cartId: $c, email: $e, shippingAddress: {ADDRESS}, shippingMethodId: $m,
               expectedTotal: {{ amount: $t, currencyCode: \"USD\" }}, idempotencyKey: $k }}) {{
               orderToken order {{ id number status total {{ amount }} couponCode }} }} }}"
        ),
        json!({ "c": cart, "m": method, "t": total, "e": email, "k": key }),
    )
    .await
}

pub(crate) async fn pay(
    shop: &Shop,
    bearer: Option<&str>,
    order_token: Option<&str>,
    order: &str,
    card: &str,
) -> Value {
    let mut req = shop.http().post(&shop.router).json(&json!({
        "query": "mutation($o: ID!, $n: String!, $k: String!) { payOrder(input: { orderId: $o,
           card: { number: $n, expMonth: 12, expYear: 2031, cvc: \"123\" }, idempotencyKey: $k }) { id status } }",
        "variables": { "o": order, "n": card, "k": format!("pay-{order}") },
    }));
    if let Some(b) = bearer {
        req = req.bearer_auth(b);
    }
    if let Some(t) = order_token {
        req = req.header("x-order-token", t);
    }
    req.send().await.unwrap().json().await.unwrap()
}

async fn order_status(shop: &Shop, token: &str, order: &str) -> String {
    let body = shop
        .data(
            Some(token),
            "query($o: ID!) { order(id: $o) { status } }",
            json!({ "o": order }),
        )
        .await;
    body["order"]["status"].as_str().unwrap().to_string()
}

async fn available(shop: &Shop, variant: &str) -> i64 {
    shop.data(
        None,
        "query($v: ID!) { variant(id: $v) { stock { available } } }",
        json!({ "v": variant }),
    )
    .await["variant"]["stock"]["available"]
        .as_i64()
        .unwrap()
}

/// Waits until the router shows `units` available: reads go through its response cache, whose
/// entries are dropped when the stock event arrives, not when another subgraph's call returns.
async fn settled(shop: &Shop, variant: &str, units: i64) {
    eventually("the stock to show the change", || async {
        (available(shop, variant).await == units).then_some(())
    })
    .await;
}

async fn times_used(shop: &Shop, staff: &str, code: &str) -> i64 {
    shop.data(
        Some(staff),
        "query($c: String!) { couponByCode(code: $c) { timesUsed } }",
        json!({ "c": code }),
    )
    .await["couponByCode"]["timesUsed"]
        .as_i64()
        .unwrap()
}

/// A carrier's signed tracking update, posted to shipping as the carrier would.
async fn carrier_update(shop: &Shop, tracking: &str, status: &str) {
    let body = json!({
        "trackingNumber": tracking,
        "status": status,
        "occurredAt": chrono::Utc::now().to_rfc3339(),
        "location": "Springfield IL",
        "description": "Delivered to the front door",
        "eventId": kit::ids::new_id(),
    })
    .to_string();
    let timestamp = chrono::Utc::now().timestamp().to_string();
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, CARRIER_SECRET.as_bytes());
    let signature = ring::hmac::sign(&key, format!("{timestamp}.{body}").as_bytes());
    let hex: String = signature
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let resp = shop
        .http()
        .post(format!("{}/webhooks/carrier", shop.shipping))
        .header("content-type", "application/json")
        .header("x-carrier-timestamp", timestamp)
        .header("x-carrier-signature", format!("sha256={hex}"))
        .body(body)
        .send()
        .await
        .unwrap();
    assert!(
        resp.status().is_success(),
        "carrier webhook: {}",
        resp.status()
    );
}

#[tokio::test]
async fn a_paid_order_reaches_every_subscriber_from_pending_payment_to_delivered() {
    let shop = Shop::start(40).await;
    let staff = shop.login(ADMIN.0, ADMIN.1).await;
    let ada = shop.login(CUSTOMER, CUSTOMER_PASSWORD).await;
    // The demo customer starts with past orders in several states.
    let past = shop
        .data(
            Some(&ada),
            "{ myOrders(first: 20) { edges { node { status } } } }",
            json!({}),
        )
        .await;
    let mut statuses: Vec<&str> = past["myOrders"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["status"].as_str().unwrap())
        .collect();
    statuses.sort_unstable();
    assert_eq!(
        statuses,
        [
            "CANCELLED",
            "DELIVERED",
            "PAID",
            "PARTIALLY_REFUNDED",
            "SHIPPED"
        ],
        "{past}"
    );
    let mut ws = websocket(&shop, Some(&ada), UPDATES, json!({})).await;
    let mut stream = sse(&shop, Some(&ada), UPDATES, json!({})).await;

    let variants = two_variants(&shop).await;
    let variant = &variants[0].0;
    let stock_before = available(&shop, variant).await;
    let (cart, _) = cart_with(&shop, Some(&ada), variant, 2).await;
    let applied = shop
        .gql(
            Some(&ada),
            "mutation($c: ID!) { applyCoupon(cartId: $c, code: \"WELCOME10\") { id } }",
            json!({ "c": cart }),
        )
        .await;
    assert!(applied["errors"].is_null(), "{applied}");
    let (method, total) = quote(&shop, Some(&ada), &cart, None).await;

    // A total the shopper has not seen is refused, and holds nothing.
    let stale = checkout(
        &shop,
        Some(&ada),
        None,
        &cart,
        &method,
        "0.01",
        None,
        "stale-1",
    )
    .await;
    assert_eq!(code(&stale), "CONFLICT", "{stale}");
    assert_eq!(available(&shop, variant).await, stock_before);

    let placed = checkout(
        &shop,
        Some(&ada),
        None,
        &cart,
        &method,
        &total,
        None,
        "ada-1",
    )
    .await;
    assert!(placed["errors"].is_null(), "{placed}");
    let order = placed["data"]["checkout"]["order"].clone();
    let id = order["id"].as_str().unwrap().to_string();
    assert_eq!(order["status"], "PENDING_PAYMENT");
    assert_eq!(order["total"]["amount"], total.as_str());
    assert_eq!(order["couponCode"], "WELCOME10");
    // The same key again: the same order, nothing new.
    let again = checkout(
        &shop,
        Some(&ada),
        None,
        &cart,
        &method,
        &total,
        None,
        "ada-1",
    )
    .await;
    assert_eq!(
        again["data"]["checkout"]["order"]["id"],
        id.as_str(),
        "{again}"
    );

    let paid = pay(&shop, Some(&ada), None, &id, "4242424242424242").await;
    assert!(paid["errors"].is_null(), "{paid}");
    eventually("the order to be paid", || async {
        (order_status(&shop, &ada, &id).await == "FULFILLING").then_some(())
    })
    .await;
    assert_eq!(
        available(&shop, variant).await,
        stock_before - 2,
        "stock committed"
    );

    let shipment = shop
        .data(
            Some(&staff),
            "query($o: ID!) { order(id: $o) { shipments { id } } }",
            json!({ "o": id }),
        )
        .await["order"]["shipments"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let tracking = format!("1Z{}", &kit::ids::new_id()[24..]).to_uppercase();
    shop.data(
        Some(&staff),
        "mutation($s: ID!) { markShipmentPacked(id: $s) { status } }",
        json!({ "s": shipment }),
    )
    .await;
    shop.data(
        Some(&staff),
        "mutation($s: ID!, $t: String!) { markShipmentShipped(id: $s, carrier: \"UPS\", trackingNumber: $t) { status } }",
        json!({ "s": shipment, "t": tracking }),
    )
    .await;
    eventually("the order to ship", || async {
        (order_status(&shop, &ada, &id).await == "SHIPPED").then_some(())
    })
    .await;
    carrier_update(&shop, &tracking, "IN_TRANSIT").await;
    carrier_update(&shop, &tracking, "DELIVERED").await;

    for (transport, rx) in [("websocket", &mut ws), ("sse", &mut stream)] {
        let seen = updates(rx, EVERY_STATUS.len()).await;
        let statuses: Vec<&str> = seen.iter().map(|u| u["status"].as_str().unwrap()).collect();
        assert_eq!(statuses, EVERY_STATUS, "{transport}: {seen:#?}");
        for update in &seen {
            assert_eq!(update["order"]["id"], id.as_str(), "{transport}");
        }
        for update in &seen[3..] {
            assert_eq!(
                update["order"]["trackingNumber"],
                tracking.as_str(),
                "{transport}"
            );
            assert_eq!(
                update["order"]["shipments"][0]["trackingNumber"],
                tracking.as_str(),
                "{transport}: resolved from shipping per event"
            );
        }
    }
    let history = shop
        .data(
            Some(&ada),
            "query($o: ID!) { order(id: $o) { statusHistory { status } } }",
            json!({ "o": id }),
        )
        .await;
    let history: Vec<&str> = history["order"]["statusHistory"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["status"].as_str().unwrap())
        .collect();
    assert_eq!(history, EVERY_STATUS);
    // `myOrders` reads the event-fed read model, which follows the write model's history.
    let delivered = |mine: &Value| {
        mine["myOrders"]["edges"].as_array().is_some_and(|edges| {
            edges
                .iter()
                .any(|e| e["node"]["id"] == id.as_str() && e["node"]["status"] == "DELIVERED")
        })
    };
    let mine = eventually("myOrders to show the delivery", || async {
        let mine = shop
            .data(
                Some(&ada),
                "{ myOrders(first: 5) { totalCount edges { node { id status } } } }",
                json!({}),
            )
            .await;
        delivered(&mine).then_some(mine)
    })
    .await;
    assert!(
        mine["myOrders"]["edges"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["node"]["id"] == id.as_str() && e["node"]["status"] == "DELIVERED"),
        "{mine}"
    );
}

#[tokio::test]
async fn a_declined_card_cancels_and_returns_stock_and_coupon_and_a_guest_pays_with_its_token() {
    let shop = Shop::start(40).await;
    let staff = shop.login(ADMIN.0, ADMIN.1).await;
    let ada = shop.login(CUSTOMER, CUSTOMER_PASSWORD).await;
    let variants = two_variants(&shop).await;
    let variant = &variants[0].0;
    let stock_before = available(&shop, variant).await;
    let used_before = times_used(&shop, &staff, "WELCOME10").await;

    let (cart, _) = cart_with(&shop, Some(&ada), variant, 3).await;
    shop.data(
        Some(&ada),
        "mutation($c: ID!) { applyCoupon(cartId: $c, code: \"WELCOME10\") { id } }",
        json!({ "c": cart }),
    )
    .await;
    let (method, total) = quote(&shop, Some(&ada), &cart, None).await;
    let placed = checkout(
        &shop,
        Some(&ada),
        None,
        &cart,
        &method,
        &total,
        None,
        "declined-1",
    )
    .await;
    assert!(placed["errors"].is_null(), "{placed}");
    let id = placed["data"]["checkout"]["order"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    // Stock is read through the router's cache, which drops the entry when inventory's event
    // arrives (tens of milliseconds after the checkout returns).
    settled(&shop, variant, stock_before - 3).await;
    assert_eq!(
        available(&shop, variant).await,
        stock_before - 3,
        "reserved"
    );
    assert_eq!(
        times_used(&shop, &staff, "WELCOME10").await,
        used_before + 1,
        "held"
    );

    let declined = pay(&shop, Some(&ada), None, &id, "4000000000000002").await;
    assert!(
        !declined["errors"].is_null() || declined["data"]["payOrder"]["status"] == "FAILED",
        "{declined}"
    );
    eventually("the order to be cancelled", || async {
        (order_status(&shop, &ada, &id).await == "CANCELLED").then_some(())
    })
    .await;
    eventually("the stock to come back", || async {
        (available(&shop, variant).await == stock_before).then_some(())
    })
    .await;
    eventually("the coupon use to come back", || async {
        (times_used(&shop, &staff, "WELCOME10").await == used_before).then_some(())
    })
    .await;

    // A guest: the cart's token to check out, the order's token to read and pay.
    let (cart, cart_token) = cart_with(&shop, None, variant, 1).await;
    let cart_token = cart_token.expect("guest carts have a token");
    let (method, total) = quote(&shop, None, &cart, Some(&cart_token)).await;
    let placed = checkout(
        &shop,
        None,
        Some(&cart_token),
        &cart,
        &method,
        &total,
        Some("guest@example.com"),
        "guest-1",
    )
    .await;
    assert!(placed["errors"].is_null(), "{placed}");
    let id = placed["data"]["checkout"]["order"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let order_token = placed["data"]["checkout"]["orderToken"]
        .as_str()
        .unwrap()
        .to_string();
    let read = |token: Option<String>| {
        let shop = &shop;
        let id = id.clone();
        async move {
            let mut req = shop.http().post(&shop.router).json(&json!({
                "query": "query($o: ID!) { order(id: $o) { status email } }", "variables": { "o": id } }));
            if let Some(t) = token {
                req = req.header("x-order-token", t);
            }
            req.send().await.unwrap().json::<Value>().await.unwrap()
        }
    };
    assert_eq!(
        read(None).await["data"]["order"],
        Value::Null,
        "no token, no order"
    );
    assert_eq!(
        read(Some(order_token.clone())).await["data"]["order"]["email"],
        "guest@example.com"
    );
    let stranger = pay(&shop, None, None, &id, "4242424242424242").await;
    assert!(
        !stranger["errors"].is_null(),
        "paying needs the token: {stranger}"
    );
    let paid = pay(&shop, None, Some(&order_token), &id, "4242424242424242").await;
    assert!(paid["errors"].is_null(), "{paid}");
    eventually("the guest order to be paid", || async {
        let status = read(Some(order_token.clone())).await["data"]["order"]["status"].clone();
        (status == "PAID" || status == "FULFILLING").then_some(())
    })
    .await;
    // Its shipment, from shipping, with the same token.
    eventually("the guest to see its shipment", || async {
        let body: Value = shop
            .http()
            .post(&shop.router)
            .header("x-order-token", &order_token)
            .json(
                &json!({ "query": "query($o: ID!) { order(id: $o) { shipments { status } } }",
                "variables": { "o": id } }),
            )
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        (body["data"]["order"]["shipments"][0]["status"] == "PENDING").then_some(())
    })
    .await;
}

/// Sets a variant's stock to exactly `units` (all in its first warehouse) and waits until the
/// storefront sees it.
async fn stock_exactly(shop: &Shop, staff: &str, variant: &str, units: i64) {
    let levels = shop
        .data(
            Some(staff),
            "query($v: ID!) { variant(id: $v) { stockByWarehouse { warehouse { id } available } } }",
            json!({ "v": variant }),
        )
        .await["variant"]["stockByWarehouse"]
        .as_array()
        .unwrap()
        .clone();
    for (i, level) in levels.iter().enumerate() {
        let keep = if i == 0 { units } else { 0 };
        let delta = keep - level["available"].as_i64().unwrap();
        if delta != 0 {
            shop.data(
                Some(staff),
                "mutation($v: ID!, $w: ID!, $d: Int!) { adjustStock(variantId: $v, warehouseId: $w, delta: $d, reason: \"count\") { __typename } }",
                json!({ "v": variant, "w": level["warehouse"]["id"], "d": delta }),
            )
            .await;
        }
    }
    assert_eq!(available(shop, variant).await, units);
}

/// `n` guest carts holding one unit of `variant` each, with what each will be charged.
async fn guest_carts(
    shop: &Shop,
    variant: &str,
    n: usize,
) -> Vec<(String, String, String, String)> {
    let mut carts = Vec::with_capacity(n);
    for _ in 0..n {
        let (cart, token) = cart_with(shop, None, variant, 1).await;
        let token = token.unwrap();
        let (method, total) = quote(shop, None, &cart, Some(&token)).await;
        carts.push((cart, token, method, total));
    }
    carts
}

#[tokio::test]
async fn two_hundred_buyers_for_the_last_ten_units_make_exactly_ten_paid_orders() {
    // Two hundred checkouts at once on two cores: give the checkout's calls time to queue.
    let shop = Shop::start_with(30, &[("ORDERS_REMOTE_TIMEOUT_MS", "120000")]).await;
    let staff = shop.login(ADMIN.0, ADMIN.1).await;
    let variant = two_variants(&shop).await[0].0.clone();
    stock_exactly(&shop, &staff, &variant, 10).await;
    let carts = guest_carts(&shop, &variant, 200).await;

    let attempts = carts
        .iter()
        .enumerate()
        .map(|(i, (cart, token, method, total))| {
            let shop = &shop;
            async move {
                let email = format!("buyer{i}@example.com");
                let body = checkout(
                    shop,
                    None,
                    Some(token),
                    cart,
                    method,
                    total,
                    Some(&email),
                    &format!("race-{i}"),
                )
                .await;
                (body, token.clone())
            }
        });
    let results = futures_util::future::join_all(attempts).await;
    let mut placed = Vec::new();
    for (body, _) in &results {
        if body["errors"].is_null() {
            let checkout = &body["data"]["checkout"];
            placed.push((
                checkout["order"]["id"].as_str().unwrap().to_string(),
                checkout["orderToken"].as_str().unwrap().to_string(),
            ));
        } else {
            assert_eq!(
                code(body),
                "CONFLICT",
                "a clear refusal, not a failure: {body}"
            );
        }
    }
    assert_eq!(placed.len(), 10, "exactly the units in stock are sold");
    settled(&shop, &variant, 0).await;
    assert_eq!(available(&shop, &variant).await, 0, "never below zero");

    for (order, token) in &placed {
        let paid = pay(&shop, None, Some(token), order, "4242424242424242").await;
        assert!(paid["errors"].is_null(), "{paid}");
    }
    for (order, token) in &placed {
        eventually("each of the ten orders to be paid", || async {
            let body: Value = shop
                .http()
                .post(&shop.router)
                .header("x-order-token", token)
                .json(
                    &json!({ "query": "query($o: ID!) { order(id: $o) { status } }",
                    "variables": { "o": order } }),
                )
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            let status = body["data"]["order"]["status"].as_str().unwrap_or_default();
            ["PAID", "FULFILLING"].contains(&status).then_some(())
        })
        .await;
    }
    assert_eq!(available(&shop, &variant).await, 0);
    // Inventory commits a reservation when the order's paid event reaches it, which can be
    // after the order reads PAID; the committed stock is then exactly what was on hand.
    let on_hand = || async {
        shop.data(
            Some(&staff),
            "query($v: ID!) { variant(id: $v) { stockByWarehouse { onHand } } }",
            json!({ "v": variant }),
        )
        .await["variant"]["stockByWarehouse"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["onHand"].as_i64().unwrap())
            .sum::<i64>()
    };
    eventually("the ten reservations to be committed, no more", || async {
        (on_hand().await == 0).then_some(())
    })
    .await;
}

/// RabbitMQ goes away while checkouts are placed and paid: the outboxes hold every event, and
/// once it is back every order reaches its final state, each effect exactly once.
#[tokio::test]
async fn broker_outage_during_checkouts_loses_no_order() {
    if std::env::var("TEST_AMQP_URL").is_err() {
        panic!("needs the real RabbitMQ the test command starts (TEST_AMQP_URL)");
    }
    let shop = Shop::start(30).await;
    let staff = shop.login(ADMIN.0, ADMIN.1).await;
    let variant = two_variants(&shop).await[0].0.clone();
    stock_exactly(&shop, &staff, &variant, 20).await;
    let carts = guest_carts(&shop, &variant, 6).await;

    let outage = kit::testing::BrokerOutage::begin();
    let mut orders = Vec::new();
    for (i, (cart, token, method, total)) in carts.iter().enumerate() {
        let body = checkout(
            &shop,
            None,
            Some(token),
            cart,
            method,
            total,
            Some("outage@example.com"),
            &format!("outage-{i}"),
        )
        .await;
        assert!(body["errors"].is_null(), "{body}");
        let checkout = &body["data"]["checkout"];
        let order = checkout["order"]["id"].as_str().unwrap().to_string();
        let order_token = checkout["orderToken"].as_str().unwrap().to_string();
        // Two of six are declined.
        let card = if i % 3 == 2 {
            "4000000000000002"
        } else {
            "4242424242424242"
        };
        pay(&shop, None, Some(&order_token), &order, card).await;
        orders.push((order, order_token, i % 3 != 2));
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    drop(outage);

    for (order, token, pays) in &orders {
        let want = if *pays { "FULFILLING" } else { "CANCELLED" };
        eventually(&format!("order {order} to be {want}"), || async {
            let mut req = shop.http().post(&shop.router).json(&json!({
                "query": "query($o: ID!) { order(id: $o) { status shipments { id } } }",
                "variables": { "o": order } }));
            req = req.header("x-order-token", token);
            let body: Value = req.send().await.unwrap().json().await.unwrap();
            let o = &body["data"]["order"];
            (o["status"] == want && (!*pays || o["shipments"].as_array().map(Vec::len) == Some(1)))
                .then_some(())
        })
        .await;
    }
    // Four sold, two given back: stock moved exactly once per order.
    eventually("stock to settle", || async {
        (available(&shop, &variant).await == 16).then_some(())
    })
    .await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(
        available(&shop, &variant).await,
        16,
        "no effect applied twice"
    );
}
