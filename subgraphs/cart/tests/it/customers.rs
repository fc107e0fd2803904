//! Customer carts: one active cart per customer (`createCart` returns it, `myCart` and
//! `User.cart` show it), and no customer can see or touch another's; staff can read any cart
//! but change none.

use crate::common::*;
use serde_json::json;

#[tokio::test]
async fn a_customer_has_one_active_cart() {
    let env = start().await;
    let c = env.customer().await;
    let body = env.gql(user(&c), "{ myCart { id } }", json!({})).await;
    assert_eq!(body["data"]["myCart"], json!(null), "{body}");

    let first = env.create_cart(user(&c), Some("EUR")).await;
    assert_eq!(first["token"], json!(null), "customers need no token");
    assert_eq!(first["cart"]["customerId"], c.id.as_str());
    assert_eq!(first["cart"]["currencyCode"], "EUR");
    assert_eq!(first["cart"]["expiresAt"], json!(null));
    let id = first["cart"]["id"].as_str().unwrap().to_string();

    // Asking again, even concurrently, gives the same cart.
    let again =
        futures_util::future::join_all((0..4).map(|_| env.create_cart(user(&c), None))).await;
    for payload in again {
        assert_eq!(payload["cart"]["id"], id.as_str());
    }
    let body = env
        .gql(user(&c), "{ myCart { id currencyCode } }", json!({}))
        .await;
    assert_eq!(
        body["data"]["myCart"],
        json!({ "id": id, "currencyCode": "EUR" })
    );
    let active: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM carts WHERE customer_id = $1")
        .bind(&c.id)
        .fetch_one(env.app.svc().db.background())
        .await
        .unwrap();
    assert_eq!(active, 1);

    // User.cart: the user themself and staff.
    let query =
        "query($r:[_Any!]!){ _entities(representations:$r){ ... on User { cart { id } } } }";
    let reps = json!({ "r": [{ "__typename": "User", "id": c.id }] });
    let body = env.gql(user(&c), query, reps.clone()).await;
    assert_eq!(
        body["data"]["_entities"][0]["cart"]["id"],
        id.as_str(),
        "{body}"
    );
    let body = env.gql(env.staff(), query, reps.clone()).await;
    assert_eq!(
        body["data"]["_entities"][0]["cart"]["id"],
        id.as_str(),
        "{body}"
    );
    let other = env.customer().await;
    assert_eq!(code(&env.gql(user(&other), query, reps).await), "FORBIDDEN");

    // myCart is for the signed-in.
    let body = env.gql(anonymous(), "{ myCart { id } }", json!({})).await;
    assert_eq!(code(&body), "UNAUTHENTICATED");
    env.stop().await;
}

