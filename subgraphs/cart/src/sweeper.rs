//! The background task that removes guest carts idle past `GUEST_CART_TTL_SECS` (lines too),
//! emitting `cart.abandoned` for each that was still active, and tidies away merged guest carts
//! just as old. Safe with several instances and against concurrent changes: a cart is only
//! taken if it is still expired inside the deleting transaction, and every change to a cart
//! first re-checks that it has not expired.

use kit::ids::now_millis;
use kit::{AppError, Service};
use serde_json::json;

use crate::cache;
use crate::events::emit;
use crate::settings::Settings;

const BATCH: i64 = 100;

/// Sweeps every `SWEEP_INTERVAL_MS` until the service shuts down.
pub fn spawn(svc: Service, settings: Settings) {
    let interval = settings.sweep_interval;
    kit::periodic::every(svc, "expire guest carts", interval, move |svc| {
        let settings = settings.clone();
        async move { sweep(&svc, &settings).await.map_err(AppError::into_anyhow) }
    });
}

/// Removes one expired guest cart; true when it was there to remove.
async fn remove(svc: &Service, id: &str, cutoff: i64) -> Result<bool, AppError> {
    let mut tx = svc.db.begin().await?;
    let abandoned = sqlx::query(
        "UPDATE carts SET status = 'ABANDONED' WHERE id = $1 AND customer_id IS NULL \
         AND status = 'ACTIVE' AND updated_at <= $2",
    )
    .bind(id)
    .bind(cutoff)
    .execute(tx.conn())
    .await?
    .rows_affected()
        == 1;
    if abandoned {
        let lines: Vec<(String, i64, Option<String>)> = sqlx::query_as(
            "SELECT variant_id, quantity, live_claim_id FROM cart_lines WHERE cart_id = $1",
        )
        .bind(id)
        .fetch_all(tx.conn())
        .await?;
        let item_count: i64 = lines.iter().map(|(_, q, _)| q).sum();
        // `liveClaimId`: livestream gives the claimed deal units back on this event.
        let lines: Vec<_> = lines
            .iter()
            .map(|(variant, quantity, claim)| {
                json!({ "variantId": variant, "quantity": quantity, "liveClaimId": claim })
            })
            .collect();
        let data = json!({ "lines": lines, "itemCount": item_count });
        emit(svc, &mut tx, "cart.abandoned", id, None, data).await?;
    }
    sqlx::query("DELETE FROM cart_lines WHERE cart_id = $1")
        .bind(id)
        .execute(tx.conn())
        .await?;
    // Abandoned just now, or merged or checked out long ago (the order keeps its own copy of
    // the lines); anything else changed meanwhile and stays.
    let deleted = sqlx::query(
        "DELETE FROM carts WHERE id = $1 AND customer_id IS NULL AND updated_at <= $2 \
         AND status IN ('ABANDONED', 'MERGED', 'CONVERTED')",
    )
    .bind(id)
    .bind(cutoff)
    .execute(tx.conn())
    .await?
    .rows_affected();
    if deleted == 0 {
        return Ok(false); // rolled back: its lines stay too
    }
    tx.commit().await?;
    cache::forget(svc, &[id]).await;
    Ok(true)
}

/// Removes the expired guest carts; returns how many.
pub async fn sweep(svc: &Service, settings: &Settings) -> Result<usize, AppError> {
    let mut removed = 0;
    loop {
        let cutoff = settings.guest_cutoff(now_millis());
        // The scan is bookkeeping, kept out of the request statement count.
        let due: Vec<String> = sqlx::query_scalar(
            "SELECT id FROM carts WHERE customer_id IS NULL \
             AND status IN ('ACTIVE', 'MERGED', 'CONVERTED') \
             AND updated_at <= $1 ORDER BY updated_at LIMIT $2",
        )
        .bind(cutoff)
        .bind(BATCH)
        .fetch_all(svc.db.background())
        .await?;
        for id in &due {
            if remove(svc, id, cutoff).await? {
                removed += 1;
            }
        }
        if (due.len() as i64) < BATCH {
            return Ok(removed);
        }
    }
}
