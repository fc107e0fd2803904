//! Persisted operations through the router: the APQ round trip a client makes (hash → not
//! found → hash + text → hash alone), a hash that does not match its text, APQ over GET, a
//! document registered on one router instance found by another through a shared Redis
//! (`TEST_REDIS_URL`), and trusted documents from a manifest with trusted-only mode refusing
//! free text.

use serde_json::{json, Value};

use crate::common::*;
use crate::fixtures::*;

async fn router_with(config: impl FnOnce(&mut router::RouterConfig)) -> String {
    let accounts = serve_subgraph(accounts::schema()).await;
    let sdl = router::reload::compose_from_subgraphs(&[("accounts".into(), accounts)])
        .await
        .unwrap();
    let mut c = router::RouterConfig::with_supergraph_sdl(sdl);
    config(&mut c);
    start_router_with_config(c).await
}

async fn send(url: &str, body: Value) -> (u16, Value) {
    let resp = reqwest::Client::new()
        .post(url)
        .json(&body)
        .send()
        .await
        .unwrap();
    (resp.status().as_u16(), resp.json().await.unwrap())
}

fn code(body: &Value) -> &str {
    body["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or_default()
}

fn apq(hash: &str) -> Value {
    json!({"persistedQuery": {"version": 1, "sha256Hash": hash}})
}

const ME: &str = "query Me { me { id name } }";

#[tokio::test]
async fn apq_round_trip_registers_the_text_once_then_runs_by_hash() {
    let url = router_with(|_| {}).await;
    let hash = router::persisted::sha256_hex(ME);
    // 1. The hash alone: unknown, so the client is told to send the text.
    let (status, body) = send(&url, json!({"extensions": apq(&hash)})).await;
    assert_eq!(status, 200);
    assert_eq!(code(&body), "PERSISTED_QUERY_NOT_FOUND");
    assert_eq!(body["errors"][0]["message"], "PersistedQueryNotFound");
    // 2. Hash and text: verified, stored, run.
    let (status, body) = send(&url, json!({"query": ME, "extensions": apq(&hash)})).await;
    assert_eq!(status, 200);
    assert_eq!(body["data"]["me"]["id"], "1", "{body}");
    // 3. The hash alone now runs, also over GET.
    let (_, body) = send(&url, json!({"extensions": apq(&hash)})).await;
    assert_eq!(body["data"]["me"]["id"], "1", "{body}");
    let get: Value = reqwest::Client::new()
        .get(&url)
        .query(&[("extensions", apq(&hash).to_string())])
        .header("apollo-require-preflight", "true")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(get["data"]["me"]["id"], "1", "{get}");
    // A text that does not hash to the claimed hash is refused and not stored.
    let other = router::persisted::sha256_hex("{ me { id } }");
    let (status, body) = send(&url, json!({"query": ME, "extensions": apq(&other)})).await;
    assert_eq!(status, 400);
    assert_eq!(code(&body), "PERSISTED_QUERY_HASH_MISMATCH");
    let (_, body) = send(&url, json!({"extensions": apq(&other)})).await;
    assert_eq!(code(&body), "PERSISTED_QUERY_NOT_FOUND");
    let (status, body) = send(
        &url,
        json!({"extensions": {"persistedQuery": {"version": 2, "sha256Hash": hash}}}),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(code(&body), "PERSISTED_QUERY_VERSION_UNSUPPORTED");
}

#[tokio::test]
async fn apq_documents_are_shared_through_redis_across_router_instances() {
    let Ok(redis) = std::env::var("TEST_REDIS_URL") else {
        eprintln!("TEST_REDIS_URL unset: the in-memory store is covered by the round-trip test");
        return;
    };
    let a = router_with(|c| c.redis_url = Some(redis.clone())).await;
    let b = router_with(|c| c.redis_url = Some(redis.clone())).await;
    // A text unique to this run, so a previous run's registration cannot satisfy the test.
    let query = format!("query Run{} {{ me {{ id }} }}", std::process::id());
    let hash = router::persisted::sha256_hex(&query);
    let (_, body) = send(&b, json!({"extensions": apq(&hash)})).await;
    assert_eq!(code(&body), "PERSISTED_QUERY_NOT_FOUND");
    let (_, body) = send(&a, json!({"query": query, "extensions": apq(&hash)})).await;
    assert_eq!(body["data"]["me"]["id"], "1", "{body}");
    let (_, body) = send(&b, json!({"extensions": apq(&hash)})).await;
    assert_eq!(body["data"]["me"]["id"], "1", "{body}");
}

fn manifest(name: &str, text: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("router-pq-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("manifest.json");
    std::fs::write(&path, text).unwrap();
    path
}

#[tokio::test]
async fn trusted_only_mode_runs_manifest_operations_by_id_and_refuses_the_rest() {
    let path = manifest(
        "apollo",
        &json!({
            "format": "apollo-persisted-query-manifest",
            "version": 1,
            "operations": [{"id": "me-v1", "name": "Me", "type": "query", "body": ME}]
        })
        .to_string(),
    );
    let url = router_with(|c| {
        c.persisted.manifest = Some(path.clone());
        c.persisted.trusted_only = true;
    })
    .await;
    // By documentId and by persistedQuery.sha256Hash.
    let (status, body) = send(&url, json!({"documentId": "me-v1"})).await;
    assert_eq!(status, 200);
    assert_eq!(body["data"]["me"]["id"], "1", "{body}");
    let (_, body) = send(&url, json!({"extensions": apq("me-v1")})).await;
    assert_eq!(body["data"]["me"]["name"], "Ada Lovelace", "{body}");
    // The exact text of a trusted document is accepted; any other text is not.
    let (_, body) = send(&url, json!({"query": ME})).await;
    assert_eq!(body["data"]["me"]["id"], "1", "{body}");
    let (status, body) = send(&url, json!({"query": "{ me { id } }"})).await;
    assert_eq!(status, 400);
    assert_eq!(code(&body), "PERSISTED_QUERY_NOT_IN_LIST");
    // Unknown ids, and APQ registration of new text, are refused too.
    let (status, body) = send(&url, json!({"documentId": "nope"})).await;
    assert_eq!(status, 400);
    assert_eq!(code(&body), "PERSISTED_QUERY_NOT_IN_LIST");
    assert!(body["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("nope"));
    let text = "{ me { name } }";
    let (status, body) = send(
        &url,
        json!({"query": text, "extensions": apq(&router::persisted::sha256_hex(text))}),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(code(&body), "PERSISTED_QUERY_NOT_IN_LIST");
    std::fs::remove_dir_all(path.parent().unwrap()).ok();
}

#[tokio::test]
async fn a_plain_manifest_serves_ids_next_to_free_text() {
    let path = manifest("plain", &json!({ "abc123": ME }).to_string());
    let url = router_with(|c| c.persisted.manifest = Some(path.clone())).await;
    let (_, body) = send(&url, json!({"documentId": "abc123"})).await;
    assert_eq!(body["data"]["me"]["id"], "1", "{body}");
    let body = gql(&url, "{ me { name } }", json!({})).await;
    assert_eq!(body["data"]["me"]["name"], "Ada Lovelace");
    // A manifest that cannot be read stops the router at start-up.
    let mut config = router::RouterConfig::with_supergraph_sdl("type Query { a: Int }");
    config.persisted.manifest = Some("/nonexistent/manifest.json".into());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let err = router::serve_on(listener, config, std::future::pending())
        .await
        .unwrap_err();
    assert!(err.to_string().contains("manifest"), "{err}");
    std::fs::remove_dir_all(path.parent().unwrap()).ok();
}