#[tokio::test]
async fn a_customer_never_sees_or_touches_another_customers_cart() {
    let env = start().await;
    let (variant, _) = env.variant(1000, "USD", 10).await;
    let alice = env.customer().await;
    let bob = env.customer().await;
    let cart = env.create_cart(user(&alice), None).await["cart"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    env.add(user(&alice), &cart, &variant, 1).await;
    let line = env.cart(user(&alice), &cart).await["lines"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();

    let vars = json!({ "c": cart, "l": line });
    let writes = [
        "mutation($c:ID!,$l:ID!){ updateCartLine(cartId:$c,lineId:$l,quantity:5){ id } }",
        "mutation($c:ID!,$l:ID!){ removeCartLine(cartId:$c,lineId:$l){ id } }",
        "mutation($c:ID!){ clearCart(cartId:$c){ id } }",
    ];
    assert_eq!(code(&env.cart_raw(user(&bob), &cart).await), "NOT_FOUND");
    assert_eq!(
        code(&env.add_raw(user(&bob), &cart, &variant, 1).await),
        "NOT_FOUND"
    );
    for write in writes {
        assert_eq!(
            code(&env.gql(user(&bob), write, vars.clone()).await),
            "NOT_FOUND"
        );
    }
    let entity =
        "query($r:[_Any!]!){ _entities(representations:$r){ ... on Cart { id itemCount } } }";
    let reps = json!({ "r": [{ "__typename": "Cart", "id": cart }] });
    let body = env.gql(user(&bob), entity, reps.clone()).await;
    assert_eq!(body["data"]["_entities"], json!([null]), "{body}");
    let body = env.gql(user(&alice), entity, reps.clone()).await;
    assert_eq!(body["data"]["_entities"][0]["itemCount"], 1, "{body}");

    // Staff read, but do not change.
    assert_eq!(env.cart(env.staff(), &cart).await["itemCount"], 1);
    let body = env.gql(env.staff(), entity, reps).await;
    assert_eq!(body["data"]["_entities"][0]["id"], cart.as_str(), "{body}");
    assert_eq!(
        code(&env.add_raw(env.staff(), &cart, &variant, 1).await),
        "FORBIDDEN"
    );
    for write in writes {
        assert_eq!(
            code(&env.gql(env.staff(), write, vars.clone()).await),
            "FORBIDDEN"
        );
    }
    assert_eq!(env.cart(user(&alice), &cart).await["itemCount"], 1);
    env.stop().await;
}

/// The discounts subgraph calls cart directly with this query, forwarding the caller's
/// `Authorization` and `X-Cart-Token`; it gets the same answers the caller would.
#[tokio::test]
async fn the_discounts_query_works_under_the_same_rules() {
    const DISCOUNTS: &str = "query($id: ID!) { cart(id: $id) { id status customerId currencyCode subtotal { amount currencyCode } pricingLines { lineId variantId productId quantity unitPrice { amount currencyCode } } } }";
    let env = start().await;
    let (variant, product) = env.variant(1250, "USD", 10).await;
    let g = env.guest_cart(None).await;
    let line = env.add(guest(&g), &g.cart, &variant, 2).await["lines"][0]["id"].clone();
    let c = env.customer().await;
    let mine = env.create_cart(user(&c), None).await["cart"]["id"].clone();

    let body = env.gql(guest(&g), DISCOUNTS, json!({ "id": g.cart })).await;
    assert_eq!(
        body["data"]["cart"],
        json!({
            "id": g.cart, "status": "ACTIVE", "customerId": null, "currencyCode": "USD",
            "subtotal": { "amount": "25.00", "currencyCode": "USD" },
            "pricingLines": [{ "lineId": line, "variantId": variant, "productId": product,
                "quantity": 2, "unitPrice": { "amount": "12.50", "currencyCode": "USD" } }]
        }),
        "{body}"
    );
    let body = env.gql(user(&c), DISCOUNTS, json!({ "id": mine })).await;
    assert_eq!(body["data"]["cart"]["customerId"], c.id.as_str(), "{body}");
    assert_eq!(body["data"]["cart"]["pricingLines"], json!([]));
    // Without the guest token, or as another customer: NOT_FOUND.
    let body = env.gql(user(&c), DISCOUNTS, json!({ "id": g.cart })).await;
    assert_eq!(code(&body), "NOT_FOUND");
    let other = env.customer().await;
    let body = env
        .gql(user(&other), DISCOUNTS, json!({ "id": mine }))
        .await;
    assert_eq!(code(&body), "NOT_FOUND");
    env.stop().await;
}

#[tokio::test]
async fn a_checked_out_cart_closes_and_the_customer_starts_a_new_one() {
    let env = start().await;
    let c = env.customer().await;
    let (variant, _) = env.variant(1_250, "USD", 10).await;
    let first = env.create_cart(user(&c), None).await;
    let id = first["cart"]["id"].as_str().unwrap().to_string();
    env.add(user(&c), &id, &variant, 2).await;
    // Read once so the cached copy exists: the conversion must invalidate it.
    assert_eq!(env.cart(user(&c), &id).await["status"], "ACTIVE");

    let placed = kit::events::Event::new(
        "orders",
        "order.created",
        Some(kit::ids::new_id()),
        json!({ "orderId": kit::ids::new_id(), "cartId": id, "customerId": c.id }),
    );
    env.publish(&[placed.clone(), placed]).await;
    let cart = env.cart(user(&c), &id).await;
    assert_eq!(cart["status"], "CONVERTED", "{cart}");
    let closed = env.add_raw(user(&c), &id, &variant, 1).await;
    assert_eq!(code(&closed), "CONFLICT", "{closed}");
    let body = env.gql(user(&c), "{ myCart { id } }", json!({})).await;
    assert_eq!(body["data"]["myCart"], json!(null), "{body}");
    let next = env.create_cart(user(&c), None).await;
    assert_ne!(
        next["cart"]["id"],
        id.as_str(),
        "a fresh cart after checkout"
    );
    env.stop().await;
}
