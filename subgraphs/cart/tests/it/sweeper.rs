//! Guest carts idle past `GUEST_CART_TTL_SECS` are removed with their lines by the sweeper,
//! which emits `cart.abandoned`; customer carts stay.

use std::time::Duration;

use crate::common::*;

async fn exists(env: &Env, cart: &str) -> bool {
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM carts WHERE id = $1")
        .bind(cart)
        .fetch_one(env.app.svc().db.background())
        .await
        .unwrap();
    n == 1
}

#[tokio::test]
async fn idle_guest_carts_are_swept_and_announced() {
    let env = start_with(&[("GUEST_CART_TTL_SECS", "1"), ("SWEEP_INTERVAL_MS", "100")]).await;
    let (variant, _) = env.variant(100, "USD", 50).await;
    let c = env.customer().await;
    let customer_cart = env.create_cart(user(&c), None).await["cart"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    env.add(user(&c), &customer_cart, &variant, 1).await;
    let g = env.guest_cart(None).await;
    env.add(guest(&g), &g.cart, &variant, 3).await;
    assert!(exists(&env, &g.cart).await);

    eventually("the idle guest cart to be swept", || async {
        !exists(&env, &g.cart).await
    })
    .await;
    let lines: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM cart_lines WHERE cart_id = $1")
        .bind(&g.cart)
        .fetch_one(env.app.svc().db.background())
        .await
        .unwrap();
    assert_eq!(lines, 0);
    assert_eq!(code(&env.cart_raw(guest(&g), &g.cart).await), "NOT_FOUND");

    let abandoned: Vec<_> = env
        .emitted()
        .await
        .into_iter()
        .filter(|(t, _, _)| t == "cart.abandoned")
        .collect();
    assert_eq!(abandoned.len(), 1, "{abandoned:?}");
    let (_, subject, data) = &abandoned[0];
    assert_eq!(subject.as_deref(), Some(g.cart.as_str()));
    assert_eq!(data["cartId"], g.cart.as_str());
    assert_eq!(data["itemCount"], 3);

    // Customer carts do not expire.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(exists(&env, &customer_cart).await);
    assert_eq!(env.cart(user(&c), &customer_cart).await["itemCount"], 1);
    env.stop().await;
}
