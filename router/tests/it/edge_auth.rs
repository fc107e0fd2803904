//! JWT at the edge: the router verifies bearer tokens against the accounts JWKS once, refusing
//! forged, expired, wrong-`kid`, wrong-algorithm and non-bearer credentials with 401 and
//! `UNAUTHENTICATED`, letting anonymous requests through, refreshing the JWKS for a rotated key
//! (rate-limited), and still forwarding the token to subgraphs.

use std::time::Duration;

use serde_json::{json, Value};

use crate::common::*;
use crate::tokens::*;

const WHOAMI_SDL: &str = r#"
extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])
type Query { whoami: String }
"#;

/// A subgraph answering `whoami` with the Authorization header it received.
async fn echo_subgraph() -> String {
    let app = axum::Router::new().route(
        "/graphql",
        axum::routing::post(
            |headers: axum::http::HeaderMap, axum::Json(body): axum::Json<Value>| async move {
                if body["query"]
                    .as_str()
                    .unwrap_or_default()
                    .contains("_service")
                {
                    return axum::Json(json!({"data": {"_service": {"sdl": WHOAMI_SDL}}}));
                }
                let auth = headers
                    .get("authorization")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("anonymous")
                    .to_string();
                axum::Json(json!({"data": {"whoami": auth}}))
            },
        ),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}/graphql")
}

async fn router_with(issuer: &Issuer, min_refresh: Duration) -> String {
    let echo = echo_subgraph().await;
    let sdl = router::reload::compose_from_subgraphs(&[("echo".into(), echo)])
        .await
        .unwrap();
    let mut config = router::RouterConfig::with_supergraph_sdl(sdl);
    config.auth.jwks_url = Some(issuer.url.clone());
    config.auth.jwks_min_refresh = min_refresh;
    start_router_with_config(config).await
}

async fn whoami(url: &str, authorization: Option<&str>) -> (u16, Value) {
    let mut req = reqwest::Client::new()
        .post(url)
        .json(&json!({"query": "{ whoami }"}));
    if let Some(a) = authorization {
        req = req.header("authorization", a);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap())
}

fn assert_refused(status: u16, body: &Value, what: &str) {
    assert_eq!(status, 401, "{what}: {body}");
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "UNAUTHENTICATED",
        "{what}: {body}"
    );
    assert!(body.get("data").is_none(), "{what}: {body}");
}

#[tokio::test]
async fn valid_tokens_pass_and_are_forwarded_and_anonymous_passes() {
    let issuer = Issuer::start(Key::generate("k1")).await;
    let url = router_with(&issuer, Duration::from_secs(5)).await;
    let token = issuer.sign(&claims("user-1", &["customer"]));
    let bearer = format!("Bearer {token}");
    let (status, body) = whoami(&url, Some(&bearer)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["data"]["whoami"], bearer,
        "subgraphs still get the token"
    );
    let (status, body) = whoami(&url, None).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["whoami"], "anonymous");
    // Verified tokens are cached: repeating the request fetches no keys.
    for _ in 0..5 {
        assert_eq!(whoami(&url, Some(&bearer)).await.0, 200);
    }
    assert_eq!(issuer.fetches(), 1);
}

