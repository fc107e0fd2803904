//! Per-client rate limits through the router: a client over its budget gets 429, `RATE_LIMITED`
//! and `Retry-After`; another token subject has its own budget; `X-Forwarded-For` from an
//! untrusted peer is ignored and believed from a trusted proxy; and two router instances sharing
//! a Redis (`TEST_REDIS_URL`) share the budget.

use serde_json::{json, Value};

use crate::common::*;
use crate::fixtures::*;

async fn router_with(rate: router::rate_limit::RateLimitConfig, redis: Option<String>) -> String {
    let accounts = serve_subgraph(accounts::schema()).await;
    let sdl = router::reload::compose_from_subgraphs(&[("accounts".into(), accounts)])
        .await
        .unwrap();
    let mut c = router::RouterConfig::with_supergraph_sdl(sdl);
    c.rate_limit = rate;
    c.redis_url = redis;
    start_router_with_config(c).await
}

/// An unsigned token whose `sub` names the bucket (the limiter never trusts it for access).
fn token(sub: &str) -> String {
    use base64::Engine;
    let b64 = |v: Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string());
    format!(
        "{}.{}.c2ln",
        b64(json!({"alg": "none"})),
        b64(json!({"sub": sub}))
    )
}

async fn call(url: &str, headers: &[(&str, String)]) -> reqwest::Response {
    let mut req = reqwest::Client::new()
        .post(url)
        .json(&json!({"query": "{ me { id } }"}));
    for (k, v) in headers {
        req = req.header(*k, v);
    }
    req.send().await.unwrap()
}

fn limit(requests: u64) -> router::rate_limit::RateLimitConfig {
    router::rate_limit::RateLimitConfig {
        requests,
        window_secs: 3600,
        sliding: false,
        ..Default::default()
    }
}

#[tokio::test]
async fn a_client_over_its_budget_gets_429_with_retry_after() {
    let url = router_with(limit(3), None).await;
    for _ in 0..3 {
        assert_eq!(call(&url, &[]).await.status(), 200);
    }
    let resp = call(&url, &[]).await;
    assert_eq!(resp.status(), 429);
    let retry: u64 = resp.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=3600).contains(&retry), "{retry}");
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["errors"][0]["extensions"]["code"], "RATE_LIMITED");
    assert!(body["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("3 per 3600 s"));
    // A spoofed X-Forwarded-For from an untrusted peer does not buy a new budget...
    let spoof = [("x-forwarded-for", "203.0.113.7".to_string())];
    assert_eq!(call(&url, &spoof).await.status(), 429);
    // ...but a token subject is its own client (past the limiter, the edge's token check then
    // refuses this unsigned token: 401, not 429).
    let auth = [("authorization", format!("Bearer {}", token("someone")))];
    assert_eq!(call(&url, &auth).await.status(), 401);
}

#[tokio::test]
async fn forwarded_addresses_count_when_the_peer_is_a_trusted_proxy() {
    let mut rate = limit(1);
    rate.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
    let url = router_with(rate, None).await;
    let from = |ip: &str| [("x-forwarded-for", format!("{ip}, 127.0.0.1"))];
    assert_eq!(call(&url, &from("198.51.100.1")).await.status(), 200);
    assert_eq!(call(&url, &from("198.51.100.1")).await.status(), 429);
    assert_eq!(call(&url, &from("198.51.100.2")).await.status(), 200);
}

#[tokio::test]
async fn two_router_instances_share_the_budget_through_redis() {
    let Ok(redis) = std::env::var("TEST_REDIS_URL") else {
        eprintln!("TEST_REDIS_URL unset: only the in-memory limiter is tested");
        return;
    };
    let a = router_with(limit(3), Some(redis.clone())).await;
    let b = router_with(limit(3), Some(redis)).await;
    // A subject unique to this run keeps other runs' counters out.
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let auth = [(
        "authorization",
        format!("Bearer {}", token(&format!("shared-{nanos}"))),
    )];
    // Within the budget the limiter lets the request on (the edge then refuses the unsigned
    // token: 401); the fourth request, on either instance, is over the shared budget.
    assert_eq!(call(&a, &auth).await.status(), 401);
    assert_eq!(call(&b, &auth).await.status(), 401);
    assert_eq!(call(&a, &auth).await.status(), 401);
    assert_eq!(call(&b, &auth).await.status(), 429);
    assert_eq!(call(&a, &auth).await.status(), 429);
}
