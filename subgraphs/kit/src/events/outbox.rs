//! The transactional outbox. Domain code records events in the same database transaction as the
//! state change ([`Tx::emit`]); the relay publishes committed rows to the transport with
//! confirms and marks them published. A broker outage only delays delivery: rows wait in the
//! table and go out, in order, once the broker is back. Several instances can relay the same
//! table: each claims a batch with a lease, so a crashed relay's batch is picked up again.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use super::{Event, Transport};
use crate::db::{Db, Tx};
use crate::ids::now_millis;

const BATCH: i64 = 100;
const LEASE_MS: i64 = 30_000;
const RETENTION_MS: i64 = 7 * 24 * 3600 * 1000;

impl Tx {
    /// Records `event` in the outbox as part of this transaction; it is published after commit.
    pub async fn emit(&mut self, event: &Event) -> Result<(), sqlx::Error> {
        let payload = serde_json::to_string(event).map_err(|e| sqlx::Error::Encode(e.into()))?;
        sqlx::query(
            "INSERT INTO outbox (id, event_type, payload, created_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(&event.id)
        .bind(&event.event_type)
        .bind(payload)
        .bind(now_millis())
        .execute(self.conn())
        .await?;
        self.mark_emitted();
        Ok(())
    }
}

/// Publishes committed outbox rows until shutdown. `wake` is notified after commits that
/// emitted events, so delivery does not wait for the poll interval.
pub async fn relay(
    db: Db,
    transport: Arc<dyn Transport>,
    wake: Arc<Notify>,
    poll: Duration,
    shutdown: CancellationToken,
) {
    let mut backoff = Duration::from_millis(100);
    let mut last_cleanup = 0i64;
    loop {
        match relay_batch(&db, transport.as_ref()).await {
            Ok(sent) if sent as i64 == BATCH => {
                backoff = Duration::from_millis(100);
                continue; // more may be waiting
            }
            Ok(_) => {
                backoff = Duration::from_millis(100);
                if now_millis() - last_cleanup > 3_600_000 {
                    last_cleanup = now_millis();
                    let _ = sqlx::query("DELETE FROM outbox WHERE published_at < $1")
                        .bind(now_millis() - RETENTION_MS)
                        .execute(db.background())
                        .await;
                }
                tokio::select! {
                    _ = shutdown.cancelled() => return,
                    _ = wake.notified() => {}
                    _ = tokio::time::sleep(poll) => {}
                }
            }
            Err(err) => {
                tracing::warn!(error = %err, retry_in = ?backoff, "outbox relay: publish failed; events stay queued");
                tokio::select! {
                    _ = shutdown.cancelled() => return,
                    _ = tokio::time::sleep(backoff) => {}
                }
                backoff = (backoff * 2).min(Duration::from_secs(10));
            }
        }
    }
}

/// Claims, publishes and marks one batch. Returns how many events went out.
async fn relay_batch(db: &Db, transport: &dyn Transport) -> anyhow::Result<usize> {
    let token = crate::ids::new_id();
    let now = now_millis();
    let claimed = sqlx::query(
        "UPDATE outbox SET claim_token = $1, claimed_until = $2 WHERE id IN (\
           SELECT id FROM outbox WHERE published_at IS NULL \
           AND (claimed_until IS NULL OR claimed_until < $3) ORDER BY id LIMIT $4)",
    )
    .bind(&token)
    .bind(now + LEASE_MS)
    .bind(now)
    .bind(BATCH)
    .execute(db.background())
    .await?
    .rows_affected();
    if claimed == 0 {
        return Ok(0);
    }
    let rows: Vec<(String, String)> =
        sqlx::query_as("SELECT id, payload FROM outbox WHERE claim_token = $1 ORDER BY id")
            .bind(&token)
            .fetch_all(db.background())
            .await?;
    let mut events = Vec::with_capacity(rows.len());
    for (id, payload) in &rows {
        match serde_json::from_str::<Event>(payload) {
            Ok(event) => events.push(event),
            Err(err) => tracing::error!(%id, error = %err, "outbox row is not a valid event"),
        }
    }
    if let Err(err) = transport.publish_batch(&events).await {
        // Release the lease so the next attempt (here or on another instance) retries at once.
        let _ = sqlx::query("UPDATE outbox SET claimed_until = NULL WHERE claim_token = $1")
            .bind(&token)
            .execute(db.background())
            .await;
        return Err(err);
    }
    sqlx::query("UPDATE outbox SET published_at = $1 WHERE claim_token = $2")
        .bind(now_millis())
        .bind(&token)
        .execute(db.background())
        .await?;
    Ok(rows.len())
}

/// Rows not yet published (for `/metrics` and readiness detail).
pub async fn pending(db: &Db) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT COUNT(*) FROM outbox WHERE published_at IS NULL")
        .fetch_one(db.background())
        .await
}
