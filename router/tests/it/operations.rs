//! Operating the router: the CLI (`compose`, `--supergraph` with hot reload), per-subgraph
//! timeouts, and Authorization propagation.

use std::process::Stdio;
use std::time::Duration;

use axum::http::HeaderMap;
use serde_json::{json, Value};

use crate::common::*;
use crate::fixtures::*;

fn temp_path(name: &str) -> std::path::PathBuf {
    std::env::temp_dir().join(format!("router-test-{}-{name}", std::process::id()))
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
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

#[tokio::test]
async fn cli_composes_then_serves_a_supergraph_file_and_reloads_it() {
    let accounts = serve_subgraph(accounts::schema()).await;
    let products = serve_subgraph(products::schema()).await;
    let list = temp_path("subgraphs.txt");
    std::fs::write(&list, format!("# test\naccounts={accounts}\n")).unwrap();
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_router"))
        .args(["compose", "--subgraphs"])
        .arg(&list)
        .output()
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let sdl = String::from_utf8(out.stdout).unwrap();
    assert!(sdl.contains("@join__graph(name: \"accounts\""), "{sdl}");
    assert!(
        sdl.contains("type Query @join__type(graph: ACCOUNTS)"),
        "{sdl}"
    );

    let supergraph = temp_path("supergraph.graphql");
    std::fs::write(&supergraph, &sdl).unwrap();
    let port = free_port();
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_router"))
        .arg("--supergraph")
        .arg(&supergraph)
        .args(["--listen", &format!("127.0.0.1:{port}")])
        .env("ROUTER_POLL_INTERVAL_MS", "100")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let url = format!("http://127.0.0.1:{port}/graphql");
    wait_until_up(&url).await;
    let body = gql(&url, "{ me { name } }", json!({})).await;
    assert_eq!(body, json!({"data": {"me": {"name": "Ada Lovelace"}}}));
    let (status, _) = post(&url, "{ topProducts { name } }", json!({})).await;
    assert_eq!(status, 400, "products is not in the first supergraph");

    // Add a subgraph, recompose into the same file: the running router picks it up.
    std::fs::write(&list, format!("accounts={accounts}\nproducts={products}\n")).unwrap();
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_router"))
        .args(["compose", "--subgraphs"])
        .arg(&list)
        .output()
        .await
        .unwrap();
    assert!(out.status.success());
    std::fs::write(&supergraph, &out.stdout).unwrap();
    let mut reloaded = false;
    for _ in 0..50 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let (status, body) = post(&url, "{ topProducts(first: 1) { name } }", json!({})).await;
        if status == 200 {
            assert_eq!(body, json!({"data": {"topProducts": [{"name": "Table"}]}}));
            reloaded = true;
            break;
        }
    }
    assert!(reloaded, "router did not reload the supergraph file");
    child.kill().await.unwrap();
    let _ = std::fs::remove_file(list);
    let _ = std::fs::remove_file(supergraph);
}

#[tokio::test]
async fn compose_errors_name_the_subgraph() {
    let list = temp_path("broken.txt");
    let dead = dead_url().await;
    std::fs::write(&list, format!("ghost={dead}\n")).unwrap();
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_router"))
        .args(["compose", "--subgraphs"])
        .arg(&list)
        .output()
        .await
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("ghost"));
    let _ = std::fs::remove_file(list);
}

const ECHO_SDL: &str = r#"
extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])
type Query { whoami: String slow: String }
"#;

/// A subgraph that reports the Authorization header it received, and one slow field.
async fn echo_subgraph() -> String {
    let app = axum::Router::new().route(
        "/graphql",
        axum::routing::post(
            |headers: HeaderMap, axum::Json(body): axum::Json<Value>| async move {
                let query = body["query"].as_str().unwrap_or_default().to_string();
                if query.contains("_service") {
                    return axum::Json(json!({"data": {"_service": {"sdl": ECHO_SDL}}}));
                }
                if query.contains("slow") {
                    tokio::time::sleep(Duration::from_secs(5)).await;
                    return axum::Json(json!({"data": {"slow": "late"}}));
                }
                let auth = headers
                    .get("authorization")
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_string);
                axum::Json(json!({"data": {"whoami": auth}}))
            },
        ),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}/graphql")
}

#[tokio::test]
async fn authorization_is_forwarded_and_slow_subgraphs_time_out() {
    let echo = echo_subgraph().await;
    let sdl = router::reload::compose_from_subgraphs(&[("echo".into(), echo)])
        .await
        .unwrap();
    let mut config = router::RouterConfig::with_supergraph_sdl(sdl);
    // The global default stays at 30 s; only this subgraph gets a short timeout.
    config
        .subgraph_timeouts
        .insert("echo".into(), Duration::from_millis(300));
    let url = start_router_with_config(config).await;
    let body: Value = reqwest::Client::new()
        .post(&url)
        .header("authorization", "Bearer abc")
        .header("x-other", "not forwarded")
        .json(&json!({"query": "{ whoami }"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(body, json!({"data": {"whoami": "Bearer abc"}}));

    let started = std::time::Instant::now();
    let body = gql(&url, "{ slow }", json!({})).await;
    assert!(started.elapsed() < Duration::from_secs(3));
    assert_eq!(body["data"], json!({"slow": null}));
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("timed out"),
        "{body}"
    );
}

#[tokio::test]
async fn subgraphs_mode_recomposes_when_a_subgraph_sdl_changes() {
    let sdl = std::sync::Arc::new(std::sync::Mutex::new(
        "type Query { hello: String }".to_string(),
    ));
    let shared = sdl.clone();
    let app = axum::Router::new().route(
        "/graphql",
        axum::routing::post(move |axum::Json(body): axum::Json<Value>| {
            let shared = shared.clone();
            async move {
                let query = body["query"].as_str().unwrap_or_default();
                if query.contains("_service") {
                    let sdl = shared.lock().unwrap().clone();
                    return axum::Json(json!({"data": {"_service": {"sdl": sdl}}}));
                }
                axum::Json(json!({"data": {"hello": "hi", "goodbye": "bye"}}))
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    let mut config = router::RouterConfig::with_subgraphs(vec![(
        "greeter".into(),
        format!("http://{addr}/graphql"),
    )]);
    config.poll_interval = Duration::from_millis(100);
    let url = start_router_with_config(config).await;
    assert_eq!(
        gql(&url, "{ hello }", json!({})).await,
        json!({"data": {"hello": "hi"}})
    );
    assert_eq!(post(&url, "{ goodbye }", json!({})).await.0, 400);

    *sdl.lock().unwrap() = "type Query { hello: String goodbye: String }".to_string();
    let mut seen = false;
    for _ in 0..50 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let (status, body) = post(&url, "{ goodbye }", json!({})).await;
        if status == 200 {
            assert_eq!(body, json!({"data": {"goodbye": "bye"}}));
            seen = true;
            break;
        }
    }
    assert!(seen, "router did not recompose");
}
