//! `@stream` over multipart/mixed and SSE: a list's first `initialCount` items in the first
//! payload and the others in a later `items` payload; the whole list without a streaming
//! transport or with `if: false`; `initialCount` and the field's type checked; the directive
//! shown by introspection.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{json, Value};
use tokio::sync::Semaphore;

use crate::common::*;
use crate::defer::Shop;
use crate::fixtures::*;
use crate::multipart::Parts;

const STREAMED: &str =
    r#"{ topProducts(first: 3) @stream(initialCount: 1, label: "more") { upc name } }"#;

#[tokio::test]
async fn stream_over_multipart_sends_the_first_items_then_the_rest() {
    let shop = Shop::start().await;
    let parts = shop.parts(STREAMED, json!({})).await;
    assert_eq!(
        parts,
        vec![
            json!({"data": {"topProducts": [{"upc": "1", "name": "Table"}]}, "hasNext": true}),
            json!({
                "incremental": [{
                    "items": [{"upc": "2", "name": "Couch"}, {"upc": "3", "name": "Chair"}],
                    "path": ["topProducts", 1],
                    "label": "more"
                }],
                "hasNext": false
            }),
        ]
    );
    assert_eq!(shop.take_counts(), vec![("products", 1)]);
}

#[tokio::test]
async fn stream_over_sse_sends_one_next_per_payload() {
    let shop = Shop::start().await;
    let text = reqwest::Client::new()
        .post(&shop.url)
        .header("accept", "text/event-stream")
        .json(&json!({"query": STREAMED}))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let events: Vec<&str> = text
        .split("\n\n")
        .filter(|e| !e.trim().is_empty())
        .collect();
    assert_eq!(events.len(), 3, "{text}");
    let data = |e: &str| -> Value {
        assert!(e.contains("event: next"), "{e}");
        serde_json::from_str(e.split("data: ").nth(1).unwrap().trim()).unwrap()
    };
    assert_eq!(
        data(events[0]),
        json!({"data": {"topProducts": [{"upc": "1", "name": "Table"}]}, "hasNext": true})
    );
    let second = data(events[1]);
    assert_eq!(second["incremental"][0]["path"], json!(["topProducts", 1]));
    assert_eq!(second["incremental"][0]["items"][1]["name"], "Chair");
    assert_eq!(second["hasNext"], false);
    assert!(events[2].contains("event: complete"), "{}", events[2]);
}

#[tokio::test]
async fn without_a_streaming_transport_or_with_if_false_the_list_arrives_whole() {
    let shop = Shop::start().await;
    let whole = json!({"topProducts": [
        {"upc": "1", "name": "Table"}, {"upc": "2", "name": "Couch"}, {"upc": "3", "name": "Chair"}
    ]});
    let body = gql(&shop.url, STREAMED, json!({})).await;
    assert_eq!(body, json!({"data": whole}));
    let off = r#"query($s: Boolean!) { topProducts(first: 3) @stream(initialCount: 1, if: $s) { upc name } }"#;
    // A client taking only multipart/mixed gets one complete part.
    let resp = reqwest::Client::new()
        .post(&shop.url)
        .header("accept", "multipart/mixed;deferSpec=20220824")
        .json(&json!({"query": off, "variables": {"s": false}}))
        .send()
        .await
        .unwrap();
    let mut reader = Parts::new(resp);
    let mut parts = Vec::new();
    while let Some(p) = reader.next().await {
        parts.push(p);
    }
    assert_eq!(parts, vec![json!({"data": whole, "hasNext": false})]);
}

#[tokio::test]
async fn stream_and_defer_together_send_the_rest_of_the_list_before_its_deferred_fields() {
    let shop = Shop::start().await;
    let query = r#"{ topProducts(first: 2) @stream(initialCount: 1) { name ... @defer(label: "stock") { inStock } } }"#;
    let parts = shop.parts(query, json!({})).await;
    assert_eq!(
        parts,
        vec![
            json!({"data": {"topProducts": [{"name": "Table"}]}, "hasNext": true}),
            json!({"incremental": [{"items": [{"name": "Couch"}], "path": ["topProducts", 1]}], "hasNext": true}),
            json!({
                "incremental": [
                    {"data": {"inStock": true}, "path": ["topProducts", 0], "label": "stock"},
                    {"data": {"inStock": false}, "path": ["topProducts", 1], "label": "stock"}
                ],
                "hasNext": false
            }),
        ]
    );
    assert_eq!(shop.take_counts(), vec![("products", 1), ("inventory", 1)]);
}

