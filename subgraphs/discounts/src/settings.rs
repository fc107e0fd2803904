//! Discounts' own settings, read through the kit's environment lookup (so `DISCOUNTS_…`
//! variables and test overrides apply), each with a working default.

use std::time::Duration;

use kit::Config;

#[derive(Debug, Clone)]
pub struct Settings {
    /// The cart subgraph's GraphQL endpoint, asked directly for a trustworthy cart snapshot
    /// when a coupon is applied or removed (`CART_URL`).
    pub cart_url: String,
    /// How long to wait for the cart subgraph (`CART_TIMEOUT_MS`).
    pub cart_timeout: Duration,
}

impl Settings {
    pub fn from_config(config: &Config) -> anyhow::Result<Settings> {
        let env = config.env();
        let settings = Settings {
            cart_url: env
                .get("CART_URL")
                .unwrap_or_else(|| "http://127.0.0.1:4006/graphql".into()),
            cart_timeout: Duration::from_millis(env.parse("CART_TIMEOUT_MS", 5_000)?),
        };
        anyhow::ensure!(
            settings.cart_url.starts_with("http://") || settings.cart_url.starts_with("https://"),
            "CART_URL must be an http(s) URL"
        );
        anyhow::ensure!(
            !settings.cart_timeout.is_zero(),
            "CART_TIMEOUT_MS must be positive"
        );
        Ok(settings)
    }
}
