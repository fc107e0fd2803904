//! Line changes: adding a variant already in the cart adds to its line, `updateCartLine` sets a
//! quantity (0 removes), `removeCartLine` and `clearCart`; a catalog price change shows as a
//! new `unitPrice` with `priceChanged`.

use crate::common::*;
use serde_json::json;

const UPDATE: &str = "mutation($c:ID!,$l:ID!,$q:Int!){ updateCartLine(cartId:$c,lineId:$l,quantity:$q){ itemCount lines { id variantId quantity } } }";

#[tokio::test]
async fn lines_add_up_change_and_go() {
    let env = start().await;
    let (a, _) = env.variant(300, "USD", 50).await;
    let (b, _) = env.variant(700, "USD", 50).await;
    let g = env.guest_cart(None).await;
    env.add(guest(&g), &g.cart, &a, 2).await;
    let cart = env.add(guest(&g), &g.cart, &a, 3).await;
    assert_eq!(
        cart["lines"].as_array().unwrap().len(),
        1,
        "same variant, same line"
    );
    assert_eq!(quantity_of(&cart, &a), 5);
    let cart = env.add(guest(&g), &g.cart, &b, 1).await;
    assert_eq!(cart["itemCount"], 6);
    assert_eq!(cart["subtotal"]["amount"], "22.00");
    let line_a = cart["lines"][0]["id"].as_str().unwrap().to_string();
    let line_b = cart["lines"][1]["id"].as_str().unwrap().to_string();

    let body = env
        .gql(
            guest(&g),
            UPDATE,
            json!({ "c": g.cart, "l": line_a, "q": 9 }),
        )
        .await;
    assert_eq!(body["data"]["updateCartLine"]["itemCount"], 10, "{body}");
    let body = env
        .gql(
            guest(&g),
            UPDATE,
            json!({ "c": g.cart, "l": line_a, "q": 0 }),
        )
        .await;
    let lines = &body["data"]["updateCartLine"]["lines"];
    assert_eq!(lines.as_array().unwrap().len(), 1, "0 removes: {body}");
    assert_eq!(lines[0]["id"], line_b.as_str());

    // A line id that is not in this cart.
    let body = env
        .gql(
            guest(&g),
            UPDATE,
            json!({ "c": g.cart, "l": line_a, "q": 1 }),
        )
        .await;
    assert_eq!(code(&body), "NOT_FOUND", "{body}");

    let body = env
        .gql(
            guest(&g),
            "mutation($c:ID!,$l:ID!){ removeCartLine(cartId:$c,lineId:$l){ itemCount } }",
            json!({ "c": g.cart, "l": line_b }),
        )
        .await;
    assert_eq!(body["data"]["removeCartLine"]["itemCount"], 0, "{body}");

    env.add(guest(&g), &g.cart, &a, 1).await;
    env.add(guest(&g), &g.cart, &b, 1).await;
    let body = env
        .gql(
            guest(&g),
            "mutation($c:ID!){ clearCart(cartId:$c){ itemCount lines { id } subtotal { amount } } }",
            json!({ "c": g.cart }),
        )
        .await;
    assert_eq!(
        body["data"]["clearCart"],
        json!({ "itemCount": 0, "lines": [], "subtotal": { "amount": "0.00" } }),
        "{body}"
    );
    env.stop().await;
}

#[tokio::test]
async fn a_price_change_shows_in_the_cart() {
    let env = start().await;
    let (variant, product) = env.variant(1000, "USD", 10).await;
    let g = env.guest_cart(None).await;
    env.add(guest(&g), &g.cart, &variant, 3).await;
    // Read once so the cart is cached: the event must invalidate it.
    assert_eq!(
        env.cart(guest(&g), &g.cart).await["subtotal"]["amount"],
        "30.00"
    );

    env.publish(&[price_changed(&variant, &product, 1000, 850, "USD")])
        .await;
    let cart = env.cart(guest(&g), &g.cart).await;
    let line = &cart["lines"][0];
    assert_eq!(
        line["unitPrice"],
        json!({ "amount": "8.50", "currencyCode": "USD" })
    );
    assert_eq!(line["priceWhenAdded"]["amount"], "10.00");
    assert_eq!(line["priceChanged"], true);
    assert_eq!(line["lineTotal"]["amount"], "25.50");
    assert_eq!(cart["subtotal"]["amount"], "25.50");
    assert_eq!(cart["pricingLines"][0]["unitPrice"]["amount"], "8.50");

    // An older price change delivered late does not win over the newer one.
    let mut late = price_changed(&variant, &product, 900, 1200, "USD");
    late.time -= chrono::Duration::seconds(60);
    env.publish(&[late]).await;
    let cart = env.cart(guest(&g), &g.cart).await;
    assert_eq!(cart["lines"][0]["unitPrice"]["amount"], "8.50");

    // Back to the price it was added at.
    env.publish(&[price_changed(&variant, &product, 850, 1000, "USD")])
        .await;
    let cart = env.cart(guest(&g), &g.cart).await;
    assert_eq!(cart["lines"][0]["priceChanged"], false);
    env.stop().await;
}
