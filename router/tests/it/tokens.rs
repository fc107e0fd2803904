//! A stand-in for accounts' token side: Ed25519 keys published as a JWKS over HTTP (counting
//! fetches, keys addable at run time for rotation) and access tokens signed like accounts'.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use parking_lot::Mutex;
use ring::signature::{Ed25519KeyPair, KeyPair};
use serde_json::{json, Value};

pub struct Key {
    pub kid: String,
    pkcs8: Vec<u8>,
    public: Vec<u8>,
}

impl Key {
    pub fn generate(kid: &str) -> Key {
        let rng = ring::rand::SystemRandom::new();
        let pkcs8 = Ed25519KeyPair::generate_pkcs8(&rng).unwrap();
        let pair = Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).unwrap();
        Key {
            kid: kid.to_string(),
            pkcs8: pkcs8.as_ref().to_vec(),
            public: pair.public_key().as_ref().to_vec(),
        }
    }

    fn jwk(&self) -> Value {
        json!({"kty": "OKP", "crv": "Ed25519", "use": "sig", "alg": "EdDSA",
               "kid": self.kid, "x": URL_SAFE_NO_PAD.encode(&self.public)})
    }

    /// Signs `claims` with this key, under header `kid`.
    pub fn sign_as(&self, kid: &str, claims: &Value) -> String {
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = Some(kid.to_string());
        jsonwebtoken::encode(&header, claims, &EncodingKey::from_ed_der(&self.pkcs8)).unwrap()
    }

    pub fn sign(&self, claims: &Value) -> String {
        self.sign_as(&self.kid, claims)
    }
}

pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// Claims as accounts issues them, for `sub` with `roles`, valid for 15 minutes.
pub fn claims(sub: &str, roles: &[&str]) -> Value {
    json!({"sub": sub, "iss": "shop-accounts", "aud": "shop", "iat": now(),
           "exp": now() + 900, "jti": format!("jti-{sub}"), "roles": roles})
}

/// A JWKS endpoint serving the keys in `keys`.
pub struct Issuer {
    pub url: String,
    pub keys: Arc<Mutex<Vec<Key>>>,
    pub fetches: Arc<AtomicUsize>,
}

impl Issuer {
    pub async fn start(first: Key) -> Issuer {
        let keys = Arc::new(Mutex::new(vec![first]));
        let fetches = Arc::new(AtomicUsize::new(0));
        let (k, f) = (keys.clone(), fetches.clone());
        let app = axum::Router::new().route(
            "/.well-known/jwks.json",
            axum::routing::get(move || {
                let (k, f) = (k.clone(), f.clone());
                async move {
                    f.fetch_add(1, Ordering::SeqCst);
                    let keys: Vec<Value> = k.lock().iter().map(Key::jwk).collect();
                    axum::Json(json!({ "keys": keys }))
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Issuer {
            url: format!("http://{addr}/.well-known/jwks.json"),
            keys,
            fetches,
        }
    }

    pub fn sign(&self, claims: &Value) -> String {
        self.keys.lock()[0].sign(claims)
    }

    pub fn fetches(&self) -> usize {
        self.fetches.load(Ordering::SeqCst)
    }
}
