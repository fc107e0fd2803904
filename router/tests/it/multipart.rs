//! Streaming over plain HTTP: `@defer` delivered incrementally over `multipart/mixed` and SSE
//! (the first part arrives while the subgraph behind the deferred fragment is still held), and
//! subscriptions over `multipart/mixed` (Apollo's `subscriptionSpec="1.0"`: heartbeats `{}`,
//! events as `{"payload": ...}`).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};
use tokio::sync::Semaphore;

use crate::common::*;
use crate::fixtures::*;

pub(crate) const DEFER_ACCEPT: &str = "multipart/mixed;deferSpec=20220824, application/json";
const SUBSCRIPTION_ACCEPT: &str = "multipart/mixed;subscriptionSpec=\"1.0\", application/json";
/// Guards against a hang only; nothing here measures speed.
const PATIENCE: Duration = Duration::from_secs(20);

/// Fetches that ask for entities wait here until the test opens it.
struct Gate {
    held: AtomicUsize,
    open: Semaphore,
}

/// Serves in front of `upstream`, holding its `_entities` fetches at the gate.
async fn gated(upstream: String, gate: Arc<Gate>) -> String {
    proxy(upstream, move |body: Value| {
        let gate = gate.clone();
        async move {
            if body["query"]
                .as_str()
                .unwrap_or_default()
                .contains("_entities")
            {
                gate.held.fetch_add(1, Ordering::SeqCst);
                let _pass = gate.open.acquire().await.unwrap();
            }
        }
    })
    .await
}

async fn shop_with_held_reviews() -> (String, Arc<Gate>) {
    let gate = Arc::new(Gate {
        held: AtomicUsize::new(0),
        open: Semaphore::new(0),
    });
    let products = serve_subgraph(products::schema()).await;
    let reviews = gated(serve_subgraph(reviews::schema()).await, gate.clone()).await;
    let accounts = serve_subgraph(accounts::schema()).await;
    let url = start_router(&[
        ("accounts", &accounts),
        ("products", &products),
        ("reviews", &reviews),
    ])
    .await;
    (url, gate)
}

/// Reads a `multipart/mixed; boundary="graphql"` body part by part.
pub(crate) struct Parts {
    resp: reqwest::Response,
    buf: String,
    started: bool,
    done: bool,
}

const DELIMITER: &str = "\r\n--graphql";

impl Parts {
    pub(crate) fn new(resp: reqwest::Response) -> Parts {
        Parts {
            resp,
            buf: String::new(),
            started: false,
            done: false,
        }
    }

    /// The next part's JSON; `None` after the closing delimiter.
    pub(crate) async fn next(&mut self) -> Option<Value> {
        loop {
            if !self.started {
                if let Some(rest) = self.buf.strip_prefix(DELIMITER) {
                    self.buf = rest.to_string();
                    self.started = true;
                    continue;
                }
            } else if self.buf.starts_with("--") {
                self.done = true;
                return None;
            } else if let Some(end) = self.buf.find(DELIMITER) {
                let part = self.buf[..end].to_string();
                self.buf = self.buf[end + DELIMITER.len()..].to_string();
                let (headers, body) = part.split_once("\r\n\r\n").expect("part headers");
                assert!(
                    headers
                        .to_ascii_lowercase()
                        .contains("content-type: application/json"),
                    "{headers}"
                );
                return Some(serde_json::from_str(body).expect("a JSON part"));
            }
            if self.done {
                return None;
            }
            let chunk = tokio::time::timeout(PATIENCE, self.resp.chunk())
                .await
                .expect("the router kept the stream waiting")
                .unwrap();
            match chunk {
                Some(c) => self.buf.push_str(std::str::from_utf8(&c).unwrap()),
                None => panic!(
                    "the body ended without the closing delimiter: {:?}",
                    self.buf
                ),
            }
        }
    }
}

const DEFERRED: &str = r#"query Top {
  topProducts(first: 2) {
    upc
    name
    ... @defer(label: "reviews") { reviews { body author { name } } }
  }
}"#;

