//! The first half of buying, end to end through the router of the real launcher: a guest
//! fills a cart (its secret in `X-Cart-Token`), applies a coupon, signs in and merges into the
//! customer's cart, with every total checked to the minor unit; nobody else can read or touch
//! that cart; catalog price changes and inventory stock changes reach carts by event; and bad
//! input is refused with the field named.

use serde_json::{json, Value};

use crate::launcher::{eventually, Shop, ADMIN, CUSTOMER, CUSTOMER_PASSWORD};
use crate::steps::{code, minor, two_variants};

const CART: &str = "query($id: ID!) { cart(id: $id) { id status customerId currencyCode itemCount
  lines { id quantity priceChanged unitPrice { amount currencyCode } lineTotal { amount }
    variant { id sku stock { available } } }
  subtotal { amount currencyCode }
  discounts { kind code amount { amount currencyCode } }
  discountTotal { amount } estimatedTotal { amount currencyCode } couponCode } }";

const ADD: &str = "mutation($c: ID!, $v: ID!, $q: Int!) {
  addCartLine(cartId: $c, input: { variantId: $v, quantity: $q }) { id itemCount } }";

/// Checks every total of a cart page against its lines and discounts, to the minor unit, and
/// that a 15% coupon took 15% (half up) of what the promotions left. Returns the estimated total.
fn check_totals(cart: &Value, coupon: &str) -> i64 {
    let lines = cart["lines"].as_array().unwrap();
    let mut subtotal = 0;
    for line in lines {
        let q = line["quantity"].as_i64().unwrap();
        let total = minor(&line["lineTotal"]["amount"]);
        assert_eq!(total, minor(&line["unitPrice"]["amount"]) * q, "{line}");
        subtotal += total;
    }
    assert_eq!(minor(&cart["subtotal"]["amount"]), subtotal, "{cart:#}");
    let discounts = cart["discounts"].as_array().unwrap();
    let promotions: i64 = discounts
        .iter()
        .filter(|d| d["kind"] == "PROMOTION")
        .map(|d| minor(&d["amount"]["amount"]))
        .sum();
    let coupon_amount = discounts
        .iter()
        .find(|d| d["kind"] == "COUPON" && d["code"] == coupon)
        .map(|d| minor(&d["amount"]["amount"]))
        .unwrap_or_else(|| panic!("coupon {coupon} not applied: {cart:#}"));
    // Rounded per line, so allow one minor unit per line against the whole-cart figure.
    let expected = ((subtotal - promotions) * 15 + 50) / 100;
    assert!(
        (coupon_amount - expected).abs() <= lines.len() as i64,
        "coupon took {coupon_amount}, 15% of {} is {expected}",
        subtotal - promotions
    );
    let discount_total = promotions + coupon_amount;
    assert_eq!(minor(&cart["discountTotal"]["amount"]), discount_total);
    let estimated = minor(&cart["estimatedTotal"]["amount"]);
    assert_eq!(estimated, subtotal - discount_total, "{cart:#}");
    estimated
}

