//! Cart's reactions to other subgraphs' events, on one durable queue `cart`: catalog's product
//! and variant events and inventory's stock changes keep the local read models; orders'
//! `order.created` closes the cart it was placed from (CONVERTED); livestream's
//! `livestream.deal_ended` ends the deal price on the lines that claimed it. Each event is
//! claimed in the same transaction as its effect, so a redelivered event changes nothing the
//! second time; carts showing a changed price are invalidated after the commit.

use kit::events::{claim, product_status, Event, QueueSpec};
use kit::{AppError, Service};

use crate::{cache, catalog_feed, live_deal_end, orders_feed, stock_feed};

/// The consumer's name in `processed_events` and its queue name.
pub const CONSUMER: &str = "cart";

const BINDINGS: [&str; 8] = [
    "product.created",
    "product.updated",
    "product.archived",
    "variant.created",
    "variant.price_changed",
    "inventory.*",
    "order.created",
    "livestream.deal_ended",
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

enum Kind {
    Product,
    Variant,
    Stock,
    Order,
    DealEnded,
}

fn kind_of(event_type: &str) -> Option<Kind> {
    match event_type {
        "product.created" | "product.updated" | "product.archived" => Some(Kind::Product),
        "variant.created" | "variant.price_changed" => Some(Kind::Variant),
        t if t.starts_with("inventory.") => Some(Kind::Stock),
        "order.created" => Some(Kind::Order),
        "livestream.deal_ended" => Some(Kind::DealEnded),
        _ => None,
    }
}

/// Applies one event (others are acknowledged and ignored).
pub async fn apply(svc: &Service, event: &Event) -> Result<(), AppError> {
    let Some(kind) = kind_of(&event.event_type) else {
        return Ok(());
    };
    let mut tx = svc.db.begin().await?;
    if !claim(&mut tx, CONSUMER, event).await? {
        return Ok(()); // already applied
    }
    let mut stale_carts = Vec::new();
    match kind {
        Kind::Product => product_status::record(&mut tx, event).await?,
        Kind::Variant => stale_carts = catalog_feed::apply_variant(&mut tx, event).await?,
        Kind::Stock => stock_feed::apply(&mut tx, event).await?,
        Kind::Order => stale_carts.extend(orders_feed::apply(&mut tx, event).await?),
        Kind::DealEnded => stale_carts = live_deal_end::apply(&mut tx, event).await?,
    }
    tx.commit().await?;
    cache::invalidate(svc, &stale_carts).await;
    Ok(())
}
