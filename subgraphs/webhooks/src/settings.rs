//! Webhooks' own settings, read through the kit's environment lookup (so `WEBHOOKS_…`
//! variables and test overrides apply), each with a working default.

use std::time::Duration;

use kit::Config;

/// Standard Webhooks' schedule after the first attempt: about a day in all.
pub const DEFAULT_RETRY_SCHEDULE: &str = "5s,5m,30m,2h,5h,10h,10h";

#[derive(Debug, Clone)]
pub struct Settings {
    /// Delays before each retry (`RETRY_SCHEDULE`, e.g. `5s,5m,30m`); once used up, the
    /// delivery is FAILED. Each delay gets up to ±20 % jitter.
    pub retry_schedule: Vec<Duration>,
    /// `ALLOW_PRIVATE_TARGETS`: deliver to any address, private networks included.
    pub allow_private_targets: bool,
    /// `ALLOW_LOOPBACK_TARGETS`: deliver to loopback (127.0.0.0/8, ::1) but still refuse the
    /// other private ranges; for local development and tests.
    pub allow_loopback_targets: bool,
    /// `CONNECT_TIMEOUT_MS` (5000) and `REQUEST_TIMEOUT_MS` (15000, the whole attempt).
    pub connect_timeout: Duration,
    pub request_timeout: Duration,
    /// `RESPONSE_BODY_MAX_BYTES` (4096): how much of a response is read and kept.
    pub response_body_max: usize,
    /// `MAX_IN_FLIGHT_PER_ENDPOINT` (4): concurrent requests to one endpoint, so a slow one
    /// holds at most this many of the worker's slots.
    pub max_in_flight_per_endpoint: usize,
    /// `MAX_IN_FLIGHT` (64): concurrent requests of this instance in all.
    pub max_in_flight: usize,
    /// `WORKER_POLL_MS` (1000): how often the worker looks for due deliveries when nothing
    /// woke it.
    pub worker_poll: Duration,
    /// An endpoint is disabled once `DISABLE_AFTER_FAILURES` (20) attempts in a row failed
    /// and it has been failing for `DISABLE_AFTER_SECS` (86400).
    pub disable_after_failures: i64,
    pub disable_after: Duration,
    /// Finished (SUCCEEDED or FAILED) deliveries and their attempts are removed
    /// `DELIVERY_RETENTION_SECS` (30 days) after their last change, by a sweep every
    /// `RETENTION_SWEEP_INTERVAL_MS` (one hour).
    pub delivery_retention: Duration,
    pub retention_sweep_interval: Duration,
}

impl Settings {
    pub fn from_config(config: &Config) -> anyhow::Result<Settings> {
        let env = config.env();
        let schedule = env
            .get("RETRY_SCHEDULE")
            .unwrap_or_else(|| DEFAULT_RETRY_SCHEDULE.into());
        let settings = Settings {
            retry_schedule: parse_schedule(&schedule)
                .map_err(|e| anyhow::anyhow!("RETRY_SCHEDULE: {e}"))?,
            allow_private_targets: env.parse("ALLOW_PRIVATE_TARGETS", false)?,
            allow_loopback_targets: env.parse("ALLOW_LOOPBACK_TARGETS", false)?,
            connect_timeout: Duration::from_millis(env.parse("CONNECT_TIMEOUT_MS", 5000)?),
            request_timeout: Duration::from_millis(env.parse("REQUEST_TIMEOUT_MS", 15000)?),
            response_body_max: env.parse("RESPONSE_BODY_MAX_BYTES", 4096)?,
            max_in_flight_per_endpoint: env.parse("MAX_IN_FLIGHT_PER_ENDPOINT", 4)?,
            max_in_flight: env.parse("MAX_IN_FLIGHT", 64)?,
            worker_poll: Duration::from_millis(env.parse("WORKER_POLL_MS", 1000)?),
            disable_after_failures: env.parse("DISABLE_AFTER_FAILURES", 20)?,
            disable_after: Duration::from_secs(env.parse("DISABLE_AFTER_SECS", 86400)?),
            delivery_retention: Duration::from_secs(
                env.parse("DELIVERY_RETENTION_SECS", 30 * 86400)?,
            ),
            retention_sweep_interval: Duration::from_millis(
                env.parse("RETENTION_SWEEP_INTERVAL_MS", 3_600_000)?,
            ),
        };
        anyhow::ensure!(
            settings.max_in_flight_per_endpoint >= 1 && settings.max_in_flight >= 1,
            "MAX_IN_FLIGHT and MAX_IN_FLIGHT_PER_ENDPOINT must be at least 1"
        );
        anyhow::ensure!(
            settings.disable_after_failures >= 1,
            "DISABLE_AFTER_FAILURES must be at least 1"
        );
        anyhow::ensure!(
            !settings.request_timeout.is_zero() && !settings.connect_timeout.is_zero(),
            "CONNECT_TIMEOUT_MS and REQUEST_TIMEOUT_MS must be positive"
        );
        anyhow::ensure!(
            !settings.worker_poll.is_zero() && !settings.retention_sweep_interval.is_zero(),
            "WORKER_POLL_MS and RETENTION_SWEEP_INTERVAL_MS must be positive"
        );
        Ok(settings)
    }

    /// Which non-public targets are allowed.
    pub fn policy(&self) -> crate::targets::Policy {
        crate::targets::Policy {
            allow_private: self.allow_private_targets,
            allow_loopback: self.allow_loopback_targets,
        }
    }

    /// How long the worker holds a claimed delivery: the whole attempt plus a margin. Another
    /// instance takes it over only after this, so it must outlast a request.
    pub fn lease(&self) -> Duration {
        self.request_timeout + self.connect_timeout + Duration::from_secs(30)
    }
}

/// `5s,5m,30m,2h,10h` (units ms, s, m, h) into durations.
pub fn parse_schedule(raw: &str) -> Result<Vec<Duration>, String> {
    raw.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|item| {
            let split = item
                .find(|c: char| !c.is_ascii_digit())
                .ok_or_else(|| format!("{item:?} needs a unit (ms, s, m, h)"))?;
            let (n, unit) = item.split_at(split);
            let n: u64 = n.parse().map_err(|_| format!("{item:?} is not a number"))?;
            let ms = match unit {
                "ms" => n,
                "s" => n * 1000,
                "m" => n * 60_000,
                "h" => n * 3_600_000,
                _ => return Err(format!("{item:?}: unknown unit {unit:?}")),
            };
            Ok(Duration::from_millis(ms))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedules_parse_with_units_and_span_about_a_day_by_default() {
        let d = parse_schedule(DEFAULT_RETRY_SCHEDULE).unwrap();
        let total: Duration = d.iter().sum();
        assert_eq!(d[0], Duration::from_secs(5));
        assert!(total > Duration::from_secs(20 * 3600) && total < Duration::from_secs(30 * 3600));
        assert_eq!(
            parse_schedule("50ms, 2s").unwrap(),
            vec![Duration::from_millis(50), Duration::from_secs(2)]
        );
        assert!(parse_schedule("5").is_err());
        assert!(parse_schedule("5d").is_err());
        assert!(parse_schedule("").unwrap().is_empty());
    }
}
