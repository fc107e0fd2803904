//! Media's reaction to catalog: `product.archived` hides the product's images from
//! `Product.media` (they are kept, not deleted, so old orders still show them through `Asset`),
//! and a `product.updated` carrying another status (an archived product published again) shows
//! them again. The newest event wins, so a late redelivery of an older one changes nothing; each
//! event is claimed in the same transaction as its effect, so a duplicate is skipped.

use kit::events::{claim, Event, QueueSpec};
use kit::ids::parse_id;
use kit::{AppError, Service};

/// The consumer's name in `processed_events` and its queue name.
pub const CONSUMER: &str = "media";

pub async fn start(svc: &Service) -> anyhow::Result<()> {
    let handler_svc = svc.clone();
    svc.consume(
        QueueSpec::durable(CONSUMER, &["product.archived", "product.updated"]),
        move |event: Event| {
            let svc = handler_svc.clone();
            async move { apply(&svc, &event).await.map_err(AppError::into_anyhow) }
        },
    )
    .await
}

/// Whether `event` says its product is archived; `None` when it says nothing about status.
fn archived(event: &Event) -> Option<bool> {
    let status = event.data["status"].as_str();
    match event.event_type.as_str() {
        "product.archived" => Some(true),
        "product.updated" => status.map(|s| s == "archived"),
        _ => None,
    }
}

/// Applies one event. An event without a usable product id is logged and dropped (retrying
/// cannot fix it).
pub async fn apply(svc: &Service, event: &Event) -> Result<(), AppError> {
    let Some(archived) = archived(event) else {
        return Ok(());
    };
    let raw = event.data["id"]
        .as_str()
        .or(event.subject.as_deref())
        .unwrap_or_default();
    let Ok(product_id) = parse_id("id", raw) else {
        tracing::warn!(event = %event.id, kind = %event.event_type, "product event without a valid product id; ignored");
        return Ok(());
    };
    let mut tx = svc.db.begin().await?;
    if !claim(&mut tx, CONSUMER, event).await? {
        return Ok(()); // already applied
    }
    sqlx::query(
        "INSERT INTO product_status (product_id, archived, as_of) VALUES ($1, $2, $3) \
         ON CONFLICT (product_id) DO UPDATE SET archived = excluded.archived, as_of = excluded.as_of \
         WHERE product_status.as_of <= excluded.as_of",
    )
    .bind(&product_id)
    .bind(i64::from(archived))
    .bind(event.time.timestamp_millis())
    .execute(tx.conn())
    .await?;
    tx.commit().await?;
    Ok(())
}
