//! Catalog's copy of product ratings, for sorting only (reviews owns `Product.rating`). The
//! `review.*` events carry the product's new aggregate; each one sets the product's rank, unless
//! a newer event already did (events can be redelivered out of order). A rank that changed is
//! announced as `product.rating_changed` (for the other instances' search engines) and
//! refreshed in this instance's engine.

use kit::events::{claim, Event, QueueSpec};
use kit::{AppError, Service};

use crate::search;

/// The consumer's name in `processed_events` and its queue name.
pub const CONSUMER: &str = "catalog";
const BINDINGS: [&str; 5] = [
    "review.created",
    "review.updated",
    "review.hidden",
    "review.unhidden",
    "review.deleted",
];

/// Ranks by average (hundredths of a star), then by review count.
pub fn rank(average: f64, count: i64) -> i64 {
    if count <= 0 {
        return 0;
    }
    let hundredths = (average.clamp(0.0, 5.0) * 100.0).round() as i64;
    hundredths * 1_000_000 + count.min(999_999)
}

pub async fn start(svc: &Service) -> anyhow::Result<()> {
    let handler_svc = svc.clone();
    svc.consume(
        QueueSpec::durable(CONSUMER, &BINDINGS),
        move |event: Event| {
            let svc = handler_svc.clone();
            async move { apply(&svc, &event).await.map_err(AppError::into_anyhow) }
        },
    )
    .await
}

/// Applies one `review.*` event.
pub async fn apply(svc: &Service, event: &Event) -> Result<(), AppError> {
    let data = &event.data;
    let product = data["productId"].as_str().or(event.subject.as_deref());
    let (Some(product), Some(count)) = (product, data["productRating"]["count"].as_i64()) else {
        tracing::warn!(event = %event.id, kind = %event.event_type, "review event without productId/productRating; ignored");
        return Ok(());
    };
    let average = data["productRating"]["average"].as_f64().unwrap_or(0.0);
    let at = event.time.timestamp_millis();
    let mut tx = svc.db.begin().await?;
    if !claim(&mut tx, CONSUMER, event).await? {
        return Ok(());
    }
    let rank = rank(average, count);
    let changed = sqlx::query(
        "UPDATE products SET rating_rank = $1, rating_at = $2 WHERE id = $3 AND rating_at <= $2",
    )
    .bind(rank)
    .bind(at)
    .bind(product)
    .execute(tx.conn())
    .await?
    .rows_affected();
    if changed == 0 {
        tx.commit().await?;
        return Ok(());
    }
    // Only one instance consumes a review event; this tells the others' search engines.
    let event = svc.event(
        "product.rating_changed",
        Some(product.to_string()),
        serde_json::json!({ "id": product, "ratingRank": rank }),
    );
    tx.emit(&event).await?;
    search::engine::expect_own(svc, &event);
    tx.commit().await?;
    search::engine::notify(svc, &[product.to_string()], &[&event]).await;
    Ok(())
}

/// Sets ranks directly, for the launcher's demo seed (seeded reviews publish no events).
pub async fn set_ranks(svc: &Service, ranks: &[(String, f64, i64)]) -> anyhow::Result<()> {
    let mut tx = svc.db.begin().await?;
    for (product, average, count) in ranks {
        sqlx::query("UPDATE products SET rating_rank = $1 WHERE id = $2 AND rating_at = 0")
            .bind(rank(*average, *count))
            .bind(product)
            .execute(tx.conn())
            .await?;
    }
    tx.commit().await?;
    let ids: Vec<String> = ranks.iter().map(|(id, _, _)| id.clone()).collect();
    search::engine::notify(svc, &ids, &[]).await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::rank;

    #[test]
    fn higher_average_wins_then_more_reviews() {
        assert!(rank(4.5, 2) > rank(4.49, 900));
        assert!(rank(4.5, 3) > rank(4.5, 2));
        assert_eq!(rank(3.0, 0), 0);
        assert!(rank(1.0, 1) > 0);
    }
}
