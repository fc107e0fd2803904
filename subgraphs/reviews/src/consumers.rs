//! Reviews' reactions to other subgraphs' events, on one durable queue: catalog's product
//! events keep the local product list, `order.paid` records purchases. Each event is claimed in
//! the same transaction as its effect, so a redelivered event changes nothing the second time.

use kit::events::{claim, product_status, Event, QueueSpec};
use kit::{AppError, Service};

use crate::purchases;

/// The consumer's name in `processed_events` and its queue name.
pub const CONSUMER: &str = "reviews";

const BINDINGS: [&str; 4] = [
    "product.created",
    "product.updated",
    "product.archived",
    "order.paid",
];

pub async fn start(svc: &Service) -> anyhow::Result<()> {
    let handler_svc = svc.clone();
    svc.consume(
        QueueSpec::durable(CONSUMER, &BINDINGS),
        move |event: Event| {
            let svc = handler_svc.clone();
            async move { apply(&svc, &event).await.map_err(as_anyhow) }
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
        "order.paid" => purchases::apply(&mut tx, event).await?,
        // Which products exist and may be reviewed (published only).
        _ => product_status::record(&mut tx, event).await?,
    }
    tx.commit().await?;
    Ok(())
}

fn as_anyhow(err: AppError) -> anyhow::Error {
    match err {
        AppError::Internal(source) => anyhow::anyhow!("{source:#}"),
        other => anyhow::anyhow!(other.message()),
    }
}
