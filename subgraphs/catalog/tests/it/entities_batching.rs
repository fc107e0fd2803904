//! `_entities` goes through DataLoaders: resolving 60 products (by id), 60 products (by slug)
//! or 60 variants (by id or SKU) costs one SQL statement per type and key, counted by the kit
//! and read from `/metrics`.

use crate::common::*;
use serde_json::{json, Value};

const N: usize = 60;

async fn statements_for(env: &Env, reps: &[Value], selection: &str) -> (Value, i64) {
    let before = env.catalog.metric("db_statements_total").await;
    let body = env
        .catalog
        .gql(
            &format!("query($r:[_Any!]!){{ _entities(representations:$r){{ {selection} }} }}"),
            json!({ "r": reps }),
            Some(&env.staff),
        )
        .await;
    let after = env.catalog.metric("db_statements_total").await;
    assert!(body.get("errors").is_none(), "{body}");
    (body["data"]["_entities"].clone(), after - before)
}

#[tokio::test]
async fn each_entity_batch_is_one_query() {
    let env = start().await;
    // Set-up straight into the database: the API path is covered elsewhere.
    let db = &env.catalog.svc().db;
    let mut products = Vec::new();
    let mut variants = Vec::new();
    for i in 0..N {
        let id = kit::ids::new_id();
        sqlx::query(
            "INSERT INTO products (id, title, slug, description, status, attributes, created_at, updated_at) \
             VALUES ($1, $2, $3, '', 'PUBLISHED', '[]', $4, $4)",
        )
        .bind(&id)
        .bind(format!("Bulk {i}"))
        .bind(format!("bulk-{i}"))
        .bind(i as i64)
        .execute(db.background())
        .await
        .unwrap();
        let vid = kit::ids::new_id();
        sqlx::query(
            "INSERT INTO variants (id, product_id, sku, title, options, price_amount, currency, created_at, updated_at) \
             VALUES ($1, $2, $3, 'v', '[]', 100, 'USD', 0, 0)",
        )
        .bind(&vid)
        .bind(&id)
        .bind(format!("BULK-{i}"))
        .execute(db.background())
        .await
        .unwrap();
        products.push(id);
        variants.push(vid);
    }

    let reps: Vec<Value> = products
        .iter()
        .map(|id| json!({ "__typename": "Product", "id": id }))
        .collect();
    let (got, n) = statements_for(&env, &reps, "... on Product { id title }").await;
    assert_eq!(n, 1, "{N} products by id must cost one statement");
    for (i, (entity, id)) in got.as_array().unwrap().iter().zip(&products).enumerate() {
        assert_eq!(
            entity,
            &json!({ "id": id, "title": format!("Bulk {i}") }),
            "in order"
        );
    }

    let reps: Vec<Value> = (0..N)
        .map(|i| json!({ "__typename": "Product", "slug": format!("bulk-{i}") }))
        .collect();
    let (got, n) = statements_for(&env, &reps, "... on Product { id }").await;
    assert_eq!(n, 1, "{N} products by slug must cost one statement");
    assert_eq!(got[N - 1]["id"], products[N - 1].as_str());

    // Variants by SKU, with their products: one statement for the variants, one for the
    // products behind them (visibility), however many there are.
    let reps: Vec<Value> = (0..N)
        .map(|i| json!({ "__typename": "ProductVariant", "sku": format!("BULK-{i}") }))
        .collect();
    let (got, n) = statements_for(&env, &reps, "... on ProductVariant { id sku }").await;
    assert_eq!(
        n, 2,
        "{N} variants by SKU: one for variants, one for their products"
    );
    assert_eq!(got[3], json!({ "id": variants[3], "sku": "BULK-3" }));

    let reps: Vec<Value> = variants
        .iter()
        .map(|id| json!({ "__typename": "ProductVariant", "id": id }))
        .collect();
    let (_, n) = statements_for(&env, &reps, "... on ProductVariant { id product { id } }").await;
    assert_eq!(
        n, 2,
        "{N} variants by id (with product) must cost two statements"
    );

    // Products with their variants: one for products, one for all their variants.
    let reps: Vec<Value> = products
        .iter()
        .map(|id| json!({ "__typename": "Product", "id": id }))
        .collect();
    let (got, n) = statements_for(&env, &reps, "... on Product { variants { sku } }").await;
    assert_eq!(n, 2);
    assert_eq!(got[5]["variants"], json!([{ "sku": "BULK-5" }]));

    // Unknown keys resolve to null, in the same single statement.
    let reps = vec![
        json!({ "__typename": "Product", "id": products[0] }),
        json!({ "__typename": "Product", "id": "nope" }),
    ];
    let (got, n) = statements_for(&env, &reps, "... on Product { id }").await;
    assert_eq!(got, json!([{ "id": products[0] }, null]));
    assert_eq!(n, 1);
    env.stop().await;
}
