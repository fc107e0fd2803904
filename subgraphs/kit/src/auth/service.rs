//! A service's own identity for calls to other subgraphs: it signs in to accounts (the
//! ordinary `login` mutation at `ACCOUNTS_URL`) with the service account's `SERVICE_EMAIL` /
//! `SERVICE_PASSWORD` (accounts bootstraps that staff account at start-up), caches the access
//! token and renews it shortly before it expires. Renewal is single-flight: however many
//! requests need a token at once, one login goes out and the rest wait for its result.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::json;
use tokio::sync::{Mutex, RwLock};

use crate::config::Config;
use crate::error::AppError;
use crate::remote::{Credentials, Remote};

/// Default accounts endpoint (its conventional port).
pub const DEFAULT_ACCOUNTS_URL: &str = "http://127.0.0.1:4001/graphql";

const LOGIN: &str = "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken expiresIn } }";
/// Renew this long before expiry at most (a fifth of the lifetime for short-lived tokens).
const MAX_MARGIN: Duration = Duration::from_secs(60);

struct Cached {
    token: String,
    renew_at: Instant,
}

pub struct ServiceIdentity {
    accounts: Remote,
    email: String,
    password: String,
    cached: RwLock<Option<Cached>>,
    /// Held while signing in, so concurrent renewals collapse into one login.
    renewing: Mutex<()>,
    logins: AtomicU64,
}

impl ServiceIdentity {
    pub fn new(
        accounts_url: &str,
        email: &str,
        password: &str,
        timeout: Duration,
    ) -> anyhow::Result<ServiceIdentity> {
        Ok(ServiceIdentity {
            accounts: Remote::new("accounts", accounts_url, timeout)?,
            email: email.to_string(),
            password: password.to_string(),
            cached: RwLock::new(None),
            renewing: Mutex::new(()),
            logins: AtomicU64::new(0),
        })
    }

    /// The identity configured for this service (`ACCOUNTS_URL`, `SERVICE_EMAIL`,
    /// `SERVICE_PASSWORD`, `SERVICE_LOGIN_TIMEOUT_MS`); `None` when no service account is set.
    pub fn from_config(config: &Config) -> anyhow::Result<Option<Arc<ServiceIdentity>>> {
        let env = config.env();
        let (Some(email), Some(password)) = (env.get("SERVICE_EMAIL"), env.get("SERVICE_PASSWORD"))
        else {
            return Ok(None);
        };
        let url = env
            .get("ACCOUNTS_URL")
            .unwrap_or_else(|| DEFAULT_ACCOUNTS_URL.into());
        let timeout = Duration::from_millis(env.parse("SERVICE_LOGIN_TIMEOUT_MS", 5_000)?);
        Ok(Some(Arc::new(ServiceIdentity::new(
            &url, &email, &password, timeout,
        )?)))
    }

    /// A valid access token, signing in when there is none or it is about to expire.
    pub async fn token(&self) -> Result<String, AppError> {
        if let Some(token) = self.fresh().await {
            return Ok(token);
        }
        let _renewing = self.renewing.lock().await;
        // Whoever held the lock before us may have renewed it already.
        if let Some(token) = self.fresh().await {
            return Ok(token);
        }
        let (token, lifetime) = self.login().await?;
        let margin = (lifetime / 5).min(MAX_MARGIN);
        *self.cached.write().await = Some(Cached {
            token: token.clone(),
            renew_at: Instant::now() + lifetime - margin,
        });
        Ok(token)
    }

    /// Drops `token` if it is still the cached one (the remote refused it), so the next call
    /// signs in again; a token renewed meanwhile is kept.
    pub async fn forget(&self, token: &str) {
        let mut cached = self.cached.write().await;
        if cached.as_ref().is_some_and(|c| c.token == token) {
            *cached = None;
        }
    }

    /// Logins performed so far (tests check renewal is single-flight).
    pub fn logins(&self) -> u64 {
        self.logins.load(Ordering::Relaxed)
    }

    async fn fresh(&self) -> Option<String> {
        let cached = self.cached.read().await;
        cached
            .as_ref()
            .filter(|c| Instant::now() < c.renew_at)
            .map(|c| c.token.clone())
    }

    async fn login(&self) -> Result<(String, Duration), AppError> {
        self.logins.fetch_add(1, Ordering::Relaxed);
        let data = self
            .accounts
            .call(
                LOGIN,
                json!({ "e": self.email, "p": self.password }),
                Credentials::Anonymous,
            )
            .await
            .map_err(|err| {
                // The service's own credentials failing is our misconfiguration, not the
                // client's problem.
                AppError::internal(anyhow::anyhow!(
                    "service login as {} failed: {}",
                    self.email,
                    err.message()
                ))
            })?;
        let login = &data["login"];
        let token = login["accessToken"].as_str().ok_or_else(|| {
            AppError::internal(anyhow::anyhow!("accounts login answered no accessToken"))
        })?;
        let lifetime = Duration::from_secs(login["expiresIn"].as_u64().unwrap_or(60).max(1));
        Ok((token.to_string(), lifetime))
    }
}
