//! The background task that expires reservations whose time ran out, giving their stock back.
//! Safe with several instances running it: each reservation's end is a conditional status
//! change, so only one sweeper (or consumer, or staff member) ends it.

use std::time::Duration;

use kit::ids::now_millis;
use kit::{AppError, Service};

use crate::reservations::{finish, Outcome};

const BATCH: i64 = 100;

/// Sweeps every `interval` until the service shuts down.
pub fn spawn(svc: Service, interval: Duration) {
    kit::periodic::every(svc, "expire reservations", interval, |svc| async move {
        sweep(&svc).await.map_err(AppError::into_anyhow)
    });
}

/// Expires the held reservations past their time; returns how many it expired.
pub async fn sweep(svc: &Service) -> Result<usize, AppError> {
    let mut expired = 0;
    loop {
        // The scan is bookkeeping, kept out of the request statement count.
        let due: Vec<String> = sqlx::query_scalar(
            "SELECT id FROM reservations WHERE status = 'HELD' AND expires_at <= $1 \
             ORDER BY expires_at LIMIT $2",
        )
        .bind(now_millis())
        .bind(BATCH)
        .fetch_all(svc.db.background())
        .await?;
        for id in &due {
            let mut tx = svc.db.begin().await?;
            if finish(svc, &mut tx, id, Outcome::Expire).await? {
                expired += 1;
            }
            tx.commit().await?;
        }
        if (due.len() as i64) < BATCH {
            return Ok(expired);
        }
    }
}
