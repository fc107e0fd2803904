//! Merge on sign-in: the guest cart's lines fold into the customer's active cart (created if
//! none), quantities of the same variant add up capped by availability and the per-line
//! maximum, and the guest cart ends `MERGED` and closed.

use crate::common::*;
use serde_json::json;

const MERGE: &str = "mutation($g:ID!){ mergeCart(guestCartId:$g){ id customerId currencyCode itemCount lines { variantId quantity priceWhenAdded { amount } } } }";

#[tokio::test]
async fn guest_lines_fold_into_the_customer_cart() {
    let env = start_with(&[("MAX_LINE_QUANTITY", "6")]).await;
    let (scarce, _) = env.variant(1000, "USD", 5).await;
    let (plenty, _) = env.variant(250, "USD", 100).await;
    let (capped, _) = env.variant(100, "USD", 100).await;
    let c = env.customer().await;
    let mine = env.create_cart(user(&c), None).await["cart"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    env.add(user(&c), &mine, &scarce, 3).await;
    env.add(user(&c), &mine, &capped, 4).await;

    let g = env.guest_cart(None).await;
    env.add(guest(&g), &g.cart, &scarce, 4).await;
    env.add(guest(&g), &g.cart, &plenty, 2).await;
    env.add(guest(&g), &g.cart, &capped, 5).await;

    // Signed in, but without the guest token: no such cart.
    let body = env.gql(user(&c), MERGE, json!({ "g": g.cart })).await;
    assert_eq!(code(&body), "NOT_FOUND", "{body}");
    // The token alone, not signed in: merging is for customers.
    let body = env.gql(guest(&g), MERGE, json!({ "g": g.cart })).await;
    assert_eq!(code(&body), "UNAUTHENTICATED", "{body}");

    let both = As {
        auth: Some(&c.token),
        cart_token: Some(&g.token),
    };
    let body = env.gql(both, MERGE, json!({ "g": g.cart })).await;
    assert!(body["errors"].is_null(), "{body}");
    let merged = &body["data"]["mergeCart"];
    assert_eq!(merged["id"], mine.as_str());
    assert_eq!(merged["customerId"], c.id.as_str());
    assert_eq!(
        quantity_of(merged, &scarce),
        5,
        "3 + 4, capped at the 5 available"
    );
    assert_eq!(quantity_of(merged, &plenty), 2, "new line carried over");
    assert_eq!(
        quantity_of(merged, &capped),
        6,
        "4 + 5, capped at the per-line maximum"
    );
    assert_eq!(merged["itemCount"], 13);

    // The guest cart is closed: readable with its token as MERGED and empty, not changeable.
    let closed = env.cart(guest(&g), &g.cart).await;
    assert_eq!(closed["status"], "MERGED");
    assert_eq!(closed["lines"], json!([]));
    let body = env.add_raw(guest(&g), &g.cart, &plenty, 1).await;
    assert_eq!(code(&body), "CONFLICT", "{body}");
    let body = env.gql(both, MERGE, json!({ "g": g.cart })).await;
    assert_eq!(code(&body), "CONFLICT", "merging twice: {body}");

    let merged_events: Vec<_> = env
        .emitted()
        .await
        .into_iter()
        .filter(|(t, _, _)| t == "cart.merged")
        .collect();
    assert_eq!(merged_events.len(), 1);
    let (_, subject, data) = &merged_events[0];
    assert_eq!(subject.as_deref(), Some(mine.as_str()));
    assert_eq!(data["guestCartId"], g.cart.as_str());
    assert_eq!(data["customerId"], c.id.as_str());
    env.stop().await;
}

#[tokio::test]
async fn a_customer_without_a_cart_gets_the_guest_lines_in_a_new_one() {
    let env = start().await;
    let (variant, _) = env.variant(1500, "EUR", 10).await;
    let c = env.customer().await;
    let g = env.guest_cart(Some("EUR")).await;
    env.add(guest(&g), &g.cart, &variant, 2).await;
    let both = As {
        auth: Some(&c.token),
        cart_token: Some(&g.token),
    };
    let body = env.gql(both, MERGE, json!({ "g": g.cart })).await;
    let merged = &body["data"]["mergeCart"];
    assert!(body["errors"].is_null(), "{body}");
    assert_ne!(merged["id"], g.cart.as_str());
    assert_eq!(merged["currencyCode"], "EUR", "the guest cart's currency");
    assert_eq!(
        merged["lines"],
        json!([{ "variantId": variant, "quantity": 2, "priceWhenAdded": { "amount": "15.00" } }])
    );
    let body = env.gql(user(&c), "{ myCart { id } }", json!({})).await;
    assert_eq!(body["data"]["myCart"]["id"], merged["id"]);
    // Another customer cannot merge someone's guest cart into theirs without its token.
    let other = env.customer().await;
    let g2 = env.guest_cart(Some("EUR")).await;
    let body = env.gql(user(&other), MERGE, json!({ "g": g2.cart })).await;
    assert_eq!(code(&body), "NOT_FOUND");
    env.stop().await;
}
