//! Real-time order updates: `orderStatusChanged(orderId, orderToken)` for the order's
//! customer, staff or its guest (with the token), and `myOrderUpdates` for a signed-in
//! customer. Who may listen is decided once, when the subscription starts
//! (UNAUTHENTICATED / FORBIDDEN / NOT_FOUND). Every instance runs a fan-out consumer of
//! `order.*` (its own queue, so it sees changes made by any instance) feeding an in-process
//! broadcast channel that each subscriber filters. Each message carries the `Order` entity,
//! so the router can add other subgraphs' fields (`order { shipments { trackingNumber } }`).

use async_graphql::dataloader::DataLoader;
use async_graphql::{Context, Object, Result, Subscription, ID};
use chrono::{DateTime, Utc};
use futures_util::Stream;
use kit::auth::{caller, optional_caller};
use kit::authz_directives::authenticated;
use kit::events::{Event, QueueSpec};
use kit::ids::from_millis;
use kit::schema::service;
use kit::{AppError, Service};
use tokio::sync::broadcast;
use tokio::sync::broadcast::error::RecvError;

use crate::access;
use crate::order::{Order, OrdersById};
use crate::status::OrderStatus;
use crate::{store, token};

pub const QUEUE: &str = "orders-status-feed";

/// One status change as the feed carries it.
#[derive(Debug, Clone)]
pub struct OrderStatusEvent {
    pub order_id: String,
    pub number: String,
    pub status: OrderStatus,
    pub previous_status: Option<OrderStatus>,
    pub at: DateTime<Utc>,
    pub reason: String,
    pub customer_id: Option<String>,
}

impl OrderStatusEvent {
    fn from_event(event: &Event) -> Option<OrderStatusEvent> {
        let d = &event.data;
        let status = |key: &str| d[key].as_str().and_then(OrderStatus::parse);
        Some(OrderStatusEvent {
            order_id: d["orderId"].as_str()?.to_string(),
            number: d["number"].as_str()?.to_string(),
            status: status("status")?,
            previous_status: status("previousStatus"),
            at: d["at"]
                .as_str()
                .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
                .map(|t| t.with_timezone(&Utc))
                .unwrap_or_else(|| from_millis(event.time.timestamp_millis())),
            reason: d["reason"].as_str().unwrap_or_default().to_string(),
            customer_id: d["customerId"].as_str().map(str::to_string),
        })
    }
}

#[Object]
impl OrderStatusEvent {
    async fn order_id(&self) -> ID {
        ID(self.order_id.clone())
    }
    async fn number(&self) -> &str {
        &self.number
    }
    async fn status(&self) -> OrderStatus {
        self.status
    }
    /// Null when the order was just placed.
    async fn previous_status(&self) -> Option<OrderStatus> {
        self.previous_status
    }
    async fn at(&self) -> DateTime<Utc> {
        self.at
    }
    /// Machine-readable cause, as in `Order.statusHistory`.
    async fn reason(&self) -> &str {
        &self.reason
    }
    /// The order as it is now.
    async fn order(&self, ctx: &Context<'_>) -> Result<Order> {
        let order = ctx
            .data_unchecked::<DataLoader<OrdersById>>()
            .load_one(self.order_id.clone())
            .await?
            .ok_or_else(|| AppError::not_found("the order no longer exists"))?;
        Ok(Order(order))
    }
}

/// The in-process side of the fan-out.
#[derive(Clone)]
pub struct StatusFeed {
    sender: broadcast::Sender<OrderStatusEvent>,
}

impl Default for StatusFeed {
    fn default() -> Self {
        StatusFeed {
            sender: broadcast::channel(1024).0,
        }
    }
}

impl StatusFeed {
    /// Starts this instance's fan-out consumer of `order.*` events.
    pub async fn start(&self, svc: &Service) -> anyhow::Result<()> {
        let feed = self.clone();
        svc.consume(
            QueueSpec::fan_out(QUEUE, &["order.*"]),
            move |event: Event| {
                if let Some(change) = OrderStatusEvent::from_event(&event) {
                    // No subscribers is not an error.
                    let _ = feed.sender.send(change);
                }
                async { Ok(()) }
            },
        )
        .await
    }

    fn stream(
        &self,
        keep: impl Fn(&OrderStatusEvent) -> bool + Send + Sync + 'static,
    ) -> impl Stream<Item = OrderStatusEvent> {
        let receiver = self.sender.subscribe();
        futures_util::stream::unfold((receiver, keep), |(mut rx, keep)| async move {
            loop {
                match rx.recv().await {
                    Ok(change) if keep(&change) => return Some((change, (rx, keep))),
                    // Another order, or changes this slow subscriber missed: carry on.
                    Ok(_) | Err(RecvError::Lagged(_)) => continue,
                    Err(RecvError::Closed) => return None,
                }
            }
        })
    }
}

#[derive(Default)]
pub struct OrderSubscription;

#[Subscription]
impl OrderSubscription {
    /// Every status change of one order: its customer, staff, or its guest with `orderToken`.
    async fn order_status_changed(
        &self,
        ctx: &Context<'_>,
        order_id: ID,
        order_token: Option<String>,
    ) -> Result<impl Stream<Item = OrderStatusEvent>> {
        let order = store::load(&service(ctx).db, &order_id)
            .await?
            .ok_or_else(|| AppError::not_found("orderId: no such order"))?;
        let caller = optional_caller(ctx);
        let presented = order_token
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(token::hash);
        if !access::may_read(caller, presented.as_deref(), &order) {
            return Err(if caller.is_none() && presented.is_none() {
                AppError::unauthenticated("sign in, or give the order's orderToken")
            } else {
                AppError::forbidden("this order belongs to someone else")
            }
            .into());
        }
        let id = order.id.clone();
        Ok(ctx
            .data_unchecked::<StatusFeed>()
            .stream(move |change| change.order_id == id))
    }

    /// Every status change of the signed-in customer's orders.
    #[graphql(directive = authenticated::apply())]
    async fn my_order_updates(
        &self,
        ctx: &Context<'_>,
    ) -> Result<impl Stream<Item = OrderStatusEvent>> {
        let me = caller(ctx)?.user_id.clone();
        Ok(ctx
            .data_unchecked::<StatusFeed>()
            .stream(move |change| change.customer_id.as_deref() == Some(me.as_str())))
    }
}
