//! The response cache dropped by the subgraphs' events through the router's own consumer
//! (`router::cache::consumer`): a cached field keeps its old value after the subgraph changed
//! it, until the event naming it arrives; the next read then goes to the subgraph. Embedded:
//! the router library over the in-process bus, as the launcher runs it. With `TEST_AMQP_URL`:
//! the standalone `router` binary with `AMQP_URL`, events published to RabbitMQ by the kit's
//! transport (this module also runs in `scripts/test.sh`'s real-server stage).

use std::collections::HashMap;
use std::process::Stdio;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use kit::events::{amqp::AmqpTransport, memory::MemoryBus, Event, EventStats, Transport};
use serde_json::{json, Value};
use tokio_util::sync::CancellationToken;

use crate::common::*;

const CACHE_LINK: &str = r#"
extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key", "@composeDirective"])
extend schema @link(url: "https://shop.example/cache-control/v1.0", import: ["@cacheControl"])
  @composeDirective(name: "@cacheControl")
directive @cacheControl(maxAge: Int!, scope: CacheControlScope) on OBJECT | FIELD_DEFINITION
enum CacheControlScope { PUBLIC PRIVATE }
"#;

/// The fixture subgraphs' data and how often `products` was asked.
#[derive(Default)]
struct World {
    titles: Mutex<HashMap<&'static str, String>>,
    stamp: Mutex<String>,
    product_calls: AtomicUsize,
}

/// `products` (`product(id) { title }`) and `stamps` (`stamp`), both cached for ten minutes,
/// as (name, URL).
async fn fixtures(world: Arc<World>) -> Vec<(String, String)> {
    let products_sdl: &'static str = Box::leak(
        format!(
            "{CACHE_LINK}
type Product @key(fields: \"id\") @cacheControl(maxAge: 600) {{ id: ID! title: String! }}
type Query {{ product(id: ID!): Product }}"
        )
        .into_boxed_str(),
    );
    let stamps_sdl: &'static str = Box::leak(
        format!("{CACHE_LINK}\ntype Query {{ stamp: String @cacheControl(maxAge: 600) }}")
            .into_boxed_str(),
    );
    let w = world.clone();
    let products = serve_raw(products_sdl, move |body| {
        w.product_calls.fetch_add(1, Ordering::SeqCst);
        // The id arrives inlined or as a variable; the fixture ids are distinct substrings.
        let text = body.to_string();
        let titles = w.titles.lock().unwrap();
        let found = titles.iter().find(|(id, _)| text.contains(**id));
        match found {
            Some((id, title)) => {
                json!({"data": {"product": {"__typename": "Product", "id": id, "title": title}}})
            }
            None => json!({"data": {"product": null}}),
        }
    })
    .await;
    let w = world.clone();
    let stamps = serve_raw(
        stamps_sdl,
        move |_| json!({"data": {"stamp": *w.stamp.lock().unwrap()}}),
    )
    .await;
    vec![
        ("products".to_string(), products),
        ("stamps".to_string(), stamps),
    ]
}

async fn title(url: &str, id: &str) -> Value {
    let body = gql(
        url,
        "query($id: ID!) { product(id: $id) { title } }",
        json!({"id": id}),
    )
    .await;
    body["data"]["product"]["title"].clone()
}

async fn stamp(url: &str) -> Value {
    gql(url, "{ stamp }", json!({})).await["data"]["stamp"].clone()
}

