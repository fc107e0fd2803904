//! Per-client rate limits. A client is the `sub` claim of its bearer JWT when it sends one (read
//! without verifying: it only picks the bucket, `auth` decides access), else its IP address —
//! the connection's peer, or the right-most `X-Forwarded-For` entry that is not one of the
//! configured trusted proxies when the peer is one. Windows are fixed or sliding (a weighted
//! count of the previous and the current fixed window). Counters live in memory, or in Redis
//! when the router has one, so the limit holds across router instances. Over the limit: HTTP 429,
//! `RATE_LIMITED` and `Retry-After`.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::Response as HttpResponse;
use base64::Engine;
use parking_lot::Mutex;
use serde::Deserialize;

use crate::redis_store::RedisStore;
use crate::response::{GraphQLError, Response};
use crate::server::SharedState;

/// `[rate_limit]` in the config file; `ROUTER_RATE_LIMIT*`, `ROUTER_TRUSTED_PROXIES` in the env.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RateLimitConfig {
    /// `ROUTER_RATE_LIMIT`: requests per client per window; 0 (the default) turns limits off.
    pub requests: u64,
    /// `ROUTER_RATE_LIMIT_WINDOW_SECS`: window length; default 60.
    pub window_secs: u64,
    /// `ROUTER_RATE_LIMIT_MODE`: `fixed` or `sliding` (default).
    pub sliding: bool,
    /// `ROUTER_TRUSTED_PROXIES` (comma separated IPs): peers whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Vec<IpAddr>,
}

impl Default for RateLimitConfig {
    fn default() -> Self {
        RateLimitConfig {
            requests: 0,
            window_secs: 60,
            sliding: true,
            trusted_proxies: Vec::new(),
        }
    }
}

impl RateLimitConfig {
    pub fn apply_vars(&mut self, env: &dyn Fn(&str) -> Option<String>) -> anyhow::Result<()> {
        let num = |name: &str| -> anyhow::Result<Option<u64>> {
            env(name)
                .map(|v| {
                    v.trim()
                        .parse::<u64>()
                        .map_err(|e| anyhow::anyhow!("{name}={v:?}: {e}"))
                })
                .transpose()
        };
        if let Some(n) = num("ROUTER_RATE_LIMIT")? {
            self.requests = n;
        }
        if let Some(n) = num("ROUTER_RATE_LIMIT_WINDOW_SECS")? {
            self.window_secs = n.max(1);
        }
        if let Some(v) = env("ROUTER_RATE_LIMIT_MODE") {
            self.sliding = match v.trim() {
                "sliding" => true,
                "fixed" => false,
                _ => anyhow::bail!("ROUTER_RATE_LIMIT_MODE={v:?}: expected fixed or sliding"),
            };
        }
        if let Some(v) = env("ROUTER_TRUSTED_PROXIES") {
            self.trusted_proxies = v
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|s| {
                    s.parse()
                        .map_err(|e| anyhow::anyhow!("ROUTER_TRUSTED_PROXIES {s:?}: {e}"))
                })
                .collect::<anyhow::Result<_>>()?;
        }
        Ok(())
    }
}

/// The `sub` claim of a bearer JWT, unverified (it only names the bucket).
fn token_subject(headers: &HeaderMap) -> Option<String> {
    let auth = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let token = auth
        .strip_prefix("Bearer ")
        .or_else(|| auth.strip_prefix("bearer "))?;
    let payload = token.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .ok()?;
    let claims: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    claims.get("sub")?.as_str().map(str::to_string)
}

/// The client's address: the peer, or what trusted proxies say the client was.
fn client_ip(
    config: &RateLimitConfig,
    headers: &HeaderMap,
    peer: Option<IpAddr>,
) -> Option<IpAddr> {
    let peer = peer?;
    if !config.trusted_proxies.contains(&peer) {
        return Some(peer);
    }
    let forwarded: Vec<IpAddr> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    // Right to left: each trusted proxy appended the address it saw.
    Some(
        forwarded
            .into_iter()
            .rev()
            .find(|ip| !config.trusted_proxies.contains(ip))
            .unwrap_or(peer),
    )
}

/// The bucket key for a request.
pub fn client_key(config: &RateLimitConfig, headers: &HeaderMap, peer: Option<IpAddr>) -> String {
    match token_subject(headers) {
        Some(sub) => format!("sub:{sub}"),
        None => match client_ip(config, headers, peer) {
            Some(ip) => format!("ip:{ip}"),
            None => "ip:unknown".to_string(),
        },
    }
}

pub struct RateLimiter {
    config: RateLimitConfig,
    /// (key, window index) → count; windows older than the previous one are dropped.
    counts: Mutex<HashMap<(String, u64), u64>>,
    redis: RedisStore,
}

/// `Err(retry_after)` when the client is over its limit.
type Verdict = Result<(), Duration>;

impl RateLimiter {
    pub fn new(config: &RateLimitConfig, redis: RedisStore) -> Self {
        RateLimiter {
            config: config.clone(),
            counts: Mutex::new(HashMap::new()),
            redis,
        }
    }

