//! Authentication at the edge: verifies the bearer access token of every request once, against
//! the accounts JWKS, before anything else runs. A forged, expired or unknown-`kid` token is
//! refused with HTTP 401 and an `UNAUTHENTICATED` GraphQL error; a request without a token
//! passes as anonymous. Tokens are still forwarded, so subgraphs verify them again.
//!
//! Verification mirrors the subgraphs' (`kit::auth::verifier`): EdDSA only (no `alg: none`, no
//! HMAC key confusion), a `kid` naming a published key, signature, `exp`, issuer, audience.
//! Keys are cached; an unknown `kid` refreshes the JWKS at most once per
//! `jwks_min_refresh` so a flood of bogus kids cannot become a flood of fetches. Verified
//! tokens are cached until they expire, so a client's repeated requests cost one hash lookup,
//! not one signature check each.
//!
//! Settings (`[authentication]` in the config file, or the environment):
//! - `ROUTER_AUTH` / `enabled`: `true` (default) or `false` (tokens pass unverified)
//! - `ROUTER_JWKS_URL` / `jwks_url`: default the `accounts` subgraph's
//!   `/.well-known/jwks.json`; with neither, edge verification is off
//! - `ROUTER_JWT_ISSUER` / `issuer` (`shop-accounts`), `ROUTER_JWT_AUDIENCE` / `audience`
//!   (`shop`), `ROUTER_JWT_LEEWAY_SECS` / `leeway_secs` (5),
//!   `ROUTER_JWKS_MIN_REFRESH_MS` / `jwks_min_refresh_ms` (5000)

use std::collections::HashMap;
use std::num::NonZeroUsize;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response as HttpResponse};
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use parking_lot::Mutex;
use serde::Deserialize;
use serde_json::Value;

use crate::response::{GraphQLError, Response};
use crate::supergraph::Supergraph;

/// Verified tokens kept (each until its `exp`).
const TOKEN_CACHE_SIZE: usize = 10_000;

#[derive(Debug, Clone)]
pub struct AuthConfig {
    pub enabled: bool,
    pub jwks_url: Option<String>,
    pub issuer: String,
    pub audience: String,
    pub leeway_secs: u64,
    pub jwks_min_refresh: Duration,
}

impl Default for AuthConfig {
    fn default() -> Self {
        AuthConfig {
            enabled: true,
            jwks_url: None,
            issuer: "shop-accounts".into(),
            audience: "shop".into(),
            leeway_secs: 5,
            jwks_min_refresh: Duration::from_secs(5),
        }
    }
}

/// `[authentication]` in the config file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthFile {
    enabled: Option<bool>,
    jwks_url: Option<String>,
    issuer: Option<String>,
    audience: Option<String>,
    leeway_secs: Option<u64>,
    jwks_min_refresh_ms: Option<u64>,
}

impl AuthConfig {
    pub fn apply_file(&mut self, f: AuthFile) {
        if let Some(v) = f.enabled {
            self.enabled = v;
        }
        if f.jwks_url.is_some() {
            self.jwks_url = f.jwks_url;
        }
        if let Some(v) = f.issuer {
            self.issuer = v;
        }
        if let Some(v) = f.audience {
            self.audience = v;
        }
        if let Some(v) = f.leeway_secs {
            self.leeway_secs = v;
        }
        if let Some(v) = f.jwks_min_refresh_ms {
            self.jwks_min_refresh = Duration::from_millis(v);
        }
    }

    pub fn apply_env(&mut self, env: &dyn Fn(&str) -> Option<String>) -> anyhow::Result<()> {
        if let Some(v) = env("ROUTER_AUTH") {
            self.enabled = matches!(v.trim(), "1" | "true" | "on" | "yes");
        }
        if let Some(v) = env("ROUTER_JWKS_URL") {
            self.jwks_url = Some(v);
        }
        if let Some(v) = env("ROUTER_JWT_ISSUER") {
            self.issuer = v;
        }
        if let Some(v) = env("ROUTER_JWT_AUDIENCE") {
            self.audience = v;
        }
        if let Some(v) = env("ROUTER_JWT_LEEWAY_SECS") {
            self.leeway_secs = v
                .parse()
                .map_err(|e| anyhow::anyhow!("ROUTER_JWT_LEEWAY_SECS: {e}"))?;
        }
        if let Some(v) = env("ROUTER_JWKS_MIN_REFRESH_MS") {
            self.jwks_min_refresh = Duration::from_millis(
                v.parse()
                    .map_err(|e| anyhow::anyhow!("ROUTER_JWKS_MIN_REFRESH_MS: {e}"))?,
            );
        }
        Ok(())
    }
}

/// Who is calling, from a verified token.
#[derive(Debug, Clone, PartialEq)]
pub struct Principal {
    pub subject: String,
    /// `scope` claim (space separated) plus the scopes implied by `roles` (see `role_scopes`).
    pub scopes: Vec<String>,
    /// Every claim, for policies that look at other claims.
    pub claims: serde_json::Map<String, Value>,
    exp: u64,
}

