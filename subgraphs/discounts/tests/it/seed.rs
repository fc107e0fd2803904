//! The launcher's seeds: demo coupons (SOLDOUT really used up) and the "10% off" promotion on a
//! category whose tree and products were seeded in bulk; running them twice changes nothing,
//! and a seeded row yields to catalog's events.

use serde_json::json;

use crate::common::*;

#[tokio::test]
async fn demo_coupons_and_seeded_scopes_work_and_seeding_twice_changes_nothing() {
    let env = start().await;
    let svc = env.app.svc();
    let categories = vec![
        ("root".to_string(), None),
        ("leaf".to_string(), Some("root".to_string())),
    ];
    let products = vec![
        ("p-leaf".to_string(), Some("leaf".to_string())),
        ("p-none".to_string(), None),
    ];
    for _ in 0..2 {
        discounts::seed::scopes(svc, &categories, &products)
            .await
            .unwrap();
        discounts::seed::demo(svc, Some("root")).await.unwrap();
    }
    let list = env
        .staff_gql("{ coupons { totalCount edges { node { code timesUsed usageLimit } } } promotions { totalCount edges { node { title percentOff } } } }", json!({}))
        .await;
    assert_eq!(list["data"]["coupons"]["totalCount"], 4, "{list}");
    assert_eq!(list["data"]["promotions"]["totalCount"], 1, "{list}");
    assert_eq!(
        list["data"]["promotions"]["edges"][0]["node"]["percentOff"],
        10
    );

    // The promotion covers the leaf category's product; SAVE5 needs 25.00.
    let cart_id = id();
    let save5 = env
        .staff_gql("{ couponByCode(code:\"save5\"){ id } }", json!({}))
        .await["data"]["couponByCode"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    env.attach(&cart_id, &save5).await;
    let cart = env
        .cart(cart_rep(
            &cart_id,
            "USD",
            &[("a", "p-leaf", 1, "20.00"), ("b", "p-none", 1, "10.00")],
        ))
        .await;
    // 10% of 20.00 on the leaf product, then 5.00 split over 18.00 : 10.00.
    assert_eq!(cart["discountTotal"]["amount"], "7.00", "{cart}");
    assert_eq!(
        cart["discounts"][0]["allocations"],
        json!([{ "lineId": "a", "amount": { "amount": "2.00" } }])
    );

    let soldout = env
        .hold(hold_input(
            "soldout",
            "o-1",
            "k-1",
            &[("a", "p", 1, "1.00")],
        ))
        .await;
    assert_eq!(reason(&soldout), "EXHAUSTED", "{soldout}");
    for code in ["WELCOME10", "FREESHIP"] {
        let held = env
            .hold(hold_input(
                code,
                &format!("o-{code}"),
                &format!("k-{code}"),
                &[("a", "p", 1, "30.00")],
            ))
            .await;
        assert!(held["errors"].is_null(), "{code}: {held}");
    }

    // A catalog event moves the product out of the seeded tree; seeding again does not undo it.
    env.publish(&[catalog(
        "product.updated",
        "p-leaf",
        json!({ "id": "p-leaf", "categoryId": null, "status": "PUBLISHED" }),
    )])
    .await;
    let rep = cart_rep(&id(), "USD", &[("a", "p-leaf", 1, "20.00")]);
    eventually("the event wins over the seed", || async {
        env.cart(rep.clone()).await["discountTotal"]["amount"] == "0.00"
    })
    .await;
    discounts::seed::scopes(svc, &categories, &products)
        .await
        .unwrap();
    assert_eq!(env.cart(rep).await["discountTotal"]["amount"], "0.00");
    env.stop().await;
}
