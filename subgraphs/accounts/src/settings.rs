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
}

impl Settings {
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
        })
    }
}
