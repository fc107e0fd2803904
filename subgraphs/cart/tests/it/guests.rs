//! Guest carts: created with a token that every later call must carry in `X-Cart-Token`;
//! without it, with a wrong one or with another cart's, the cart does not exist (`NOT_FOUND`).

use crate::common::*;
use serde_json::json;

#[tokio::test]
async fn a_guest_shops_with_the_cart_token() {
    let env = start().await;
    let (variant, product) = env.variant(1999, "USD", 10).await;

    let payload = env.create_cart(anonymous(), None).await;
    let token = payload["token"].as_str().expect("a guest gets a token");
    assert_eq!(token.len(), 43, "32 random bytes in base64url");
    let cart = &payload["cart"];
    assert_eq!(cart["status"], "ACTIVE");
    assert_eq!(cart["customerId"], json!(null));
    assert_eq!(cart["currencyCode"], "USD");
    assert_eq!(cart["itemCount"], 0);
    assert_eq!(
        cart["subtotal"],
        json!({ "amount": "0.00", "currencyCode": "USD" })
    );
    assert!(cart["expiresAt"].is_string(), "guest carts expire: {cart}");
    let g = Guest {
        cart: cart["id"].as_str().unwrap().to_string(),
        token: token.to_string(),
    };

    let cart = env.add(guest(&g), &g.cart, &variant, 2).await;
    assert_eq!(cart["itemCount"], 2);
    let line = &cart["lines"][0];
    assert_eq!(line["variantId"], variant.as_str());
    assert_eq!(line["productId"], product.as_str());
    assert_eq!(line["variant"], json!({ "id": variant }));
    assert_eq!(
        line["unitPrice"],
        json!({ "amount": "19.99", "currencyCode": "USD" })
    );
    assert_eq!(
        line["priceWhenAdded"],
        json!({ "amount": "19.99", "currencyCode": "USD" })
    );
    assert_eq!(line["priceChanged"], false);
    assert_eq!(
        line["lineTotal"],
        json!({ "amount": "39.98", "currencyCode": "USD" })
    );
    assert_eq!(
        cart["subtotal"],
        json!({ "amount": "39.98", "currencyCode": "USD" })
    );
    assert_eq!(
        cart["pricingLines"],
        json!([{ "lineId": line["id"], "variantId": variant, "productId": product, "quantity": 2,
                 "unitPrice": { "amount": "19.99", "currencyCode": "USD" } }])
    );

    let read = env.cart(guest(&g), &g.cart).await;
    assert_eq!(read["lines"], cart["lines"]);

    // The database keeps only a hash of the token.
    let stored: String = sqlx::query_scalar("SELECT token_hash FROM carts WHERE id = $1")
        .bind(&g.cart)
        .fetch_one(env.app.svc().db.background())
        .await
        .unwrap();
    assert_ne!(stored, g.token);
    assert!(!stored.contains(&g.token));
    env.stop().await;
}

#[tokio::test]
async fn without_the_right_token_a_guest_cart_does_not_exist() {
    let env = start().await;
    let (variant, _) = env.variant(500, "USD", 10).await;
    let a = env.guest_cart(None).await;
    let b = env.guest_cart(None).await;
    env.add(guest(&a), &a.cart, &variant, 1).await;

    let wrong = Guest {
        cart: a.cart.clone(),
        token: "not-the-token".into(),
    };
    let someone_else = Guest {
        cart: a.cart.clone(),
        token: b.token.clone(),
    };
    for who in [anonymous(), guest(&wrong), guest(&someone_else)] {
        let body = env.cart_raw(who, &a.cart).await;
        assert_eq!(code(&body), "NOT_FOUND", "{body}");
        assert_eq!(body["data"]["cart"], json!(null));
        let body = env.add_raw(who, &a.cart, &variant, 1).await;
        assert_eq!(code(&body), "NOT_FOUND", "{body}");
    }
    // A signed-in customer without the token is no better off.
    let c = env.customer().await;
    assert_eq!(code(&env.cart_raw(user(&c), &a.cart).await), "NOT_FOUND");
    // An id nobody has looks the same.
    let body = env.cart_raw(guest(&a), &kit::ids::new_id()).await;
    assert_eq!(code(&body), "NOT_FOUND");
    // Nothing changed.
    assert_eq!(env.cart(guest(&a), &a.cart).await["itemCount"], 1);
    env.stop().await;
}
