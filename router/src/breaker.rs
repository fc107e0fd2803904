//! Per-subgraph circuit breakers. After `failure_threshold` consecutive failed fetches
//! (transport error, timeout, or a response that is not GraphQL) a subgraph's circuit opens and
//! its fetches fail fast with `SUBGRAPH_CIRCUIT_OPEN` instead of waiting on a dead service. After
//! `cool_down` one probe fetch is let through (half-open): success closes the circuit, failure
//! opens it for another cool-down.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use serde::Deserialize;

/// `[circuit_breaker]` in the config file; `ROUTER_BREAKER_*` in the environment.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BreakerConfig {
    /// `ROUTER_BREAKER_FAILURES`: consecutive failures that open a circuit; 0 turns breakers off.
    pub failure_threshold: u32,
    /// `ROUTER_BREAKER_COOLDOWN_MS`: how long a circuit stays open before a probe.
    pub cool_down_ms: u64,
}

impl Default for BreakerConfig {
    fn default() -> Self {
        BreakerConfig {
            failure_threshold: 5,
            cool_down_ms: 5_000,
        }
    }
}

impl BreakerConfig {
    pub fn apply_vars(&mut self, env: &dyn Fn(&str) -> Option<String>) -> anyhow::Result<()> {
        if let Some(v) = env("ROUTER_BREAKER_FAILURES") {
            self.failure_threshold = v
                .trim()
                .parse()
                .map_err(|e| anyhow::anyhow!("ROUTER_BREAKER_FAILURES={v:?}: {e}"))?;
        }
        if let Some(v) = env("ROUTER_BREAKER_COOLDOWN_MS") {
            self.cool_down_ms = v
                .trim()
                .parse()
                .map_err(|e| anyhow::anyhow!("ROUTER_BREAKER_COOLDOWN_MS={v:?}: {e}"))?;
        }
        Ok(())
    }
}

/// The start of a fetch failure reason that means "the circuit is open".
pub const OPEN: &str = "circuit open";

/// The `extensions.code` for a subgraph fetch failure with this reason.
pub fn error_code(reason: &str) -> &'static str {
    if reason.starts_with(OPEN) {
        "SUBGRAPH_CIRCUIT_OPEN"
    } else {
        "SUBGRAPH_REQUEST_FAILED"
    }
}

#[derive(Debug, Clone, Copy)]
enum State {
    Closed {
        failures: u32,
    },
    Open {
        until: Instant,
    },
    /// One probe is in flight; everyone else fails fast until it reports.
    HalfOpen,
}

#[derive(Default)]
pub struct Breakers {
    config: BreakerConfig,
    states: Mutex<HashMap<String, State>>,
}

impl Breakers {
    pub fn new(config: &BreakerConfig) -> Self {
        Breakers {
            config: config.clone(),
            states: Mutex::new(HashMap::new()),
        }
    }

    /// May a fetch to `subgraph` go out now? `Err(reason)` fails it fast.
    pub fn admit(&self, subgraph: &str) -> Result<(), String> {
        if self.config.failure_threshold == 0 {
            return Ok(());
        }
        let mut states = self.states.lock();
        let Some(state) = states.get_mut(subgraph) else {
            return Ok(());
        };
        match *state {
            State::Closed { .. } => Ok(()),
            State::Open { until } if Instant::now() >= until => {
                *state = State::HalfOpen;
                Ok(())
            }
            State::Open { until } => Err(format!(
                "{OPEN} after {} consecutive failures; next probe in {} ms",
                self.config.failure_threshold,
                until.saturating_duration_since(Instant::now()).as_millis()
            )),
            State::HalfOpen => Err(format!(
                "{OPEN} after {} consecutive failures; a probe is in flight",
                self.config.failure_threshold
            )),
        }
    }

    /// A fetch admitted as the half-open probe was dropped before it finished (the client went
    /// away or the operation timed out): let the next fetch probe instead of failing fast forever.
    pub fn abandon(&self, subgraph: &str) {
        let mut states = self.states.lock();
        if let Some(s @ State::HalfOpen) = states.get_mut(subgraph) {
            *s = State::Open {
                until: Instant::now(),
            };
        }
    }

    /// Reports the outcome of an admitted fetch.
    pub fn record(&self, subgraph: &str, ok: bool) {
        if self.config.failure_threshold == 0 {
            return;
        }
        let mut states = self.states.lock();
        if ok {
            // The common case: a healthy subgraph never gets an entry.
            if let Some(s) = states.get_mut(subgraph) {
                *s = State::Closed { failures: 0 };
            }
            return;
        }
        let open = State::Open {
            until: Instant::now() + Duration::from_millis(self.config.cool_down_ms),
        };
        let state = states
            .entry(subgraph.to_string())
            .or_insert(State::Closed { failures: 0 });
        *state = match *state {
            State::Closed { failures } if failures + 1 >= self.config.failure_threshold => {
                tracing::warn!("circuit to subgraph {subgraph} opened");
                open
            }
            State::Closed { failures } => State::Closed {
                failures: failures + 1,
            },
            State::HalfOpen | State::Open { .. } => open,
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opens_after_consecutive_failures_probes_once_and_closes_on_success() {
        let b = Breakers::new(&BreakerConfig {
            failure_threshold: 2,
            cool_down_ms: 0,
        });
        b.record("s", false);
        b.record("s", true);
        b.record("s", false);
        assert!(b.admit("s").is_ok(), "successes reset the count");
        b.record("s", false);
        // Open, but the cool-down (0 ms) is over: one probe, the rest fail fast.
        assert!(b.admit("s").is_ok());
        let err = b.admit("s").unwrap_err();
        assert_eq!(error_code(&err), "SUBGRAPH_CIRCUIT_OPEN");
        b.record("s", false);
        assert!(
            b.admit("s").is_ok(),
            "a failed probe reopens for another cool-down"
        );
        b.record("s", true);
        assert!(b.admit("s").is_ok());
        assert!(b.admit("s").is_ok(), "closed again");
    }

    #[test]
    fn an_abandoned_probe_lets_the_next_fetch_probe() {
        let b = Breakers::new(&BreakerConfig {
            failure_threshold: 1,
            cool_down_ms: 0,
        });
        b.record("s", false);
        assert!(b.admit("s").is_ok(), "the probe");
        assert!(b.admit("s").is_err());
        b.abandon("s");
        assert!(b.admit("s").is_ok(), "a new probe");
    }
}
