//! Observability: Prometheus metrics at `/metrics` after traffic, and the JSON access log
//! (one line per request with operation and client headers, never the token).

use serde_json::{json, Value};

use crate::common::*;
use crate::fixtures::*;

async fn shop(access_log: router::access_log::Target) -> String {
    let accounts = serve_subgraph(accounts::schema()).await;
    let products = serve_subgraph(products::schema()).await;
    let reviews = serve_subgraph(reviews::schema()).await;
    let list: Vec<(String, String)> = [
        ("accounts", accounts),
        ("products", products),
        ("reviews", reviews),
    ]
    .into_iter()
    .map(|(n, u)| (n.to_string(), u))
    .collect();
    let sdl = router::reload::compose_from_subgraphs(&list).await.unwrap();
    let mut config = router::RouterConfig::with_supergraph_sdl(sdl);
    config.access_log = access_log;
    start_router_with_config(config).await
}

async fn post_named(url: &str, name: &str, query: &str, headers: &[(&str, &str)]) -> (u16, Value) {
    let mut req = reqwest::Client::new()
        .post(url)
        .json(&json!({"query": query, "operationName": name, "variables": {"secret": "hunter2"}}));
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let resp = req.send().await.unwrap();
    (resp.status().as_u16(), resp.json().await.unwrap())
}

#[tokio::test]
async fn metrics_count_requests_fetches_and_plan_cache() {
    let url = shop(router::access_log::Target::Off).await;
    let query = "query MetricsTopProducts { topProducts { upc reviews { body } } }";
    for _ in 0..3 {
        let (status, body) = post_named(&url, "MetricsTopProducts", query, &[]).await;
        assert_eq!(status, 200, "{body}");
        assert!(body["data"]["topProducts"][0]["upc"].is_string(), "{body}");
    }
    let (status, _) = post_named(&url, "MetricsBroken", "query MetricsBroken { nope }", &[]).await;
    assert_eq!(status, 200);
    let text = metrics_text(&url).await;
    let value = |prefix: &str| -> f64 {
        text.lines()
            .find(|l| l.starts_with(prefix))
            .unwrap_or_else(|| panic!("no metric line {prefix} in\n{text}"))
            .rsplit(' ')
            .next()
            .unwrap()
            .parse()
            .unwrap()
    };
    assert_eq!(
        value(r#"router_requests_total{operation="MetricsTopProducts",outcome="ok"}"#),
        3.0
    );
    assert_eq!(
        value(r#"router_requests_total{operation="MetricsBroken",outcome="request_error"}"#),
        1.0
    );
    assert!(
        value(
            r#"router_request_duration_seconds_count{operation="MetricsTopProducts",outcome="ok"}"#
        ) >= 3.0
    );
    assert!(value(r#"router_subgraph_fetch_duration_seconds_count{subgraph="products"}"#) >= 3.0);
    assert!(value(r#"router_subgraph_fetch_duration_seconds_count{subgraph="reviews"}"#) >= 3.0);
    assert!(value(r#"router_plan_cache_total{result="hit"}"#) >= 2.0);
    assert!(value(r#"router_plan_cache_total{result="miss"}"#) >= 1.0);
    assert!(text.contains("router_active_subscriptions"), "{text}");
}

#[tokio::test]
async fn subgraph_errors_are_counted_by_subgraph() {
    let accounts = serve_subgraph(accounts::schema()).await;
    let products = serve_subgraph(products::schema()).await;
    let dead = dead_url().await;
    let url = start_router_overriding(
        &[("accounts", &accounts), ("products", &products)],
        &[("products", &dead)],
    )
    .await;
    let (status, _) = post_named(&url, "Down", "query Down { topProducts { upc } }", &[]).await;
    assert_eq!(status, 200);
    let text = metrics_text(&url).await;
    assert!(
        text.lines()
            .any(|l| l.starts_with(r#"router_subgraph_fetch_errors_total{subgraph="products"}"#)),
        "{text}"
    );
}

#[tokio::test]
async fn access_log_has_one_json_line_per_request_and_no_secrets() {
    let path = std::env::temp_dir().join(format!("router-access-{}.log", std::process::id()));
    let _ = std::fs::remove_file(&path);
    let url = shop(router::access_log::Target::File(path.clone())).await;
    let token = "eyJhbGciOiJFZERTQSJ9.c2VjcmV0LXRva2Vu.c2lnbmF0dXJl";
    let cookie = "session=topsecretcookie";
    let (status, _) = post_named(
        &url,
        "LoggedMe",
        "query LoggedMe($secret: String) { me { id } }",
        &[
            ("authorization", &format!("Bearer {token}")),
            ("cookie", cookie),
            ("apollographql-client-name", "web-shop"),
            ("apollographql-client-version", "1.2.3"),
        ],
    )
    .await;
    // The token is forged: refused at the edge, and still logged without the token.
    assert_eq!(status, 401);
    let (status, _) = post_named(
        &url,
        "LoggedAnon",
        "query LoggedAnon($secret: String) { me { id } nope }",
        &[("apollographql-client-name", "ios")],
    )
    .await;
    assert_eq!(status, 200);
    let text = std::fs::read_to_string(&path).unwrap();
    for secret in [token, "hunter2", "topsecretcookie", "c2VjcmV0LXRva2Vu"] {
        assert!(!text.contains(secret), "{secret} leaked into\n{text}");
    }
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    assert_eq!(lines.len(), 2, "{text}");
    assert_eq!(lines[0]["operation"], "LoggedMe");
    assert_eq!(lines[0]["status"], 401);
    assert_eq!(lines[0]["client_name"], "web-shop");
    assert_eq!(lines[0]["client_version"], "1.2.3");
    assert_eq!(lines[0]["error_codes"], json!(["UNAUTHENTICATED"]));
    assert_eq!(lines[1]["operation"], "LoggedAnon");
    assert_eq!(lines[1]["client_name"], "ios");
    assert_eq!(
        lines[1]["error_codes"],
        json!(["GRAPHQL_VALIDATION_FAILED"])
    );
    assert!(lines[1]["duration_ms"].as_f64().unwrap() >= 0.0);
    let _ = std::fs::remove_file(&path);
}
