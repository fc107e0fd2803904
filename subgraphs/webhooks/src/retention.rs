//! Keeping the delivery log bounded: finished deliveries (SUCCEEDED or FAILED) and their
//! attempts are removed once `DELIVERY_RETENTION_SECS` have passed since their last change.
//! PENDING deliveries are never removed. An event seen again after its delivery was removed
//! creates nothing: the consumer's processed-event record outlives it.

use std::time::Duration;

use kit::ids::now_millis;
use kit::Service;

use crate::delivery::Status;

/// Sweeps every `interval` until shutdown.
pub fn start(svc: &Service, retention: Duration, interval: Duration) {
    kit::periodic::every(
        svc.clone(),
        "webhook delivery retention",
        interval,
        move |svc| async move { sweep(&svc, retention).await },
    );
}

/// Removes the expired finished deliveries; returns how many.
pub async fn sweep(svc: &Service, retention: Duration) -> anyhow::Result<usize> {
    let cutoff = now_millis() - retention.as_millis() as i64;
    let mut tx = svc.db.begin().await?;
    sqlx::query(
        "DELETE FROM webhook_attempts WHERE delivery_id IN (SELECT id FROM webhook_deliveries \
           WHERE status IN ($1, $2) AND updated_at < $3)",
    )
    .bind(Status::Succeeded.as_str())
    .bind(Status::Failed.as_str())
    .bind(cutoff)
    .execute(tx.conn())
    .await?;
    let removed =
        sqlx::query("DELETE FROM webhook_deliveries WHERE status IN ($1, $2) AND updated_at < $3")
            .bind(Status::Succeeded.as_str())
            .bind(Status::Failed.as_str())
            .bind(cutoff)
            .execute(tx.conn())
            .await?
            .rows_affected();
    tx.commit().await?;
    Ok(removed as usize)
}