#[tokio::test]
async fn defer_over_multipart_sends_the_first_part_before_the_deferred_fetch_finishes() {
    let (url, gate) = shop_with_held_reviews().await;
    let resp = reqwest::Client::new()
        .post(&url)
        .header("accept", DEFER_ACCEPT)
        .json(&json!({"query": DEFERRED}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let content_type = resp.headers()["content-type"].to_str().unwrap().to_string();
    assert!(
        content_type.starts_with("multipart/mixed")
            && content_type.contains("boundary=\"graphql\"")
            && content_type.contains("deferSpec=20220824"),
        "{content_type}"
    );
    let mut parts = Parts::new(resp);

    // The reviews fetch is held at the gate, and the first part is here anyway.
    let first = parts.next().await.unwrap();
    assert_eq!(
        first,
        json!({
            "data": {"topProducts": [{"upc": "1", "name": "Table"}, {"upc": "2", "name": "Couch"}]},
            "hasNext": true
        })
    );
    // The deferred fetch does reach the held subgraph (so it was pending all along).
    let waited = tokio::time::timeout(PATIENCE, async {
        while gate.held.load(Ordering::SeqCst) == 0 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await;
    assert!(waited.is_ok(), "the deferred fetch never reached reviews");

    gate.open.add_permits(1000);
    let rest = parts.next().await.unwrap();
    assert_eq!(
        rest,
        json!({
            "incremental": [
                {
                    "data": {"reviews": [
                        {"body": "Love it!", "author": {"name": "Ada Lovelace"}},
                        {"body": "Prefer something else.", "author": {"name": "Alan Turing"}}
                    ]},
                    "path": ["topProducts", 0],
                    "label": "reviews"
                },
                {
                    "data": {"reviews": [{"body": "Too expensive.", "author": {"name": "Ada Lovelace"}}]},
                    "path": ["topProducts", 1],
                    "label": "reviews"
                }
            ],
            "hasNext": false
        })
    );
    assert_eq!(
        parts.next().await,
        None,
        "the body closes after the last part"
    );
}

#[tokio::test]
async fn defer_over_sse_sends_one_next_per_payload() {
    let (url, gate) = shop_with_held_reviews().await;
    let mut resp = reqwest::Client::new()
        .post(&url)
        .header("accept", "text/event-stream")
        .json(&json!({"query": DEFERRED}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let mut text = String::new();
    // The first `next` arrives while the reviews fetch is held.
    while !text.contains("\n\n") {
        let chunk = tokio::time::timeout(PATIENCE, resp.chunk())
            .await
            .expect("the first event never came")
            .unwrap()
            .expect("the stream ended early");
        text.push_str(std::str::from_utf8(&chunk).unwrap());
    }
    let first = text.split("\n\n").next().unwrap().to_string();
    assert!(first.contains("event: next"), "{first}");
    let data: Value = serde_json::from_str(first.split("data: ").nth(1).unwrap().trim()).unwrap();
    assert_eq!(data["hasNext"], true, "{data}");
    assert_eq!(data["data"]["topProducts"][1]["name"], "Couch");

    gate.open.add_permits(1000);
    while let Some(chunk) = tokio::time::timeout(PATIENCE, resp.chunk())
        .await
        .unwrap()
        .unwrap()
    {
        text.push_str(std::str::from_utf8(&chunk).unwrap());
    }
    let events: Vec<&str> = text
        .split("\n\n")
        .filter(|e| !e.trim().is_empty())
        .collect();
    assert_eq!(events.len(), 3, "{text}");
    let second: Value =
        serde_json::from_str(events[1].split("data: ").nth(1).unwrap().trim()).unwrap();
    assert_eq!(second["hasNext"], false);
    assert_eq!(second["incremental"][1]["path"], json!(["topProducts", 1]));
    assert!(events[2].contains("event: complete"), "{}", events[2]);
}

#[tokio::test]
async fn defer_that_is_off_or_a_plain_query_over_multipart_is_one_complete_part() {
    let (url, gate) = shop_with_held_reviews().await;
    gate.open.add_permits(1000);
    let query = r#"query Top($d: Boolean!) {
        topProducts(first: 1) { name ... @defer(if: $d) { reviews { body } } }
    }"#;
    // Only multipart accepted: one part with everything.
    let resp = reqwest::Client::new()
        .post(&url)
        .header("accept", "multipart/mixed;deferSpec=20220824")
        .json(&json!({"query": query, "variables": {"d": false}}))
        .send()
        .await
        .unwrap();
    let mut parts = Parts::new(resp);
    assert_eq!(
        parts.next().await.unwrap(),
        json!({
            "data": {"topProducts": [{"name": "Table", "reviews": [{"body": "Love it!"}, {"body": "Prefer something else."}]}]},
            "hasNext": false
        })
    );
    assert_eq!(parts.next().await, None);
    // A client that also takes JSON gets plain JSON when nothing is deferred.
    let resp = reqwest::Client::new()
        .post(&url)
        .header("accept", DEFER_ACCEPT)
        .json(&json!({"query": query, "variables": {"d": false}}))
        .send()
        .await
        .unwrap();
    assert!(resp.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/json"));
    let body: Value = resp.json().await.unwrap();
    assert_eq!(
        body["data"]["topProducts"][0]["reviews"][0]["body"],
        "Love it!"
    );
}

#[tokio::test]
async fn subscription_over_multipart_sends_heartbeats_and_payloads() {
    let accounts = serve_subgraph(accounts::schema()).await;
    let products = serve_subgraph(products::schema()).await;
    let inventory = serve_subgraph(inventory::schema()).await;
    let reviews = serve_subgraph(reviews::schema()).await;
    let sdl = router::reload::compose_from_subgraphs(&[
        ("accounts".into(), accounts),
        ("products".into(), products),
        ("inventory".into(), inventory),
        ("reviews".into(), reviews),
    ])
    .await
    .unwrap();
    let mut config = router::RouterConfig::with_supergraph_sdl(sdl);
    // Heartbeats between events too (the test skips them wherever they fall).
    config.multipart_heartbeat = Duration::from_millis(5);
    let url = start_router_with_config(config).await;
    let resp = reqwest::Client::new()
        .post(&url)
        .header("accept", SUBSCRIPTION_ACCEPT)
        .json(&json!({
            "query": "subscription { reviewAdded(count: 2) { body product { name inStock } } }"
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let content_type = resp.headers()["content-type"].to_str().unwrap().to_string();
    assert!(
        content_type.contains("subscriptionSpec=\"1.0\""),
        "{content_type}"
    );
    let mut parts = Parts::new(resp);
    assert_eq!(
        parts.next().await.unwrap(),
        json!({}),
        "a heartbeat says the subscription is established"
    );
    let mut payloads = Vec::new();
    while let Some(p) = parts.next().await {
        if p == json!({}) {
            continue; // heartbeats may come between events
        }
        payloads.push(p);
    }
    assert_eq!(
        payloads,
        vec![
            json!({"payload": {"data": {"reviewAdded": {"body": "Love it!", "product": {"name": "Table", "inStock": true}}}}}),
            json!({"payload": {"data": {"reviewAdded": {"body": "Too expensive.", "product": {"name": "Couch", "inStock": false}}}}}),
        ]
    );
}

#[tokio::test]
async fn a_bad_subscription_over_multipart_is_a_request_error() {
    let reviews = serve_subgraph(reviews::schema()).await;
    let url = start_router(&[("reviews", &reviews)]).await;
    let resp = reqwest::Client::new()
        .post(&url)
        .header("accept", SUBSCRIPTION_ACCEPT)
        .json(&json!({"query": "subscription { reviewAdded(count: 1) { nope } }"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    let body: Value = resp.json().await.unwrap();
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("nope"),
        "{body}"
    );
}
