//! Payments' own settings, read through the kit's environment lookup (so `PAYMENTS_…`
//! variables and test overrides apply), each with a working default: the embedded test
//! provider, automatic capture, and the providers' public API base URLs. Credentials are
//! [`Secret`]s, which never print.

use std::time::Duration;

use kit::Config;

/// A credential. `Debug` shows only whether it is set.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(***)")
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CaptureMode {
    /// Authorize and capture in one step (`CAPTURE_MODE=automatic`, the default).
    Automatic,
    /// Authorize only; staff `capturePayment` takes the money.
    Manual,
}

#[derive(Debug, Clone)]
pub struct Settings {
    /// The provider `payOrder` charges through: test, stripe, paystack, flutterwave or sepay
    /// (`PAYMENT_PROVIDER`).
    pub provider: String,
    pub capture_mode: CaptureMode,
    /// `STRIPE_SECRET_KEY` (sk_...), `STRIPE_WEBHOOK_SECRET` (whsec_...), `STRIPE_API_BASE`.
    pub stripe_secret_key: Option<Secret>,
    pub stripe_webhook_secret: Option<Secret>,
    pub stripe_api_base: String,
    /// `PAYSTACK_SECRET_KEY` (signs its webhooks too), `PAYSTACK_API_BASE`.
    pub paystack_secret_key: Option<Secret>,
    pub paystack_api_base: String,
    /// `FLUTTERWAVE_SECRET_KEY`, `FLUTTERWAVE_SECRET_HASH` (the `verif-hash` webhook header),
    /// `FLUTTERWAVE_API_BASE`.
    pub flutterwave_secret_key: Option<Secret>,
    pub flutterwave_secret_hash: Option<Secret>,
    pub flutterwave_api_base: String,
    /// `SEPAY_API_KEY`: what Sepay sends as `Authorization: Apikey <key>`.
    pub sepay_api_key: Option<Secret>,
    /// The currency of the Sepay bank account (`SEPAY_CURRENCY`, VND).
    pub sepay_currency: String,
    /// Where hosted payment pages send the shopper back (`PAYMENT_RETURN_URL`).
    pub return_url: String,
    /// Oldest accepted signed webhook timestamp (`WEBHOOK_TOLERANCE_SECS`, 300).
    pub webhook_tolerance: Duration,
    /// How long to wait for a provider's API (`PROVIDER_TIMEOUT_MS`).
    pub provider_timeout: Duration,
    /// How long an attempt may hold a payment while asking the provider (`ATTEMPT_LEASE_MS`).
    pub attempt_lease: Duration,
}

const PROVIDERS: [&str; 5] = ["test", "stripe", "paystack", "flutterwave", "sepay"];

impl Settings {
    pub fn from_config(config: &Config) -> anyhow::Result<Settings> {
        let env = config.env();
        let secret = |name: &str| env.get(name).filter(|v| !v.is_empty()).map(Secret::new);
        let url = |name: &str, default: &str| -> anyhow::Result<String> {
            let value = env.get(name).unwrap_or_else(|| default.to_string());
            anyhow::ensure!(
                value.starts_with("http://") || value.starts_with("https://"),
                "{name} must be an http(s) URL"
            );
            Ok(value.trim_end_matches('/').to_string())
        };
        let provider = env
            .get("PAYMENT_PROVIDER")
            .unwrap_or_else(|| "test".into())
            .to_ascii_lowercase();
        anyhow::ensure!(
            PROVIDERS.contains(&provider.as_str()),
            "PAYMENT_PROVIDER must be one of {}",
            PROVIDERS.join(", ")
        );
        let capture_mode = match env.get("CAPTURE_MODE").as_deref() {
            None | Some("automatic") => CaptureMode::Automatic,
            Some("manual") => CaptureMode::Manual,
            Some(other) => {
                anyhow::bail!("CAPTURE_MODE: expected automatic or manual, got {other:?}")
            }
        };
        let settings = Settings {
            provider,
            capture_mode,
            stripe_secret_key: secret("STRIPE_SECRET_KEY"),
            stripe_webhook_secret: secret("STRIPE_WEBHOOK_SECRET"),
            stripe_api_base: url("STRIPE_API_BASE", "https://api.stripe.com")?,
            paystack_secret_key: secret("PAYSTACK_SECRET_KEY"),
            paystack_api_base: url("PAYSTACK_API_BASE", "https://api.paystack.co")?,
            flutterwave_secret_key: secret("FLUTTERWAVE_SECRET_KEY"),
            flutterwave_secret_hash: secret("FLUTTERWAVE_SECRET_HASH"),
            flutterwave_api_base: url("FLUTTERWAVE_API_BASE", "https://api.flutterwave.com/v3")?,
            sepay_api_key: secret("SEPAY_API_KEY"),
            sepay_currency: env
                .get("SEPAY_CURRENCY")
                .unwrap_or_else(|| "VND".into())
                .to_ascii_uppercase(),
            return_url: url(
                "PAYMENT_RETURN_URL",
                "http://127.0.0.1:4000/checkout/return",
            )?,
            webhook_tolerance: Duration::from_secs(env.parse("WEBHOOK_TOLERANCE_SECS", 300)?),
            provider_timeout: Duration::from_millis(env.parse("PROVIDER_TIMEOUT_MS", 15_000)?),
            attempt_lease: Duration::from_millis(env.parse("ATTEMPT_LEASE_MS", 60_000)?),
        };
        anyhow::ensure!(
            kit::money::Currency::from_code(&settings.sepay_currency).is_some(),
            "SEPAY_CURRENCY must be a supported ISO 4217 code"
        );
        let needs = |set: bool, name: &str| {
            anyhow::ensure!(set, "PAYMENT_PROVIDER={} needs {name}", settings.provider);
            Ok(())
        };
        match settings.provider.as_str() {
            "stripe" => needs(settings.stripe_secret_key.is_some(), "STRIPE_SECRET_KEY")?,
            "paystack" => needs(
                settings.paystack_secret_key.is_some(),
                "PAYSTACK_SECRET_KEY",
            )?,
            "flutterwave" => needs(
                settings.flutterwave_secret_key.is_some(),
                "FLUTTERWAVE_SECRET_KEY",
            )?,
            _ => {}
        }
        anyhow::ensure!(
            !settings.provider_timeout.is_zero() && !settings.attempt_lease.is_zero(),
            "PROVIDER_TIMEOUT_MS and ATTEMPT_LEASE_MS must be positive"
        );
        Ok(settings)
    }
}
