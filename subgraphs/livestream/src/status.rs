//! A livestream's status and the one table of allowed moves: SCHEDULED → LIVE → ENDED, or
//! SCHEDULED → CANCELLED. Anything else is a `CONFLICT` naming both ends.

use async_graphql::Enum;
use kit::AppError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
pub enum LivestreamStatus {
    /// Announced, not on air yet; the publisher may connect.
    Scheduled,
    /// On air.
    Live,
    /// Over (the host ended it or the publisher disconnected).
    Ended,
    /// Called off before it went live.
    Cancelled,
}

impl LivestreamStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            LivestreamStatus::Scheduled => "SCHEDULED",
            LivestreamStatus::Live => "LIVE",
            LivestreamStatus::Ended => "ENDED",
            LivestreamStatus::Cancelled => "CANCELLED",
        }
    }

    pub fn parse(raw: &str) -> LivestreamStatus {
        match raw {
            "LIVE" => LivestreamStatus::Live,
            "ENDED" => LivestreamStatus::Ended,
            "CANCELLED" => LivestreamStatus::Cancelled,
            _ => LivestreamStatus::Scheduled,
        }
    }

    /// Whether the stream can still change (be edited, go live, take chat later).
    pub fn is_open(self) -> bool {
        matches!(self, LivestreamStatus::Scheduled | LivestreamStatus::Live)
    }
}

/// The allowed moves and the event each emits.
const TRANSITIONS: &[(LivestreamStatus, LivestreamStatus, &str)] = &[
    (
        LivestreamStatus::Scheduled,
        LivestreamStatus::Live,
        "livestream.started",
    ),
    (
        LivestreamStatus::Live,
        LivestreamStatus::Ended,
        "livestream.ended",
    ),
    (
        LivestreamStatus::Scheduled,
        LivestreamStatus::Cancelled,
        "livestream.cancelled",
    ),
];

/// The event type of the move `from → to`, or `CONFLICT` when the table has no such move.
pub fn check(from: LivestreamStatus, to: LivestreamStatus) -> Result<&'static str, AppError> {
    TRANSITIONS
        .iter()
        .find(|(f, t, _)| *f == from && *t == to)
        .map(|(_, _, event)| *event)
        .ok_or_else(|| {
            AppError::conflict(format!(
                "a {} livestream cannot become {}",
                from.as_str(),
                to.as_str()
            ))
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use LivestreamStatus::*;

    #[test]
    fn only_the_table_moves_are_allowed() {
        let all = [Scheduled, Live, Ended, Cancelled];
        let mut allowed = Vec::new();
        for from in all {
            for to in all {
                if check(from, to).is_ok() {
                    allowed.push((from, to));
                }
            }
        }
        assert_eq!(
            allowed,
            vec![(Scheduled, Live), (Scheduled, Cancelled), (Live, Ended)]
        );
        let err = check(Ended, Live).unwrap_err();
        assert_eq!(err.message(), "a ENDED livestream cannot become LIVE");
    }
}
