//! Orders' own settings, read through the kit's environment lookup (so `ORDERS_…` variables
//! and test overrides apply), each with a working default: where the subgraphs a checkout
//! calls live, how long to wait for them, and the payment window.

use std::time::Duration;

use kit::Config;

#[derive(Debug, Clone)]
pub struct Settings {
    /// `CART_URL`, `CATALOG_URL`, `INVENTORY_URL`, `DISCOUNTS_URL`, `PAYMENTS_URL`,
    /// `SHIPPING_URL`, `ACCOUNTS_URL`: each subgraph's `/graphql`.
    pub cart_url: String,
    pub catalog_url: String,
    pub inventory_url: String,
    pub discounts_url: String,
    pub payments_url: String,
    pub shipping_url: String,
    pub accounts_url: String,
    /// How long to wait for one call to another subgraph (`REMOTE_TIMEOUT_MS`).
    pub remote_timeout: Duration,
    /// How long a placed order waits for its payment before it is cancelled with reason
    /// PAYMENT_TIMEOUT (`PAYMENT_TIMEOUT_SECS`).
    pub payment_timeout: Duration,
    /// How often the payment-timeout sweeper runs (`SWEEP_INTERVAL_MS`).
    pub sweep_interval: Duration,
    /// How long a checkout may run before another request with its key may take it over
    /// (`CHECKOUT_LEASE_SECS`).
    pub checkout_lease: Duration,
}

fn url(config: &Config, name: &str, port: u16) -> anyhow::Result<String> {
    let value = config
        .env()
        .get(name)
        .unwrap_or_else(|| format!("http://127.0.0.1:{port}/graphql"));
    anyhow::ensure!(
        value.starts_with("http://") || value.starts_with("https://"),
        "{name} must be an http(s) URL"
    );
    Ok(value)
}

impl Settings {
    pub fn from_config(config: &Config) -> anyhow::Result<Settings> {
        let env = config.env();
        let settings = Settings {
            cart_url: url(config, "CART_URL", 4006)?,
            catalog_url: url(config, "CATALOG_URL", 4002)?,
            inventory_url: url(config, "INVENTORY_URL", 4003)?,
            discounts_url: url(config, "DISCOUNTS_URL", 4007)?,
            payments_url: url(config, "PAYMENTS_URL", 4009)?,
            shipping_url: url(config, "SHIPPING_URL", 4010)?,
            accounts_url: url(config, "ACCOUNTS_URL", 4001)?,
            remote_timeout: Duration::from_millis(env.parse("REMOTE_TIMEOUT_MS", 5_000)?),
            payment_timeout: Duration::from_secs(env.parse("PAYMENT_TIMEOUT_SECS", 900)?),
            sweep_interval: Duration::from_millis(env.parse("SWEEP_INTERVAL_MS", 5_000)?),
            checkout_lease: Duration::from_secs(env.parse("CHECKOUT_LEASE_SECS", 120)?),
        };
        for (name, value) in [
            ("REMOTE_TIMEOUT_MS", settings.remote_timeout),
            ("PAYMENT_TIMEOUT_SECS", settings.payment_timeout),
            ("SWEEP_INTERVAL_MS", settings.sweep_interval),
            ("CHECKOUT_LEASE_SECS", settings.checkout_lease),
        ] {
            anyhow::ensure!(!value.is_zero(), "{name} must be positive");
        }
        Ok(settings)
    }
}