#[tokio::test]
async fn guest_cart_coupon_sign_in_merge_with_exact_totals() {
    let shop = Shop::start(60).await;
    let staff = shop.login(ADMIN.0, ADMIN.1).await;
    shop.data(
        Some(&staff),
        "mutation { createCoupon(input: { code: \"e2e15\", kind: PERCENTAGE, percentOff: 15 }) { id code } }",
        json!({}),
    )
    .await;
    let variants = two_variants(&shop).await;
    let (v1, v2) = (variants[0].0.as_str(), variants[1].0.as_str());

    // A guest cart, usable only with its secret.
    let created = shop
        .data(
            None,
            "mutation { createCart { token cart { id status } } }",
            json!({}),
        )
        .await;
    let guest = created["createCart"]["cart"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let secret = created["createCart"]["token"].as_str().unwrap().to_string();
    let secret = Some(secret.as_str());
    for (v, q) in [(v1, 2), (v2, 1)] {
        let body = shop
            .gql_cart(None, secret, ADD, json!({ "c": guest, "v": v, "q": q }))
            .await;
        assert!(body["errors"].is_null(), "{body}");
    }
    let stranger = shop.gql(None, CART, json!({ "id": guest })).await;
    assert_eq!(code(&stranger), "NOT_FOUND", "{stranger}");
    let wrong = shop
        .gql_cart(None, Some("not-the-secret"), CART, json!({ "id": guest }))
        .await;
    assert_eq!(code(&wrong), "NOT_FOUND", "{wrong}");

    // The coupon, case-insensitively, on the guest cart.
    let applied = shop
        .gql_cart(
            None,
            secret,
            "mutation($c: ID!) { applyCoupon(cartId: $c, code: \"E2E15\") { id couponCode } }",
            json!({ "c": guest }),
        )
        .await;
    assert!(applied["errors"].is_null(), "{applied}");
    let page = shop
        .gql_cart(None, secret, CART, json!({ "id": guest }))
        .await;
    assert!(page["errors"].is_null(), "{page}");
    let cart = &page["data"]["cart"];
    assert_eq!(cart["itemCount"], 3);
    assert_eq!(
        minor(&cart["subtotal"]["amount"]),
        2 * variants[0].1 + variants[1].1
    );
    check_totals(cart, "E2E15");
    let unknown = shop
        .gql_cart(
            None,
            secret,
            "mutation($c: ID!) { applyCoupon(cartId: $c, code: \"NOPE-NOPE\") { id } }",
            json!({ "c": guest }),
        )
        .await;
    assert_eq!(code(&unknown), "BAD_USER_INPUT", "{unknown}");
    assert_eq!(unknown["errors"][0]["extensions"]["reason"], "UNKNOWN_CODE");

    // The customer already has one unit of the first variant; merging adds the guest's lines.
    let ada = shop.login(CUSTOMER, CUSTOMER_PASSWORD).await;
    let mine = shop
        .data(
            Some(&ada),
            "mutation { createCart { token cart { id customerId } } }",
            json!({}),
        )
        .await;
    assert!(mine["createCart"]["token"].is_null(), "{mine}");
    let own = mine["createCart"]["cart"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    shop.data(Some(&ada), ADD, json!({ "c": own, "v": v1, "q": 1 }))
        .await;
    let merged = shop
        .gql_cart(
            Some(&ada),
            secret,
            "mutation($g: ID!) { mergeCart(guestCartId: $g) { id itemCount lines { quantity variant { id } } } }",
            json!({ "g": guest }),
        )
        .await;
    assert!(merged["errors"].is_null(), "{merged}");
    assert_eq!(merged["data"]["mergeCart"]["id"], own.as_str());
    assert_eq!(merged["data"]["mergeCart"]["itemCount"], 4);
    let quantity_of = |v: &str| {
        merged["data"]["mergeCart"]["lines"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["variant"]["id"] == v)
            .map(|l| l["quantity"].as_i64().unwrap())
    };
    assert_eq!(quantity_of(v1), Some(3));
    assert_eq!(quantity_of(v2), Some(1));

    // The guest's coupon follows the lines into the customer's cart.
    let cart = eventually("the coupon to follow the merge", || async {
        let page = shop.gql(Some(&ada), CART, json!({ "id": own })).await;
        let cart = page["data"]["cart"].clone();
        (cart["couponCode"] == "E2E15").then_some(cart)
    })
    .await;
    assert_eq!(
        minor(&cart["subtotal"]["amount"]),
        3 * variants[0].1 + variants[1].1
    );
    check_totals(&cart, "E2E15");
    let me = shop
        .data(Some(&ada), "{ me { cart { id itemCount } } }", json!({}))
        .await;
    assert_eq!(me["me"]["cart"]["id"], own.as_str());

    // The guest cart is closed; another customer can neither read nor change ada's cart.
    let closed = shop
        .gql_cart(None, secret, ADD, json!({ "c": guest, "v": v2, "q": 1 }))
        .await;
    assert!(
        ["CONFLICT", "NOT_FOUND"].contains(&code(&closed).as_str()),
        "{closed}"
    );
    let grace = shop.login("grace@example.com", CUSTOMER_PASSWORD).await;
    let peek = shop.gql(Some(&grace), CART, json!({ "id": own })).await;
    assert_eq!(code(&peek), "NOT_FOUND", "{peek}");
    let touch = shop
        .gql(Some(&grace), ADD, json!({ "c": own, "v": v2, "q": 1 }))
        .await;
    assert_eq!(code(&touch), "NOT_FOUND", "{touch}");
    let coupon = shop
        .gql(
            Some(&grace),
            "mutation($c: ID!) { applyCoupon(cartId: $c, code: \"E2E15\") { id } }",
            json!({ "c": own }),
        )
        .await;
    assert_eq!(code(&coupon), "NOT_FOUND", "{coupon}");
}

#[tokio::test]
async fn price_and_stock_changes_reach_carts_and_bad_input_is_named() {
    let shop = Shop::start(30).await;
    let staff = shop.login(ADMIN.0, ADMIN.1).await;
    let variants = two_variants(&shop).await;
    let (variant, price) = (variants[0].0.clone(), variants[0].1);
    let ada = shop.login(CUSTOMER, CUSTOMER_PASSWORD).await;
    let cart = shop
        .data(
            Some(&ada),
            "mutation { createCart { cart { id } } }",
            json!({}),
        )
        .await["createCart"]["cart"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    shop.data(Some(&ada), ADD, json!({ "c": cart, "v": variant, "q": 2 }))
        .await;

    // Bad input, each with its code and field.
    let zero = shop
        .gql(Some(&ada), ADD, json!({ "c": cart, "v": variant, "q": 0 }))
        .await;
    assert_eq!(code(&zero), "BAD_USER_INPUT");
    assert_eq!(zero["errors"][0]["extensions"]["field"], "input.quantity");
    let unknown = shop
        .gql(
            Some(&ada),
            ADD,
            json!({ "c": cart, "v": "0190aaaa-aaaa-7aaa-8aaa-aaaaaaaaaaaa", "q": 1 }),
        )
        .await;
    assert_eq!(code(&unknown), "NOT_FOUND", "{unknown}");
    let malformed = shop
        .gql(
            Some(&ada),
            ADD,
            json!({ "c": cart, "v": "not an id", "q": 1 }),
        )
        .await;
    assert_eq!(code(&malformed), "BAD_USER_INPUT", "{malformed}");

    // A new price from catalog reaches the cart by event, flagged as changed.
    let new_price = format!("{}.{:02}", (price + 100) / 100, (price + 100) % 100);
    shop.data(
        Some(&staff),
        "mutation($v: ID!, $p: String!) { updateVariant(id: $v, input: { price: { amount: $p, currencyCode: \"USD\" } }) { id } }",
        json!({ "v": variant, "p": new_price }),
    )
    .await;
    let line = eventually("the new price to reach the cart", || async {
        let page = shop.gql(Some(&ada), CART, json!({ "id": cart })).await;
        let line = page["data"]["cart"]["lines"][0].clone();
        (line["priceChanged"] == true).then_some(line)
    })
    .await;
    assert_eq!(minor(&line["unitPrice"]["amount"]), price + 100);
    assert_eq!(minor(&line["lineTotal"]["amount"]), 2 * (price + 100));

    // Stock taken away in inventory reaches the cart's availability check by event.
    let levels = shop
        .data(
            Some(&staff),
            "query($v: ID!) { variant(id: $v) { stockByWarehouse { warehouse { id } available } } }",
            json!({ "v": variant }),
        )
        .await;
    let levels = levels["variant"]["stockByWarehouse"]
        .as_array()
        .unwrap()
        .clone();
    for (i, level) in levels.iter().enumerate() {
        // Three units stay, all in the first warehouse.
        let keep = if i == 0 { 3 } else { 0 };
        let available = level["available"].as_i64().unwrap();
        if available != keep {
            shop.data(
                Some(&staff),
                "mutation($v: ID!, $w: ID!, $d: Int!) { adjustStock(variantId: $v, warehouseId: $w, delta: $d, reason: \"count\") { __typename } }",
                json!({ "v": variant, "w": level["warehouse"]["id"], "d": keep - available }),
            )
            .await;
        }
    }
    let conflict = eventually("the stock change to reach the cart", || async {
        let body = shop
            .gql(Some(&ada), ADD, json!({ "c": cart, "v": variant, "q": 2 }))
            .await;
        (!body["errors"].is_null()).then_some(body)
    })
    .await;
    assert_eq!(code(&conflict), "CONFLICT", "{conflict}");
    let message = conflict["errors"][0]["message"].as_str().unwrap();
    assert!(
        message.contains('3'),
        "says how many are available: {message}"
    );
}
