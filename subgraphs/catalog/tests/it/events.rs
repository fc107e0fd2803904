//! Catalog events leave through the outbox onto the configured transport (in-process bus, or
//! RabbitMQ in the real-server run): `product.created`, `variant.created`, `product.updated`,
//! `product.archived`, `variant.updated` on every variant change (with price and weight), and
//! `variant.price_changed` carrying the old and new price — only when the price changes; `category.created`/`updated` with the parent, and collection membership
//! changes, which subgraphs that scope by category or collection (discounts) rely on.

use std::sync::Arc;
use std::time::Duration;

use crate::common::*;
use kit::events::{Event, QueueSpec};
use parking_lot::Mutex;
use serde_json::json;

async fn wait_for(events: &Arc<Mutex<Vec<Event>>>, n: usize) {
    for _ in 0..200 {
        if events.lock().len() >= n {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("expected {n} events, got {:?}", events.lock());
}

#[tokio::test]
async fn product_and_price_events_reach_consumers() {
    let env = start().await;
    let events = Arc::new(Mutex::new(Vec::<Event>::new()));
    let seen = events.clone();
    env.catalog
        .svc()
        .consume(
            QueueSpec::durable("catalog-events-test", &["product.*", "variant.*"]),
            move |e: Event| {
                let seen = seen.clone();
                async move {
                    seen.lock().push(e);
                    Ok(())
                }
            },
        )
        .await
        .unwrap();

    let id = product(&env, json!({ "title": "Kettle", "brand": "Acme" })).await;
    let vid = variant(&env, &id, "KET-1", "24.99").await;
    publish(&env, &id).await;
    let upd = "mutation($id:ID!,$i:UpdateVariantInput!){ updateVariant(id:$id, input:$i){ price { amount } } }";
    // Not a price change: no event.
    env.staff(upd, json!({ "id": vid, "i": { "title": "Steel" } }))
        .await;
    env.staff(
        upd,
        json!({ "id": vid, "i": { "price": { "amount": "19.99", "currencyCode": "USD" } } }),
    )
    .await;
    env.staff(
        "mutation($id:ID!){ archiveProduct(id:$id){ id } }",
        json!({ "id": id }),
    )
    .await;
    wait_for(&events, 7).await;
    tokio::time::sleep(Duration::from_millis(200)).await;

    let got = events.lock().clone();
    let types: Vec<&str> = got.iter().map(|e| e.event_type.as_str()).collect();
    assert_eq!(
        types,
        [
            "product.created",
            "variant.created",
            "product.updated",
            "variant.updated",
            "variant.price_changed",
            "variant.updated",
            "product.archived"
        ]
    );
    // The title change: no price change, but the variant's current state.
    assert_eq!(got[3].data["variantId"], vid.as_str());
    assert_eq!(
        got[3].data["price"],
        json!({ "amount": "24.99", "currencyCode": "USD", "minorUnits": 2499 })
    );
    assert!(got[3].data.get("weightGrams").is_some());
    assert_eq!(got[5].data["price"]["amount"], "19.99");
    let got: Vec<Event> = [0, 1, 2, 4, 6].iter().map(|&i| got[i].clone()).collect();
    assert_eq!(got[0].subject.as_deref(), Some(id.as_str()));
    assert_eq!(got[0].data["brand"], "Acme");
    assert_eq!(got[1].data["productId"], id.as_str());
    assert_eq!(got[1].data["sku"], "KET-1");
    assert_eq!(got[2].data["status"], "PUBLISHED");
    let price = &got[3].data;
    assert_eq!(price["variantId"], vid.as_str());
    assert_eq!(price["productId"], id.as_str());
    assert_eq!(
        price["oldPrice"],
        json!({ "amount": "24.99", "currencyCode": "USD", "minorUnits": 2499 })
    );
    assert_eq!(
        price["newPrice"],
        json!({ "amount": "19.99", "currencyCode": "USD", "minorUnits": 1999 })
    );
    assert_eq!(got[4].data["status"], "ARCHIVED");
    assert!(got.iter().all(|e| e.source == "/subgraphs/catalog"));
    env.stop().await;
}

#[tokio::test]
async fn category_and_collection_events_reach_consumers() {
    let env = start().await;
    let events = Arc::new(Mutex::new(Vec::<Event>::new()));
    let seen = events.clone();
    env.catalog
        .svc()
        .consume(
            QueueSpec::durable("catalog-scope-events-test", &["category.*", "collection.*"]),
            move |e: Event| {
                let seen = seen.clone();
                async move {
                    seen.lock().push(e);
                    Ok(())
                }
            },
        )
        .await
        .unwrap();
    let create = "mutation($i:CreateCategoryInput!){ createCategory(input:$i){ id } }";
    let root = env
        .staff(create, json!({ "i": { "name": "Outdoor" } }))
        .await["createCategory"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let tents = env
        .staff(
            create,
            json!({ "i": { "name": "Tents", "parentId": root } }),
        )
        .await["createCategory"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    env.staff(
        "mutation($id:ID!){ updateCategory(id:$id, input:{ makeRoot: true }){ id } }",
        json!({ "id": tents }),
    )
    .await;
    let product = product(&env, json!({ "title": "Tent" })).await;
    let col = env
        .staff(
            "mutation{ createCollection(input:{ title:\"Camp\" }){ id } }",
            json!({}),
        )
        .await["createCollection"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    for op in ["addProductsToCollection", "removeProductsFromCollection"] {
        env.staff(
            &format!(
                "mutation($c:ID!,$p:[ID!]!){{ {op}(collectionId:$c, productIds:$p){{ id }} }}"
            ),
            json!({ "c": col, "p": [product] }),
        )
        .await;
    }
    wait_for(&events, 5).await;
    let events = events.lock();
    let kinds: Vec<&str> = events.iter().map(|e| e.event_type.as_str()).collect();
    assert_eq!(
        kinds,
        [
            "category.created",
            "category.created",
            "category.updated",
            "collection.products_added",
            "collection.products_removed"
        ]
    );
    assert_eq!(events[1].data["parentId"], root.as_str());
    assert_eq!(events[1].subject.as_deref(), Some(tents.as_str()));
    assert_eq!(
        events[2].data["parentId"],
        serde_json::Value::Null,
        "moved to the top"
    );
    assert_eq!(events[2].data["name"], "Tents");
    for e in &events[3..] {
        assert_eq!(e.data["collectionId"], col.as_str());
        assert_eq!(e.data["productIds"], json!([product]));
    }
}