impl Principal {
    pub fn has_scope(&self, scope: &str) -> bool {
        self.scopes.iter().any(|s| s == scope)
    }

    pub fn roles(&self) -> impl Iterator<Item = &str> {
        self.claims
            .get("roles")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
    }
}

/// Scopes a role grants. Roles are ordered like the subgraphs' (`kit::auth::Role`): an admin
/// is also staff, staff is also a customer.
pub fn role_scopes(role: &str) -> &'static [&'static str] {
    match role {
        "customer" => &["customer"],
        "staff" => &["customer", "staff"],
        "admin" => &["customer", "staff", "admin"],
        _ => &[],
    }
}

/// Why a token was refused (the metric label; the client sees one generic message).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rejection {
    NotBearer,
    Malformed,
    Algorithm,
    UnknownKey,
    Expired,
    Invalid,
    NoKeys,
}

impl Rejection {
    pub fn label(self) -> &'static str {
        match self {
            Rejection::NotBearer => "not_bearer",
            Rejection::Malformed => "malformed",
            Rejection::Algorithm => "algorithm",
            Rejection::UnknownKey => "unknown_kid",
            Rejection::Expired => "expired",
            Rejection::Invalid => "invalid",
            Rejection::NoKeys => "jwks_unavailable",
        }
    }

    pub fn message(self) -> &'static str {
        match self {
            Rejection::NotBearer => "the Authorization header must be `Bearer <access token>`",
            Rejection::Expired => "the access token has expired; sign in again",
            _ => "the access token is invalid",
        }
    }

    /// The 401 answer, as a GraphQL response; `operation` is for the access log.
    pub fn into_response(self, operation: Option<String>) -> HttpResponse {
        let body = Response::request_error(vec![
            GraphQLError::new(self.message()).code("UNAUTHENTICATED")
        ]);
        let mut resp = (
            StatusCode::UNAUTHORIZED,
            [(header::CONTENT_TYPE, "application/json")],
            serde_json::to_vec(&body).unwrap_or_default(),
        )
            .into_response();
        resp.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer error=\"invalid_token\""),
        );
        resp.extensions_mut().insert(crate::access_log::Summary {
            operation,
            outcome: "unauthenticated",
            codes: vec!["UNAUTHENTICATED".into()],
        });
        resp
    }
}

/// Cached keys of one JWKS URL.
struct Jwks {
    url: String,
    keys: tokio::sync::RwLock<HashMap<String, DecodingKey>>,
    last_fetch: tokio::sync::Mutex<Option<Instant>>,
}

/// The edge verifier: JWKS cache plus verified-token cache; one per router.
pub struct Authenticator {
    config: AuthConfig,
    validation: Validation,
    http: reqwest::Client,
    jwks: Mutex<Option<Arc<Jwks>>>,
    verified: Mutex<lru::LruCache<String, Arc<Principal>>>,
}