#[tokio::test]
async fn forged_expired_wrong_kid_and_bad_algorithms_are_refused_at_the_edge() {
    let issuer = Issuer::start(Key::generate("k1")).await;
    let url = router_with(&issuer, Duration::from_secs(60)).await;
    // Forged: signed by another key that claims the published kid.
    let forger = Key::generate("k1");
    let forged = forger.sign(&claims("user-1", &["admin"]));
    let (status, body) = whoami(&url, Some(&format!("Bearer {forged}"))).await;
    assert_refused(status, &body, "forged");

    // Expired (beyond the leeway).
    let mut old = claims("user-1", &["customer"]);
    old["exp"] = json!(now() - 3600);
    old["iat"] = json!(now() - 7200);
    let (status, body) = whoami(&url, Some(&format!("Bearer {}", issuer.sign(&old)))).await;
    assert_refused(status, &body, "expired");
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("expired"),
        "{body}"
    );

    // A kid the JWKS does not have.
    let stranger = Key::generate("k-unknown");
    let (status, body) = whoami(
        &url,
        Some(&format!("Bearer {}", stranger.sign(&claims("u", &[])))),
    )
    .await;
    assert_refused(status, &body, "wrong kid");

    // Wrong issuer / audience, signed with the real key.
    let mut other = claims("user-1", &["customer"]);
    other["aud"] = json!("someone-else");
    let (status, body) = whoami(&url, Some(&format!("Bearer {}", issuer.sign(&other)))).await;
    assert_refused(status, &body, "wrong audience");

    // alg none and HS256 signed with the public JWKS as a secret.
    let b64 = |v: &Value| URL_SAFE_NO_PAD.encode(v.to_string());
    let none = format!(
        "{}.{}.",
        b64(&json!({"alg": "none", "kid": "k1"})),
        b64(&claims("user-1", &["admin"]))
    );
    let (status, body) = whoami(&url, Some(&format!("Bearer {none}"))).await;
    assert_refused(status, &body, "alg none");
    let mut hs = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256);
    hs.kid = Some("k1".into());
    let hs = jsonwebtoken::encode(
        &hs,
        &claims("user-1", &["admin"]),
        &jsonwebtoken::EncodingKey::from_secret(issuer.url.as_bytes()),
    )
    .unwrap();
    let (status, body) = whoami(&url, Some(&format!("Bearer {hs}"))).await;
    assert_refused(status, &body, "HS256");

    // Garbage and a non-bearer scheme.
    for bad in ["Bearer not.a.jwt", "Basic dXNlcjpwYXNz", "Bearer "] {
        let (status, body) = whoami(&url, Some(bad)).await;
        assert_refused(status, &body, bad);
    }
}

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

#[tokio::test]
async fn unknown_kids_refresh_the_jwks_at_a_limited_rate() {
    let issuer = Issuer::start(Key::generate("k1")).await;
    let url = router_with(&issuer, Duration::from_secs(60)).await;
    let ok = format!("Bearer {}", issuer.sign(&claims("u1", &["customer"])));
    assert_eq!(whoami(&url, Some(&ok)).await.0, 200);
    assert_eq!(issuer.fetches(), 1);
    // A flood of bogus kids: refused, and at most one more fetch within the interval.
    let mut tasks = Vec::new();
    for i in 0..30 {
        let url = url.clone();
        let bogus = Key::generate(&format!("bogus-{i}"));
        let token = format!("Bearer {}", bogus.sign(&claims("u", &[])));
        tasks.push(tokio::spawn(
            async move { whoami(&url, Some(&token)).await },
        ));
    }
    for t in tasks {
        let (status, body) = t.await.unwrap();
        assert_refused(status, &body, "bogus kid");
    }
    assert!(issuer.fetches() <= 2, "fetches: {}", issuer.fetches());
}

#[tokio::test]
async fn a_rotated_key_is_picked_up_without_restart() {
    let issuer = Issuer::start(Key::generate("k1")).await;
    let url = router_with(&issuer, Duration::from_millis(0)).await;
    let first = format!("Bearer {}", issuer.sign(&claims("u1", &["customer"])));
    assert_eq!(whoami(&url, Some(&first)).await.0, 200);
    // accounts rotates: a new key is published and signs new tokens.
    let rotated = Key::generate("k2");
    let token = format!("Bearer {}", rotated.sign(&claims("u2", &["staff"])));
    issuer.keys.lock().push(rotated);
    let (status, body) = whoami(&url, Some(&token)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["whoami"], token);
}

#[tokio::test]
async fn the_jwks_url_defaults_to_the_accounts_subgraph() {
    // An `accounts` subgraph without a JWKS endpoint: no key can verify, so a token is refused
    // (fail closed), while anonymous requests still work.
    let accounts = serve_subgraph(crate::fixtures::accounts::schema()).await;
    let url = start_router(&[("accounts", &accounts)]).await;
    let issuer = Issuer::start(Key::generate("k1")).await;
    let token = format!("Bearer {}", issuer.sign(&claims("u1", &["customer"])));
    let resp = reqwest::Client::new()
        .post(&url)
        .header("authorization", &token)
        .json(&json!({"query": "{ me { id } }"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 401);
    assert_eq!(
        gql(&url, "{ me { id } }", json!({})).await["data"]["me"]["id"],
        "1"
    );
}
