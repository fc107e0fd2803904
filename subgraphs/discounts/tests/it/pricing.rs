//! The `Cart` extension through `@requires`: the router's representations (currency, subtotal,
//! pricing lines) in, exact discounts out — promotions in priority order, then the cart's
//! coupon on what is left — and a page of carts costing the same few statements as one cart.

use serde_json::{json, Value};

use crate::common::*;

fn amounts(cart: &Value) -> Vec<(String, String)> {
    cart["discounts"]
        .as_array()
        .unwrap_or_else(|| panic!("no discounts: {cart}"))
        .iter()
        .map(|d| {
            (
                d["title"].as_str().unwrap().to_string(),
                d["amount"]["amount"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn allocations(discount: &Value) -> Vec<(String, String)> {
    discount["allocations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["lineId"].as_str().unwrap().to_string(),
                a["amount"]["amount"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[tokio::test]
async fn promotions_then_the_coupon_stack_with_exact_amounts() {
    let env = start().await;
    env.promotion(json!({ "title": "10% off shoes", "kind": "PERCENT_OFF", "percentOff": 10, "priority": 10, "scope": { "kind": "PRODUCTS", "ids": ["shoe"] } }))
        .await;
    env.promotion(json!({ "title": "Spend 20 save 5", "kind": "ORDER_AMOUNT_OFF", "amountOff": { "amount": "5.00", "currencyCode": "USD" }, "minimumSubtotal": { "amount": "20.00", "currencyCode": "USD" }, "priority": 20 }))
        .await;
    let coupon = env
        .coupon(json!({ "code": code("twenty"), "description": "20% off", "kind": "PERCENTAGE", "percentOff": 20 }))
        .await;
    let cart_id = id();
    env.attach(&cart_id, coupon["id"].as_str().unwrap()).await;

    // 2 x 12.50 shoes + 1 x 10.00 socks = 35.00.
    let cart = env
        .cart(cart_rep(
            &cart_id,
            "USD",
            &[("l1", "shoe", 2, "12.50"), ("l2", "sock", 1, "10.00")],
        ))
        .await;
    // 10% of 25.00 = 2.50 on l1; 5.00 split over 22.50 : 10.00 = 3.46 + 1.54 (largest
    // remainder); 20% of what is left (19.04, 8.46) = 3.81 + 1.69 (half-up per line).
    assert_eq!(
        amounts(&cart),
        vec![
            ("10% off shoes".to_string(), "2.50".to_string()),
            ("Spend 20 save 5".to_string(), "5.00".to_string()),
            ("20% off".to_string(), "5.50".to_string()),
        ],
        "{cart}"
    );
    let discounts = cart["discounts"].as_array().unwrap();
    assert_eq!(discounts[0]["kind"], "PROMOTION");
    assert!(discounts[0]["promotionId"].is_string());
    assert_eq!(
        allocations(&discounts[1]),
        vec![("l1".into(), "3.46".into()), ("l2".into(), "1.54".into())]
    );
    assert_eq!(discounts[2]["kind"], "COUPON");
    assert_eq!(discounts[2]["code"], coupon["code"]);
    assert_eq!(
        allocations(&discounts[2]),
        vec![("l1".into(), "3.81".into()), ("l2".into(), "1.69".into())]
    );
    assert_eq!(
        cart["discountTotal"],
        json!({ "amount": "13.00", "currencyCode": "USD" })
    );
    assert_eq!(
        cart["estimatedTotal"],
        json!({ "amount": "22.00", "currencyCode": "USD" })
    );
    assert_eq!(cart["couponCode"], coupon["code"]);
    assert!(cart["couponNotice"].is_null());
    assert_eq!(cart["freeShipping"], false);

    // Below the promotion's minimum: only the percentages apply.
    let small = env
        .cart(cart_rep(&cart_id, "USD", &[("l1", "shoe", 1, "12.50")]))
        .await;
    // 1.25 (10%), then 20% of 11.25 = 2.25.
    assert_eq!(
        amounts(&small),
        vec![
            ("10% off shoes".into(), "1.25".into()),
            ("20% off".into(), "2.25".into())
        ]
    );
    env.stop().await;
}

#[tokio::test]
async fn a_non_combinable_promotion_wins_only_when_first_and_jpy_rounds_to_yen() {
    let env = start().await;
    env.promotion(json!({ "title": "Exclusive 30%", "kind": "PERCENT_OFF", "percentOff": 30, "priority": 1, "combinable": false }))
        .await;
    env.promotion(
        json!({ "title": "Also 10%", "kind": "PERCENT_OFF", "percentOff": 10, "priority": 2 }),
    )
    .await;
    env.promotion(json!({ "title": "Buy 2 get 1", "kind": "BUY_X_GET_Y", "buyQuantity": 2, "getQuantity": 1, "priority": 3, "scope": { "kind": "VARIANTS", "ids": ["v-tea"] } }))
        .await;
    // 30% of 1,235 yen = 370.5 -> 371; the later promotions do not apply.
    let cart = env
        .cart(cart_rep(&id(), "JPY", &[("l1", "tea", 1, "1235")]))
        .await;
    assert_eq!(
        amounts(&cart),
        vec![("Exclusive 30%".into(), "371".into())],
        "{cart}"
    );
    assert_eq!(
        cart["estimatedTotal"],
        json!({ "amount": "864", "currencyCode": "JPY" })
    );
    env.stop().await;
}

#[tokio::test]
async fn buy_x_get_y_and_amounts_never_below_zero() {
    let env = start().await;
    env.promotion(json!({ "title": "Buy 2 get 1", "kind": "BUY_X_GET_Y", "buyQuantity": 2, "getQuantity": 1, "priority": 1, "scope": { "kind": "PRODUCTS", "ids": ["tea"] } }))
        .await;
    let big = env
        .coupon(json!({ "code": code("huge"), "kind": "FIXED_AMOUNT", "amountOff": { "amount": "500.00", "currencyCode": "USD" } }))
        .await;
    let cart_id = id();
    env.attach(&cart_id, big["id"].as_str().unwrap()).await;
    // 7 teas at 3.00: 2 free (6.00); the coupon takes all of the 15.00 + 4.00 left.
    let cart = env
        .cart(cart_rep(
            &cart_id,
            "USD",
            &[("l1", "tea", 7, "3.00"), ("l2", "mug", 1, "4.00")],
        ))
        .await;
    assert_eq!(
        amounts(&cart),
        vec![
            ("Buy 2 get 1".into(), "6.00".into()),
            (big["code"].as_str().unwrap().into(), "19.00".into())
        ],
        "{cart}"
    );
    assert_eq!(cart["estimatedTotal"]["amount"], "0.00");
    assert_eq!(cart["discountTotal"]["amount"], "25.00");
    env.stop().await;
}

#[tokio::test]
async fn coupon_notice_says_why_an_applied_coupon_gives_nothing() {
    let env = start().await;
    let save = env
        .coupon(json!({ "code": code("save"), "kind": "FIXED_AMOUNT", "amountOff": { "amount": "5", "currencyCode": "USD" }, "minimumSubtotal": { "amount": "25", "currencyCode": "USD" } }))
        .await;
    let ship = env
        .coupon(json!({ "code": code("ship"), "kind": "FREE_SHIPPING" }))
        .await;
    let (a, b) = (id(), id());
    env.attach(&a, save["id"].as_str().unwrap()).await;
    env.attach(&b, ship["id"].as_str().unwrap()).await;
    let carts = env
        .carts(vec![
            cart_rep(&a, "USD", &[("l1", "p", 1, "24.99")]),
            cart_rep(&a, "USD", &[("l1", "p", 1, "25.00")]),
            cart_rep(&a, "EUR", &[("l1", "p", 1, "99.00")]),
            cart_rep(&b, "USD", &[("l1", "p", 1, "1.00")]),
            cart_rep(&id(), "USD", &[("l1", "p", 1, "1.00")]),
        ])
        .await;
    assert_eq!(carts[0]["couponCode"], save["code"]);
    assert_eq!(carts[0]["discounts"], json!([]));
    let notice = carts[0]["couponNotice"].as_str().unwrap();
    assert!(notice.contains("at least 25.00 USD"), "{notice}");
    assert!(carts[1]["couponNotice"].is_null(), "{}", carts[1]);
    assert_eq!(carts[1]["discountTotal"]["amount"], "5.00");
    assert!(carts[2]["couponNotice"]
        .as_str()
        .unwrap()
        .contains("currency"));
    assert_eq!(carts[3]["freeShipping"], true);
    assert_eq!(carts[3]["discounts"][0]["freeShipping"], true);
    assert_eq!(carts[3]["discountTotal"]["amount"], "0.00");
    assert!(carts[4]["couponCode"].is_null());
    assert!(carts[4]["couponNotice"].is_null());

    // Deactivated: still applied to the cart, but it says so.
    env.staff_gql(
        "mutation($id:ID!){ deactivateCoupon(id:$id){ id } }",
        json!({ "id": save["id"] }),
    )
    .await;
    let cart = env
        .cart(cart_rep(&a, "USD", &[("l1", "p", 1, "30.00")]))
        .await;
    assert!(
        cart["couponNotice"]
            .as_str()
            .unwrap()
            .contains("no longer available"),
        "{cart}"
    );
    assert_eq!(cart["discountTotal"]["amount"], "0.00");
    env.stop().await;
}

#[tokio::test]
async fn a_page_of_carts_costs_the_same_statements_as_one_cart() {
    let env = start().await;
    env.promotion(json!({ "title": "5%", "kind": "PERCENT_OFF", "percentOff": 5 }))
        .await;
    env.promotion(json!({ "title": "Cat", "kind": "PERCENT_OFF", "percentOff": 5, "scope": { "kind": "CATEGORIES", "ids": ["c"] } }))
        .await;
    let coupon = env
        .coupon(json!({ "code": code("batch"), "kind": "PERCENTAGE", "percentOff": 10 }))
        .await;
    let reps: Vec<Value> = (0..20)
        .map(|i| {
            let cart = id();
            let product = format!("p{i}");
            cart_rep(
                &cart,
                "USD",
                &[("l1", &product, 1, "10.00"), ("l2", "shared", 2, "1.00")],
            )
        })
        .collect();
    for rep in &reps {
        env.attach(rep["id"].as_str().unwrap(), coupon["id"].as_str().unwrap())
            .await;
    }
    let before = env.app.metric("db_statements_total").await;
    let one = env.carts(reps[..1].to_vec()).await;
    let after_one = env.app.metric("db_statements_total").await;
    let all = env.carts(reps.clone()).await;
    let after_all = env.app.metric("db_statements_total").await;
    assert_eq!(one[0]["discountTotal"]["amount"], "1.74", "{}", one[0]);
    assert!(all.iter().all(|c| c["discountTotal"]["amount"] == "1.74"));
    let (single, page) = (after_one - before, after_all - after_one);
    println!("statements: one cart {single}, twenty carts {page}");
    assert!(single <= 3, "one cart: {single} statements");
    assert_eq!(page, single, "twenty carts cost what one costs");
    env.stop().await;
}
