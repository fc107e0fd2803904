//! Verifies access tokens: EdDSA only (so `alg: none`, HMAC key-confusion and any other
//! algorithm are refused before a key is looked at), a `kid` that names a known key,
//! signature, expiry, issuer and audience.

use std::sync::Arc;

use jsonwebtoken::{Algorithm, DecodingKey, Validation};

use super::{Caller, Claims, Role};
use crate::error::AppError;

/// Where verification keys come from: the accounts JWKS over HTTP for most subgraphs, the
/// database directly for accounts itself.
#[async_trait::async_trait]
pub trait KeySource: Send + Sync {
    async fn key(&self, kid: &str) -> Option<DecodingKey>;
}

#[derive(Clone)]
pub struct Verifier {
    keys: Arc<dyn KeySource>,
    validation: Validation,
}

impl Verifier {
    pub fn new(keys: Arc<dyn KeySource>, issuer: &str, audience: &str, leeway_secs: u64) -> Self {
        let mut validation = Validation::new(Algorithm::EdDSA);
        validation.set_issuer(&[issuer]);
        validation.set_audience(&[audience]);
        validation.set_required_spec_claims(&["exp", "sub", "iss", "aud"]);
        validation.leeway = leeway_secs;
        Verifier { keys, validation }
    }

    pub async fn verify(&self, token: &str) -> Result<Caller, AppError> {
        let invalid = || AppError::unauthenticated("access token is invalid or expired");
        let header = jsonwebtoken::decode_header(token).map_err(|_| invalid())?;
        if header.alg != Algorithm::EdDSA {
            return Err(invalid());
        }
        let kid = header.kid.ok_or_else(invalid)?;
        let key = self.keys.key(&kid).await.ok_or_else(invalid)?;
        let data =
            jsonwebtoken::decode::<Claims>(token, &key, &self.validation).map_err(|_| invalid())?;
        let claims = data.claims;
        let roles = claims.roles.iter().filter_map(|r| Role::parse(r)).collect();
        Ok(Caller {
            user_id: claims.sub,
            roles,
            scopes: claims
                .scope
                .split_whitespace()
                .map(str::to_string)
                .collect(),
        })
    }
}
