//! Media's reaction to catalog: `product.archived` hides the product's images from
//! `Product.media` (they are kept, not deleted, so old orders still show them through `Asset`).
//! The event is claimed in the same transaction as its effect, so a redelivery changes nothing.

use kit::events::{claim, Event, QueueSpec};
use kit::ids::{now_millis, parse_id};
use kit::{AppError, Service};

/// The consumer's name in `processed_events` and its queue name.
pub const CONSUMER: &str = "media";

pub async fn start(svc: &Service) -> anyhow::Result<()> {
    let handler_svc = svc.clone();
    svc.consume(
        QueueSpec::durable(CONSUMER, &["product.archived"]),
        move |event: Event| {
            let svc = handler_svc.clone();
            async move { apply(&svc, &event).await.map_err(AppError::into_anyhow) }
        },
    )
    .await
}

/// Applies one event. An event without a usable product id is logged and dropped (retrying
/// cannot fix it).
pub async fn apply(svc: &Service, event: &Event) -> Result<(), AppError> {
    if event.event_type != "product.archived" {
        return Ok(());
    }
    let raw = event.data["id"]
        .as_str()
        .or(event.subject.as_deref())
        .unwrap_or_default();
    let Ok(product_id) = parse_id("id", raw) else {
        tracing::warn!(event = %event.id, "product.archived without a valid product id; ignored");
        return Ok(());
    };
    let mut tx = svc.db.begin().await?;
    if !claim(&mut tx, CONSUMER, event).await? {
        return Ok(()); // already applied
    }
    sqlx::query(
        "INSERT INTO archived_products (product_id, archived_at) VALUES ($1, $2) \
         ON CONFLICT (product_id) DO NOTHING",
    )
    .bind(&product_id)
    .bind(now_millis())
    .execute(tx.conn())
    .await?;
    tx.commit().await?;
    Ok(())
}
