//! Concurrent `addCartLine`s of one variant to one cart all count: no lost update.

use crate::common::*;

#[tokio::test]
async fn concurrent_adds_of_the_same_variant_add_up() {
    let env = start().await;
    let (variant, _) = env.variant(100, "USD", 100).await;
    let c = env.customer().await;
    let cart = env.create_cart(user(&c), None).await["cart"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let adds = (0..12).map(|_| env.add_raw(user(&c), &cart, &variant, 2));
    for body in futures_util::future::join_all(adds).await {
        assert!(body["errors"].is_null(), "{body}");
    }
    let read = env.cart(user(&c), &cart).await;
    assert_eq!(read["lines"].as_array().unwrap().len(), 1);
    assert_eq!(quantity_of(&read, &variant), 24);
    env.stop().await;
}

#[tokio::test]
async fn concurrent_adds_never_exceed_what_is_available() {
    let env = start().await;
    let (variant, _) = env.variant(100, "USD", 5).await;
    let c = env.customer().await;
    let cart = env.create_cart(user(&c), None).await["cart"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let adds = (0..8).map(|_| env.add_raw(user(&c), &cart, &variant, 1));
    let bodies = futures_util::future::join_all(adds).await;
    let ok = bodies.iter().filter(|b| b["errors"].is_null()).count();
    assert_eq!(ok, 5, "{bodies:?}");
    for body in bodies.iter().filter(|b| !b["errors"].is_null()) {
        assert_eq!(code(body), "CONFLICT");
    }
    assert_eq!(quantity_of(&env.cart(user(&c), &cart).await, &variant), 5);
    env.stop().await;
}
