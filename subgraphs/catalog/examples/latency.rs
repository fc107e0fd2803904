//! Rough single-client latency of the catalog's storefront reads, straight against the
//! subgraph (no router): seeds `SEED_PRODUCTS` (default 10000) demo products on the configured
//! backend (SQLite unless `TEST_DATABASE_URL` is set), then times a category listing page
//! (24 products with price), a product detail (with variants) and a faceted search.
//!
//! `CARGO_TARGET_DIR=... cargo run --release -p catalog --example latency`

use std::time::{Duration, Instant};

use catalog::Catalog;
use kit::testing::{self, TestApp};
use serde_json::{json, Value};

async fn time(app: &TestApp, name: &str, query: &str, vars: Value, runs: usize) {
    let mut samples: Vec<Duration> = Vec::with_capacity(runs);
    let mut statements = 0;
    for _ in 0..runs {
        let before = app.metric("db_statements_total").await;
        let start = Instant::now();
        let body = app.gql(query, vars.clone(), None).await;
        samples.push(start.elapsed());
        statements = app.metric("db_statements_total").await - before;
        assert!(body.get("errors").is_none(), "{body}");
    }
    samples.sort();
    let p = |q: f64| samples[((samples.len() as f64 * q) as usize).min(samples.len() - 1)];
    println!(
        "{name:<28} p50 {:>7.2?}  p99 {:>7.2?}  statements/request {statements}",
        p(0.5),
        p(0.99)
    );
}

#[tokio::main]
async fn main() {
    let n = std::env::var("SEED_PRODUCTS").unwrap_or_else(|_| "10000".into());
    let mut config = testing::config("catalog");
    config.overrides.insert("SEED_PRODUCTS".into(), n.clone());
    let start = Instant::now();
    let app = testing::spawn::<Catalog>(config).await;
    println!("seeded {n} products in {:.1?}", start.elapsed());

    let body = app
        .gql("{ rootCategories { children { id } } searchProducts(query:\"\", first:1){ products { edges { node { slug } } } } }", json!({}), None)
        .await;
    let category = body["data"]["rootCategories"][0]["children"][0]["id"].clone();
    let slug = body["data"]["searchProducts"]["products"]["edges"][0]["node"]["slug"].clone();

    time(
        &app,
        "listing (24, category)",
        "query($c:ID!){ category(id:$c){ products(first:24){ totalCount edges { cursor node { id title slug priceFrom { amount currencyCode } } } } } }",
        json!({ "c": category }),
        200,
    )
    .await;
    time(
        &app,
        "product detail",
        "query($s:String!){ product(slug:$s){ id title description brand attributes { name value } category { name path { name } } variants { id sku title options { name value } price { amount currencyCode } } } }",
        json!({ "s": slug }),
        200,
    )
    .await;
    time(
        &app,
        "search + facets",
        "{ searchProducts(query:\"waterproof jackets\", first:24){ products { totalCount edges { node { id title priceFrom { amount } } } } facets { categories { categoryId count } brands { value count } prices { min { amount } count } attributes { name values { value count } } } } }",
        json!({}),
        100,
    )
    .await;
    time(
        &app,
        "search (typo, no facets)",
        "{ searchProducts(query:\"waterprof jacket\", first:24){ products { edges { node { id title } } } } }",
        json!({}),
        100,
    )
    .await;
    app.stop().await;
}
