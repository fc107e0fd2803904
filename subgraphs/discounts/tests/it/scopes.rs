//! Scopes learnt from catalog's events on the `discounts` queue: a category scope covers the
//! category's descendants, collection scopes follow additions and removals, a product moves
//! category only forward in event time, and a redelivered event changes nothing.

use chrono::{Duration, Utc};
use serde_json::{json, Value};

use crate::common::*;

/// The lines (by id) each discount of the cart touches, by title.
fn touched(cart: &Value) -> Vec<(String, Vec<String>)> {
    cart["discounts"]
        .as_array()
        .unwrap_or_else(|| panic!("no discounts: {cart}"))
        .iter()
        .map(|d| {
            let lines = d["allocations"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| a["lineId"].as_str().unwrap().to_string())
                .collect();
            (d["title"].as_str().unwrap().to_string(), lines)
        })
        .collect()
}

fn expect(pairs: &[(&str, &[&str])]) -> Vec<(String, Vec<String>)> {
    pairs
        .iter()
        .map(|(t, ls)| (t.to_string(), ls.iter().map(|l| l.to_string()).collect()))
        .collect()
}

#[tokio::test]
async fn category_descendants_and_collections_come_from_catalog_events() {
    let env = start().await;
    let (root, child, grandchild, other) = (id(), id(), id(), id());
    let (shoe, sock, hat, summer) = (id(), id(), id(), id());
    env.promotion(json!({ "title": "Apparel", "kind": "PERCENT_OFF", "percentOff": 10, "priority": 1, "scope": { "kind": "CATEGORIES", "ids": [root] } }))
        .await;
    env.promotion(json!({ "title": "Summer", "kind": "PERCENT_OFF", "percentOff": 10, "priority": 2, "scope": { "kind": "COLLECTIONS", "ids": [summer] } }))
        .await;
    let category = |id: &str, parent: Option<&str>| {
        catalog(
            "category.created",
            id,
            json!({ "id": id, "parentId": parent, "slug": id, "name": "Cat" }),
        )
    };
    let product = |kind: &str, id: &str, category: Option<&str>| {
        catalog(
            kind,
            id,
            json!({ "id": id, "slug": id, "title": "P", "brand": "B", "categoryId": category, "status": "PUBLISHED" }),
        )
    };
    env.publish(&[
        category(&root, None),
        category(&child, Some(&root)),
        category(&grandchild, Some(&child)),
        category(&other, None),
        product("product.created", &shoe, Some(&grandchild)),
        product("product.created", &sock, Some(&other)),
        product("product.created", &hat, None),
        catalog(
            "collection.products_added",
            &summer,
            json!({ "collectionId": summer, "productIds": [sock, hat] }),
        ),
    ])
    .await;
    let rep = cart_rep(
        &id(),
        "USD",
        &[
            ("shoe", &shoe, 1, "10.00"),
            ("sock", &sock, 1, "10.00"),
            ("hat", &hat, 1, "10.00"),
        ],
    );
    let want = expect(&[("Apparel", &["shoe"]), ("Summer", &["sock", "hat"])]);
    eventually("scopes from events", || async {
        touched(&env.cart(rep.clone()).await) == want
    })
    .await;

    // The hat leaves the collection; the sock moves under the root.
    env.publish(&[
        catalog(
            "collection.products_removed",
            &summer,
            json!({ "collectionId": summer, "productIds": [hat] }),
        ),
        product("product.updated", &sock, Some(&child)),
    ])
    .await;
    let want = expect(&[("Apparel", &["shoe", "sock"]), ("Summer", &["sock"])]);
    eventually("updates from events", || async {
        touched(&env.cart(rep.clone()).await) == want
    })
    .await;
    env.stop().await;
}

#[tokio::test]
async fn rows_move_only_forward_in_event_time_and_replays_change_nothing() {
    let env = start().await;
    let (cat_a, cat_b, product, collection) = (id(), id(), id(), id());
    env.promotion(json!({ "title": "A", "kind": "PERCENT_OFF", "percentOff": 10, "scope": { "kind": "CATEGORIES", "ids": [cat_a] } }))
        .await;
    let moved = |category: &str, minutes_ago: i64| {
        let mut e = catalog(
            "product.updated",
            &product,
            json!({ "id": product, "categoryId": category, "status": "PUBLISHED" }),
        );
        e.time = Utc::now() - Duration::minutes(minutes_ago);
        e
    };
    let rep = cart_rep(&id(), "USD", &[("l", &product, 1, "10.00")]);
    let newer = moved(&cat_a, 1);
    // A replayed removal older than the addition cannot undo it.
    let mut removal = catalog(
        "collection.products_removed",
        &collection,
        json!({ "collectionId": collection, "productIds": [product] }),
    );
    removal.time = Utc::now() - Duration::minutes(10);
    let addition = catalog(
        "collection.products_added",
        &collection,
        json!({ "collectionId": collection, "productIds": [product] }),
    );
    env.promotion(json!({ "title": "C", "kind": "PERCENT_OFF", "percentOff": 50, "priority": 1, "scope": { "kind": "COLLECTIONS", "ids": [collection] } }))
        .await;
    // The older move to B arrives after the newer move to A; the last two are redeliveries.
    let sentinel = catalog(
        "category.created",
        &cat_b,
        json!({ "id": cat_b, "parentId": null }),
    );
    env.publish(&[
        newer.clone(),
        moved(&cat_b, 5),
        addition.clone(),
        removal,
        addition,
        newer,
        sentinel,
    ])
    .await;
    let processed = || async {
        sqlx::query_scalar::<_, i64>(
            "SELECT COUNT(*) FROM processed_events WHERE consumer = 'discounts'",
        )
        .fetch_one(env.app.svc().db.pool())
        .await
        .unwrap()
    };
    eventually("every event consumed", || async { processed().await == 5 }).await;
    // Still in A and in the collection: 50% of 10.00, then 10% of the 5.00 left.
    let cart = env.cart(rep.clone()).await;
    assert_eq!(cart["discountTotal"]["amount"], "5.50", "{cart}");
    assert_eq!(
        processed().await,
        5,
        "two moves, an addition, a removal, a category; replays skipped"
    );
    env.stop().await;
}
