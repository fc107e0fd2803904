//! `@stream` over multipart/mixed and SSE: a list's first `initialCount` items in the first
//! payload and the others in a later `items` payload; the whole list without a streaming
//! transport or with `if: false`; `initialCount` and the field's type checked; the directive
//! shown by introspection.

use serde_json::{json, Value};

use crate::common::*;
use crate::defer::Shop;
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