#[tokio::test]
async fn a_negative_initial_count_or_a_stream_on_a_non_list_field_is_refused() {
    let shop = Shop::start().await;
    let negative = r#"{ topProducts(first: 3) @stream(initialCount: -1) { upc } }"#;
    let by_variable =
        r#"query($n: Int!) { topProducts(first: 3) @stream(initialCount: $n) { upc } }"#;
    for (query, vars) in [(negative, json!({})), (by_variable, json!({"n": -2}))] {
        let (status, body) = post(&shop.url, query, vars).await;
        assert_eq!(status, 400, "{body}");
        let error = &body["errors"][0];
        assert_eq!(error["extensions"]["code"], "BAD_USER_INPUT", "{body}");
        assert_eq!(error["extensions"]["argument"], "initialCount", "{body}");
        let message = error["message"].as_str().unwrap();
        assert!(
            message.contains("initialCount") && message.contains("Query.topProducts"),
            "{message}"
        );
    }
    let (status, body) = post(&shop.url, "{ me @stream { name } }", json!({})).await;
    assert_eq!(status, 400, "{body}");
    let message = body["errors"][0]["message"].as_str().unwrap();
    assert!(
        message.contains("@stream") && message.contains("Query.me") && message.contains("list"),
        "{message}"
    );
    assert_eq!(shop.take_counts(), vec![], "nothing was fetched");
}