impl Authenticator {
    pub fn new(config: AuthConfig) -> Self {
        let mut validation = Validation::new(Algorithm::EdDSA);
        validation.set_issuer(&[&config.issuer]);
        validation.set_audience(&[&config.audience]);
        validation.set_required_spec_claims(&["exp", "sub", "iss", "aud"]);
        validation.leeway = config.leeway_secs;
        Authenticator {
            config,
            validation,
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(5))
                .build()
                .expect("HTTP client builds with static options"),
            jwks: Mutex::new(None),
            verified: Mutex::new(lru::LruCache::new(
                NonZeroUsize::new(TOKEN_CACHE_SIZE).expect("non-zero"),
            )),
        }
    }

    /// The JWKS URL in force: the setting, else the supergraph's `accounts` subgraph.
    fn jwks_url(&self, supergraph: &Supergraph) -> Option<String> {
        if let Some(url) = &self.config.jwks_url {
            return Some(url.clone());
        }
        let accounts = supergraph.endpoint("accounts")?;
        let base = accounts
            .strip_suffix("/graphql")
            .unwrap_or(accounts.trim_end_matches('/'));
        Some(format!("{base}/.well-known/jwks.json"))
    }

    /// The caller of a request: `Ok(None)` when anonymous (or verification is off),
    /// `Err` for a token that must be refused.
    pub async fn authenticate(
        &self,
        supergraph: &Supergraph,
        headers: &HeaderMap,
    ) -> Result<Option<Arc<Principal>>, Rejection> {
        let Some(value) = headers.get(header::AUTHORIZATION) else {
            return Ok(None);
        };
        let value = value.to_str().map_err(|_| Rejection::NotBearer)?;
        self.authenticate_value(supergraph, value).await
    }

    /// Like `authenticate`, for an Authorization value from elsewhere (WebSocket
    /// `connection_init`).
    pub async fn authenticate_value(
        &self,
        supergraph: &Supergraph,
        value: &str,
    ) -> Result<Option<Arc<Principal>>, Rejection> {
        if !self.config.enabled {
            return Ok(None);
        }
        let Some(url) = self.jwks_url(supergraph) else {
            return Ok(None);
        };
        let result = self.verify_bearer(&url, value).await;
        if let Err(r) = result {
            crate::metrics::auth_rejected(r.label());
        }
        result.map(Some)
    }

    async fn verify_bearer(&self, url: &str, value: &str) -> Result<Arc<Principal>, Rejection> {
        let token = value
            .strip_prefix("Bearer ")
            .or_else(|| value.strip_prefix("bearer "))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or(Rejection::NotBearer)?;
        let now = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap_or_default()
            .as_secs();
        if let Some(p) = self.verified.lock().get(token).cloned() {
            if p.exp + self.config.leeway_secs > now {
                return Ok(p);
            }
        }
        let principal = Arc::new(self.verify(url, token).await?);
        self.verified
            .lock()
            .put(token.to_string(), principal.clone());
        Ok(principal)
    }

    async fn verify(&self, url: &str, token: &str) -> Result<Principal, Rejection> {
        let header = jsonwebtoken::decode_header(token).map_err(|_| Rejection::Malformed)?;
        if header.alg != Algorithm::EdDSA {
            return Err(Rejection::Algorithm);
        }
        let kid = header.kid.ok_or(Rejection::UnknownKey)?;
        let key = self.key(url, &kid).await?;
        let data =
            jsonwebtoken::decode::<serde_json::Map<String, Value>>(token, &key, &self.validation)
                .map_err(|e| match e.kind() {
                ErrorKind::ExpiredSignature => Rejection::Expired,
                _ => Rejection::Invalid,
            })?;
        let claims = data.claims;
        let subject = claims
            .get("sub")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        let exp = claims.get("exp").and_then(Value::as_u64).unwrap_or(0);
        let mut scopes: Vec<String> = claims
            .get("scope")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .split_whitespace()
            .map(str::to_string)
            .collect();
        let roles = claims.get("roles").and_then(Value::as_array);
        for role in roles.into_iter().flatten().filter_map(Value::as_str) {
            for s in role_scopes(role) {
                if !scopes.iter().any(|x| x == s) {
                    scopes.push(s.to_string());
                }
            }
        }
        Ok(Principal {
            subject,
            scopes,
            claims,
            exp,
        })
    }

    /// The key for `kid`, refreshing the JWKS (rate-limited) when it is unknown.
    async fn key(&self, url: &str, kid: &str) -> Result<DecodingKey, Rejection> {
        let jwks = {
            let mut slot = self.jwks.lock();
            match slot.as_ref() {
                Some(j) if j.url == url => j.clone(),
                _ => {
                    let j = Arc::new(Jwks {
                        url: url.to_string(),
                        keys: tokio::sync::RwLock::new(HashMap::new()),
                        last_fetch: tokio::sync::Mutex::new(None),
                    });
                    *slot = Some(j.clone());
                    j
                }
            }
        };
        if let Some(key) = jwks.keys.read().await.get(kid) {
            return Ok(key.clone());
        }
        {
            let mut last = jwks.last_fetch.lock().await;
            // Whoever held the lock may just have fetched: check again before fetching.
            if let Some(key) = jwks.keys.read().await.get(kid) {
                return Ok(key.clone());
            }
            if !last.is_some_and(|t| t.elapsed() < self.config.jwks_min_refresh) {
                *last = Some(Instant::now());
                match self.fetch(url).await {
                    Ok(keys) => *jwks.keys.write().await = keys,
                    Err(e) => tracing::warn!(url, error = %e, "cannot refresh JWKS"),
                }
            }
            if jwks.keys.read().await.is_empty() {
                return Err(Rejection::NoKeys);
            }
        }
        let keys = jwks.keys.read().await;
        keys.get(kid).cloned().ok_or(Rejection::UnknownKey)
    }

    async fn fetch(&self, url: &str) -> anyhow::Result<HashMap<String, DecodingKey>> {
        let set: JwkSet = self
            .http
            .get(url)
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        Ok(set
            .keys
            .iter()
            .filter_map(|jwk| {
                let kid = jwk.common.key_id.clone()?;
                DecodingKey::from_jwk(jwk).ok().map(|k| (kid, k))
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_imply_scopes_in_order() {
        assert_eq!(role_scopes("customer"), &["customer"]);
        assert_eq!(role_scopes("staff"), &["customer", "staff"]);
        assert_eq!(role_scopes("admin"), &["customer", "staff", "admin"]);
        assert!(role_scopes("root").is_empty());
    }

    #[test]
    fn environment_overrides_defaults() {
        let mut c = AuthConfig::default();
        let env: HashMap<&str, &str> = [
            ("ROUTER_AUTH", "false"),
            ("ROUTER_JWKS_URL", "http://a/jwks"),
            ("ROUTER_JWT_LEEWAY_SECS", "0"),
        ]
        .into();
        c.apply_env(&|k| env.get(k).map(|v| v.to_string())).unwrap();
        assert!(!c.enabled);
        assert_eq!(c.jwks_url.as_deref(), Some("http://a/jwks"));
        assert_eq!(c.leeway_secs, 0);
        assert!(c
            .apply_env(&|k| (k == "ROUTER_JWT_LEEWAY_SECS").then(|| "x".into()))
            .is_err());
    }
}
