//! Resilience at the router: a subgraph that fails opens its circuit after the configured
//! consecutive failures (then fetches fail fast with `SUBGRAPH_CIRCUIT_OPEN` naming it, without
//! reaching it), a probe after the cool-down finds it recovered and closes the circuit; and the
//! whole-operation timeout answers 504 `TIMEOUT` for an operation that takes too long.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{json, Value};

use crate::common::*;
use crate::fixtures::*;

const FLAKY: &str = r#"
extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])
type Query { hello: String }
"#;

fn code(body: &Value) -> &str {
    body["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or_default()
}

#[tokio::test]
async fn a_failing_subgraph_opens_its_circuit_and_a_probe_closes_it_on_recovery() {
    let down = Arc::new(AtomicBool::new(true));
    let hits = Arc::new(AtomicUsize::new(0));
    let (d, h) = (down.clone(), hits.clone());
    let flaky = serve_raw(FLAKY, move |_| {
        h.fetch_add(1, Ordering::SeqCst);
        if d.load(Ordering::SeqCst) {
            json!({"unexpected": "not a GraphQL response"})
        } else {
            json!({"data": {"hello": "world"}})
        }
    })
    .await;
    let sdl = router::reload::compose_from_subgraphs(&[("flaky".into(), flaky)])
        .await
        .unwrap();
    let mut config = router::RouterConfig::with_supergraph_sdl(sdl);
    config.breaker = router::breaker::BreakerConfig {
        failure_threshold: 2,
        cool_down_ms: 300,
    };
    let url = start_router_with_config(config).await;

    // Two failures reach the subgraph and open the circuit.
    for _ in 0..2 {
        let body = gql(&url, "{ hello }", json!({})).await;
        assert_eq!(code(&body), "SUBGRAPH_REQUEST_FAILED", "{body}");
    }
    assert_eq!(hits.load(Ordering::SeqCst), 2);
    // Open: fail fast without a fetch, naming the subgraph.
    let body = gql(&url, "{ hello }", json!({})).await;
    assert_eq!(code(&body), "SUBGRAPH_CIRCUIT_OPEN", "{body}");
    let message = body["errors"][0]["message"].as_str().unwrap();
    assert!(
        message.contains("'flaky'") && message.contains("circuit open"),
        "{message}"
    );
    assert_eq!(body["data"]["hello"], Value::Null);
    assert_eq!(
        hits.load(Ordering::SeqCst),
        2,
        "an open circuit sends nothing"
    );

    // The subgraph recovers; after the cool-down one probe goes through and closes the circuit.
    down.store(false, Ordering::SeqCst);
    let mut recovered = None;
    for _ in 0..100 {
        let body = gql(&url, "{ hello }", json!({})).await;
        if body["data"]["hello"] == "world" {
            recovered = Some(body);
            break;
        }
        assert_eq!(code(&body), "SUBGRAPH_CIRCUIT_OPEN", "{body}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(recovered.is_some(), "the circuit never half-opened");
    assert_eq!(hits.load(Ordering::SeqCst), 3, "exactly one probe");
    for _ in 0..3 {
        let body = gql(&url, "{ hello }", json!({})).await;
        assert_eq!(body["data"]["hello"], "world");
    }
    assert_eq!(
        hits.load(Ordering::SeqCst),
        6,
        "closed: every fetch goes out"
    );
}

#[tokio::test]
async fn an_operation_over_the_timeout_gets_504() {
    let log: ledger::Log = Arc::new(Mutex::new(Vec::new()));
    let a = serve_subgraph(ledger::a::schema(log.clone())).await;
    let b = serve_subgraph(ledger::b::schema(log.clone())).await;
    let sdl = router::reload::compose_from_subgraphs(&[("a".into(), a), ("b".into(), b)])
        .await
        .unwrap();
    let mut config = router::RouterConfig::with_supergraph_sdl(sdl);
    config.operation_timeout = Duration::from_millis(100);
    let url = start_router_with_config(config).await;
    let (status, body) = post(
        &url,
        r#"mutation { appendA(value: "slow", delayMs: 1500) }"#,
        json!({}),
    )
    .await;
    assert_eq!(status, 504, "{body}");
    assert_eq!(code(&body), "TIMEOUT");
    assert!(body["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("100 ms"));
    // A quick operation on the same router is unaffected.
    let body = gql(&url, r#"mutation { appendB(value: "quick") }"#, json!({})).await;
    assert!(body.get("errors").is_none(), "{body}");
}
