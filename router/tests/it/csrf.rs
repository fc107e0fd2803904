//! CSRF prevention and CORS at the router: requests a browser sends cross-site without a
//! preflight (GET, or POST as text/plain, form-urlencoded, multipart, or no content type) are
//! refused with 400 unless they carry a preflight header; JSON POSTs and the GraphiQL page are
//! untouched. CORS answers preflights for listed origins only, with credentials when enabled.

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

const QUERY: &str = r#"{"query": "{ me { id } }"}"#;

#[tokio::test]
async fn simple_requests_without_a_preflight_header_are_refused() {
    let url = router_with(|_| {}).await;
    let client = reqwest::Client::new();
    for ct in [
        Some("text/plain"),
        Some("application/x-www-form-urlencoded"),
        Some("multipart/form-data; boundary=x"),
        None,
    ] {
        let mut req = client.post(&url).body(QUERY);
        if let Some(ct) = ct {
            req = req.header("content-type", ct);
        }
        let resp = req.send().await.unwrap();
        assert_eq!(resp.status(), 400, "{ct:?}");
        let body: Value = resp.json().await.unwrap();
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "CSRF_PREVENTED",
            "{ct:?}"
        );
        assert!(body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("apollo-require-preflight"));
    }
    // The same text/plain POST with a preflight header runs (the body is still JSON).
    let resp = client
        .post(&url)
        .header("content-type", "text/plain")
        .header("x-apollo-operation-name", "Me")
        .body(QUERY)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["data"]["me"]["id"], "1");

    // GET: refused bare, run with the header.
    let get = |preflight: bool| {
        let mut req = client.get(&url).query(&[("query", "{ me { id } }")]);
        if preflight {
            req = req.header("apollo-require-preflight", "true");
        }
        req.send()
    };
    assert_eq!(get(false).await.unwrap().status(), 400);
    let ok: Value = get(true).await.unwrap().json().await.unwrap();
    assert_eq!(ok, json!({"data": {"me": {"id": "1"}}}));

    // JSON POSTs (every GraphQL client, GraphiQL) and the GraphiQL page need nothing.
    assert_eq!(
        gql(&url, "{ me { id } }", json!({})).await["data"]["me"]["id"],
        "1"
    );
    let page = client
        .get(&url)
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
}

#[tokio::test]
async fn csrf_prevention_can_be_switched_off() {
    let url = router_with(|c| c.csrf.enabled = false).await;
    let resp = reqwest::Client::new()
        .post(&url)
        .header("content-type", "text/plain")
        .body(QUERY)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
}

#[tokio::test]
async fn cors_allows_listed_origins_with_credentials_and_requested_headers() {
    let url = router_with(|c| {
        c.cors_origins = vec!["https://shop.example".into()];
        c.cors_allow_credentials = true;
    })
    .await;
    let client = reqwest::Client::new();
    let preflight = |origin: &'static str| {
        client
            .request(reqwest::Method::OPTIONS, &url)
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header(
                "access-control-request-headers",
                "content-type,authorization,apollo-require-preflight",
            )
            .send()
    };
    let ok = preflight("https://shop.example").await.unwrap();
    let h = ok.headers();
    assert_eq!(h["access-control-allow-origin"], "https://shop.example");
    assert_eq!(h["access-control-allow-credentials"], "true");
    let allowed = h["access-control-allow-headers"].to_str().unwrap();
    for name in ["content-type", "authorization", "apollo-require-preflight"] {
        assert!(allowed.contains(name), "{allowed}");
    }
    let other = preflight("https://evil.example").await.unwrap();
    assert!(other.headers().get("access-control-allow-origin").is_none());

    // An actual cross-origin POST gets the origin echoed and retry-after exposed.
    let resp = client
        .post(&url)
        .header("origin", "https://shop.example")
        .json(&json!({"query": "{ me { id } }"}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        resp.headers()["access-control-allow-origin"],
        "https://shop.example"
    );
    assert!(resp.headers()["access-control-expose-headers"]
        .to_str()
        .unwrap()
        .contains("retry-after"));

    // Credentials with a wildcard origin is a configuration error, not a silent default.
    let err = router::RouterConfig::with_supergraph_sdl("")
        .apply_vars(|k| match k {
            "ROUTER_CORS_ALLOW_CREDENTIALS" => Some("on".into()),
            _ => None,
        })
        .unwrap_err();
    assert!(err.to_string().contains("ROUTER_CORS_ORIGINS"), "{err}");
}
