//! Subgraph fetches over HTTP/2 (`ROUTER_SUBGRAPH_HTTP2`): the subgraph sees HTTP/2 requests
//! for the subgraphs named and HTTP/1.1 for the others, and the answers are the same.

use std::sync::{Arc, Mutex};

use axum::http::Version;
use serde_json::{json, Value};

use crate::common::*;

const SDL: &str = "type Query { hello: String }";

/// A subgraph that answers `hello` and records the HTTP version of each request it gets.
async fn recording_subgraph() -> (String, Arc<Mutex<Vec<Version>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    let app = axum::Router::new().route(
        "/graphql",
        axum::routing::post(
            move |version: Version, axum::Json(body): axum::Json<Value>| {
                let log = log.clone();
                async move {
                    log.lock().unwrap().push(version);
                    let query = body["query"].as_str().unwrap_or_default();
                    if query.contains("_service") {
                        axum::Json(json!({"data": {"_service": {"sdl": SDL}}}))
                    } else {
                        axum::Json(json!({"data": {"hello": "world"}}))
                    }
                }
            },
        ),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}/graphql"), seen)
}

async fn router_to(url: &str, http2: &[&str]) -> String {
    let list = vec![("greeter".to_string(), url.to_string())];
    let sdl = router::reload::compose_from_subgraphs(&list)
        .await
        .expect("fixture subgraph composes");
    let mut config = router::RouterConfig::with_supergraph_sdl(sdl);
    config.subgraph_http2 = http2.iter().map(|s| s.to_string()).collect();
    // Each request makes its own fetch, so every one is seen.
    config.dedup.enabled = false;
    start_router_with_config(config).await
}

#[tokio::test]
async fn named_subgraphs_are_fetched_over_http2_and_others_over_http1() {
    for (setting, expected) in [
        (&["greeter"][..], Version::HTTP_2),
        (&["*"][..], Version::HTTP_2),
        (&["someone-else"][..], Version::HTTP_11),
        (&[][..], Version::HTTP_11),
    ] {
        let (url, seen) = recording_subgraph().await;
        let router = router_to(&url, setting).await;
        seen.lock().unwrap().clear();
        // Concurrent requests share the HTTP/2 connection as streams.
        let answers =
            futures_util::future::join_all((0..20).map(|_| gql(&router, "{ hello }", json!({}))))
                .await;
        for body in answers {
            assert_eq!(body, json!({"data": {"hello": "world"}}), "{setting:?}");
        }
        let seen = seen.lock().unwrap().clone();
        assert_eq!(seen.len(), 20, "{setting:?}: one fetch per request");
        assert!(
            seen.iter().all(|v| *v == expected),
            "{setting:?}: expected {expected:?}, the subgraph saw {seen:?}"
        );
    }
}
