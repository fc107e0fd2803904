//! Response caching end to end through the real router: two fixture subgraphs declare
//! `@cacheControl` (composed via `@composeDirective`); repeated reads are served without a
//! subgraph call, an operation needing a cached and an uncached entity fetches only the miss,
//! an event drops exactly the entity it names, PRIVATE data is never served to another caller,
//! undeclared fields are never cached, the response carries `Cache-Control`, `ETag` and
//! answers `If-None-Match` with 304, the store keeps to its bound with hit/miss/eviction counts
//! on `/metrics`, and (with `TEST_REDIS_URL`) two router instances share entries, events and
//! writes through Redis.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use axum::http::HeaderMap;
use serde_json::{json, Value};

use crate::common::*;

const CACHE_LINK: &str = r#"
extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key", "@composeDirective"])
extend schema @link(url: "https://shop.example/cache-control/v1.0", import: ["@cacheControl"])
  @composeDirective(name: "@cacheControl")
directive @cacheControl(maxAge: Int!, scope: CacheControlScope) on OBJECT | FIELD_DEFINITION
enum CacheControlScope { PUBLIC PRIVATE }
"#;

fn products_sdl() -> &'static str {
    Box::leak(
        format!(
            "{CACHE_LINK}
type Product @key(fields: \"id\") @cacheControl(maxAge: 60) {{ id: ID! title: String! }}
type Account {{ id: ID! name: String! }}
type Query {{
  product(id: ID!): Product
  pair: [Product!]!
  me: Account @cacheControl(maxAge: 30, scope: PRIVATE)
  clock: String
}}
type Mutation {{ rename(id: ID!, title: String!): Product }}"
        )
        .into_boxed_str(),
    )
}

fn prices_sdl() -> &'static str {
    Box::leak(
        format!(
            "{CACHE_LINK}
type Product @key(fields: \"id\") @cacheControl(maxAge: 60, scope: PUBLIC) {{ id: ID! price: Int! }}
type Query {{ cheapest: Int }}"
        )
        .into_boxed_str(),
    )
}

/// What the fixtures hold and how often they were asked.
#[derive(Default)]
struct World {
    titles: Mutex<HashMap<String, String>>,
    prices: Mutex<HashMap<String, i64>>,
    product_calls: AtomicUsize,
    /// Every representation id the prices subgraph was sent.
    priced: Mutex<Vec<String>>,
    clock: AtomicUsize,
}