/// Reads a cached field, changes it behind the router, and shows the old value is served until
/// an event naming it goes through `publisher`; then the next read has the new value.
async fn events_invalidate(url: &str, world: &World, publisher: &dyn Transport) {
    world
        .titles
        .lock()
        .unwrap()
        .insert("prod-main", "Old".into());
    *world.stamp.lock().unwrap() = "old".into();
    assert_eq!(title(url, "prod-main").await, json!("Old"));
    assert_eq!(stamp(url).await, json!("old"));
    let calls = world.product_calls.load(Ordering::SeqCst);

    world
        .titles
        .lock()
        .unwrap()
        .insert("prod-main", "New".into());
    *world.stamp.lock().unwrap() = "new".into();
    assert_eq!(
        title(url, "prod-main").await,
        json!("Old"),
        "served from the cache"
    );
    assert_eq!(world.product_calls.load(Ordering::SeqCst), calls);

    // The consumer's queue may still be being declared (RabbitMQ), so events about `stamps`
    // go out until one arrives; they name nothing of `products`.
    let mut stamped = false;
    for _ in 0..100 {
        let event = Event::new("stamps", "product.updated", None, json!({}));
        publisher.publish_batch(&[event]).await.unwrap();
        tokio::time::sleep(Duration::from_millis(100)).await;
        if stamp(url).await == json!("new") {
            stamped = true;
            break;
        }
    }
    assert!(stamped, "an event reached the router's consumer");
    assert_eq!(
        title(url, "prod-main").await,
        json!("Old"),
        "other events leave it"
    );
    assert_eq!(world.product_calls.load(Ordering::SeqCst), calls);

    let event = Event::new(
        "products",
        "product.updated",
        Some("prod-main".into()),
        json!({"id": "prod-main"}),
    );
    publisher.publish_batch(&[event]).await.unwrap();
    // The event is handled asynchronously; once the new value shows, it stays.
    let mut seen = Value::Null;
    for _ in 0..100 {
        seen = title(url, "prod-main").await;
        if seen == json!("New") {
            break;
        }
        assert_eq!(seen, json!("Old"));
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(seen, json!("New"), "the event dropped the entry");
    assert_eq!(world.product_calls.load(Ordering::SeqCst), calls + 1);
    assert_eq!(title(url, "prod-main").await, json!("New"));
    assert_eq!(
        world.product_calls.load(Ordering::SeqCst),
        calls + 1,
        "cached again"
    );
}

#[tokio::test]
async fn events_invalidate_the_router_cache() {
    let world = Arc::new(World::default());
    let list = fixtures(world.clone()).await;
    let stop = CancellationToken::new();
    let _stop = stop.clone().drop_guard();
    match std::env::var("TEST_AMQP_URL") {
        Err(_) => {
            // The launcher's path: the router library with the consumer on the in-process bus.
            let bus = MemoryBus::new(1, Arc::default(), stop.clone());
            let sdl = router::reload::compose_from_subgraphs(&list).await.unwrap();
            let config = router::RouterConfig::with_supergraph_sdl(sdl);
            router::cache::consumer::start(&bus, config.cache.cache.clone(), stop.clone())
                .await
                .unwrap();
            let url = start_router_with_config(config).await;
            events_invalidate(&url, &world, &bus).await;
        }
        Ok(amqp) => {
            // The standalone binary, configured as in docker-compose.yml, on a private exchange.
            let exchange = format!("test.router-cache.{}", kit::ids::new_id());
            let subgraphs = std::env::temp_dir().join(format!(
                "router-test-{}-cache-events.txt",
                std::process::id()
            ));
            let lines: String = list.iter().map(|(n, u)| format!("{n}={u}\n")).collect();
            std::fs::write(&subgraphs, lines).unwrap();
            let port = std::net::TcpListener::bind("127.0.0.1:0")
                .unwrap()
                .local_addr()
                .unwrap()
                .port();
            let _router = tokio::process::Command::new(env!("CARGO_BIN_EXE_router"))
                .arg("--subgraphs")
                .arg(&subgraphs)
                .args(["--listen", &format!("127.0.0.1:{port}")])
                .env("AMQP_URL", &amqp)
                .env_remove("ROUTER_AMQP_URL")
                .env("EVENTS_EXCHANGE", &exchange)
                .env("ROUTER_CACHE_REDIS", "off")
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .kill_on_drop(true)
                .spawn()
                .unwrap();
            let url = format!("http://127.0.0.1:{port}/graphql");
            wait_until_up(&url).await;
            let publisher = AmqpTransport::new(
                "test",
                &amqp,
                &exchange,
                "",
                1,
                Arc::new(EventStats::default()),
                stop.clone(),
            );
            events_invalidate(&url, &world, &publisher).await;
        }
    }
}

async fn wait_until_up(url: &str) {
    for _ in 0..100 {
        if reqwest::get(url.replace("/graphql", "/health"))
            .await
            .is_ok_and(|r| r.status() == 200)
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("router at {url} did not come up");
}
