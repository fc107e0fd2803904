//! Rough single-client latency of the catalog's storefront reads, straight against the
//! subgraph (no router): seeds `SEED_PRODUCTS` (default 10000) demo products on the configured
//! backend (SQLite unless `TEST_DATABASE_URL` is set), then times a category listing page
//! (24 products with price), a product detail (with variants), faceted searches and a typo
//! search, and reports the search engine's build time and memory (engine heap estimate, and
//! the process RSS growth of building a second copy).
//!
//! `CARGO_TARGET_DIR=... cargo run --release -p catalog --example latency`

use std::time::{Duration, Instant};

use catalog::listing::Order;
use catalog::products::ProductStatus;
use catalog::search::engine::Engine;
use catalog::search::exec::{FacetSet, Filter, Request};
use catalog::search::{load, query, store::Index};
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
        "{name:<34} p50 {:>9.2?}  p99 {:>9.2?}  statements/request {statements}",
        p(0.5),
        p(0.99)
    );
}

/// The engine's own time for one search (no HTTP, no page read): what a request costs in
/// catalog CPU beyond the one statement that loads the page.
fn engine_time(engine: &Engine, name: &str, q: &str, order: Order, facets: bool) {
    let text = query::parse(q).expect("query");
    let filter = Filter {
        status: Some(ProductStatus::Published),
        ..Filter::default()
    };
    let all = FacetSet {
        categories: facets,
        brands: facets,
        prices: facets,
        attributes: facets,
    };
    let mut samples: Vec<Duration> = Vec::new();
    let mut total = 0;
    for _ in 0..200 {
        let start = Instant::now();
        let out = engine.search(&Request {
            text: text.as_ref(),
            filter: &filter,
            order,
            after: None,
            limit: 25,
            facets: all,
        });
        samples.push(start.elapsed());
        total = out.total;
    }
    samples.sort();
    println!(
        "engine only: {name:<26} p50 {:>9.2?}  p99 {:>9.2?}  ({total} matches)",
        samples[samples.len() / 2],
        samples[samples.len() * 99 / 100]
    );
}

/// This process's resident set size in MiB (Linux).
fn rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

#[tokio::main]
async fn main() {
    let n = std::env::var("SEED_PRODUCTS").unwrap_or_else(|_| "10000".into());
    let mut config = testing::config("catalog");
    config.overrides.insert("SEED_PRODUCTS".into(), n.clone());
    let start = Instant::now();
    let app = testing::spawn::<Catalog>(config).await;
    println!("seeded {n} products and started in {:.1?}", start.elapsed());
    let engine = Engine::of(app.svc()).expect("engine started");
    let stats = engine.stats();
    println!(
        "search engine: {} docs, {} terms, built in {:.1?} at start-up, heap ~{:.1} MiB; process RSS {:.1} MiB",
        stats.docs,
        stats.terms,
        stats.build_time,
        stats.heap_bytes as f64 / 1048576.0,
        rss_mib()
    );
    // A second, standalone build: its time, and how much the process grows to hold it.
    let rss_before = rss_mib();
    let started = Instant::now();
    let mut copy = Index::default();
    let mut after: Option<String> = None;
    loop {
        let (docs, last) = load::page(&app.svc().db, after.as_deref(), 5000)
            .await
            .expect("page");
        for d in &docs {
            copy.upsert(d);
        }
        match last {
            Some(l) => after = Some(l),
            None => break,
        }
    }
    println!(
        "second build: {:.1?}, RSS +{:.1} MiB for {} docs",
        started.elapsed(),
        rss_mib() - rss_before,
        copy.len()
    );
    drop(copy);

    let body = app
        .gql("{ rootCategories { children { id } } searchProducts(query:\"\", first:1){ products { edges { node { slug } } } } }", json!({}), None)
        .await;
    let category = body["data"]["rootCategories"][0]["children"][0]["id"].clone();
    let slug = body["data"]["searchProducts"]["products"]["edges"][0]["node"]["slug"].clone();
    let facets = "facets { categories { categoryId count } brands { value count } prices { min { amount } count } attributes { name values { value count } } }";

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
        &format!("{{ searchProducts(query:\"waterproof jackets\", first:24){{ products {{ totalCount edges {{ node {{ id title priceFrom {{ amount }} }} }} }} {facets} }} }}"),
        json!({}),
        200,
    )
    .await;
    time(
        &app,
        "search (typo, no facets)",
        "{ searchProducts(query:\"waterprof jacket\", first:24){ products { edges { node { id title } } } } }",
        json!({}),
        200,
    )
    .await;
    time(
        &app,
        "browse all + facets (empty query)",
        &format!("{{ searchProducts(query:\"\", first:24){{ products {{ totalCount edges {{ node {{ id title }} }} }} {facets} }} }}"),
        json!({}),
        100,
    )
    .await;
    time(
        &app,
        "search + facets, category + brand",
        &format!("query($c:ID!){{ searchProducts(query:\"classic\", filter:{{ categoryId:$c, brand:\"Acme\" }}, sort:PRICE_ASC, first:24){{ products {{ totalCount edges {{ node {{ id title }} }} }} {facets} }} }}"),
        json!({ "c": category }),
        200,
    )
    .await;
    engine_time(
        &engine,
        "search + facets",
        "waterproof jackets",
        Order::Relevance,
        true,
    );
    engine_time(
        &engine,
        "typo search",
        "waterprof jacket",
        Order::Relevance,
        false,
    );
    engine_time(
        &engine,
        "prefix search + facets",
        "jac",
        Order::Relevance,
        true,
    );
    engine_time(&engine, "browse all + facets", "", Order::Newest, true);
    engine_time(
        &engine,
        "browse all, price sort",
        "",
        Order::PriceAsc,
        false,
    );
    app.stop().await;
}
