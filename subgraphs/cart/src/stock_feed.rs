//! The local copy of inventory: units available per variant, from the new totals every
//! stock-changing `inventory.*` event carries (`stock: [{variantId, available, …}]`; events
//! without it are ignored). A row only moves forward in event time. Stock is not part of a
//! cached cart (the storefront reads it from inventory), so nothing is invalidated.

use kit::events::Event;
use kit::{AppError, Tx};

pub async fn apply(tx: &mut Tx, event: &Event) -> Result<(), AppError> {
    let Some(stock) = event.data["stock"].as_array() else {
        return Ok(());
    };
    let at = event.time.timestamp_millis();
    for entry in stock {
        let (Some(variant), Some(available)) =
            (entry["variantId"].as_str(), entry["available"].as_i64())
        else {
            tracing::warn!(event = %event.id, "stock entry without variantId or available; ignored");
            continue;
        };
        sqlx::query(
            "INSERT INTO stock (variant_id, available, changed_at) VALUES ($1, $2, $3) \
             ON CONFLICT (variant_id) DO UPDATE SET available = excluded.available, \
             changed_at = excluded.changed_at WHERE stock.changed_at <= excluded.changed_at",
        )
        .bind(variant)
        .bind(available.max(0))
        .bind(at)
        .execute(tx.conn())
        .await?;
    }
    Ok(())
}
