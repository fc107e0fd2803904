//! Carts are read through the cache (in-memory embedded, Redis with `TEST_REDIS_URL`): every
//! write is visible on the next read, and a reader that stores what it loaded before a write
//! committed (the classic stale-set race) cannot bring the old cart back.

use std::time::Duration;

use crate::common::*;
use serde_json::json;

#[tokio::test]
async fn every_write_is_visible_on_the_next_read() {
    let env = start().await;
    let (a, _) = env.variant(100, "USD", 50).await;
    let (b, _) = env.variant(200, "USD", 50).await;
    let g = env.guest_cart(None).await;
    let me = guest(&g);
    let count = |cart: serde_json::Value| cart["itemCount"].as_i64().unwrap();

    assert_eq!(count(env.cart(me, &g.cart).await), 0);
    assert_eq!(
        count(env.cart(me, &g.cart).await),
        0,
        "now served from the cache"
    );
    env.add(me, &g.cart, &a, 2).await;
    assert_eq!(count(env.cart(me, &g.cart).await), 2);
    env.add(me, &g.cart, &b, 1).await;
    let cart = env.cart(me, &g.cart).await;
    assert_eq!(count(cart.clone()), 3);
    let line = cart["lines"][0]["id"].as_str().unwrap().to_string();
    env.gql(
        me,
        "mutation($c:ID!,$l:ID!){ updateCartLine(cartId:$c,lineId:$l,quantity:7){ id } }",
        json!({ "c": g.cart, "l": line }),
    )
    .await;
    assert_eq!(count(env.cart(me, &g.cart).await), 8);
    env.gql(
        me,
        "mutation($c:ID!,$l:ID!){ removeCartLine(cartId:$c,lineId:$l){ id } }",
        json!({ "c": g.cart, "l": line }),
    )
    .await;
    assert_eq!(count(env.cart(me, &g.cart).await), 1);
    env.gql(
        me,
        "mutation($c:ID!){ clearCart(cartId:$c){ id } }",
        json!({ "c": g.cart }),
    )
    .await;
    assert_eq!(count(env.cart(me, &g.cart).await), 0);
    env.stop().await;
}

#[tokio::test]
async fn a_late_stale_set_does_not_bring_an_old_cart_back() {
    let env = start().await;
    let svc = env.app.svc();
    let (variant, _) = env.variant(100, "USD", 50).await;
    let g = env.guest_cart(None).await;
    // The first read starts the cart's generation, the second caches the cart under it.
    env.cart(guest(&g), &g.cart).await;
    env.cart(guest(&g), &g.cart).await;

    // A slow reader: it read the generation and loaded the cart (empty) ...
    let generation = cart::cache::generation(svc, &g.cart)
        .await
        .expect("the cache is up");
    let stale = cart::cache::get(svc, &g.cart, &generation)
        .await
        .expect("the reads above cached the cart");
    assert!(stale.lines.is_empty());
    // ... a writer commits and invalidates ...
    env.add(guest(&g), &g.cart, &variant, 4).await;
    // ... and the slow reader only now stores what it loaded.
    cart::cache::put(svc, &stale, &generation, Duration::from_secs(600)).await;

    let cart = env.cart(guest(&g), &g.cart).await;
    assert_eq!(
        cart["itemCount"], 4,
        "the stale copy must not be served: {cart}"
    );
    assert_eq!(env.cart(guest(&g), &g.cart).await["itemCount"], 4);
    env.stop().await;
}

#[tokio::test]
async fn reading_unknown_carts_leaves_nothing_in_the_cache() {
    let env = start().await;
    let unknown = kit::ids::new_id();
    assert_eq!(
        code(&env.cart_raw(anonymous(), &unknown).await),
        "NOT_FOUND"
    );
    let reps = json!({ "r": [{ "__typename": "Cart", "id": unknown }] });
    let body = env
        .gql(
            env.staff(),
            "query($r:[_Any!]!){ _entities(representations:$r){ ... on Cart { id } } }",
            reps,
        )
        .await;
    assert_eq!(body["data"]["_entities"], json!([null]), "{body}");
    assert_eq!(cart::cache::generation(env.app.svc(), &unknown).await, None);
    env.stop().await;
}
