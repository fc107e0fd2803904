//! Verified purchases, fed by `order.paid` (data `{orderId, userId, lines: [{productId,
//! variantId, quantity}]}`, optionally `paidAt`; otherwise the event time is the payment time).
//! Each bought product is recorded with its earliest payment time; the buyer's reviews of it
//! written after that time become verified, so a payment event that arrives after the review
//! still counts.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use kit::events::Event;
use kit::{AppError, Tx};

pub async fn apply(tx: &mut Tx, event: &Event) -> Result<(), AppError> {
    let data = &event.data;
    let user = data["userId"].as_str().filter(|u| !u.is_empty());
    let order = data["orderId"].as_str().unwrap_or_default();
    let products: BTreeSet<&str> = data["lines"]
        .as_array()
        .map(|lines| {
            lines
                .iter()
                .filter_map(|l| l["productId"].as_str())
                .filter(|p| !p.is_empty())
                .collect()
        })
        .unwrap_or_default();
    let Some(user) = user else {
        tracing::warn!(event = %event.id, "order.paid without userId; ignored");
        return Ok(());
    };
    let paid_at = data["paidAt"]
        .as_str()
        .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or(event.time)
        .timestamp_millis();
    for product in products {
        sqlx::query(
            "INSERT INTO purchases (user_id, product_id, order_id, purchased_at) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (user_id, product_id) DO UPDATE SET \
             order_id = excluded.order_id, purchased_at = excluded.purchased_at \
             WHERE excluded.purchased_at < purchases.purchased_at",
        )
        .bind(user)
        .bind(product)
        .bind(order)
        .bind(paid_at)
        .execute(tx.conn())
        .await?;
        sqlx::query(
            "UPDATE reviews SET verified_purchase = 1 WHERE author_id = $1 AND product_id = $2 \
             AND created_at >= $3 AND verified_purchase = 0",
        )
        .bind(user)
        .bind(product)
        .bind(paid_at)
        .execute(tx.conn())
        .await?;
    }
    Ok(())
}
