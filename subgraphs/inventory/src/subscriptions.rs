//! `stockChanged(variantId)` for back-in-stock UIs. Every instance runs a fan-out consumer of
//! `inventory.*` events (its own queue, so it sees every event whichever instance made the
//! change) that feeds an in-process broadcast channel; each subscriber filters it by variant.

use async_graphql::{Context, Result, SimpleObject, Subscription, ID};
use chrono::{DateTime, Utc};
use futures_util::Stream;
use kit::events::{Event, QueueSpec};
use kit::ids::parse_id;
use kit::Service;
use tokio::sync::broadcast;
use tokio::sync::broadcast::error::RecvError;

use crate::events::totals_of;

/// A variant's stock after a change.
#[derive(Debug, Clone, SimpleObject)]
pub struct StockChange {
    pub variant_id: ID,
    pub available: i64,
    pub in_stock: bool,
    /// The event that changed it (`inventory.reserved`, `inventory.adjusted`, …).
    pub cause: String,
    pub at: DateTime<Utc>,
}

/// The in-process side of the fan-out: changes received from the broker, for subscribers.
#[derive(Clone)]
pub struct StockFeed {
    sender: broadcast::Sender<StockChange>,
}

impl StockFeed {
    pub fn new() -> StockFeed {
        StockFeed {
            sender: broadcast::channel(1024).0,
        }
    }

    /// Starts this instance's fan-out consumer of `inventory.*` events.
    pub async fn start(&self, svc: &Service) -> anyhow::Result<()> {
        let feed = self.clone();
        svc.consume(
            QueueSpec::fan_out("inventory-stock-feed", &["inventory.*"]),
            move |event: Event| {
                feed.publish(&event);
                async { Ok(()) }
            },
        )
        .await
    }

    fn publish(&self, event: &Event) {
        for totals in totals_of(&event.data) {
            // No subscribers is not an error.
            let _ = self.sender.send(StockChange {
                variant_id: ID(totals.variant_id),
                available: totals.available,
                in_stock: totals.available > 0,
                cause: event.event_type.clone(),
                at: event.time,
            });
        }
    }
}

impl Default for StockFeed {
    fn default() -> Self {
        StockFeed::new()
    }
}

#[derive(Default)]
pub struct StockSubscription;

#[Subscription]
impl StockSubscription {
    /// The variant's stock each time it changes. Public.
    async fn stock_changed(
        &self,
        ctx: &Context<'_>,
        variant_id: ID,
    ) -> Result<impl Stream<Item = StockChange>> {
        let variant_id = parse_id("variantId", &variant_id)?;
        let receiver = ctx.data_unchecked::<StockFeed>().sender.subscribe();
        Ok(futures_util::stream::unfold(receiver, move |mut rx| {
            let variant_id = variant_id.clone();
            async move {
                loop {
                    match rx.recv().await {
                        Ok(change) if change.variant_id.as_str() == variant_id => {
                            return Some((change, rx))
                        }
                        // Another variant, or changes this slow subscriber missed: carry on.
                        Ok(_) | Err(RecvError::Lagged(_)) => continue,
                        Err(RecvError::Closed) => return None,
                    }
                }
            }
        }))
    }
}
