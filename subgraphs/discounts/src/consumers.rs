//! Discounts' reactions to other subgraphs' events, on one durable queue `discounts`: catalog's
//! product, category and collection events keep the scope read models; `order.paid` redeems
//! and `order.cancelled` releases an order's coupon use; cart's `cart.merged` carries a guest
//! cart's coupon into the customer's cart and `cart.abandoned` forgets a removed cart's. Each
//! event is claimed in the same transaction as its effect, so a redelivered event changes
//! nothing the second time.

use kit::events::{claim, Event, QueueSpec};
use kit::{AppError, Service};

use crate::{applying, catalog_feed, usage};

/// The consumer's name in `processed_events` and its queue name.
pub const CONSUMER: &str = "discounts";

const BINDINGS: [&str; 11] = [
    "product.created",
    "product.updated",
    "product.archived",
    "category.created",
    "category.updated",
    "collection.products_added",
    "collection.products_removed",
    "order.paid",
    "order.cancelled",
    "cart.merged",
    "cart.abandoned",
];

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

/// Applies one event (others are acknowledged and ignored).
pub async fn apply(svc: &Service, event: &Event) -> Result<(), AppError> {
    if !BINDINGS.contains(&event.event_type.as_str()) {
        return Ok(());
    }
    let mut tx = svc.db.begin().await?;
    if !claim(&mut tx, CONSUMER, event).await? {
        return Ok(()); // already applied
    }
    match event.event_type.as_str() {
        "order.paid" | "order.cancelled" => {
            let order = event.data["orderId"]
                .as_str()
                .or(event.subject.as_deref())
                .filter(|o| !o.is_empty());
            match (order, event.event_type.as_str()) {
                (Some(order), "order.paid") => {
                    usage::redeem(svc, &mut tx, order).await?;
                }
                (Some(order), _) => {
                    usage::release(svc, &mut tx, order).await?;
                }
                (None, _) => {
                    tracing::warn!(event = %event.id, "order event without orderId; ignored")
                }
            }
        }
        "cart.merged" | "cart.abandoned" => applying::follow_cart(&mut tx, event).await?,
        _ => catalog_feed::apply(&mut tx, event).await?,
    }
    tx.commit().await?;
    Ok(())
}
