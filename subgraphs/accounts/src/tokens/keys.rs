//! Ed25519 signing keys. Keys live in the accounts database so every accounts instance signs
//! with the same key and publishes the same JWKS; the first instance to start creates one.
//! Accounts verifies tokens against this store directly instead of fetching its own JWKS.

use std::sync::Arc;

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use jsonwebtoken::{DecodingKey, EncodingKey};
use kit::auth::KeySource;
use kit::Db;
use ring::signature::{Ed25519KeyPair, KeyPair};
use serde_json::{json, Value};
use tokio::sync::RwLock;

#[derive(Clone)]
struct Key {
    kid: String,
    public: Vec<u8>,
    private_pkcs8: Vec<u8>,
}

pub struct Keys {
    db: Db,
    keys: RwLock<Vec<Key>>,
}

impl Keys {
    /// Loads the active keys, creating the first one if there is none.
    pub async fn load_or_create(db: Db) -> anyhow::Result<Arc<Keys>> {
        let keys = Keys {
            db,
            keys: RwLock::new(Vec::new()),
        };
        if keys.reload().await? == 0 {
            keys.create().await?;
            keys.reload().await?;
        }
        Ok(Arc::new(keys))
    }

    async fn create(&self) -> anyhow::Result<()> {
        let rng = ring::rand::SystemRandom::new();
        let pkcs8 =
            Ed25519KeyPair::generate_pkcs8(&rng).map_err(|_| anyhow::anyhow!("keygen failed"))?;
        let pair =
            Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).map_err(|_| anyhow::anyhow!("bad key"))?;
        sqlx::query(
            "INSERT INTO signing_keys (kid, algorithm, private_pkcs8, public_key, created_at) \
             VALUES ($1, 'EdDSA', $2, $3, $4)",
        )
        .bind(kit::ids::new_id())
        .bind(STANDARD.encode(pkcs8.as_ref()))
        .bind(URL_SAFE_NO_PAD.encode(pair.public_key().as_ref()))
        .bind(kit::ids::now_millis())
        .execute(self.db.pool())
        .await?;
        Ok(())
    }

    /// Re-reads the active keys (newest first); returns how many there are.
    async fn reload(&self) -> anyhow::Result<usize> {
        let rows: Vec<(String, String, String)> = sqlx::query_as(
            "SELECT kid, private_pkcs8, public_key FROM signing_keys \
             WHERE retired_at IS NULL ORDER BY created_at DESC, kid DESC",
        )
        .fetch_all(self.db.background())
        .await?;
        let mut keys = Vec::with_capacity(rows.len());
        for (kid, private, public) in rows {
            keys.push(Key {
                kid,
                private_pkcs8: STANDARD.decode(private)?,
                public: URL_SAFE_NO_PAD.decode(public)?,
            });
        }
        let n = keys.len();
        *self.keys.write().await = keys;
        Ok(n)
    }

    /// The key new tokens are signed with: `(kid, key)`.
    pub async fn signing(&self) -> (String, EncodingKey) {
        let keys = self.keys.read().await;
        let key = keys.first().expect("at least one signing key is loaded");
        (
            key.kid.clone(),
            EncodingKey::from_ed_der(&key.private_pkcs8),
        )
    }

    /// The public keys as a JWK Set.
    pub async fn jwks(&self) -> Value {
        let keys = self.keys.read().await;
        let keys: Vec<Value> = keys
            .iter()
            .map(|k| {
                json!({
                    "kty": "OKP", "crv": "Ed25519", "use": "sig", "alg": "EdDSA",
                    "kid": k.kid, "x": URL_SAFE_NO_PAD.encode(&k.public),
                })
            })
            .collect();
        json!({ "keys": keys })
    }

    fn find(keys: &[Key], kid: &str) -> Option<DecodingKey> {
        keys.iter()
            .find(|k| k.kid == kid)
            .map(|k| DecodingKey::from_ed_der(&k.public))
    }
}

#[async_trait::async_trait]
impl KeySource for Keys {
    async fn key(&self, kid: &str) -> Option<DecodingKey> {
        if let Some(key) = Keys::find(&self.keys.read().await, kid) {
            return Some(key);
        }
        // Another instance may have created a key since we loaded; ids are unguessable, so a
        // miss is rare and cheap to double-check.
        if kid.len() == 36 && self.reload().await.is_ok() {
            return Keys::find(&self.keys.read().await, kid);
        }
        None
    }
}
