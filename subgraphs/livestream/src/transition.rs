//! Moving a stream along the status table, for the host's mutations and the media server's
//! callbacks alike: lock the row, check the move, write it, emit its event, commit.

use kit::ids::now_millis;
use kit::{AppError, Service};
use serde_json::json;

use crate::events;
use crate::settings::Settings;
use crate::status::{self, LivestreamStatus};
use crate::stream::{self, Livestream};

/// Who caused a move (carried in the event).
#[derive(Debug, Clone, Copy)]
pub enum Cause {
    /// Staff through a mutation.
    Host,
    /// The media server: the publisher connected or disconnected.
    Publisher,
}

impl Cause {
    fn as_str(self) -> &'static str {
        match self {
            Cause::Host => "HOST",
            Cause::Publisher => "PUBLISHER",
        }
    }
}

/// Moves stream `id` to `to`; `CONFLICT` (naming both statuses) when the table forbids it.
pub async fn apply(
    svc: &Service,
    settings: &Settings,
    id: &str,
    to: LivestreamStatus,
    cause: Cause,
) -> Result<Livestream, AppError> {
    let mut tx = svc.db.begin().await?;
    let mut current = stream::lock_existing(&mut tx, id).await?;
    let from = current.status;
    let event_type = status::check(from, to)?;
    let now = now_millis();
    let (started_at, ended_at) = match to {
        LivestreamStatus::Live => (Some(now), None),
        LivestreamStatus::Ended | LivestreamStatus::Cancelled => (current.started_at, Some(now)),
        LivestreamStatus::Scheduled => (None, None),
    };
    sqlx::query(
        "UPDATE livestreams SET status = $1, started_at = $2, ended_at = $3, updated_at = $4 \
         WHERE id = $5",
    )
    .bind(to.as_str())
    .bind(started_at)
    .bind(ended_at)
    .bind(now)
    .bind(id)
    .execute(tx.conn())
    .await?;
    current.status = to;
    current.started_at = started_at;
    current.ended_at = ended_at;
    current.updated_at = now;
    let mut data = events::summary(&current, settings);
    data["from"] = json!(from.as_str());
    data["to"] = json!(to.as_str());
    data["cause"] = json!(cause.as_str());
    events::emit(svc, &mut tx, event_type, &current, data).await?;
    if matches!(to, LivestreamStatus::Ended | LivestreamStatus::Cancelled) {
        // Its live deals end with the stream.
        crate::deal_end::end(svc, &mut tx, &current, None, now).await?;
    }
    tx.commit().await?;
    Ok(current)
}