#[tokio::test]
async fn introspection_shows_defer_and_stream() {
    let shop = Shop::start().await;
    let body = gql(
        &shop.url,
        "{ __schema { directives { name locations args { name defaultValue } } } }",
        json!({}),
    )
    .await;
    let directives = body["data"]["__schema"]["directives"].as_array().unwrap();
    let find = |name: &str| {
        directives
            .iter()
            .find(|d| d["name"] == name)
            .unwrap_or_else(|| panic!("no @{name} in {body}"))
            .clone()
    };
    let stream = find("stream");
    assert_eq!(stream["locations"], json!(["FIELD"]));
    let args: Vec<(&str, &str)> = stream["args"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["name"].as_str().unwrap(),
                a["defaultValue"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        args,
        vec![("label", ""), ("initialCount", "0"), ("if", "true")]
    );
    assert_eq!(
        find("defer")["locations"],
        json!(["FRAGMENT_SPREAD", "INLINE_FRAGMENT"])
    );
}

/// Serves in front of `upstream`, recording each request's representations and holding those
/// without product 1 until the test opens the gate.
async fn holding_later_products(
    upstream: String,
    seen: Arc<Mutex<Vec<Value>>>,
    held: Arc<AtomicUsize>,
    open: Arc<Semaphore>,
) -> String {
    proxy(upstream, move |body: Value| {
        let (seen, held, open) = (seen.clone(), held.clone(), open.clone());
        async move {
            let reps = body["variables"]["representations"].clone();
            if reps.is_array() {
                seen.lock().unwrap().push(reps.clone());
                if !reps.as_array().unwrap().iter().any(|r| r["upc"] == "1") {
                    held.fetch_add(1, Ordering::SeqCst);
                    let _pass = open.acquire().await.unwrap();
                }
            }
        }
    })
    .await
}

#[tokio::test]
async fn later_items_entity_fetches_run_after_the_first_payload_is_sent() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let held = Arc::new(AtomicUsize::new(0));
    let open = Arc::new(Semaphore::new(0));
    let products = serve_subgraph(products::schema()).await;
    let inventory = holding_later_products(
        serve_subgraph(inventory::schema()).await,
        seen.clone(),
        held.clone(),
        open.clone(),
    )
    .await;
    let url = start_router(&[("products", &products), ("inventory", &inventory)]).await;
    let resp = reqwest::Client::new()
        .post(&url)
        .header("accept", crate::multipart::DEFER_ACCEPT)
        .json(&json!({"query": "{ topProducts(first: 3) @stream(initialCount: 1) { name inStock } }"}))
        .send()
        .await
        .unwrap();
    let mut parts = Parts::new(resp);
    // Inventory's fetch for products 2 and 3 is held, and the first item is here anyway.
    assert_eq!(
        parts.next().await.unwrap(),
        json!({"data": {"topProducts": [{"name": "Table", "inStock": true}]}, "hasNext": true})
    );
    let waited = tokio::time::timeout(Duration::from_secs(20), async {
        while held.load(Ordering::SeqCst) == 0 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await;
    assert!(
        waited.is_ok(),
        "the later items' fetch never reached inventory"
    );
    open.add_permits(1000);
    assert_eq!(
        parts.next().await.unwrap(),
        json!({
            "incremental": [{
                "items": [{"name": "Couch", "inStock": false}, {"name": "Chair", "inStock": true}],
                "path": ["topProducts", 1]
            }],
            "hasNext": false
        })
    );
    assert_eq!(parts.next().await, None);
    let upcs: Vec<Vec<String>> = seen
        .lock()
        .unwrap()
        .iter()
        .map(|reps| {
            reps.as_array()
                .unwrap()
                .iter()
                .map(|r| r["upc"].as_str().unwrap().to_string())
                .collect()
        })
        .collect();
    assert_eq!(upcs, vec![vec!["1"], vec!["2", "3"]], "one fetch per part");
}

#[tokio::test]
async fn a_list_streamed_inside_another_list_is_cut_at_each_place() {
    let shop = Shop::start().await;
    // Product 1 has two reviews, product 2 one; authors come from accounts.
    let query = r#"{ topProducts(first: 2) { name reviews @stream(initialCount: 1, label: "rest") { body author { name } } } }"#;
    let parts = shop.parts(query, json!({})).await;
    assert_eq!(
        parts,
        vec![
            json!({"data": {"topProducts": [
                {"name": "Table", "reviews": [{"body": "Love it!", "author": {"name": "Ada Lovelace"}}]},
                {"name": "Couch", "reviews": [{"body": "Too expensive.", "author": {"name": "Ada Lovelace"}}]}
            ]}, "hasNext": true}),
            json!({
                "incremental": [{
                    "items": [{"body": "Prefer something else.", "author": {"name": "Alan Turing"}}],
                    "path": ["topProducts", 0, "reviews", 1],
                    "label": "rest"
                }],
                "hasNext": false
            }),
        ]
    );
    // Authors of the first reviews before the first payload, the later one after it.
    assert_eq!(
        shop.take_counts(),
        vec![("accounts", 2), ("products", 1), ("reviews", 1)]
    );
}

#[tokio::test]
async fn an_error_in_a_later_item_goes_with_that_item() {
    let shop = Shop::start().await;
    // `flaky` fails for user 2, who wrote the second review of product 1; with initialCount 0
    // every product comes later.
    let query = r#"{ topProducts(first: 2) @stream(initialCount: 0) { name reviews { author { flaky } } } }"#;
    let parts = shop.parts(query, json!({})).await;
    assert_eq!(parts.len(), 2, "{parts:?}");
    assert_eq!(
        parts[0],
        json!({"data": {"topProducts": []}, "hasNext": true})
    );
    let item = &parts[1]["incremental"][0];
    assert_eq!(item["path"], json!(["topProducts", 0]));
    assert_eq!(
        item["items"],
        json!([
            {"name": "Table", "reviews": [{"author": {"flaky": "ok-1"}}, {"author": {"flaky": null}}]},
            {"name": "Couch", "reviews": [{"author": {"flaky": "ok-1"}}]}
        ])
    );
    assert_eq!(item["errors"][0]["message"], "flaky failed");
    assert_eq!(
        item["errors"][0]["path"],
        json!(["topProducts", 0, "reviews", 1, "author", "flaky"])
    );
    assert_eq!(item["errors"].as_array().unwrap().len(), 1);
    assert_eq!(parts[1]["hasNext"], false);
    // Nothing to fetch below the list before the first payload: one fetch each, after it.
    assert_eq!(
        shop.take_counts(),
        vec![("accounts", 1), ("products", 1), ("reviews", 1)]
    );
}
