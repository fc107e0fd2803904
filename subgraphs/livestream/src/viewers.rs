//! Counting viewers, correct across instances: each instance counts its own live
//! `livestreamEvents` subscriptions per stream (a guard held by the subscription), writes the
//! counts as heartbeat rows every `LIVESTREAM_VIEWER_HEARTBEAT_MS`, and reads back the sum of
//! every instance's fresh rows — the stream's current viewers — which it keeps as the peak and
//! tells its subscribers (`ViewerCount`). Each subscription start also records the viewer for
//! the unique count.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use kit::ids::{new_id, now_millis};
use kit::{AppError, Db};

/// This instance's live subscriptions per stream.
#[derive(Clone)]
pub struct Viewers {
    pub instance_id: String,
    local: Arc<Mutex<HashMap<String, i64>>>,
}

impl Default for Viewers {
    fn default() -> Self {
        Viewers {
            instance_id: new_id(),
            local: Arc::default(),
        }
    }
}

/// Held by a subscription; dropping it (the client went away) counts the viewer out.
pub struct ViewerGuard {
    viewers: Viewers,
    stream_id: String,
}

impl Drop for ViewerGuard {
    fn drop(&mut self) {
        if let Ok(mut local) = self.viewers.local.lock() {
            if let Some(n) = local.get_mut(&self.stream_id) {
                *n -= 1;
            }
        }
    }
}

impl Viewers {
    /// Counts a new subscriber of `stream_id` in, and records `viewer` for the unique count.
    pub async fn join(
        &self,
        db: &Db,
        stream_id: &str,
        viewer: &str,
    ) -> Result<ViewerGuard, AppError> {
        sqlx::query(
            "INSERT INTO livestream_viewers (stream_id, viewer, first_seen) VALUES ($1, $2, $3) \
             ON CONFLICT (stream_id, viewer) DO NOTHING",
        )
        .bind(stream_id)
        .bind(viewer)
        .bind(now_millis())
        .execute(db.pool())
        .await?;
        if let Ok(mut local) = self.local.lock() {
            *local.entry(stream_id.to_string()).or_default() += 1;
        }
        Ok(ViewerGuard {
            viewers: self.clone(),
            stream_id: stream_id.to_string(),
        })
    }

    /// Writes this instance's counts and returns every stream's current total (for the streams
    /// this instance serves). Streams whose last local viewer left are written once as zero and
    /// then forgotten.
    pub async fn heartbeat(
        &self,
        db: &Db,
        interval: Duration,
    ) -> Result<Vec<(String, i64)>, AppError> {
        let counts: Vec<(String, i64)> = match self.local.lock() {
            Ok(mut local) => {
                let counts = local.iter().map(|(k, v)| (k.clone(), *v)).collect();
                local.retain(|_, n| *n > 0);
                counts
            }
            Err(_) => Vec::new(),
        };
        let now = now_millis();
        let mut totals = Vec::new();
        for (stream_id, n) in counts {
            sqlx::query(
                "INSERT INTO livestream_heartbeats (stream_id, instance_id, viewers, seen_at) \
                 VALUES ($1, $2, $3, $4) ON CONFLICT (stream_id, instance_id) \
                 DO UPDATE SET viewers = excluded.viewers, seen_at = excluded.seen_at",
            )
            .bind(&stream_id)
            .bind(&self.instance_id)
            .bind(n)
            .bind(now)
            .execute(db.pool())
            .await?;
            let total = current(db, &stream_id, interval).await?;
            sqlx::query(
                "UPDATE livestreams SET peak_viewers = $1 WHERE id = $2 AND peak_viewers < $1",
            )
            .bind(total)
            .bind(&stream_id)
            .execute(db.pool())
            .await?;
            if n > 0 {
                totals.push((stream_id, total));
            }
        }
        Ok(totals)
    }
}

/// The stream's viewers now: every instance's heartbeat no older than three intervals.
pub async fn current(db: &Db, stream_id: &str, interval: Duration) -> Result<i64, AppError> {
    let fresh = now_millis() - 3 * interval.as_millis() as i64;
    let (n,): (i64,) = sqlx::query_as(
        "SELECT CAST(COALESCE(SUM(viewers), 0) AS BIGINT) FROM livestream_heartbeats \
         WHERE stream_id = $1 AND seen_at >= $2",
    )
    .bind(stream_id)
    .bind(fresh)
    .fetch_one(db.pool())
    .await?;
    Ok(n)
}
