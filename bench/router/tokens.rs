//! Signed access tokens for the router bench (`BENCH_TOKEN`): an Ed25519 key published as a
//! JWKS on loopback, as accounts publishes its keys, and access tokens signed with it the way
//! accounts signs them (EdDSA, `kid`, issuer `shop-accounts`, audience `shop`, 15 minutes).
//!
//! `BENCH_TOKEN=same`: every request carries one valid token (a signed-in client's repeated
//! requests; the router verifies its signature once and then finds it in its verified-token
//! cache). `BENCH_TOKEN=fresh`: every request carries a token never seen before (a new
//! signature to check on each request; the worst case). Unset: anonymous requests.

use std::sync::atomic::{AtomicU64, Ordering};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use ring::signature::{Ed25519KeyPair, KeyPair};

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Mode {
    Anonymous,
    Same,
    Fresh,
}

pub fn mode() -> Mode {
    match std::env::var("BENCH_TOKEN").as_deref() {
        Ok("same") | Ok("1") => Mode::Same,
        Ok("fresh") => Mode::Fresh,
        Ok("") | Err(_) => Mode::Anonymous,
        Ok(other) => panic!("BENCH_TOKEN={other}: use same or fresh"),
    }
}

pub struct Tokens {
    pub mode: Mode,
    /// The JWKS the router verifies against (`ROUTER_JWKS_URL`).
    pub jwks_url: String,
    key: EncodingKey,
    same: String,
    issued: AtomicU64,
}

const KID: &str = "bench-key";

impl Tokens {
    /// Generates the key and serves its JWKS on 127.0.0.1.
    pub async fn start(mode: Mode) -> Tokens {
        let rng = ring::rand::SystemRandom::new();
        let pkcs8 = Ed25519KeyPair::generate_pkcs8(&rng).unwrap();
        let pair = Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).unwrap();
        let jwks = serde_json::json!({"keys": [{
            "kty": "OKP", "crv": "Ed25519", "use": "sig", "alg": "EdDSA", "kid": KID,
            "x": URL_SAFE_NO_PAD.encode(pair.public_key().as_ref()),
        }]});
        let app = axum::Router::new().route(
            "/.well-known/jwks.json",
            axum::routing::get(move || {
                let jwks = jwks.clone();
                async move { axum::Json(jwks) }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        let mut tokens = Tokens {
            mode,
            jwks_url: format!("http://{addr}/.well-known/jwks.json"),
            key: EncodingKey::from_ed_der(pkcs8.as_ref()),
            same: String::new(),
            issued: AtomicU64::new(0),
        };
        tokens.same = tokens.sign();
        tokens
    }

    /// A new token (its own `jti`, so never equal to an earlier one).
    fn sign(&self) -> String {
        let n = self.issued.fetch_add(1, Ordering::Relaxed);
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs();
        let claims = serde_json::json!({
            "sub": "0190a1b2-0000-7000-8000-00000000b001", "iss": "shop-accounts", "aud": "shop",
            "iat": now, "exp": now + 900, "jti": format!("bench-{n}"), "roles": ["customer"],
        });
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = Some(KID.into());
        jsonwebtoken::encode(&header, &claims, &self.key).unwrap()
    }

    /// The `Authorization` value for the next request, if the mode sends one.
    pub fn authorization(&self) -> Option<String> {
        match self.mode {
            Mode::Anonymous => None,
            Mode::Same => Some(format!("Bearer {}", self.same)),
            Mode::Fresh => Some(format!("Bearer {}", self.sign())),
        }
    }

    /// A token with a broken signature, to check the router really verifies.
    pub fn forged(&self) -> String {
        // A character inside the signature (the last one carries padding bits).
        let mut chars: Vec<char> = self.same.chars().collect();
        let i = chars.len() - 10;
        chars[i] = if chars[i] == 'A' { 'B' } else { 'A' };
        format!("Bearer {}", chars.into_iter().collect::<String>())
    }
}
