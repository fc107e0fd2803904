//! Shipping's own settings, read through the kit's environment lookup (so `SHIPPING_…`
//! variables and test overrides apply), each with a working default.

use std::time::Duration;

use kit::Config;

/// The development default of `CARRIER_WEBHOOK_SECRET`. Fine on a laptop; anyone who reads
/// this file can sign carrier updates, so production must set its own secret.
pub const DEV_WEBHOOK_SECRET: &str = "dev-only-carrier-webhook-secret";

#[derive(Debug, Clone)]
pub struct Settings {
    /// The HMAC-SHA256 key carriers sign `POST /webhooks/carrier` with
    /// (`CARRIER_WEBHOOK_SECRET`, default [`DEV_WEBHOOK_SECRET`]).
    pub webhook_secret: String,
    /// How far a webhook's `X-Carrier-Timestamp` may be from now, either way
    /// (`CARRIER_WEBHOOK_TOLERANCE_SECS`, default 300): older signed requests are replays.
    pub webhook_tolerance: Duration,
    /// The weight of a variant whose weight catalog has not told (`DEFAULT_WEIGHT_GRAMS`,
    /// default 500).
    pub default_weight_grams: i64,
}

impl Settings {
    pub fn from_config(config: &Config) -> anyhow::Result<Settings> {
        let env = config.env();
        let settings = Settings {
            webhook_secret: env
                .get("CARRIER_WEBHOOK_SECRET")
                .unwrap_or_else(|| DEV_WEBHOOK_SECRET.into()),
            webhook_tolerance: Duration::from_secs(
                env.parse("CARRIER_WEBHOOK_TOLERANCE_SECS", 300)?,
            ),
            default_weight_grams: env.parse("DEFAULT_WEIGHT_GRAMS", 500)?,
        };
        anyhow::ensure!(
            settings.webhook_secret.len() >= 16,
            "CARRIER_WEBHOOK_SECRET must be at least 16 characters"
        );
        anyhow::ensure!(
            !settings.webhook_tolerance.is_zero(),
            "CARRIER_WEBHOOK_TOLERANCE_SECS must be positive"
        );
        anyhow::ensure!(
            (0..=crate::weights::MAX_WEIGHT_GRAMS).contains(&settings.default_weight_grams),
            "DEFAULT_WEIGHT_GRAMS must be between 0 and {}",
            crate::weights::MAX_WEIGHT_GRAMS
        );
        if settings.webhook_secret == DEV_WEBHOOK_SECRET && !config.is_embedded_db() {
            tracing::warn!("CARRIER_WEBHOOK_SECRET is the development default; set your own");
        }
        Ok(settings)
    }
}
