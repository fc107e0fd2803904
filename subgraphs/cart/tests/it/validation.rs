//! Bad input gets a clear error with its code and the field it is about: malformed ids, unknown
//! variants, products not for sale, quantities out of range, more than is available (the
//! message says how many are), too many lines, another currency.

use crate::common::*;
use serde_json::json;

#[tokio::test]
async fn bad_lines_are_refused_with_code_and_field() {
    let env = start_with(&[("MAX_LINES", "2"), ("MAX_LINE_QUANTITY", "10")]).await;
    let (ok, _) = env.variant(100, "USD", 3).await;
    let (other, _) = env.variant(100, "USD", 50).await;
    let (third, _) = env.variant(100, "USD", 50).await;
    let (euro, _) = env.variant(100, "EUR", 50).await;
    let g = env.guest_cart(None).await;
    let me = guest(&g);

    let body = env.add_raw(me, "not-an-id", &ok, 1).await;
    assert_eq!(
        (code(&body), field(&body)),
        ("BAD_USER_INPUT".into(), "cartId".into())
    );
    let body = env.add_raw(me, &g.cart, "nope", 1).await;
    assert_eq!(
        (code(&body), field(&body)),
        ("BAD_USER_INPUT".into(), "input.variantId".into())
    );
    let body = env.add_raw(me, &g.cart, &kit::ids::new_id(), 1).await;
    assert_eq!(code(&body), "NOT_FOUND", "unknown variant: {body}");
    assert!(message(&body).contains("input.variantId"), "{body}");

    for quantity in [0, -1, 11] {
        let body = env.add_raw(me, &g.cart, &ok, quantity).await;
        assert_eq!(code(&body), "BAD_USER_INPUT", "{quantity}: {body}");
        assert_eq!(field(&body), "input.quantity");
    }

    // Availability: 3 units.
    let body = env.add_raw(me, &g.cart, &ok, 4).await;
    assert_eq!(code(&body), "CONFLICT", "{body}");
    assert!(message(&body).contains("only 3 available"), "{body}");
    env.add(me, &g.cart, &ok, 2).await;
    let body = env.add_raw(me, &g.cart, &ok, 2).await;
    assert_eq!(code(&body), "CONFLICT", "2 + 2 > 3: {body}");
    assert!(message(&body).contains("only 3 available"), "{body}");

    // The per-line maximum counts what the line already holds.
    env.add(me, &g.cart, &other, 8).await;
    let body = env.add_raw(me, &g.cart, &other, 3).await;
    assert_eq!(
        (code(&body), field(&body)),
        ("BAD_USER_INPUT".into(), "input.quantity".into())
    );

    // Two lines at most.
    let body = env.add_raw(me, &g.cart, &third, 1).await;
    assert_eq!(
        (code(&body), field(&body)),
        ("BAD_USER_INPUT".into(), "input.variantId".into())
    );
    assert!(message(&body).contains("at most 2"), "{body}");

    // One currency per cart.
    let body = env.add_raw(me, &g.cart, &euro, 1).await;
    assert_eq!(
        (code(&body), field(&body)),
        ("BAD_USER_INPUT".into(), "input.variantId".into())
    );
    assert!(message(&body).contains("EUR"), "{body}");

    // Raising a line beyond what is available: CONFLICT; lowering is fine.
    let cart = env.cart(me, &g.cart).await;
    let line = cart["lines"][0]["id"].as_str().unwrap();
    let update = "mutation($c:ID!,$l:ID!,$q:Int!){ updateCartLine(cartId:$c,lineId:$l,quantity:$q){ itemCount } }";
    let body = env
        .gql(me, update, json!({ "c": g.cart, "l": line, "q": 5 }))
        .await;
    assert_eq!(code(&body), "CONFLICT", "{body}");
    assert!(message(&body).contains("only 3 available"), "{body}");
    for (q, f) in [(-1, "quantity"), (11, "quantity")] {
        let body = env
            .gql(me, update, json!({ "c": g.cart, "l": line, "q": q }))
            .await;
        assert_eq!(
            (code(&body), field(&body)),
            ("BAD_USER_INPUT".into(), f.into()),
            "{body}"
        );
    }
    let body = env
        .gql(me, update, json!({ "c": g.cart, "l": "x", "q": 1 }))
        .await;
    assert_eq!(
        (code(&body), field(&body)),
        ("BAD_USER_INPUT".into(), "lineId".into())
    );
    let body = env
        .gql(me, update, json!({ "c": g.cart, "l": line, "q": 1 }))
        .await;
    assert!(body["errors"].is_null(), "{body}");

    // Nothing refused above changed the cart.
    let cart = env.cart(me, &g.cart).await;
    assert_eq!(
        (quantity_of(&cart, &ok), quantity_of(&cart, &other)),
        (1, 8)
    );
    env.stop().await;
}

#[tokio::test]
async fn products_not_for_sale_cannot_be_added() {
    let env = start().await;
    let g = env.guest_cart(None).await;
    let (variant, product) = env.variant(100, "USD", 10).await;
    for status in ["ARCHIVED", "DRAFT"] {
        env.publish(&[product_event("product.updated", &product, status)])
            .await;
        let body = env.add_raw(guest(&g), &g.cart, &variant, 1).await;
        assert_eq!(code(&body), "BAD_USER_INPUT", "{status}: {body}");
        assert_eq!(field(&body), "input.variantId");
    }
    env.publish(&[product_event("product.updated", &product, "published")])
        .await;
    env.add(guest(&g), &g.cart, &variant, 1).await;

    // A variant with no stock row has none available.
    let product = kit::ids::new_id();
    let unstocked = kit::ids::new_id();
    env.publish(&[
        product_event("product.created", &product, "PUBLISHED"),
        variant_created(&unstocked, &product, 100, "USD"),
    ])
    .await;
    let body = env.add_raw(guest(&g), &g.cart, &unstocked, 1).await;
    assert_eq!(code(&body), "CONFLICT", "{body}");
    assert!(message(&body).contains("only 0 available"), "{body}");
    env.stop().await;
}

#[tokio::test]
async fn cart_currency_and_ids_are_checked() {
    let env = start().await;
    let body = env
        .gql(
            anonymous(),
            "mutation{ createCart(input:{currencyCode:\"XYZ\"}){ token } }",
            json!({}),
        )
        .await;
    assert_eq!(
        (code(&body), field(&body)),
        ("BAD_USER_INPUT".into(), "input.currencyCode".into())
    );
    let body = env.cart_raw(anonymous(), "12").await;
    assert_eq!(
        (code(&body), field(&body)),
        ("BAD_USER_INPUT".into(), "id".into())
    );
    let customer = env.customer().await;
    let body = env
        .gql(
            user(&customer),
            "mutation{ mergeCart(guestCartId:\"x\"){ id } }",
            json!({}),
        )
        .await;
    assert_eq!(
        (code(&body), field(&body)),
        ("BAD_USER_INPUT".into(), "guestCartId".into())
    );
    env.stop().await;
}
