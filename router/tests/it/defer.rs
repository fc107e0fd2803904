//! `@defer` runs each subgraph fetch once: a proxy in front of every fixture subgraph counts the
//! fetches of a deferred query, and the payloads are checked for nested fragments, labels,
//! `if`, fragments inside lists, fragments at the root, and errors inside a deferred part.

use std::sync::{Arc, Mutex};

use serde_json::{json, Value};

use crate::common::*;
use crate::fixtures::*;
use crate::multipart::{Parts, DEFER_ACCEPT};

/// The operations the router sent one subgraph (composition's `_service` queries left out).
type Seen = Arc<Mutex<Vec<String>>>;

/// Serves in front of `upstream`, recording every operation it passes on.
async fn counted(upstream: String) -> (String, Seen) {
    let seen: Seen = Arc::default();
    let log = seen.clone();
    let url = proxy(upstream, move |body: Value| {
        let log = log.clone();
        async move {
            let query = body["query"].as_str().unwrap_or_default().to_string();
            if !query.contains("_service") {
                log.lock().unwrap().push(query);
            }
        }
    })
    .await;
    (url, seen)
}

/// The fixture shop behind counting proxies (also used by `stream`).
pub(crate) struct Shop {
    pub(crate) url: String,
    seen: Vec<(&'static str, Seen)>,
}

impl Shop {
    pub(crate) async fn start() -> Shop {
        let mut seen = Vec::new();
        let mut urls = Vec::new();
        for name in ["accounts", "products", "inventory", "reviews"] {
            let upstream = match name {
                "accounts" => serve_subgraph(accounts::schema()).await,
                "products" => serve_subgraph(products::schema()).await,
                "inventory" => serve_subgraph(inventory::schema()).await,
                _ => serve_subgraph(reviews::schema()).await,
            };
            let (url, log) = counted(upstream).await;
            urls.push((name, url));
            seen.push((name, log));
        }
        let list: Vec<(&str, &str)> = urls.iter().map(|(n, u)| (*n, u.as_str())).collect();
        Shop {
            url: start_router(&list).await,
            seen,
        }
    }

    /// Fetches per subgraph since the last call (subgraphs with none left out).
    pub(crate) fn take_counts(&self) -> Vec<(&'static str, usize)> {
        self.seen
            .iter()
            .map(|(name, log)| (*name, std::mem::take(&mut *log.lock().unwrap()).len()))
            .filter(|(_, n)| *n > 0)
            .collect()
    }

    /// Every payload of a deferred operation over multipart/mixed.
    pub(crate) async fn parts(&self, query: &str, variables: Value) -> Vec<Value> {
        let resp = reqwest::Client::new()
            .post(&self.url)
            .header("accept", DEFER_ACCEPT)
            .json(&json!({"query": query, "variables": variables}))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
        let mut parts = Parts::new(resp);
        let mut out = Vec::new();
        while let Some(p) = parts.next().await {
            out.push(p);
        }
        out
    }
}

#[tokio::test]
async fn a_deferred_query_fetches_from_each_subgraph_as_often_as_the_same_query_undeferred() {
    let shop = Shop::start().await;
    let plain = "{ topProducts(first: 2) { upc name reviews { body author { name } } } }";
    gql(&shop.url, plain, json!({})).await;
    let undeferred = shop.take_counts();
    assert_eq!(
        undeferred,
        vec![("accounts", 1), ("products", 1), ("reviews", 1)]
    );

    let deferred = r#"{ topProducts(first: 2) { upc name ... @defer(label: "reviews") { reviews { body author { name } } } } }"#;
    let parts = shop.parts(deferred, json!({})).await;
    assert_eq!(shop.take_counts(), undeferred, "{parts:?}");
    assert_eq!(
        parts,
        vec![
            json!({"data": {"topProducts": [{"upc": "1", "name": "Table"}, {"upc": "2", "name": "Couch"}]}, "hasNext": true}),
            json!({
                "incremental": [
                    {"data": {"reviews": [
                        {"body": "Love it!", "author": {"name": "Ada Lovelace"}},
                        {"body": "Prefer something else.", "author": {"name": "Alan Turing"}}
                    ]}, "path": ["topProducts", 0], "label": "reviews"},
                    {"data": {"reviews": [{"body": "Too expensive.", "author": {"name": "Ada Lovelace"}}]},
                     "path": ["topProducts", 1], "label": "reviews"}
                ],
                "hasNext": false
            }),
        ]
    );
}

#[tokio::test]
async fn deferred_fields_of_the_first_parts_fetch_are_held_back_not_fetched_again() {
    let shop = Shop::start().await;
    // `price` comes from the products fetch that serves the first part; a deferred root field
    // from another subgraph is a fetch of its own that waits.
    let query = r#"{
        topProducts(first: 1) { name ... @defer(label: "price") { price } }
        ... @defer(label: "me") { me { name } }
    }"#;
    let parts = shop.parts(query, json!({})).await;
    assert_eq!(shop.take_counts(), vec![("accounts", 1), ("products", 1)]);
    assert_eq!(parts.len(), 3, "{parts:?}");
    assert_eq!(
        parts[0],
        json!({"data": {"topProducts": [{"name": "Table"}]}, "hasNext": true})
    );
    let mut rest: Vec<Value> = parts[1..]
        .iter()
        .map(|p| p["incremental"][0].clone())
        .collect();
    rest.sort_by_key(|item| item["label"].to_string());
    assert_eq!(
        rest,
        vec![
            json!({"data": {"me": {"name": "Ada Lovelace"}}, "path": [], "label": "me"}),
            json!({"data": {"price": 899}, "path": ["topProducts", 0], "label": "price"}),
        ]
    );
    assert_eq!(parts[1]["hasNext"], true);
    assert_eq!(parts[2]["hasNext"], false);
}