/// Serves a hand-written subgraph whose handler also sees the request headers.
async fn serve_with_headers<F>(sdl: &'static str, handler: F) -> String
where
    F: Fn(&HeaderMap, &Value) -> Value + Send + Sync + 'static,
{
    let handler = Arc::new(handler);
    let app = axum::Router::new().route(
        "/graphql",
        axum::routing::post(
            move |headers: HeaderMap, axum::Json(body): axum::Json<Value>| {
                let handler = handler.clone();
                async move {
                    let query = body["query"].as_str().unwrap_or_default();
                    if query.contains("_service") {
                        axum::Json(json!({"data": {"_service": {"sdl": sdl}}}))
                    } else {
                        axum::Json(handler(&headers, &body))
                    }
                }
            },
        ),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}/graphql")
}

/// The router over both fixtures, and the cache handle the launcher would feed events to.
async fn start(world: Arc<World>) -> (String, Arc<router::cache::Cache>) {
    let list = fixtures(world).await;
    router_over(&list, |_| {}).await
}

/// A router over `list` with its cache configured by `setup`, and its cache handle.
async fn router_over(
    list: &[(String, String)],
    setup: impl FnOnce(&mut router::cache::CacheConfig),
) -> (String, Arc<router::cache::Cache>) {
    let sdl = router::reload::compose_from_subgraphs(list)
        .await
        .expect("fixtures compose");
    assert!(
        sdl.contains("@cacheControl"),
        "composition keeps @cacheControl: {sdl}"
    );
    let mut config = router::RouterConfig::with_supergraph_sdl(sdl);
    setup(&mut config.cache);
    let cache = config.cache.cache.clone();
    (start_router_with_config(config).await, cache)
}

/// Both fixture subgraphs over `world`, as (name, URL).
async fn fixtures(world: Arc<World>) -> Vec<(String, String)> {
    let w = world.clone();
    let products = serve_with_headers(products_sdl(), move |headers, body| {
        let query = body["query"].as_str().unwrap_or_default();
        w.product_calls.fetch_add(1, Ordering::SeqCst);
        let fields = root_fields(query, &body["variables"]);
        if let Some((key, _, args)) = fields.iter().find(|f| f.1 == "rename") {
            let (id, title) = (args["id"].clone(), args["title"].clone());
            w.titles.lock().unwrap().insert(id.clone(), title.clone());
            return json!({"data": {key.clone(): {"__typename": "Product", "id": id, "title": title}}});
        }
        let who = headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("anonymous")
            .to_string();
        if fields.iter().any(|f| f.1 == "clock") {
            let n = w.clock.fetch_add(1, Ordering::SeqCst);
            return json!({"data": {"clock": format!("tick {n}")}});
        }
        // Root `product` fields, possibly aliased: answer each alias from its argument.
        let titles = w.titles.lock().unwrap();
        let mut data = serde_json::Map::new();
        if let Some((key, _, _)) = fields.iter().find(|f| f.1 == "me") {
            data.insert(
                key.clone(),
                json!({"__typename": "Account", "id": who, "name": format!("account of {who}")}),
            );
        }
        if let Some((key, _, _)) = fields.iter().find(|f| f.1 == "pair") {
            let pair: Vec<Value> = ["1", "2"]
                .iter()
                .map(|id| json!({"__typename": "Product", "id": id, "title": titles.get(*id).cloned().unwrap_or_default()}))
                .collect();
            data.insert(key.clone(), Value::Array(pair));
        }
        for (alias, _, args) in fields.iter().filter(|f| f.1 == "product") {
            let id = args["id"].clone();
            let title = titles.get(&id).cloned().unwrap_or_default();
            data.insert(
                alias.clone(),
                json!({"__typename": "Product", "id": id, "title": title}),
            );
        }
        json!({ "data": data })
    })
    .await;
    let w = world.clone();
    let prices = serve_with_headers(prices_sdl(), move |_, body| {
        let reps = body["variables"]["representations"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let prices = w.prices.lock().unwrap();
        let entities: Vec<Value> = reps
            .iter()
            .map(|r| {
                let id = r["id"].as_str().unwrap_or_default().to_string();
                w.priced.lock().unwrap().push(id.clone());
                json!({"__typename": "Product", "price": prices.get(&id).copied().unwrap_or(0)})
            })
            .collect();
        json!({"data": {"_entities": entities}})
    })
    .await;
    vec![
        ("products".to_string(), products),
        ("prices".to_string(), prices),
    ]
}

/// (response key, field name, string arguments) of each root field of a subgraph operation.
fn root_fields(query: &str, vars: &Value) -> Vec<(String, String, HashMap<String, String>)> {
    use graphql_tools::parser::query::{Definition, OperationDefinition, Selection, Value as QV};
    let doc = graphql_tools::parser::parse_query::<String>(query).expect("subgraph query parses");
    let mut out = Vec::new();
    for def in doc.definitions {
        let Definition::Operation(op) = def else {
            continue;
        };
        let items = match op {
            OperationDefinition::Query(q) => q.selection_set.items,
            OperationDefinition::Mutation(m) => m.selection_set.items,
            OperationDefinition::SelectionSet(s) => s.items,
            OperationDefinition::Subscription(_) => continue,
        };
        for item in items {
            let Selection::Field(f) = item else {
                continue;
            };
            let args = f
                .arguments
                .iter()
                .map(|(n, v)| {
                    let v = match v {
                        QV::String(s) => s.clone(),
                        QV::Variable(name) => {
                            vars[name.as_str()].as_str().unwrap_or_default().to_string()
                        }
                        other => other.to_string(),
                    };
                    (n.clone(), v)
                })
                .collect();
            out.push((f.alias.unwrap_or(f.name.clone()), f.name, args));
        }
    }
    out
}

async fn post_with(
    url: &str,
    headers: &[(&str, &str)],
    query: &str,
) -> (u16, reqwest::header::HeaderMap, Value) {
    let mut req = reqwest::Client::new()
        .post(url)
        .header("content-type", "application/json")
        .body(json!({ "query": query }).to_string());
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    let h = resp.headers().clone();
    let text = resp.text().await.unwrap();
    let body = serde_json::from_str(&text).unwrap_or(Value::Null);
    (status, h, body)
}

fn world() -> Arc<World> {
    let w = World::default();
    for (id, title, price) in [("1", "Tent", 100), ("2", "Stove", 200), ("3", "Lamp", 300)] {
        w.titles.lock().unwrap().insert(id.into(), title.into());
        w.prices.lock().unwrap().insert(id.into(), price);
    }
    Arc::new(w)
}

#[tokio::test]
async fn repeated_reads_are_served_from_the_cache_and_a_partial_hit_fetches_only_the_misses() {
    let world = world();
    let (url, _) = start(world.clone()).await;
    let one = r#"{ product(id: "1") { title price } }"#;
    let (_, headers, first) = post_with(&url, &[], one).await;
    assert_eq!(
        first["data"]["product"],
        json!({"title": "Tent", "price": 100})
    );
    assert_eq!(headers["cache-control"], "public, max-age=60");
    let calls = world.product_calls.load(Ordering::SeqCst);
    for _ in 0..3 {
        let (_, _, again) = post_with(&url, &[], one).await;
        assert_eq!(again, first);
    }
    assert_eq!(world.product_calls.load(Ordering::SeqCst), calls);
    assert_eq!(*world.priced.lock().unwrap(), vec!["1"]);

    // Products 1 (cached) and 2 (not): the prices subgraph is sent only product 2.
    let (_, _, body) = post_with(&url, &[], "{ pair { title price } }").await;
    assert_eq!(
        body["data"]["pair"],
        json!([{"title": "Tent", "price": 100}, {"title": "Stove", "price": 200}])
    );
    assert_eq!(*world.priced.lock().unwrap(), vec!["1", "2"]);
}

#[tokio::test]
async fn an_event_drops_exactly_the_entity_it_names() {
    let world = world();
    let (url, cache) = start(world.clone()).await;
    let q = "{ pair { price } }";
    let (_, _, body) = post_with(&url, &[], q).await;
    assert_eq!(
        body["data"]["pair"],
        json!([{"price": 100}, {"price": 200}]),
        "{body}"
    );
    world.prices.lock().unwrap().insert("1".into(), 150);
    world.prices.lock().unwrap().insert("2".into(), 250);
    // Before any event the cached prices stand (the TTL is only a safety net).
    let (_, _, body) = post_with(&url, &[], q).await;
    assert_eq!(
        body["data"]["pair"],
        json!([{"price": 100}, {"price": 200}]),
        "{body}"
    );
    // catalog's price event for product 1 (its variant's product) drops product 1 only.
    let dropped = cache
        .invalidate_event(
            "variant.price_changed",
            "/subgraphs/catalog",
            Some("v1"),
            &json!({"variantId": "v1", "productId": "1"}),
        )
        .await;
    assert!(dropped >= 1, "dropped {dropped}");
    let (_, _, body) = post_with(&url, &[], q).await;
    assert_eq!(
        body["data"]["pair"],
        json!([{"price": 150}, {"price": 200}])
    );
    assert_eq!(*world.priced.lock().unwrap(), vec!["1", "2", "1"]);
}

#[tokio::test]
async fn private_data_is_cached_per_caller_and_never_shown_to_another() {
    let world = world();
    let (url, _) = start(world.clone()).await;
    let q = "{ me { id name } }";
    let (_, headers, ada) = post_with(&url, &[("authorization", "Bearer ada")], q).await;
    assert_eq!(ada["data"]["me"]["name"], "account of Bearer ada");
    assert_eq!(headers["cache-control"], "private, max-age=30");
    let calls = world.product_calls.load(Ordering::SeqCst);
    let (_, _, again) = post_with(&url, &[("authorization", "Bearer ada")], q).await;
    assert_eq!(again, ada);
    assert_eq!(
        world.product_calls.load(Ordering::SeqCst),
        calls,
        "the same caller is served from the cache"
    );
    let (_, _, bob) = post_with(&url, &[("authorization", "Bearer bob")], q).await;
    assert_eq!(bob["data"]["me"]["name"], "account of Bearer bob");
    let (_, _, anon) = post_with(&url, &[], q).await;
    assert_eq!(anon["data"]["me"]["name"], "account of anonymous");
    let (_, _, ada_again) = post_with(&url, &[("authorization", "Bearer ada")], q).await;
    assert_eq!(ada_again, ada);
    // Private beside public: the whole operation is private, with the shorter maxAge.
    let (_, headers, body) = post_with(
        &url,
        &[("authorization", "Bearer ada")],
        r#"{ me { name } product(id: "1") { title price } }"#,
    )
    .await;
    assert_eq!(
        body["data"]["me"]["name"], "account of Bearer ada",
        "{body}"
    );
    assert_eq!(body["data"]["product"]["title"], "Tent", "{body}");
    assert_eq!(headers["cache-control"], "private, max-age=30");
}

#[tokio::test]
async fn undeclared_fields_are_not_cached_and_headers_say_so() {
    let world = world();
    let (url, _) = start(world.clone()).await;
    let (_, headers, first) = post_with(&url, &[], "{ clock }").await;
    let (_, _, second) = post_with(&url, &[], "{ clock }").await;
    assert_ne!(first, second);
    assert_eq!(headers["cache-control"], "no-store");
    assert!(headers.get("etag").is_none());
    // One undeclared part makes the whole response uncacheable.
    let (_, headers, _) = post_with(&url, &[], r#"{ clock product(id: "1") { title } }"#).await;
    assert_eq!(headers["cache-control"], "no-store");
}

#[tokio::test]
async fn etag_and_if_none_match_answer_304_until_the_content_changes() {
    let world = world();
    let (url, cache) = start(world.clone()).await;
    let q = r#"{ product(id: "3") { title price } }"#;
    let (status, headers, _) = post_with(&url, &[], q).await;
    assert_eq!(status, 200);
    let etag = headers["etag"].to_str().unwrap().to_string();
    let (status, headers, _) = post_with(&url, &[("if-none-match", &etag)], q).await;
    assert_eq!(status, 304);
    assert_eq!(headers["etag"].to_str().unwrap(), etag);
    world.prices.lock().unwrap().insert("3".into(), 333);
    cache
        .invalidate_event(
            "product.updated",
            "/subgraphs/catalog",
            Some("3"),
            &json!({"id": "3"}),
        )
        .await;
    let (status, headers, body) = post_with(&url, &[("if-none-match", &etag)], q).await;
    assert_eq!(status, 200);
    assert_eq!(body["data"]["product"]["price"], 333);
    assert_ne!(headers["etag"].to_str().unwrap(), etag);
}

#[tokio::test]
async fn a_mutation_through_the_router_drops_its_subgraph_entries() {
    let world = world();
    let (url, _) = start(world.clone()).await;
    let q = r#"{ product(id: "2") { title } }"#;
    let (_, _, body) = post_with(&url, &[], q).await;
    assert_eq!(body["data"]["product"]["title"], "Stove");
    let (_, headers, _) = post_with(
        &url,
        &[],
        r#"mutation { rename(id: "2", title: "Camp stove") { id title } }"#,
    )
    .await;
    assert_eq!(headers["cache-control"], "no-store");
    // The writer reads its write at once, before any event.
    let (_, _, body) = post_with(&url, &[], q).await;
    assert_eq!(body["data"]["product"]["title"], "Camp stove");
}

/// The value of `router_cache_events_total{cache="response",event=<event>}` on `/metrics`.
async fn cache_events(url: &str, event: &str) -> f64 {
    let text = metrics_text(url).await;
    let line = format!("router_cache_events_total{{cache=\"response\",event=\"{event}\"}}");
    text.lines()
        .find_map(|l| l.strip_prefix(line.as_str()))
        .map_or(0.0, |v| v.trim().parse().unwrap())
}

#[tokio::test]
async fn the_store_is_bounded_and_metrics_count_hits_misses_and_evictions() {
    let world = world();
    let list = fixtures(world.clone()).await;
    // Room for one entry: a root result or one product's price.
    let (url, cache) = router_over(&list, |c| c.set_max_entries(1)).await;
    let (hits, misses, evictions) = (
        cache_events(&url, "hit").await,
        cache_events(&url, "miss").await,
        cache_events(&url, "evict").await,
    );
    for id in ["1", "2", "3"] {
        let (_, _, body) = post_with(
            &url,
            &[],
            &format!(r#"{{ product(id: "{id}") {{ title }} }}"#),
        )
        .await;
        assert!(body["errors"].is_null(), "{body}");
    }
    assert_eq!(cache.len(), 1, "never more than the bound");
    assert_eq!(cache_events(&url, "miss").await - misses, 3.0);
    assert_eq!(cache_events(&url, "evict").await - evictions, 2.0);
    let calls = world.product_calls.load(Ordering::SeqCst);
    let (_, _, body) = post_with(&url, &[], r#"{ product(id: "3") { title } }"#).await;
    assert_eq!(body["data"]["product"]["title"], "Lamp");
    assert_eq!(
        world.product_calls.load(Ordering::SeqCst),
        calls,
        "the kept entry answers"
    );
    assert_eq!(cache_events(&url, "hit").await - hits, 1.0);
    // The evicted one is fetched again.
    let (_, _, body) = post_with(&url, &[], r#"{ product(id: "1") { title } }"#).await;
    assert_eq!(body["data"]["product"]["title"], "Tent");
    assert_eq!(world.product_calls.load(Ordering::SeqCst), calls + 1);
}

#[tokio::test]
async fn two_router_instances_share_entries_and_invalidations_through_redis() {
    let Ok(redis) = std::env::var("TEST_REDIS_URL") else {
        eprintln!("TEST_REDIS_URL unset: only the in-memory store is tested");
        return;
    };
    let world = world();
    let list = fixtures(world.clone()).await;
    // A prefix unique to this run keeps other runs' entries out.
    let prefix = format!(
        "test:{}:{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    );
    let (a, cache_a) = router_over(&list, |c| c.use_redis(Some(redis.clone()), &prefix)).await;
    let (b, _) = router_over(&list, |c| c.use_redis(Some(redis.clone()), &prefix)).await;
    let q = r#"{ product(id: "1") { title price } }"#;
    let (_, _, first) = post_with(&a, &[], q).await;
    assert_eq!(
        first["data"]["product"],
        json!({"title": "Tent", "price": 100})
    );
    let calls = world.product_calls.load(Ordering::SeqCst);
    let priced = world.priced.lock().unwrap().len();
    // B answers from what A stored: neither subgraph is asked again.
    let (_, headers, second) = post_with(&b, &[], q).await;
    assert_eq!(second, first);
    assert_eq!(headers["cache-control"], "public, max-age=60");
    assert_eq!(world.product_calls.load(Ordering::SeqCst), calls);
    assert_eq!(world.priced.lock().unwrap().len(), priced);

    // An event handled by A's consumer is seen by B on its next read.
    world.prices.lock().unwrap().insert("1".into(), 175);
    let dropped = cache_a
        .invalidate_event(
            "variant.price_changed",
            "/subgraphs/catalog",
            Some("v1"),
            &json!({"variantId": "v1", "productId": "1"}),
        )
        .await;
    assert!(dropped >= 1, "dropped {dropped}");
    let (_, _, body) = post_with(&b, &[], q).await;
    assert_eq!(body["data"]["product"]["price"], 175, "{body}");

    // A write through B is read through A at once.
    let (_, _, body) = post_with(
        &b,
        &[],
        r#"mutation { rename(id: "1", title: "Big tent") { id title } }"#,
    )
    .await;
    assert!(body["errors"].is_null(), "{body}");
    let (_, _, body) = post_with(&a, &[], q).await;
    assert_eq!(body["data"]["product"]["title"], "Big tent", "{body}");

    // PRIVATE data stays per caller across instances too.
    let me = "{ me { name } }";
    let (_, _, ada) = post_with(&a, &[("authorization", "Bearer ada")], me).await;
    assert_eq!(ada["data"]["me"]["name"], "account of Bearer ada");
    let (_, _, bob) = post_with(&b, &[("authorization", "Bearer bob")], me).await;
    assert_eq!(bob["data"]["me"]["name"], "account of Bearer bob");
    let (_, _, ada_b) = post_with(&b, &[("authorization", "Bearer ada")], me).await;
    assert_eq!(ada_b, ada);
}
