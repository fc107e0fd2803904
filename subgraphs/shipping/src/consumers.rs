//! Shipping's reactions to other subgraphs' events, on one durable queue `shipping`: orders'
//! `order.paid` creates the order's shipment; catalog's `variant.created` and
//! `variant.updated` keep the variant weight read model. Each event is claimed in the same
//! transaction as its effect, so a redelivered event changes nothing the second time.

use kit::events::{claim, Event, QueueSpec};
use kit::{AppError, Service};

use crate::{fulfilment, weights};

/// The consumer's name in `processed_events` and its queue name.
pub const CONSUMER: &str = "shipping";

const BINDINGS: [&str; 3] = ["order.paid", "variant.created", "variant.updated"];

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
        "order.paid" => fulfilment::order_paid(svc, &mut tx, event).await?,
        _ => weights::apply(&mut tx, event).await?,
    }
    tx.commit().await?;
    Ok(())
}
