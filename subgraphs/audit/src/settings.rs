//! Audit's own settings, read through the kit's environment lookup (so `AUDIT_…` variables
//! and test overrides apply), each with a working default: keep every entry forever.

use std::path::PathBuf;
use std::time::Duration;

use kit::Config;

#[derive(Debug, Clone)]
pub struct Settings {
    /// Entries recorded longer ago than this are archived and deleted (`AUDIT_RETENTION_DAYS`,
    /// a positive number, fractions allowed); `None` (unset) keeps them forever.
    pub retention: Option<Duration>,
    /// Where archived entries are written as JSON lines (`AUDIT_ARCHIVE_DIR`; default
    /// `<DATA_DIR>/audit-archive`).
    pub archive_dir: PathBuf,
    /// How often the archival job looks for expired entries (`AUDIT_ARCHIVE_INTERVAL_MS`).
    pub archive_interval: Duration,
}

impl Settings {
    pub fn from_config(config: &Config) -> anyhow::Result<Settings> {
        let env = config.env();
        let retention = match env.get("RETENTION_DAYS") {
            None => None,
            Some(raw) => {
                let days: f64 = raw
                    .parse()
                    .map_err(|e| anyhow::anyhow!("AUDIT_RETENTION_DAYS: {e}"))?;
                anyhow::ensure!(
                    days.is_finite() && days > 0.0,
                    "AUDIT_RETENTION_DAYS must be a positive number of days (unset keeps entries forever)"
                );
                Some(Duration::from_secs_f64(days * 86_400.0))
            }
        };
        let archive_dir = match env.get("ARCHIVE_DIR") {
            Some(dir) => PathBuf::from(dir),
            None => PathBuf::from(env.get("DATA_DIR").unwrap_or_else(|| "data".into()))
                .join("audit-archive"),
        };
        let archive_interval = Duration::from_millis(env.parse("ARCHIVE_INTERVAL_MS", 3_600_000)?);
        anyhow::ensure!(
            !archive_interval.is_zero(),
            "AUDIT_ARCHIVE_INTERVAL_MS must be positive"
        );
        Ok(Settings {
            retention,
            archive_dir,
            archive_interval,
        })
    }
}
