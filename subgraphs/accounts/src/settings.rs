//! Accounts' own settings, read through the kit's environment lookup (so `ACCOUNTS_…`
//! variables and test overrides apply), each with a production-sensible default.

use std::time::Duration;

use kit::cache::rate_limit::Limit;
use kit::Config;

use crate::password::Cost;

#[derive(Debug, Clone)]
pub struct Settings {
    pub access_ttl: Duration,
    pub refresh_ttl: Duration,
    pub login_per_email: Limit,
    pub login_per_ip: Limit,
    pub argon2: Cost,
    /// First admin, created or promoted at start-up when both are set.
    pub admin_email: Option<String>,
    pub admin_password: Option<String>,
    /// The service account other subgraphs sign in with to call each other (`SERVICE_EMAIL`,
    /// `SERVICE_PASSWORD`): created as staff, or its password reset, at start-up when both
    /// are set.
    pub service_email: Option<String>,
    pub service_password: Option<String>,
    /// Demo customers for the embedded launcher.
    pub seed_demo: bool,
    /// Origin of the links in verification and reset emails (`PUBLIC_URL`, else
    /// `STOREFRONT_URL`): where the storefront (or the router's GraphiQL) answers.
    pub public_url: String,
    /// How long an email verification link works (`EMAIL_VERIFY_TTL_SECS`, 2 days).
    pub verify_ttl: Duration,
    /// How long a password reset link works (`PASSWORD_RESET_TTL_SECS`, 1 hour).
    pub reset_ttl: Duration,
    /// Reset and verification mails one address may ask for per window (`MAIL_MAX_PER_EMAIL`).
    pub mail_per_email: Limit,
}

impl Settings {
    /// The link a verification email carries.
    pub fn verify_link(&self, token: &str) -> String {
        format!("{}/verify-email?token={token}", self.public_url)
    }

    /// The link a password reset email carries.
    pub fn reset_link(&self, token: &str) -> String {
        format!("{}/reset-password?token={token}", self.public_url)
    }

    pub fn from_config(config: &Config) -> anyhow::Result<Settings> {
        let env = config.env();
        let window = Duration::from_secs(env.parse("LOGIN_RATE_WINDOW_SECS", 900)?);
        Ok(Settings {
            access_ttl: Duration::from_secs(env.parse("ACCESS_TOKEN_TTL_SECS", 900)?),
            refresh_ttl: Duration::from_secs(env.parse("REFRESH_TOKEN_TTL_SECS", 30 * 24 * 3600)?),
            login_per_email: Limit {
                max: env.parse("LOGIN_MAX_PER_EMAIL", 10)?,
                window,
            },
            login_per_ip: Limit {
                max: env.parse("LOGIN_MAX_PER_IP", 100)?,
                window,
            },
            argon2: Cost {
                memory_kib: env.parse("ARGON2_MEMORY_KIB", 19 * 1024)?,
                iterations: env.parse("ARGON2_ITERATIONS", 2)?,
                parallelism: env.parse("ARGON2_PARALLELISM", 1)?,
            },
            admin_email: env.get("ADMIN_EMAIL"),
            admin_password: env.get("ADMIN_PASSWORD"),
            service_email: env.get("SERVICE_EMAIL"),
            service_password: env.get("SERVICE_PASSWORD"),
            seed_demo: env.parse("SEED_DEMO_DATA", false)?,
            public_url: env
                .get("PUBLIC_URL")
                .or_else(|| env.get("STOREFRONT_URL"))
                .unwrap_or_else(|| "http://localhost:4000".into())
                .trim_end_matches('/')
                .to_string(),
            verify_ttl: Duration::from_secs(env.parse("EMAIL_VERIFY_TTL_SECS", 2 * 24 * 3600)?),
            reset_ttl: Duration::from_secs(env.parse("PASSWORD_RESET_TTL_SECS", 3600)?),
            mail_per_email: Limit {
                max: env.parse("MAIL_MAX_PER_EMAIL", 5)?,
                window,
            },
        })
    }
}
