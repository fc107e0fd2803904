//! Every cart change is announced through the outbox in its own transaction (`cart.*`, subject
//! = cart id, data with cartId, customerId and what changed); a refused change announces
//! nothing. Inventory events without stock totals leave the local stock alone.

use crate::common::*;
use kit::events::Event;
use serde_json::json;

#[tokio::test]
async fn each_change_emits_its_event() {
    let env = start().await;
    let (variant, product) = env.variant(100, "USD", 50).await;
    let g = env.guest_cart(None).await;
    let cart = env.add(guest(&g), &g.cart, &variant, 2).await;
    let line = cart["lines"][0]["id"].as_str().unwrap().to_string();
    let refused = env.add_raw(guest(&g), &g.cart, &variant, 500).await;
    assert_eq!(code(&refused), "BAD_USER_INPUT");
    env.gql(
        guest(&g),
        "mutation($c:ID!,$l:ID!){ updateCartLine(cartId:$c,lineId:$l,quantity:5){ id } }",
        json!({ "c": g.cart, "l": line }),
    )
    .await;
    env.gql(
        guest(&g),
        "mutation($c:ID!,$l:ID!){ removeCartLine(cartId:$c,lineId:$l){ id } }",
        json!({ "c": g.cart, "l": line }),
    )
    .await;
    env.gql(
        guest(&g),
        "mutation($c:ID!){ clearCart(cartId:$c){ id } }",
        json!({ "c": g.cart }),
    )
    .await;

    let events = env.emitted().await;
    let types: Vec<&str> = events.iter().map(|(t, _, _)| t.as_str()).collect();
    assert_eq!(
        types,
        [
            "cart.created",
            "cart.line_added",
            "cart.line_updated",
            "cart.line_removed",
            "cart.cleared"
        ]
    );
    for (_, subject, data) in &events {
        assert_eq!(subject.as_deref(), Some(g.cart.as_str()));
        assert_eq!(data["cartId"], g.cart.as_str());
        assert_eq!(data["customerId"], json!(null));
    }
    let added = &events[1].2;
    assert_eq!(added["lineId"], line.as_str());
    assert_eq!(added["variantId"], variant.as_str());
    assert_eq!(added["productId"], product.as_str());
    assert_eq!(added["quantity"], 2);
    assert_eq!(events[2].2["quantity"], 5);
    assert_eq!(events[2].2["previousQuantity"], 2);
    assert_eq!(events[3].2["variantId"], variant.as_str());

    // A customer cart's events carry the customer.
    let c = env.customer().await;
    let mine = env.create_cart(user(&c), None).await["cart"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    env.add(user(&c), &mine, &variant, 1).await;
    let events = env.emitted().await;
    let (kind, subject, data) = events.last().unwrap();
    assert_eq!(
        (kind.as_str(), subject.as_deref()),
        ("cart.line_added", Some(mine.as_str()))
    );
    assert_eq!(data["customerId"], c.id.as_str());
    env.stop().await;
}

#[tokio::test]
async fn stock_follows_inventory_totals_in_event_time() {
    let env = start().await;
    let (variant, _) = env.variant(100, "USD", 2).await;
    let g = env.guest_cart(None).await;
    let body = env.add_raw(guest(&g), &g.cart, &variant, 3).await;
    assert!(message(&body).contains("only 2 available"), "{body}");

    // An inventory event without totals changes nothing; one with totals does.
    let no_totals = Event::new(
        "inventory",
        "inventory.low",
        Some(variant.clone()),
        json!({ "variantId": variant, "available": 0, "threshold": 5 }),
    );
    env.publish(&[no_totals]).await;
    let body = env.add_raw(guest(&g), &g.cart, &variant, 3).await;
    assert!(message(&body).contains("only 2 available"), "{body}");
    env.publish(&[stock_event(&variant, 7)]).await;
    env.add(guest(&g), &g.cart, &variant, 3).await;

    // Totals older than the ones applied are ignored.
    let mut late = stock_event(&variant, 1);
    late.time -= chrono::Duration::seconds(60);
    env.publish(&[late]).await;
    env.add(guest(&g), &g.cart, &variant, 4).await;
    let body = env.add_raw(guest(&g), &g.cart, &variant, 1).await;
    assert!(message(&body).contains("only 7 available"), "{body}");
    env.stop().await;
}
