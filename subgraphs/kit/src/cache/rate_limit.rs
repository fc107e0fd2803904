//! Fixed-window rate limits on the cache: `limit` hits per `window` for a key, shared by every
//! instance when the cache is Redis. Exceeding it is `RATE_LIMITED` with a retry-after hint.

use std::time::Duration;

use super::Cache;
use crate::error::AppError;

#[derive(Debug, Clone, Copy)]
pub struct Limit {
    pub max: u64,
    pub window: Duration,
}

/// Counts one hit on `key`; errors once the window's budget is spent. A cache outage fails
/// open (logged) rather than locking every user out.
pub async fn hit(cache: &Cache, key: &str, limit: Limit) -> Result<(), AppError> {
    let window_ms = limit.window.as_millis().max(1) as i64;
    let now = crate::ids::now_millis();
    let window_index = now / window_ms;
    let counter = format!("rl:{key}:{window_index}");
    match cache.incr(&counter, limit.window).await {
        Ok(n) if n > limit.max => {
            let retry_after_secs = (((window_index + 1) * window_ms - now + 999) / 1000) as u64;
            Err(AppError::RateLimited {
                message: format!("too many attempts; retry in {retry_after_secs} s"),
                retry_after_secs,
            })
        }
        Ok(_) => Ok(()),
        Err(err) => {
            tracing::warn!(error = %err, "rate limiter unavailable; allowing request");
            Ok(())
        }
    }
}
