//! Access tokens that must be refused: signed with another key, `alg: none`, HMAC signed with
//! the public key, expired, tampered, or from another issuer's key id.

use crate::common::*;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use ring::signature::Ed25519KeyPair;
use serde_json::{json, Value};

fn b64(v: &Value) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(v).unwrap())
}

fn parts(token: &str) -> (Value, Value) {
    let mut it = token.split('.');
    let h = URL_SAFE_NO_PAD.decode(it.next().unwrap()).unwrap();
    let c = URL_SAFE_NO_PAD.decode(it.next().unwrap()).unwrap();
    (
        serde_json::from_slice(&h).unwrap(),
        serde_json::from_slice(&c).unwrap(),
    )
}

async fn assert_refused(app: &kit::testing::TestApp, token: &str, what: &str) {
    let body = app.gql("{ me { id } }", json!({}), Some(token)).await;
    assert_eq!(
        code(&body),
        "UNAUTHENTICATED",
        "{what} was accepted: {body}"
    );
    assert!(
        body["data"].is_null() || body["data"]["me"].is_null(),
        "{what} leaked data: {body}"
    );
}

#[tokio::test]
async fn forged_expired_and_tampered_tokens_are_rejected() {
    let app = start().await;
    let s = customer(&app, "tok").await;
    let (header, claims) = parts(&s.access);
    let kid = header["kid"].as_str().unwrap().to_string();

    // Sanity: the genuine token works.
    let ok = app.gql("{ me { id } }", json!({}), Some(&s.access)).await;
    assert_eq!(ok["data"]["me"]["id"], json!(s.user_id));

    // Another Ed25519 key claiming the real kid.
    let rng = ring::rand::SystemRandom::new();
    let pkcs8 = Ed25519KeyPair::generate_pkcs8(&rng).unwrap();
    let mut h = Header::new(Algorithm::EdDSA);
    h.kid = Some(kid.clone());
    let forged =
        jsonwebtoken::encode(&h, &claims, &EncodingKey::from_ed_der(pkcs8.as_ref())).unwrap();
    assert_refused(&app, &forged, "a token signed with another key").await;

    // alg: none, no signature.
    let none = format!(
        "{}.{}.",
        b64(&json!({ "alg": "none", "typ": "JWT", "kid": kid })),
        b64(&claims)
    );
    assert_refused(&app, &none, "alg none").await;

    // HS256 keyed with the public JWK's x (key confusion).
    let jwks: Value = app
        .http
        .get(format!("{}/.well-known/jwks.json", app.url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let x = jwks["keys"][0]["x"].as_str().unwrap();
    let mut hh = Header::new(Algorithm::HS256);
    hh.kid = Some(kid.clone());
    let confused =
        jsonwebtoken::encode(&hh, &claims, &EncodingKey::from_secret(x.as_bytes())).unwrap();
    assert_refused(&app, &confused, "HS256 with the public key").await;

    // Tampered payload: promote ourselves to admin, keep the signature.
    let mut elevated = claims.clone();
    elevated["roles"] = json!(["admin"]);
    let sig = s.access.rsplit('.').next().unwrap();
    let tampered = format!(
        "{}.{}.{}",
        s.access.split('.').next().unwrap(),
        b64(&elevated),
        sig
    );
    assert_refused(&app, &tampered, "a tampered token").await;

    // Unknown kid, garbage, wrong scheme.
    let mut h2 = header.clone();
    h2["kid"] = json!(kit::ids::new_id());
    let unknown_kid = format!(
        "{}.{}.{}",
        b64(&h2),
        s.access.split('.').nth(1).unwrap(),
        sig
    );
    assert_refused(&app, &unknown_kid, "an unknown kid").await;
    assert_refused(&app, "not-a-jwt", "garbage").await;
    app.stop().await;
}

#[tokio::test]
async fn expired_tokens_are_rejected() {
    let app = start_with(&[("ACCESS_TOKEN_TTL_SECS", "1")]).await;
    let s = customer(&app, "exp").await;
    let ok = app.gql("{ me { id } }", json!({}), Some(&s.access)).await;
    assert_eq!(ok["data"]["me"]["id"], json!(s.user_id), "{ok}");
    tokio::time::sleep(std::time::Duration::from_millis(2200)).await;
    assert_refused(&app, &s.access, "an expired token").await;
    app.stop().await;
}

#[tokio::test]
async fn jwks_publishes_the_verification_key() {
    let app = start().await;
    let resp = app
        .http
        .get(format!("{}/.well-known/jwks.json", app.url))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let jwks: Value = resp.json().await.unwrap();
    let key = &jwks["keys"][0];
    assert_eq!(
        (
            key["kty"].as_str(),
            key["crv"].as_str(),
            key["alg"].as_str()
        ),
        (Some("OKP"), Some("Ed25519"), Some("EdDSA"))
    );
    // A token verifies against the published key alone.
    let s = customer(&app, "jwks").await;
    let set: jsonwebtoken::jwk::JwkSet = serde_json::from_value(jwks).unwrap();
    let kid = jsonwebtoken::decode_header(&s.access).unwrap().kid.unwrap();
    let jwk = set.find(&kid).expect("token's kid is published");
    let mut v = jsonwebtoken::Validation::new(Algorithm::EdDSA);
    v.set_audience(&["shop"]);
    let data = jsonwebtoken::decode::<Value>(
        &s.access,
        &jsonwebtoken::DecodingKey::from_jwk(jwk).unwrap(),
        &v,
    )
    .unwrap();
    assert_eq!(data.claims["sub"], json!(s.user_id));
    app.stop().await;
}
