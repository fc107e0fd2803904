//! Cart's own settings, read through the kit's environment lookup (so `CART_…` variables and
//! test overrides apply), each with a working default, validated at start.

use std::time::Duration;

use kit::money::Currency;
use kit::Config;

#[derive(Debug, Clone)]
pub struct Settings {
    /// Most units of one variant a line may hold (`MAX_LINE_QUANTITY`).
    pub max_line_quantity: i64,
    /// Most distinct variants one cart may hold (`MAX_LINES`).
    pub max_lines: i64,
    /// Currency of a cart created without one (`DEFAULT_CURRENCY`).
    pub default_currency: Currency,
    /// How long a guest cart lives after its last change (`GUEST_CART_TTL_SECS`).
    pub guest_ttl: Duration,
    /// How often the sweeper removes expired guest carts (`SWEEP_INTERVAL_MS`).
    pub sweep_interval: Duration,
    /// Lifetime of a cached cart (`CACHE_TTL_SECS`): bounds staleness should an
    /// invalidation ever be lost.
    pub cache_ttl: Duration,
    /// Livestream's `/graphql`, where live-deal units are claimed (`LIVESTREAM_URL`).
    pub livestream_url: String,
    /// How long a call to livestream may take (`REMOTE_TIMEOUT_MS`).
    pub remote_timeout: Duration,
}

impl Settings {
    pub fn from_config(config: &Config) -> anyhow::Result<Settings> {
        let env = config.env();
        let currency = env.get("DEFAULT_CURRENCY").unwrap_or_else(|| "USD".into());
        let settings = Settings {
            max_line_quantity: env.parse("MAX_LINE_QUANTITY", 99)?,
            max_lines: env.parse("MAX_LINES", 100)?,
            default_currency: Currency::from_code(&currency).ok_or_else(|| {
                anyhow::anyhow!("DEFAULT_CURRENCY: {currency:?} is not a supported ISO 4217 code")
            })?,
            guest_ttl: Duration::from_secs(env.parse("GUEST_CART_TTL_SECS", 30 * 86_400)?),
            sweep_interval: Duration::from_millis(env.parse("SWEEP_INTERVAL_MS", 60_000)?),
            cache_ttl: Duration::from_secs(env.parse("CACHE_TTL_SECS", 600)?),
            livestream_url: env
                .get("LIVESTREAM_URL")
                .unwrap_or_else(|| "http://127.0.0.1:4011/graphql".into()),
            remote_timeout: Duration::from_millis(env.parse("REMOTE_TIMEOUT_MS", 5_000)?),
        };
        anyhow::ensure!(
            (1..=1_000_000).contains(&settings.max_line_quantity),
            "MAX_LINE_QUANTITY must be between 1 and 1000000"
        );
        anyhow::ensure!(
            (1..=10_000).contains(&settings.max_lines),
            "MAX_LINES must be between 1 and 10000"
        );
        anyhow::ensure!(
            !settings.guest_ttl.is_zero(),
            "GUEST_CART_TTL_SECS must be positive"
        );
        anyhow::ensure!(
            !settings.sweep_interval.is_zero(),
            "SWEEP_INTERVAL_MS must be positive"
        );
        anyhow::ensure!(
            !settings.cache_ttl.is_zero(),
            "CACHE_TTL_SECS must be positive"
        );
        Ok(settings)
    }

    /// Guest carts last changed at or before this time (unix ms) have expired.
    pub fn guest_cutoff(&self, now_ms: i64) -> i64 {
        now_ms - self.guest_ttl.as_millis() as i64
    }
}
