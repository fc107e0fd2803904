//! Counting viewers, correct across instances and routers: each instance counts the clients
//! of its live `livestreamEvents` subscriptions per stream (a guard held by the subscription),
//! writes the counts as heartbeat rows every `LIVESTREAM_VIEWER_HEARTBEAT_MS`, and reads back
//! the sum of every instance's fresh rows — the stream's current viewers — which it keeps as the
//! peak and tells its subscribers (`ViewerCount`).
//!
//! A subscription's clients come from the router (`kit::server::audience`): a router shares one
//! upstream subscription between every client with the same operation, variables and
//! credentials and reports how many it serves, so N anonymous viewers behind one router are one
//! subscription here that counts N. A router that dies closes its sockets, which ends its
//! subscriptions here and so its count; an instance that dies stops writing its rows, which go
//! stale. Unique viewers: a signed-in viewer once by user id however many tabs; anonymous
//! viewers once per client subscription (every client that joined, as the router reports them).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use kit::ids::{new_id, now_millis};
use kit::server::audience::{Count, Handle};
use kit::{AppError, Db};

/// One live subscription as the heartbeat sees it.
struct Live {
    count: Arc<Count>,
    /// The `livestream_viewers` row of an anonymous subscription, whose visits follow the
    /// router's joined count; `None` for a signed-in viewer (one visit, by user id).
    anonymous_row: Option<String>,
}

/// This instance's live subscriptions per stream, by subscription number.
#[derive(Clone)]
pub struct Viewers {
    pub instance_id: String,
    local: Arc<Mutex<HashMap<String, HashMap<u64, Live>>>>,
    next: Arc<AtomicU64>,
}

impl Default for Viewers {
    fn default() -> Self {
        Viewers {
            instance_id: new_id(),
            local: Arc::default(),
            next: Arc::default(),
        }
    }
}

/// Held by a subscription; dropping it (the client, or the router's last client, went away)
/// counts its viewers out.
pub struct ViewerGuard {
    viewers: Viewers,
    stream_id: String,
    id: u64,
    _audience: Handle,
}

impl Drop for ViewerGuard {
    fn drop(&mut self) {
        if let Ok(mut local) = self.viewers.local.lock() {
            if let Some(subs) = local.get_mut(&self.stream_id) {
                subs.remove(&self.id);
            }
        }
    }
}

impl Viewers {
    /// Counts a new subscription of `stream_id` in, serving `audience` clients, and records
    /// its viewers for the unique count: `user_id` once, or (anonymous) a row of its own whose
    /// visits the heartbeat keeps up with the router's joined count.
    pub async fn join(
        &self,
        db: &Db,
        stream_id: &str,
        user_id: Option<&str>,
        audience: Handle,
    ) -> Result<ViewerGuard, AppError> {
        let anonymous_row = user_id.is_none().then(|| format!("anon:{}", new_id()));
        let viewer = user_id.map(str::to_string).or(anonymous_row.clone());
        sqlx::query(
            "INSERT INTO livestream_viewers (stream_id, viewer, first_seen, visits) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (stream_id, viewer) DO NOTHING",
        )
        .bind(stream_id)
        .bind(viewer)
        .bind(now_millis())
        .bind(if user_id.is_some() {
            1
        } else {
            audience.joined()
        })
        .execute(db.pool())
        .await?;
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        if let Ok(mut local) = self.local.lock() {
            local.entry(stream_id.to_string()).or_default().insert(
                id,
                Live {
                    count: audience.count(),
                    anonymous_row,
                },
            );
        }
        Ok(ViewerGuard {
            viewers: self.clone(),
            stream_id: stream_id.to_string(),
            id,
            _audience: audience,
        })
    }

    /// Writes this instance's counts (and anonymous visits) and returns every stream's current
    /// total (for the streams this instance serves). Streams whose last local subscription
    /// ended are written once as zero and then forgotten.
    pub async fn heartbeat(
        &self,
        db: &Db,
        interval: Duration,
    ) -> Result<Vec<(String, i64)>, AppError> {
        // Per stream: its clients now, and the anonymous rows with their visits so far.
        type Snapshot = (String, i64, Vec<(String, i64)>);
        let counts: Vec<Snapshot> = match self.local.lock() {
            Ok(mut local) => {
                let counts = local
                    .iter()
                    .map(|(stream, subs)| {
                        let clients = subs.values().map(|l| l.count.clients()).sum();
                        let visits = subs
                            .values()
                            .filter_map(|l| {
                                let row = l.anonymous_row.clone()?;
                                (l.count.joined() > 1).then(|| (row, l.count.joined()))
                            })
                            .collect();
                        (stream.clone(), clients, visits)
                    })
                    .collect();
                local.retain(|_, subs| !subs.is_empty());
                counts
            }
            Err(_) => Vec::new(),
        };
        let now = now_millis();
        let mut totals = Vec::new();
        for (stream_id, n, visits) in counts {
            for (row, joined) in visits {
                sqlx::query(
                    "UPDATE livestream_viewers SET visits = $1 \
                     WHERE stream_id = $2 AND viewer = $3 AND visits < $1",
                )
                .bind(joined)
                .bind(&stream_id)
                .bind(&row)
                .execute(db.pool())
                .await?;
            }
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
