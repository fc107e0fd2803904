//! Staff management of coupons and promotions: create, update, deactivate, look up, list with
//! filters and keyset pages; who may do it; and every bad input named by its field.

use serde_json::{json, Value};

use crate::common::*;

#[tokio::test]
async fn staff_create_update_deactivate_and_look_up_coupons() {
    let env = start().await;
    let code = code("save");
    let created = env
        .coupon(json!({
            "code": code.to_lowercase(),
            "description": "Five off",
            "kind": "FIXED_AMOUNT",
            "amountOff": { "amount": "5", "currencyCode": "USD" },
            "minimumSubtotal": { "amount": "25.00", "currencyCode": "USD" },
            "scope": { "kind": "CATEGORIES", "ids": ["cat-1", "cat-1", "cat-2"] },
            "usageLimit": 100,
            "perCustomerLimit": 1,
            "startsAt": "2020-01-01T00:00:00Z",
        }))
        .await;
    assert_eq!(created["code"], code.as_str(), "stored upper case");
    assert_eq!(
        created["amountOff"],
        json!({ "amount": "5.00", "currencyCode": "USD" })
    );
    assert_eq!(created["minimumSubtotal"]["amount"], "25.00");
    assert_eq!(
        created["scope"],
        json!({ "kind": "CATEGORIES", "ids": ["cat-1", "cat-2"] })
    );
    assert_eq!(created["timesUsed"], 0);
    assert_eq!(created["active"], true);
    assert_eq!(created["startsAt"], "2020-01-01T00:00:00+00:00");
    let id = created["id"].as_str().unwrap().to_string();

    let found = env
        .staff_gql(
            &format!("query($c:String!){{ couponByCode(code:$c){{ {COUPON_FIELDS} }} }}"),
            json!({ "c": format!("  {}  ", code.to_lowercase()) }),
        )
        .await;
    assert_eq!(found["data"]["couponByCode"]["id"], id.as_str(), "{found}");

    // Change the kind: the old amount goes, the new percentage comes; null clears the minimum.
    let updated = env
        .staff_gql(
            &format!("mutation($id:ID!,$i:UpdateCouponInput!){{ updateCoupon(id:$id,input:$i){{ {COUPON_FIELDS} }} }}"),
            json!({ "id": id, "i": { "kind": "PERCENTAGE", "percentOff": 15, "minimumSubtotal": null } }),
        )
        .await;
    let updated = &updated["data"]["updateCoupon"];
    assert_eq!(updated["kind"], "PERCENTAGE", "{updated}");
    assert_eq!(updated["percentOff"], 15);
    assert!(updated["amountOff"].is_null());
    assert!(updated["minimumSubtotal"].is_null());
    assert_eq!(updated["usageLimit"], 100, "untouched fields stay");

    let off = env
        .staff_gql(
            "mutation($id:ID!){ deactivateCoupon(id:$id){ active } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(off["data"]["deactivateCoupon"]["active"], false, "{off}");
    let by_id = env
        .staff_gql(
            "query($id:ID!){ coupon(id:$id){ active code } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(by_id["data"]["coupon"]["active"], false);

    // The same code in another case is taken.
    let dup = env
        .create_coupon_raw(json!({ "code": code.to_lowercase(), "kind": "FREE_SHIPPING" }))
        .await;
    assert_eq!(error_code(&dup), "CONFLICT", "{dup}");
    let missing = env
        .staff_gql(
            "mutation($id:ID!){ deactivateCoupon(id:$id){ active } }",
            json!({ "id": crate::common::id() }),
        )
        .await;
    assert_eq!(error_code(&missing), "NOT_FOUND");
    env.stop().await;
}

#[tokio::test]
async fn customers_are_forbidden_and_anonymous_callers_unauthenticated() {
    let env = start().await;
    let customer = env.customer().await;
    let operations = [
        ("{ coupons { totalCount } }", json!({})),
        ("{ promotions { totalCount } }", json!({})),
        (
            "query($id:ID!){ coupon(id:$id){ id } }",
            json!({ "id": id() }),
        ),
        ("{ couponByCode(code:\"ABC\"){ id } }", json!({})),
        (
            "mutation{ createCoupon(input:{code:\"NOPE1\",kind:FREE_SHIPPING}){ id } }",
            json!({}),
        ),
        (
            "mutation{ createPromotion(input:{title:\"x\",kind:PERCENT_OFF,percentOff:5}){ id } }",
            json!({}),
        ),
        (
            "mutation{ releaseCouponUse(orderId:\"o\"){ id } }",
            json!({}),
        ),
        (
            "mutation($i:HoldCouponUseInput!){ holdCouponUse(input:$i){ id } }",
            json!({ "i": hold_input("ABC", "o-1", "k-1", &[("l", "p", 1, "1.00")]) }),
        ),
    ];
    for (query, variables) in operations {
        let body = env.app.gql(query, variables.clone(), Some(&customer)).await;
        assert_eq!(error_code(&body), "FORBIDDEN", "{query}: {body}");
        let body = env.app.gql(query, variables, None).await;
        assert_eq!(error_code(&body), "UNAUTHENTICATED", "{query}: {body}");
    }
    env.stop().await;
}

#[tokio::test]
async fn every_bad_coupon_input_names_its_field() {
    let env = start().await;
    let base = |extra: Value| {
        let mut input = json!({ "code": code("bad"), "kind": "PERCENTAGE", "percentOff": 10 });
        for (k, v) in extra.as_object().unwrap() {
            input[k] = v.clone();
        }
        input
    };
    let usd = |a: &str| json!({ "amount": a, "currencyCode": "USD" });
    let cases = [
        (json!({ "code": "ab" }), "input.code"),
        (json!({ "code": "has space" }), "input.code"),
        (json!({ "code": "x".repeat(33) }), "input.code"),
        (json!({ "percentOff": 0 }), "input.percentOff"),
        (json!({ "percentOff": 101 }), "input.percentOff"),
        (json!({ "percentOff": null }), "input.percentOff"),
        (json!({ "amountOff": usd("5.00") }), "input.amountOff"),
        (
            json!({ "kind": "FIXED_AMOUNT", "percentOff": null }),
            "input.amountOff",
        ),
        (
            json!({ "kind": "FIXED_AMOUNT", "percentOff": null, "amountOff": usd("0") }),
            "input.amountOff.amount",
        ),
        (
            json!({ "kind": "FIXED_AMOUNT", "percentOff": null, "amountOff": usd("1.001") }),
            "input.amountOff.amount",
        ),
        (
            json!({ "kind": "FIXED_AMOUNT", "percentOff": null, "amountOff": { "amount": "1", "currencyCode": "XXX" } }),
            "input.amountOff.currencyCode",
        ),
        (
            json!({ "kind": "FIXED_AMOUNT", "percentOff": null, "amountOff": usd("5"), "minimumSubtotal": { "amount": "5", "currencyCode": "EUR" } }),
            "input.minimumSubtotal.currencyCode",
        ),
        (
            json!({ "minimumSubtotal": usd("-1") }),
            "input.minimumSubtotal.amount",
        ),
        (json!({ "kind": "FREE_SHIPPING" }), "input.percentOff"),
        (json!({ "usageLimit": 0 }), "input.usageLimit"),
        (json!({ "perCustomerLimit": 0 }), "input.perCustomerLimit"),
        (
            json!({ "startsAt": "2030-01-02T00:00:00Z", "endsAt": "2030-01-01T00:00:00Z" }),
            "input.endsAt",
        ),
        (
            json!({ "scope": { "kind": "PRODUCTS", "ids": [] } }),
            "input.scope.ids",
        ),
        (
            json!({ "scope": { "kind": "ALL", "ids": ["p"] } }),
            "input.scope.ids",
        ),
        (
            json!({ "scope": { "kind": "PRODUCTS", "ids": [" "] } }),
            "input.scope.ids[0]",
        ),
        (
            json!({ "description": "d".repeat(501) }),
            "input.description",
        ),
    ];
    for (extra, expected) in cases {
        let body = env.create_coupon_raw(base(extra.clone())).await;
        assert_eq!(error_code(&body), "BAD_USER_INPUT", "{extra}: {body}");
        assert_eq!(field(&body), expected, "{extra}: {body}");
        assert!(message(&body).starts_with(expected), "{body}");
    }
    let promotion_cases = [
        (
            json!({ "title": " ", "kind": "PERCENT_OFF", "percentOff": 5 }),
            "input.title",
        ),
        (
            json!({ "title": "t", "kind": "PERCENT_OFF" }),
            "input.percentOff",
        ),
        (
            json!({ "title": "t", "kind": "ORDER_AMOUNT_OFF" }),
            "input.amountOff",
        ),
        (
            json!({ "title": "t", "kind": "BUY_X_GET_Y", "buyQuantity": 2 }),
            "input.getQuantity",
        ),
        (
            json!({ "title": "t", "kind": "BUY_X_GET_Y", "buyQuantity": 0, "getQuantity": 1 }),
            "input.buyQuantity",
        ),
        (
            json!({ "title": "t", "kind": "PERCENT_OFF", "percentOff": 5, "priority": -1 }),
            "input.priority",
        ),
    ];
    for (input, expected) in promotion_cases {
        let body = env.create_promotion_raw(input.clone()).await;
        assert_eq!(error_code(&body), "BAD_USER_INPUT", "{input}: {body}");
        assert_eq!(field(&body), expected, "{input}: {body}");
    }
    let bad_cursor = env
        .staff_gql(
            "{ coupons(first: 2, after: \"nope\") { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(field(&bad_cursor), "after");
    let too_many = env
        .staff_gql("{ coupons(first: 101) { totalCount } }", json!({}))
        .await;
    assert_eq!(field(&too_many), "first");
    env.stop().await;
}

fn codes(body: &Value, list: &str) -> Vec<String> {
    body["data"][list]["edges"]
        .as_array()
        .unwrap_or_else(|| panic!("no edges: {body}"))
        .iter()
        .map(|e| e["node"]["code"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn coupons_list_with_filters_and_keyset_pages() {
    let env = start().await;
    let mut made = Vec::new();
    for i in 0..5 {
        let c = env
            .coupon(
                json!({ "code": format!("PAGE-{i}"), "kind": "FREE_SHIPPING", "active": i != 2 }),
            )
            .await;
        made.push(c["code"].as_str().unwrap().to_string());
    }
    env.coupon(json!({ "code": "OTHER_1", "kind": "FREE_SHIPPING" }))
        .await;
    let newest_first: Vec<String> = made.iter().rev().cloned().collect();

    let query = "query($f:CouponFilter,$first:Int,$after:String,$last:Int,$before:String){ coupons(filter:$f,first:$first,after:$after,last:$last,before:$before){ totalCount edges { cursor node { code } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }";
    let page = |vars: Value| env.staff_gql(query, vars);

    let all = page(json!({ "f": { "codePrefix": "page-" } })).await;
    assert_eq!(codes(&all, "coupons"), newest_first, "{all}");
    assert_eq!(all["data"]["coupons"]["totalCount"], 5);

    let active = page(json!({ "f": { "codePrefix": "PAGE", "active": true } })).await;
    assert_eq!(active["data"]["coupons"]["totalCount"], 4);
    assert!(!codes(&active, "coupons").contains(&"PAGE-2".to_string()));
    let inactive = page(json!({ "f": { "active": false } })).await;
    assert_eq!(codes(&inactive, "coupons"), vec!["PAGE-2"]);

    // Forward in pages of two, then back.
    let first = page(json!({ "f": { "codePrefix": "PAGE-" }, "first": 2 })).await;
    assert_eq!(codes(&first, "coupons"), newest_first[..2].to_vec());
    let info = &first["data"]["coupons"]["pageInfo"];
    assert_eq!(info["hasNextPage"], true);
    assert_eq!(info["hasPreviousPage"], false);
    let second =
        page(json!({ "f": { "codePrefix": "PAGE-" }, "first": 2, "after": info["endCursor"] }))
            .await;
    assert_eq!(codes(&second, "coupons"), newest_first[2..4].to_vec());
    let info2 = &second["data"]["coupons"]["pageInfo"];
    let third =
        page(json!({ "f": { "codePrefix": "PAGE-" }, "first": 2, "after": info2["endCursor"] }))
            .await;
    assert_eq!(codes(&third, "coupons"), newest_first[4..].to_vec());
    assert_eq!(third["data"]["coupons"]["pageInfo"]["hasNextPage"], false);
    let back =
        page(json!({ "f": { "codePrefix": "PAGE-" }, "last": 2, "before": info2["startCursor"] }))
            .await;
    assert_eq!(
        codes(&back, "coupons"),
        newest_first[..2].to_vec(),
        "{back}"
    );
    assert_eq!(
        back["data"]["coupons"]["pageInfo"]["hasPreviousPage"],
        false
    );
    env.stop().await;
}

#[tokio::test]
async fn staff_manage_promotions() {
    let env = start().await;
    let created = env
        .create_promotion_raw(json!({
            "title": "Buy 2 get 1",
            "kind": "BUY_X_GET_Y",
            "buyQuantity": 2,
            "getQuantity": 1,
            "priority": 5,
            "combinable": false,
            "scope": { "kind": "VARIANTS", "ids": ["v-1"] },
        }))
        .await;
    let p = &created["data"]["createPromotion"];
    assert_eq!(p["kind"], "BUY_X_GET_Y", "{created}");
    assert_eq!(p["combinable"], false);
    assert_eq!(p["scope"]["kind"], "VARIANTS");
    let id = p["id"].as_str().unwrap().to_string();
    let other = env
        .promotion(json!({ "title": "Spend 50 save 5", "kind": "ORDER_AMOUNT_OFF", "amountOff": { "amount": "5", "currencyCode": "USD" }, "minimumSubtotal": { "amount": "50", "currencyCode": "USD" } }))
        .await;

    let updated = env
        .staff_gql(
            "mutation($id:ID!){ updatePromotion(id:$id,input:{priority:7,title:\"B2G1\"}){ title priority buyQuantity } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(
        updated["data"]["updatePromotion"],
        json!({ "title": "B2G1", "priority": 7, "buyQuantity": 2 }),
        "{updated}"
    );
    let off = env
        .staff_gql(
            "mutation($id:ID!){ deactivatePromotion(id:$id){ active } }",
            json!({ "id": other }),
        )
        .await;
    assert_eq!(off["data"]["deactivatePromotion"]["active"], false);

    let list = env
        .staff_gql(
            "{ all: promotions { totalCount edges { node { id } } } active: promotions(filter:{active:true}) { totalCount edges { node { id title } } } }",
            json!({}),
        )
        .await;
    assert_eq!(list["data"]["all"]["totalCount"], 2, "{list}");
    assert_eq!(
        list["data"]["all"]["edges"][0]["node"]["id"],
        other.as_str(),
        "newest first"
    );
    assert_eq!(list["data"]["active"]["totalCount"], 1);
    assert_eq!(list["data"]["active"]["edges"][0]["node"]["title"], "B2G1");
    let one = env
        .staff_gql(
            "query($id:ID!){ promotion(id:$id){ id } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(one["data"]["promotion"]["id"], id.as_str());
    env.stop().await;
}