    pub fn enabled(&self) -> bool {
        self.config.requests > 0
    }

    /// Counts one request for `key` and says whether it is within the limit.
    pub async fn check(&self, key: &str) -> Verdict {
        let window = self.config.window_secs.max(1);
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        let index = now.as_secs() / window;
        let into = now.as_secs_f64() - (index * window) as f64;
        let (current, previous) = match self.redis_counts(key, index, window).await {
            Some(c) => c,
            None => self.memory_counts(key, index),
        };
        let weight = if self.config.sliding {
            1.0 - into / window as f64
        } else {
            0.0
        };
        let seen = current as f64 + previous as f64 * weight;
        if seen <= self.config.requests as f64 {
            return Ok(());
        }
        // Fixed: the window's end. Sliding: when the previous window's share has decayed enough
        // (bounded by the window's end, when it is gone entirely).
        let to_end = window as f64 - into;
        let retry = if self.config.sliding && previous > 0 && current <= self.config.requests {
            let excess = seen - self.config.requests as f64;
            (excess / previous as f64 * window as f64).min(to_end)
        } else {
            to_end
        };
        Err(Duration::from_secs_f64(retry.max(1.0).ceil()))
    }

    fn memory_counts(&self, key: &str, index: u64) -> (u64, u64) {
        let mut counts = self.counts.lock();
        if counts.len() > 100_000 {
            counts.retain(|(_, w), _| *w + 1 >= index);
        }
        let current = counts.entry((key.to_string(), index)).or_insert(0);
        *current += 1;
        let current = *current;
        let previous = counts
            .get(&(key.to_string(), index.wrapping_sub(1)))
            .copied()
            .unwrap_or(0);
        (current, previous)
    }

    async fn redis_counts(&self, key: &str, index: u64, window: u64) -> Option<(u64, u64)> {
        let mut conn = self.redis.conn().await?;
        let cur = format!("router:ratelimit:{key}:{index}");
        let prev = format!("router:ratelimit:{key}:{}", index.wrapping_sub(1));
        let result: redis::RedisResult<(u64, bool, Option<u64>)> = redis::pipe()
            .atomic()
            .incr(&cur, 1u64)
            .expire(&cur, (window * 2) as i64)
            .get(&prev)
            .query_async(&mut conn)
            .await;
        match result {
            Ok((current, _, previous)) => Some((current, previous.unwrap_or(0))),
            Err(e) => {
                tracing::warn!("rate limit counter in Redis failed, counting in memory: {e}");
                None
            }
        }
    }
}

/// Axum middleware in front of `/graphql`.
pub async fn middleware(
    State(state): State<SharedState>,
    req: Request,
    next: Next,
) -> HttpResponse {
    let limiter = &state.rate_limiter;
    if !limiter.enabled() {
        return next.run(req).await;
    }
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip());
    let key = client_key(&limiter.config, req.headers(), peer);
    match limiter.check(&key).await {
        Ok(()) => next.run(req).await,
        Err(retry) => {
            let error = GraphQLError::new(format!(
                "Too many requests: the limit is {} per {} s for each client; retry after {} s.",
                limiter.config.requests,
                limiter.config.window_secs,
                retry.as_secs()
            ))
            .code("RATE_LIMITED");
            let mut resp = crate::executors::http::reply(
                req.headers(),
                Response::request_error(vec![error]),
                StatusCode::TOO_MANY_REQUESTS,
            );
            resp.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(retry.as_secs()));
            resp
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subject_from_the_token_else_the_forwarded_ip_from_trusted_proxies_only() {
        let config = RateLimitConfig {
            trusted_proxies: vec!["10.0.0.1".parse().unwrap()],
            ..Default::default()
        };
        let payload =
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(br#"{"sub":"user-7","exp":1}"#);
        let mut h = HeaderMap::new();
        h.insert(
            header::AUTHORIZATION,
            format!("Bearer e30.{payload}.sig").parse().unwrap(),
        );
        assert_eq!(client_key(&config, &h, None), "sub:user-7");
        let mut h = HeaderMap::new();
        h.insert("x-forwarded-for", "1.2.3.4, 10.0.0.1".parse().unwrap());
        let proxy = Some("10.0.0.1".parse().unwrap());
        let stranger = Some("192.0.2.9".parse().unwrap());
        assert_eq!(client_key(&config, &h, proxy), "ip:1.2.3.4");
        assert_eq!(client_key(&config, &h, stranger), "ip:192.0.2.9");
    }

    #[tokio::test]
    async fn fixed_window_counts_per_key() {
        let limiter = RateLimiter::new(
            &RateLimitConfig {
                requests: 2,
                window_secs: 3600,
                sliding: false,
                ..Default::default()
            },
            RedisStore::default(),
        );
        assert!(limiter.check("a").await.is_ok());
        assert!(limiter.check("a").await.is_ok());
        let retry = limiter.check("a").await.unwrap_err();
        assert!(retry.as_secs() >= 1 && retry.as_secs() <= 3600);
        assert!(limiter.check("b").await.is_ok());
    }
}
