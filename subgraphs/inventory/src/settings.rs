//! Inventory's own settings, read through the kit's environment lookup (so `INVENTORY_…`
//! variables and test overrides apply), each with a sensible default.

use std::time::Duration;

use kit::Config;

#[derive(Debug, Clone)]
pub struct Settings {
    /// `inventory.low` fires when a stock level's available quantity drops below its threshold;
    /// this is the threshold new stock levels start with.
    pub low_stock_threshold: i64,
    /// Reservation lifetime when `reserve` gives no `ttlSeconds`.
    pub default_ttl: Duration,
    /// Longest reservation lifetime a caller may ask for.
    pub max_ttl: Duration,
    /// How often the sweeper looks for expired reservations.
    pub sweep_interval: Duration,
}

impl Settings {
    pub fn from_config(config: &Config) -> anyhow::Result<Settings> {
        let env = config.env();
        let settings = Settings {
            low_stock_threshold: env.parse("LOW_STOCK_THRESHOLD", 5)?,
            default_ttl: Duration::from_secs(env.parse("RESERVATION_TTL_SECS", 900)?),
            max_ttl: Duration::from_secs(env.parse("RESERVATION_MAX_TTL_SECS", 86_400)?),
            sweep_interval: Duration::from_millis(env.parse("SWEEP_INTERVAL_MS", 5_000)?),
        };
        anyhow::ensure!(
            settings.low_stock_threshold >= 0,
            "LOW_STOCK_THRESHOLD must not be negative"
        );
        anyhow::ensure!(
            !settings.default_ttl.is_zero() && settings.default_ttl <= settings.max_ttl,
            "RESERVATION_TTL_SECS must be positive and at most RESERVATION_MAX_TTL_SECS"
        );
        anyhow::ensure!(
            !settings.sweep_interval.is_zero(),
            "SWEEP_INTERVAL_MS must be positive"
        );
        Ok(settings)
    }
}