#[tokio::test]
async fn a_nested_defer_comes_after_the_fragment_it_is_nested_in() {
    let shop = Shop::start().await;
    let query = r#"{
        topProducts(first: 1) {
            name
            ... @defer(label: "outer") {
                reviews { body author { ... @defer(label: "inner") { name } } }
            }
        }
    }"#;
    let parts = shop.parts(query, json!({})).await;
    assert_eq!(
        shop.take_counts(),
        vec![("accounts", 1), ("products", 1), ("reviews", 1)]
    );
    assert_eq!(
        parts,
        vec![
            json!({"data": {"topProducts": [{"name": "Table"}]}, "hasNext": true}),
            json!({
                "incremental": [{
                    "data": {"reviews": [{"body": "Love it!", "author": {}}, {"body": "Prefer something else.", "author": {}}]},
                    "path": ["topProducts", 0],
                    "label": "outer"
                }],
                "hasNext": true
            }),
            json!({
                "incremental": [
                    {"data": {"name": "Ada Lovelace"}, "path": ["topProducts", 0, "reviews", 0, "author"], "label": "inner"},
                    {"data": {"name": "Alan Turing"}, "path": ["topProducts", 0, "reviews", 1, "author"], "label": "inner"}
                ],
                "hasNext": false
            }),
        ]
    );
}

#[tokio::test]
async fn defer_in_a_list_sends_the_fragment_at_every_item_and_if_false_sends_it_inline() {
    let shop = Shop::start().await;
    let query = r#"query Stock($d: Boolean!) {
        topProducts(first: 3) { upc ... @defer(if: $d, label: "stock") { inStock } }
    }"#;
    let parts = shop.parts(query, json!({"d": true})).await;
    assert_eq!(shop.take_counts(), vec![("products", 1), ("inventory", 1)]);
    assert_eq!(
        parts,
        vec![
            json!({"data": {"topProducts": [{"upc": "1"}, {"upc": "2"}, {"upc": "3"}]}, "hasNext": true}),
            json!({
                "incremental": [
                    {"data": {"inStock": true}, "path": ["topProducts", 0], "label": "stock"},
                    {"data": {"inStock": false}, "path": ["topProducts", 1], "label": "stock"},
                    {"data": {"inStock": true}, "path": ["topProducts", 2], "label": "stock"}
                ],
                "hasNext": false
            }),
        ]
    );
    // `if: false` (by variable or literal): one complete part, fetched as usual.
    for (query, vars) in [
        (query, json!({"d": false})),
        (
            r#"{ topProducts(first: 3) { upc ... @defer(if: false) { inStock } } }"#,
            json!({}),
        ),
    ] {
        let resp = reqwest::Client::new()
            .post(&shop.url)
            .header("accept", "multipart/mixed;deferSpec=20220824")
            .json(&json!({"query": query, "variables": vars}))
            .send()
            .await
            .unwrap();
        let mut parts = Parts::new(resp);
        let only = parts.next().await.unwrap();
        assert_eq!(only["hasNext"], false, "{only}");
        assert_eq!(
            only["data"]["topProducts"][1],
            json!({"upc": "2", "inStock": false})
        );
        assert_eq!(parts.next().await, None);
        assert_eq!(shop.take_counts(), vec![("products", 1), ("inventory", 1)]);
    }
}

#[tokio::test]
async fn an_error_inside_a_deferred_part_is_reported_in_that_part_only() {
    let shop = Shop::start().await;
    // `flaky` fails for user 2, who wrote the second review of product 1.
    let query = r#"{
        topProducts(first: 2) {
            name
            ... @defer(label: "authors") { reviews { author { flaky } } }
        }
    }"#;
    let parts = shop.parts(query, json!({})).await;
    assert_eq!(parts.len(), 2, "{parts:?}");
    assert_eq!(
        parts[0],
        json!({"data": {"topProducts": [{"name": "Table"}, {"name": "Couch"}]}, "hasNext": true}),
        "the first part has no errors"
    );
    let items = parts[1]["incremental"].as_array().unwrap();
    assert_eq!(
        items[0]["data"],
        json!({"reviews": [{"author": {"flaky": "ok-1"}}, {"author": {"flaky": null}}]})
    );
    let errors = items[0]["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0]["message"], "flaky failed");
    assert_eq!(
        errors[0]["path"],
        json!(["topProducts", 0, "reviews", 1, "author", "flaky"])
    );
    assert_eq!(
        items[1]["data"],
        json!({"reviews": [{"author": {"flaky": "ok-1"}}]})
    );
    assert!(items[1].get("errors").is_none(), "{}", items[1]);
    assert!(parts[1].get("errors").is_none(), "{}", parts[1]);
    assert_eq!(parts[1]["hasNext"], false);
}
